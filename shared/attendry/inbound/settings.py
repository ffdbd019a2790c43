"""Configuration of inbound mail: the bucket SES stores it in, and where bad notices go.

Both are required: the InboundMail function, the only reader, cannot start without them.
"""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InboundSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    bucket: str = Field(
        alias="INBOUND_MAIL_BUCKET",
        description="The bucket the SES receipt rule stores raw mail in; notifications "
        "naming another bucket are refused.",
    )
    dead_letter_queue_url: str = Field(alias="INBOUND_MAIL_DLQ_URL")
