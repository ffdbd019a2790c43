"""Every bounce SES reports, per address, so repeated transient bounces can suppress it.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "email_bounces",
        sa.Column("id", sa.Uuid(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("bounce_type", sa.Text(), nullable=False),
        sa.Column("bounce_subtype", sa.Text(), nullable=True),
        sa.Column("diagnostic", sa.Text(), nullable=True),
        sa.Column("bounced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("feedback_id", sa.Text(), nullable=True),
        sa.Column("ses_message_id", sa.Text(), nullable=True),
        sa.Column("sent_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "address = lower(address)", name=op.f("ck_email_bounces_address_lower_case")
        ),
        sa.ForeignKeyConstraint(
            ["sent_id"],
            ["agent_outreach_sent.id"],
            name=op.f("fk_email_bounces_sent_id"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_bounces")),
    )
    op.create_index(
        "uq_email_bounces_feedback_address",
        "email_bounces",
        ["feedback_id", "address"],
        unique=True,
    )
    op.create_index(
        "ix_email_bounces_address_bounced_at", "email_bounces", ["address", "bounced_at"]
    )
    op.create_index("ix_email_bounces_sent_id", "email_bounces", ["sent_id"])


def downgrade() -> None:
    op.drop_table("email_bounces")
