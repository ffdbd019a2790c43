"""The user's email sending state (account safety) as the API gives it."""

from datetime import datetime

from pydantic import BaseModel, Field

from attendry.sending.rates import (
    SES_PAUSE_BOUNCE_RATE,
    SES_PAUSE_COMPLAINT_RATE,
    SES_REVIEW_BOUNCE_RATE,
    SES_REVIEW_COMPLAINT_RATE,
)


class SendingRates(BaseModel):
    """The rates account safety judges: over the sends counted, as fractions (0.05 = 5%)."""

    sends: int = Field(description="Emails SES accepted in the window, after the last resume.")
    bounces: int = Field(description="Of those, hard bounces.")
    complaints: int
    bounce_rate: float
    complaint_rate: float
    counted_since: datetime = Field(
        description="Sends before this (the window's start, or your last resume) do not count."
    )


class SendingLimits(BaseModel):
    max_bounce_rate: float
    max_complaint_rate: float
    minimum_sends: int = Field(description="No rate is judged on fewer sends than this.")
    window_sends: int = Field(description="At most this many of your latest sends count.")
    window_days: int = Field(description="Only sends of the last this many days count.")
    ses_review_bounce_rate: float = SES_REVIEW_BOUNCE_RATE
    ses_review_complaint_rate: float = SES_REVIEW_COMPLAINT_RATE
    ses_pause_bounce_rate: float = SES_PAUSE_BOUNCE_RATE
    ses_pause_complaint_rate: float = SES_PAUSE_COMPLAINT_RATE


class SendingState(BaseModel):
    paused: bool
    reason: str | None = Field(description="Why sending was last paused.")
    paused_at: datetime | None
    resumed_at: datetime | None
    rates: SendingRates
    limits: SendingLimits
