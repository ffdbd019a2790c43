"""Configuration of agent messaging."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class AgentBusSettings(BaseSettings):
    """The EventBridge bus agents publish their messages on.

    Optional: a process without it (a test, a function that never publishes) keeps every
    message in the database, and the task re-drive delivers the ones addressed to an agent.
    """

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    agent_bus_name: str | None = Field(default=None, alias="AGENT_BUS_NAME")


@lru_cache(maxsize=1)
def agent_bus_settings() -> AgentBusSettings:
    return AgentBusSettings()
