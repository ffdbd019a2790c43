"""Each inbound email says what it is (`reply`, `auto_reply`, `bounce`, `list`, `other`) and
why, instead of a bare `is_auto_reply`; existing rows are backfilled from that flag.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "inbound_emails"
KINDS = "'reply', 'auto_reply', 'bounce', 'list', 'other'"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("classification", sa.Text(), nullable=True))
    op.add_column(TABLE, sa.Column("classification_reason", sa.Text(), nullable=True))
    # The old flag also covered delivery reports; which of those a row was is not known.
    op.execute(
        f"UPDATE {TABLE} SET classification = CASE WHEN is_auto_reply THEN 'auto_reply' "
        "ELSE 'reply' END, classification_reason = 'backfilled from is_auto_reply'"
    )
    op.alter_column(TABLE, "classification", nullable=False)
    op.alter_column(TABLE, "classification_reason", nullable=False)
    op.create_check_constraint(
        op.f("ck_inbound_emails_classification"), TABLE, f"classification IN ({KINDS})"
    )
    op.drop_column(TABLE, "is_auto_reply")


def downgrade() -> None:
    op.add_column(
        TABLE,
        sa.Column("is_auto_reply", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute(f"UPDATE {TABLE} SET is_auto_reply = classification <> 'reply'")
    op.drop_constraint(op.f("ck_inbound_emails_classification"), TABLE, type_="check")
    op.drop_column(TABLE, "classification_reason")
    op.drop_column(TABLE, "classification")
