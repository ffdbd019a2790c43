"""The agents a user runs."""

from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    AgentStatus,
    AgentType,
)
from attendry.db.models.base import (
    EMPTY_JSONB,
    Base,
    EnumText,
    UserOwned,
    one_of,
    owner_keyset_index,
)


class Agent(UserOwned, Base):
    __tablename__ = "ai_agents"
    __table_args__ = (
        one_of("agent_type", AgentType),
        one_of("status", AgentStatus),
        owner_keyset_index("ai_agents"),
    )

    agent_type: Mapped[AgentType] = mapped_column(EnumText(AgentType))
    name: Mapped[str]
    status: Mapped[AgentStatus] = mapped_column(
        EnumText(AgentStatus), server_default=AgentStatus.ACTIVE.value
    )
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
