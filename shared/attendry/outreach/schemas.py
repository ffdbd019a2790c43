"""Outreach drafts and sent messages as the API takes and gives them."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from attendry.db.enums import Channel, DeliveryStatus, DraftKind, DraftStatus
from attendry.db.models import OutreachDraft, OutreachSent
from attendry.http.schemas import HeaderText, Resource

MAX_SUBJECT_CHARS = 300
MAX_BODY_CHARS = 100_000


# The subject becomes a header: anything unsafe in it is refused, naming the field.
Subject = Annotated[str, Field(max_length=MAX_SUBJECT_CHARS), *HeaderText("subject")]
Body = Annotated[str, Field(min_length=1, max_length=MAX_BODY_CHARS)]


def _documented_update(schema: dict[str, Any]) -> None:
    """The rules `_something_to_change` enforces, stated where a client reads them: one
    field at least, and `subject` and `message_body` are never null (only `html_body` is)."""
    schema["minProperties"] = 1
    for name in ("subject", "message_body"):
        field = schema["properties"][name]
        field.pop("default", None)
        field.update(next(option for option in field.pop("anyOf") if option != {"type": "null"}))
    schema["examples"] = [{"subject": "Your talk at Data Summit", "message_body": "Hello Ada, ..."}]


class DraftUpdate(BaseModel):
    """Only the fields given change; `html_body: null` removes the HTML part."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=_documented_update,
    )

    subject: Subject | None = None
    message_body: Body | None = None
    html_body: Body | None = None

    @model_validator(mode="after")
    def _something_to_change(self) -> "DraftUpdate":
        if not self.model_fields_set:
            raise ValueError("give at least one of subject, message_body, html_body")
        if "subject" in self.model_fields_set and self.subject is None:
            raise ValueError("subject cannot be removed from an email draft")
        if "message_body" in self.model_fields_set and self.message_body is None:
            raise ValueError("message_body cannot be removed")
        return self


class DraftRejection(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "Too formal; I know Ada already."}]},
    )

    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class SendFailure(BaseModel):
    """Why a draft or a send failed; `code` is stable (a refusal or SES's error code)."""

    code: str
    message: str


def _failure(row: OutreachDraft | OutreachSent | dict[str, Any]) -> SendFailure | None:
    """The send failure kept in the row's `meta`: an ORM row, or a list page's dict."""
    meta = row["meta"] if isinstance(row, dict) else row.meta
    failure = meta.get("send_failure")
    return SendFailure.model_validate(failure) if isinstance(failure, dict) else None


class Draft(Resource):
    id: UUID
    agent_id: UUID
    task_id: UUID | None
    contact_id: UUID
    opportunity_id: UUID | None
    channel: Channel
    kind: DraftKind
    sequence_step: int
    recipient_email: str | None
    subject: str | None
    message_body: str
    html_body: str | None
    status: DraftStatus
    rejection_reason: str | None
    failure: SendFailure | None = Field(
        default=None, description="Why sending failed, when `status` is `failed`."
    )
    generator: dict[str, Any]
    edited_by_user: bool
    approved_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: OutreachDraft | dict[str, Any]) -> "Draft":
        draft = cls.model_validate(row)
        draft.failure = _failure(row)
        return draft


class Sent(Resource):
    """A message handed to SES and where its delivery stands."""

    id: UUID
    draft_id: UUID | None
    agent_id: UUID | None
    contact_id: UUID | None
    channel: Channel
    recipient_email: str | None
    subject: str | None
    message_body: str
    delivery_status: DeliveryStatus
    failure: SendFailure | None = None
    ses_message_id: str | None
    rfc822_message_id: str | None = Field(
        description="The Message-ID the contact's mail client sees (SES's own)."
    )
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None
    response_received_at: datetime | None
    bounce_type: str | None
    bounce_subtype: str | None
    bounce_diagnostic: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: OutreachSent | dict[str, Any]) -> "Sent":
        sent = cls.model_validate(row)
        sent.failure = _failure(row)
        return sent
