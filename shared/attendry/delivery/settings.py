"""Configuration of delivery feedback: the SES events queue, suppression and account safety.

Every limit has a default that is the product's policy (stated in the README); the
variables exist so an operator can tighten them, not so each function sets its own.
"""

from datetime import timedelta
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from attendry.suppression.rules import TransientBouncePolicy


class SesEventsSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    dead_letter_queue_url_value: str | None = Field(default=None, alias="SES_EVENTS_DLQ_URL")
    aws_region: str = Field(
        default="us-east-1",
        alias="AWS_REGION",
        description="The region an event's SES identity ARN is assumed in when it names none.",
    )


class SesEventsQueueSettings(SesEventsSettings):
    """The SesEvents function's: it cannot start without its dead-letter queue."""

    dead_letter_queue_url_value: str = Field(alias="SES_EVENTS_DLQ_URL")


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


@lru_cache(maxsize=1)
def ses_events_settings() -> SesEventsSettings:
    return SesEventsSettings()


@lru_cache(maxsize=1)
def suppression_settings() -> SuppressionSettings:
    return SuppressionSettings()
