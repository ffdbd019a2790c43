"""Per-agent-type settings, with their defaults.

Stored as JSONB on `ai_agents.settings`; validated here on every write so an agent can
never be saved with settings its code would not understand.
"""

from datetime import time
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from attendry.core.errors import InvalidInputError
from attendry.db.enums import AgentType
from attendry.db.models import Agent
from attendry.email.headers import header_text
from attendry.http.schemas import Flag, Integer, Number, TimeOfDay


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


class SendWindow(BaseModel):
    """When mail may go out, in the contact's own time zone."""

    model_config = ConfigDict(extra="forbid")

    days: list[Weekday] = Field(
        default_factory=lambda: [Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI],
        min_length=1,
    )
    start: TimeOfDay = time(8, 0)
    end: TimeOfDay = time(18, 0)

    @model_validator(mode="after")
    def _start_before_end(self) -> "SendWindow":
        if self.start >= self.end:
            raise ValueError("send_window.start must be before send_window.end")
        return self


Tone = Literal["professional", "friendly", "formal", "concise", "warm"]


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _WritingSettings(_Settings):
    """How an agent that writes email sounds and signs."""

    tone: Tone = "professional"
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")] = "en"
    sender_name: (
        Annotated[str, Field(max_length=100), AfterValidator(header_text("sender_name"))] | None
    ) = None
    signature: Annotated[str, Field(max_length=2000)] | None = None
    requires_approval: Flag = True
    send_window: SendWindow | None = Field(default_factory=SendWindow)
    daily_send_cap: Annotated[Integer, Field(ge=1, le=2000)] = 50
    model: Annotated[str, Field(min_length=1, max_length=100)] = "gemini-2.5-flash"


class OutreachSettings(_WritingSettings):
    pass


class FollowupSettings(_WritingSettings):
    followup_cadence_days: Annotated[
        list[Annotated[Integer, Field(ge=1, le=90)]], Field(min_length=1, max_length=10)
    ] = Field(default_factory=lambda: [3, 7, 14])
    max_followups: Annotated[Integer, Field(ge=0, le=10)] = 3


class PlanningSettings(_Settings):
    min_score: Annotated[Number, Field(ge=0, le=1)] = 0.6
    auto_delegate: Flag = False
    max_tasks_per_run: Annotated[Integer, Field(ge=0, le=500)] = 20


AgentSettings = OutreachSettings | FollowupSettings | PlanningSettings

SETTINGS_BY_TYPE: dict[AgentType, type[AgentSettings]] = {
    AgentType.OUTREACH: OutreachSettings,
    AgentType.FOLLOWUP: FollowupSettings,
    AgentType.PLANNING: PlanningSettings,
}


def settings_for(agent_type: AgentType, raw: dict[str, Any] | None) -> AgentSettings:
    """Validate raw settings for a type, filling every default the user left out.

    Errors name each field as the request carries it (`body.settings.<name>`), so a client
    shows them next to the same inputs as any other validation error.
    """
    try:
        return SETTINGS_BY_TYPE[agent_type].model_validate(raw or {})
    except ValidationError as error:
        raise InvalidInputError(
            f"The settings are not valid for a {agent_type.value} agent.",
            details=[
                {
                    "field": ".".join(("body", "settings", *map(str, e["loc"]))),
                    "message": e["msg"],
                    "type": e["type"],
                }
                for e in error.errors()
            ],
        ) from error


def merge_settings(
    agent_type: AgentType, current: dict[str, Any], changes: dict[str, Any]
) -> AgentSettings:
    """A PATCH changes only the keys it names; the result is validated whole."""
    return settings_for(agent_type, {**current, **changes})


def sender_display_name(agent: Agent) -> str:
    """The From name: the agent's `sender_name` setting, else the agent's own name."""
    name = agent.settings.get("sender_name")
    return name if isinstance(name, str) and name.strip() else agent.name
