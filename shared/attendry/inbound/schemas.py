"""Replies as the API gives them."""

from datetime import datetime
from typing import Any, Self
from uuid import UUID

from pydantic import BaseModel, Field

from attendry.db.enums import InboundMatch
from attendry.db.models import InboundEmail
from attendry.db.models.inbound import InboundKind
from attendry.http.schemas import Resource
from attendry.inbound.reads import Direction


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


NOT_COLUMNS = {"matched", "thread"}
"""What a reply shows that is no column of its row: derived, or read alongside."""


class ThreadMessage(Resource):
    """One message of a contact's thread."""

    id: UUID = Field(description="The sent message's id, or the received email's (a reply).")
    direction: Direction
    at: datetime = Field(
        description="When it was sent (created, while not yet handed to SES) or received."
    )
    subject: str
    text: str = Field(description="The body sent, or the contact's own words (quoted text cut).")
    classification: InboundKind | None = Field(
        description="What a received email is; null for a sent one."
    )


class Reply(Resource):
    """An email received for the user: a reply to one of their messages, or not."""

    id: UUID
    matched: bool = Field(
        description="True when the email answers a message the user sent (`sent_id` names "
        "it); false when it reached the user but no sent message could be found for it."
    )
    sent_id: UUID | None = Field(description="The sent message this email answers.")
    contact_id: UUID | None = Field(
        description="The contact it came from: their whole exchange is "
        "`GET /contacts/{contact_id}/thread`."
    )
    matched_by: InboundMatch | None
    from_address: str | None
    from_name: str
    to_addresses: list[str]
    subject: str
    reply_text: str = Field(description="The sender's own words, quoted text cut.")
    classification: InboundKind
    classification_reason: str = Field(description="The signal that decided `classification`.")
    received_at: datetime
    created_at: datetime

    @classmethod
    def from_row(cls, row: InboundEmail | dict[str, Any]) -> Self:
        if isinstance(row, InboundEmail):
            shown = set(cls.model_fields) - NOT_COLUMNS
            row = {name: getattr(row, name) for name in shown}
        return cls.model_validate({**row, "matched": row["sent_id"] is not None})


class ReplyDetail(Reply):
    """A received email in full: its text as sent and the headers that place it in a thread."""

    text_body: str = Field(description="The full text, quoted part included.")
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    thread: list[ThreadMessage] = Field(
        default_factory=list,
        description="The thread it belongs to: everything sent to and received from its "
        "contact, oldest first, this email included; empty when it came from no contact.",
    )


class Thread(BaseModel):
    """Everything sent to and received from one contact, oldest first."""

    contact_id: UUID
    items: list[ThreadMessage]
