"""The LLM calls' costs."""

import uuid
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Numeric, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.models.base import (
    Base,
    UserOwned,
    owner_keyset_index,
)


class LlmUsage(UserOwned, Base):
    """One LLM call's tokens and cost, for the monthly budget."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        CheckConstraint("input_tokens >= 0 AND output_tokens >= 0", "tokens"),
        CheckConstraint("cost_usd >= 0", "cost_usd"),
        owner_keyset_index("llm_usage"),
    )

    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_agents.id", ondelete="SET NULL")
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_tasks.id", ondelete="SET NULL")
    )
    model: Mapped[str]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), server_default=text("0"))
