"""The agents' work items."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    TaskStatus,
    TaskType,
)
from attendry.db.models.base import (
    EMPTY_JSONB,
    Base,
    EnumText,
    UserOwned,
    newest_first_index,
    one_of,
    owner_keyset_index,
)


class AgentTask(UserOwned, Base):
    __tablename__ = "agent_tasks"
    __table_args__ = (
        one_of("task_type", TaskType),
        one_of("status", TaskStatus),
        CheckConstraint("attempts >= 0", "attempts"),
        owner_keyset_index("agent_tasks"),
        newest_first_index("ix_agent_tasks_agent_created", "agent_id"),
        Index("ix_agent_tasks_status_created", "status", "created_at"),
        Index("ix_agent_tasks_opportunity_id", "opportunity_id"),
        Index(
            "uq_agent_tasks_user_idempotency_key",
            "user_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"),
        doc="The event the task is about, if any: lets an event's activity list its tasks.",
    )
    task_type: Mapped[TaskType] = mapped_column(EnumText(TaskType))
    status: Mapped[TaskStatus] = mapped_column(
        EnumText(TaskStatus), server_default=TaskStatus.QUEUED.value
    )
    input: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    output: Mapped[dict[str, Any] | None]
    error: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    idempotency_key: Mapped[str | None]
    request_hash: Mapped[str | None] = mapped_column(
        doc="Hash of the request that first used `idempotency_key`, to refuse a different "
        "request reusing it."
    )
    scheduled_for: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
