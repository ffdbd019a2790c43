"""LLM configuration from the environment: which Gemini, how patiently, and at what price.

The timeout and retry numbers exist because google-genai has neither by default: a
stalled call would otherwise hang the function until Lambda kills it. Worst case per
call is roughly attempts x (timeout + max delay), which the agent function's own timeout
must exceed.
"""

from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "gemini-2.5-flash"
_PER_MILLION = Decimal(1_000_000)


class ModelPrice(BaseModel):
    """USD per one million tokens."""

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)


def _default_prices() -> dict[str, ModelPrice]:
    """Public list prices of the Gemini Developer API, paid tier, text, prompts <= 200k tokens.

    From ai.google.dev/gemini-api/docs/pricing as published in 2025; output includes the
    thinking tokens of 2.5 models, as Google bills them. Check before relying on them for
    money and override with LLM_PRICES (JSON) when they change.
    """
    return {
        "gemini-2.5-flash": ModelPrice(input=Decimal("0.30"), output=Decimal("2.50")),
        "gemini-2.5-pro": ModelPrice(input=Decimal("1.25"), output=Decimal("10.00")),
        "gemini-2.5-flash-lite": ModelPrice(input=Decimal("0.10"), output=Decimal("0.40")),
        "gemini-2.0-flash": ModelPrice(input=Decimal("0.10"), output=Decimal("0.40")),
        "gemini-2.0-flash-lite": ModelPrice(input=Decimal("0.075"), output=Decimal("0.30")),
    }


def _blank_is_none(value: object) -> object:
    """An exported-but-empty GEMINI_API_KEY means "no key", not a key that fails at Google."""
    if isinstance(value, str) and not value.strip():
        return None
    return value


class LlmSettings(BaseSettings):
    """Gemini access and the price table that turns tokens into money."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    gemini_api_key: Annotated[SecretStr | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, alias="GEMINI_API_KEY"
    )
    gemini_model: str = Field(
        default=DEFAULT_MODEL, alias="GEMINI_MODEL", pattern=r"^[a-z0-9][a-z0-9.\-]{0,99}$"
    )
    gemini_base_url: Annotated[str | None, BeforeValidator(_blank_is_none)] = Field(
        default=None, alias="GEMINI_BASE_URL"
    )
    gemini_timeout_ms: int = Field(default=30_000, ge=50, alias="GEMINI_TIMEOUT_MS")
    gemini_max_attempts: int = Field(default=4, ge=1, le=10, alias="GEMINI_MAX_ATTEMPTS")
    gemini_retry_initial_delay_s: float = Field(
        default=1.0, ge=0, alias="GEMINI_RETRY_INITIAL_DELAY_S"
    )
    gemini_retry_max_delay_s: float = Field(default=8.0, ge=0, alias="GEMINI_RETRY_MAX_DELAY_S")
    gemini_retry_exp_base: float = Field(default=2.0, ge=1, alias="GEMINI_RETRY_EXP_BASE")
    gemini_retry_jitter_s: float = Field(default=1.0, ge=0, alias="GEMINI_RETRY_JITTER_S")
    gemini_temperature: float = Field(default=0.7, ge=0, le=2, alias="GEMINI_TEMPERATURE")
    gemini_max_output_tokens: int = Field(default=8_192, ge=256, alias="GEMINI_MAX_OUTPUT_TOKENS")
    llm_prices: dict[str, ModelPrice] = Field(default_factory=_default_prices, alias="LLM_PRICES")

    def price_of(self, model: str) -> ModelPrice:
        """The price for a model name as Gemini reports it (`models/` prefix, dated versions).

        An unknown model is charged at the dearest known price, so a model missing from the
        table can never make a user's budget look less spent than it is.
        """
        name = model.removeprefix("models/")
        if name in self.llm_prices:
            return self.llm_prices[name]
        matches = [known for known in self.llm_prices if name.startswith(known + "-")]
        if matches:
            return self.llm_prices[max(matches, key=len)]
        if not self.llm_prices:
            return ModelPrice(input=Decimal(0), output=Decimal(0))
        return ModelPrice(
            input=max(p.input for p in self.llm_prices.values()),
            output=max(p.output for p in self.llm_prices.values()),
        )

    def cost_usd(self, model: str, input_tokens: int, output_tokens: int) -> Decimal:
        """Exact cost in USD of one usage at the model's list price."""
        price = self.price_of(model)
        return (price.input * input_tokens + price.output * output_tokens) / _PER_MILLION


@lru_cache(maxsize=1)
def llm_settings() -> LlmSettings:
    return LlmSettings()
