"""Configuration from the environment, one pydantic-settings model per concern.

Read when first needed (never at import), so a test or the local runtime can set the
environment first, and a missing variable fails with its name instead of a KeyError.
"""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """Where PostgreSQL is: a URL locally (password auth); on AWS, the RDS Proxy endpoint
    and the user the function signs in as with an IAM token (no password anywhere)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    db_host: str | None = Field(default=None, alias="DB_HOST")
    db_port: int = Field(default=5432, alias="DB_PORT")
    db_name: str = Field(default="attendry", alias="DB_NAME")
    db_user: str | None = Field(default=None, alias="DB_USER")
    pool_size: int = Field(default=2, alias="DB_POOL_SIZE")
    statement_timeout_ms: int = Field(default=15_000, alias="DB_STATEMENT_TIMEOUT_MS")


class ApiSettings(BaseSettings):
    """Limits the HTTP API enforces."""

    model_config = SettingsConfigDict(extra="ignore")

    max_body_bytes: int = Field(default=256 * 1024, alias="API_MAX_BODY_BYTES")
    cors_allow_origin: str = Field(default="*", alias="CORS_ALLOW_ORIGIN")


@lru_cache(maxsize=1)
def database_settings() -> DatabaseSettings:
    return DatabaseSettings()


@lru_cache(maxsize=1)
def api_settings() -> ApiSettings:
    return ApiSettings()
