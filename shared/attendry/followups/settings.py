"""Configuration of agent messaging and of the follow-up sweep."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SweepSettings(BaseSettings):
    """How much one run of the follow-up sweep takes on."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    batch_size: int = Field(
        default=100,
        ge=1,
        le=1000,
        alias="FOLLOWUP_SWEEP_BATCH_SIZE",
        description="Due follow-ups claimed (and locked) per transaction.",
    )
    max_batches: int = Field(
        default=20,
        ge=1,
        le=1000,
        alias="FOLLOWUP_SWEEP_MAX_BATCHES",
        description="Batches per run; what is left is taken by the next run, 5 minutes later.",
    )
