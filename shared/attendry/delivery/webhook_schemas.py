"""What the SES webhook answers SNS: the action taken on one message."""

from enum import StrEnum

from pydantic import BaseModel


class WebhookAction(StrEnum):
    APPLIED = "applied"
    CONFIRMED = "confirmed"
    IGNORED = "ignored"


class WebhookReceipt(BaseModel):
    status: WebhookAction
    type: str
    message_id: str
