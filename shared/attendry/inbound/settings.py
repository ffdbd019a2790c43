"""Configuration of inbound mail: the bucket SES stores it in, and where bad notices go."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InboundSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bucket: str | None = Field(
        default=None,
        alias="INBOUND_MAIL_BUCKET",
        description="The bucket the SES receipt rule stores raw mail in; notifications "
        "naming another bucket are refused.",
    )
    dead_letter_queue_url: str | None = Field(default=None, alias="INBOUND_MAIL_DLQ_URL")

    def inbound_bucket(self) -> str:
        if not self.bucket:
            raise RuntimeError("INBOUND_MAIL_BUCKET is not set: inbound mail cannot be read.")
        return self.bucket

    def dlq_url(self) -> str:
        if not self.dead_letter_queue_url:
            raise RuntimeError("INBOUND_MAIL_DLQ_URL is not set: bad notices cannot be parked.")
        return self.dead_letter_queue_url


@lru_cache(maxsize=1)
def inbound_settings() -> InboundSettings:
    return InboundSettings()
