"""Messages between agents as the API gives them."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field

from attendry.db.enums import MessageStatus
from attendry.http.schemas import Resource


class AgentMessage(Resource):
    id: UUID
    from_agent_id: UUID
    to_agent_id: UUID | None = Field(description="null: the message is to the user.")
    message_type: str
    payload: dict[str, Any]
    status: MessageStatus
    processed_at: datetime | None
    created_at: datetime
    direction: Literal["sent", "received"] = Field(
        default="sent", description="Seen from the agent the list is for."
    )
