"""The follow-up schedule and agent messages as the API gives them."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from attendry.db.enums import FollowupReason, FollowupStatus, MessageStatus
from attendry.schemas.common import Resource, Timestamp


class Followup(Resource):
    """One planned follow-up of a thread; past `max_followups` it is the escalation."""

    id: UUID
    agent_id: UUID
    sent_id: UUID = Field(description="The thread's first email.")
    contact_id: UUID
    task_id: UUID | None = Field(description="The `draft_followup` task, once drafting began.")
    attempt: int = Field(description="1 for the first follow-up of the thread.")
    due_at: datetime
    status: FollowupStatus
    reason: FollowupReason | None = Field(description="Why it stopped or escalated.")
    created_at: datetime
    updated_at: datetime


class FollowupUpdate(BaseModel):
    """A new due time; the timing rules still apply."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"due_at": "2026-06-04T09:00:00Z"}]}
    )

    due_at: Timestamp = Field(description="ISO-8601 with an offset, e.g. 2026-06-04T09:00:00Z.")


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
