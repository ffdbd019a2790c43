"""Replies as the API gives them."""

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class ReplyMarked(BaseModel):
    """What `POST /contacts/{id}/replied` changed."""

    contact_id: UUID
    sent_id: UUID | None = Field(
        description="The latest message sent to the contact, now marked answered; null if "
        "nothing was sent to them yet."
    )
    response_received_at: datetime | None = Field(
        description="When the reply was recorded: the first time, if it already was."
    )
    already_recorded: bool = Field(
        description="True when a reply to that message was already recorded (nothing changed)."
    )
    followups_cancelled: int = Field(
        description="Scheduled follow-ups to the contact stopped now (reason `replied`)."
    )
