"""Configuration of email sending: the EmailSend queue, and how long to trust a lost outcome.

Queue URLs are optional here because the API only sends to the queue and the Sender only
reads from it; the one that needs a URL asks for it and fails with the variable's name.
"""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendry.sending.rates import RateLimits


class SendingSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    email_send_queue_url: str | None = Field(default=None, alias="EMAIL_SEND_QUEUE_URL")
    email_send_dlq_url: str | None = Field(default=None, alias="EMAIL_SEND_DLQ_URL")
    reconcile_grace_s: int = Field(
        default=900,
        ge=60,
        alias="SEND_RECONCILE_GRACE_SECONDS",
        description="How long a send whose outcome was lost waits for SES's Send event "
        "before it is sent again.",
    )
    redrive_after_s: int = Field(
        default=300,
        ge=30,
        alias="EMAIL_SEND_REDRIVE_AFTER_SECONDS",
        description="How old an approved draft that never reached the Sender must be before "
        "the re-drive queues it again.",
    )
    redrive_batch_size: int = Field(
        default=200, ge=1, le=1000, alias="EMAIL_SEND_REDRIVE_BATCH_SIZE"
    )
    retry_base_delay_s: int = Field(default=30, ge=1, alias="EMAIL_SEND_RETRY_BASE_DELAY_S")
    retry_max_delay_s: int = Field(default=900, ge=1, alias="EMAIL_SEND_RETRY_MAX_DELAY_S")

    def queue_url(self) -> str:
        if not self.email_send_queue_url:
            raise RuntimeError("EMAIL_SEND_QUEUE_URL is not set: approved drafts cannot be queued.")
        return self.email_send_queue_url

    def dead_letter_queue_url(self) -> str:
        if not self.email_send_dlq_url:
            raise RuntimeError("EMAIL_SEND_DLQ_URL is not set: bad messages cannot be parked.")
        return self.email_send_dlq_url


@lru_cache(maxsize=1)
def sending_settings() -> SendingSettings:
    return SendingSettings()


class SenderSettings(SendingSettings):
    """The Sender function's: it cannot start without both of its queues."""

    email_send_queue_url: str = Field(alias="EMAIL_SEND_QUEUE_URL")
    email_send_dlq_url: str = Field(alias="EMAIL_SEND_DLQ_URL")


class SendRedriveSettings(SendingSettings):
    """The send re-drive function's: it queues approved drafts again."""

    email_send_queue_url: str = Field(alias="EMAIL_SEND_QUEUE_URL")


class AccountSafetySettings(BaseSettings):
    """Which sends a user's rates are measured over, and the rates that pause sending.

    The window is the user's most recent `window_sends` sends within `window_days`, and
    only sends made after their last resume. A rate is judged only once the window holds
    `minimum_sends`: two bounces in the first ten emails say little about a list.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    window_sends: int = Field(default=200, ge=10, le=10_000, alias="ACCOUNT_SAFETY_WINDOW_SENDS")
    window_days: int = Field(default=30, ge=1, le=365, alias="ACCOUNT_SAFETY_WINDOW_DAYS")
    minimum_sends: int = Field(default=50, ge=1, alias="ACCOUNT_SAFETY_MIN_SENDS")
    max_bounce_rate: float = Field(default=0.05, gt=0, lt=1, alias="ACCOUNT_SAFETY_MAX_BOUNCE_RATE")
    max_complaint_rate: float = Field(
        default=0.001, gt=0, lt=1, alias="ACCOUNT_SAFETY_MAX_COMPLAINT_RATE"
    )

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    def limits(self) -> RateLimits:
        return RateLimits(
            max_bounce_rate=self.max_bounce_rate,
            max_complaint_rate=self.max_complaint_rate,
            minimum_sends=self.minimum_sends,
        )


@lru_cache(maxsize=1)
def account_safety_settings() -> AccountSafetySettings:
    return AccountSafetySettings()
