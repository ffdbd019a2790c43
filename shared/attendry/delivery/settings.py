"""Configuration of delivery feedback: the SES events queue, suppression and account safety.

Every limit has a default that is the product's policy (stated in the README); the
variables exist so an operator can tighten them, not so each function sets its own.
"""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendry.sending.rates import RateLimits
from attendry.suppression.rules import TransientBouncePolicy


class SesEventsSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    dead_letter_queue_url_value: str | None = Field(default=None, alias="SES_EVENTS_DLQ_URL")
    aws_region: str = Field(
        default="us-east-1",
        alias="AWS_REGION",
        description="The region an event's SES identity ARN is assumed in when it names none.",
    )

    def dead_letter_queue_url(self) -> str:
        if not self.dead_letter_queue_url_value:
            raise RuntimeError("SES_EVENTS_DLQ_URL is not set: bad messages cannot be parked.")
        return self.dead_letter_queue_url_value


class SuppressionSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    transient_bounce_limit: int = Field(
        default=3,
        ge=2,
        alias="SUPPRESS_AFTER_TRANSIENT_BOUNCES",
        description="Transient (soft) bounces of one address, within the window, that "
        "suppress it for everyone.",
    )
    transient_bounce_window_days: int = Field(
        default=7, ge=1, le=90, alias="TRANSIENT_BOUNCE_WINDOW_DAYS"
    )

    def policy(self) -> TransientBouncePolicy:
        return TransientBouncePolicy(
            limit=self.transient_bounce_limit,
            window=timedelta(days=self.transient_bounce_window_days),
        )


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
def ses_events_settings() -> SesEventsSettings:
    return SesEventsSettings()


@lru_cache(maxsize=1)
def suppression_settings() -> SuppressionSettings:
    return SuppressionSettings()


@lru_cache(maxsize=1)
def account_safety_settings() -> AccountSafetySettings:
    return AccountSafetySettings()
