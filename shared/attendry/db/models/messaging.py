"""The agents' message bus."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    MessageStatus,
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


class AgentMessage(UserOwned, Base):
    """A message between agents (or from an agent to its user, `to_agent_id` NULL)."""

    __tablename__ = "agent_messages"
    __table_args__ = (
        one_of("status", MessageStatus),
        owner_keyset_index("agent_messages"),
        newest_first_index("ix_agent_messages_from_created", "from_agent_id"),
        newest_first_index("ix_agent_messages_to_created", "to_agent_id"),
    )

    from_agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    to_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_agents.id", ondelete="CASCADE")
    )
    message_type: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    status: Mapped[MessageStatus] = mapped_column(
        EnumText(MessageStatus), server_default=MessageStatus.PENDING.value
    )
    processed_at: Mapped[datetime | None]
