"""Who outreach email is from, where replies and unsubscribes go, and the secret behind them."""

import re
from functools import lru_cache

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Only ever accepted when STAGE is local; the validator below refuses it anywhere else.
LOCAL_UNSUBSCRIBE_SECRET = "local-unsubscribe-secret"  # noqa: S105
MIN_DEPLOYED_SECRET_CHARS = 32

_DOMAIN = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$"
)
_LOCAL_PART = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_BASE_URL = re.compile(r"^https?://[!-~]+$")


class EmailSettings(BaseSettings):
    """Read once per process; a deployed stage refuses the local secret and plain-http links.

    The secret keys both unsubscribe tokens and reply addresses (through HKDF with a
    different label each), so rotating it invalidates the links in every email sent
    before: rotate only on compromise.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    stage: str = Field(default="local", alias="STAGE")
    unsubscribe_secret: SecretStr = Field(
        default=SecretStr(LOCAL_UNSUBSCRIBE_SECRET), alias="UNSUBSCRIBE_SECRET"
    )
    sender_domain: str = Field(default="attendry.example", alias="SENDER_DOMAIN")
    from_address_override: str | None = Field(default=None, alias="FROM_ADDRESS")
    reply_domain_override: str | None = Field(default=None, alias="REPLY_DOMAIN")
    public_base_url: str = Field(default="http://127.0.0.1:3000", alias="PUBLIC_BASE_URL")
    ses_configuration_set: str = Field(default="attendry-outreach", alias="SES_CONFIGURATION_SET")
    unsubscribe_mailto_local_part: str = Field(default="unsubscribe", alias="UNSUBSCRIBE_MAILTO")

    @field_validator("sender_domain", "reply_domain_override")
    @classmethod
    def _domain(cls, value: str | None) -> str | None:
        if value is None:
            return None
        domain = value.strip().lower()
        if not _DOMAIN.match(domain):
            raise ValueError(f"{value!r} is not a domain name")
        return domain

    @field_validator("from_address_override")
    @classmethod
    def _from_address(cls, value: str | None) -> str | None:
        if value is None:
            return None
        local, at, domain = value.strip().rpartition("@")
        if not at or not _LOCAL_PART.match(local) or not _DOMAIN.match(domain.lower()):
            raise ValueError(f"{value!r} is not a plain ASCII address")
        return f"{local}@{domain.lower()}"

    @field_validator("unsubscribe_mailto_local_part")
    @classmethod
    def _local_part(cls, value: str) -> str:
        if not _LOCAL_PART.match(value):
            raise ValueError(f"{value!r} is not a simple local part")
        return value

    @field_validator("public_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        url = value.strip().rstrip("/")
        if not _BASE_URL.match(url):
            raise ValueError(f"{value!r} is not an ASCII http(s) URL")
        return url

    @model_validator(mode="after")
    def _deployed_stage_is_safe(self) -> "EmailSettings":
        if self.stage == "local":
            return self
        secret = self.unsubscribe_secret.get_secret_value()
        if secret == LOCAL_UNSUBSCRIBE_SECRET or len(secret) < MIN_DEPLOYED_SECRET_CHARS:
            raise ValueError(
                f"UNSUBSCRIBE_SECRET must be a random value of at least "
                f"{MIN_DEPLOYED_SECRET_CHARS} characters when STAGE is {self.stage!r}"
            )
        if not self.public_base_url.startswith("https://"):
            raise ValueError("PUBLIC_BASE_URL must be https outside local mode (RFC 8058)")
        return self

    @property
    def from_address(self) -> str:
        return self.from_address_override or f"outreach@{self.sender_domain}"

    @property
    def reply_domain(self) -> str:
        return self.reply_domain_override or f"reply.{self.sender_domain}"


@lru_cache(maxsize=1)
def email_settings() -> EmailSettings:
    return EmailSettings()
