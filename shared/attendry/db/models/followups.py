"""The planned follow-ups of a sent message."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    FollowupReason,
    FollowupStatus,
)
from attendry.db.models.base import (
    Base,
    EnumText,
    UserOwned,
    one_of,
    owner_keyset_index,
)


class FollowupSchedule(UserOwned, Base):
    """One planned follow-up of a sent message; `attempt` counts from 1 per thread."""

    __tablename__ = "agent_followup_schedule"
    __table_args__ = (
        one_of("status", FollowupStatus),
        one_of("reason", FollowupReason),
        CheckConstraint("attempt >= 1", "attempt"),
        owner_keyset_index("agent_followup_schedule"),
        Index(
            "uq_agent_followup_schedule_sent_attempt",
            "sent_id",
            "attempt",
            unique=True,
        ),
        Index(
            "ix_agent_followup_schedule_due",
            "due_at",
            postgresql_where=text("status = 'scheduled'"),
        ),
        Index("ix_agent_followup_schedule_contact_id", "contact_id"),
        Index("ix_agent_followup_schedule_task_id", "task_id"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    sent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_outreach_sent.id", ondelete="CASCADE"),
        doc="The original message of the thread.",
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("saved_speaker_profiles.id", ondelete="CASCADE")
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_tasks.id", ondelete="SET NULL")
    )
    attempt: Mapped[int]
    due_at: Mapped[datetime]
    status: Mapped[FollowupStatus] = mapped_column(
        EnumText(FollowupStatus), server_default=FollowupStatus.SCHEDULED.value
    )
    reason: Mapped[FollowupReason | None] = mapped_column(EnumText(FollowupReason))
