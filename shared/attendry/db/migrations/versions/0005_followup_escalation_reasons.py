"""A follow-up whose drafts kept failing, or that could not be sent, is escalated to the
user with reason `draft_failed` or `send_failed`.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "agent_followup_schedule"
CONSTRAINT = "ck_agent_followup_schedule_reason"
REASONS = (
    "'replied', 'bounced', 'complained', 'unsubscribed', 'event_passed', "
    "'agent_paused', 'cancelled_by_user', 'max_followups_reached'"
)


def upgrade() -> None:
    op.drop_constraint(op.f(CONSTRAINT), TABLE, type_="check")
    op.create_check_constraint(
        op.f(CONSTRAINT), TABLE, f"reason IN ({REASONS}, 'draft_failed', 'send_failed')"
    )


def downgrade() -> None:
    op.execute(
        f"UPDATE {TABLE} SET reason = 'max_followups_reached' "
        "WHERE reason IN ('draft_failed', 'send_failed')"
    )
    op.drop_constraint(op.f(CONSTRAINT), TABLE, type_="check")
    op.create_check_constraint(op.f(CONSTRAINT), TABLE, f"reason IN ({REASONS})")
