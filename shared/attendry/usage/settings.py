"""What a user may spend on the LLM, read from the environment."""

from decimal import Decimal
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class LlmLimitSettings(BaseSettings):
    """What one user may spend on the LLM: money per calendar month (UTC), calls per minute."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    monthly_budget_usd: Decimal = Field(default=Decimal(20), ge=0, alias="LLM_MONTHLY_BUDGET_USD")
    calls_per_minute: int = Field(default=20, ge=1, alias="LLM_CALLS_PER_MINUTE")


@lru_cache(maxsize=1)
def llm_limit_settings() -> LlmLimitSettings:
    return LlmLimitSettings()
