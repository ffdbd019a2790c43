"""Agents as the API takes and gives them."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from attendry.db.enums import AgentStatus, AgentType
from attendry.http.schemas import HeaderText, Resource

# An agent's name is the From display name of its email unless `sender_name` is set.
Name = Annotated[str, Field(min_length=1, max_length=200), *HeaderText("name")]


class AgentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "agent_type": "outreach",
                    "name": "Speaker outreach",
                    "settings": {"tone": "friendly", "requires_approval": True},
                }
            ]
        },
    )

    agent_type: AgentType
    name: Name
    settings: dict[str, Any] = Field(
        default_factory=dict, description="Validated by the agent type's settings model."
    )


class AgentUpdate(BaseModel):
    """Only the fields given change; `settings` keys merge into the current settings."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"status": "paused"}, {"settings": {"daily_send_cap": 20}}]
        },
    )

    name: Name | None = None
    status: AgentStatus | None = None
    settings: dict[str, Any] | None = None


class Agent(Resource):
    id: UUID
    agent_type: AgentType
    name: str
    status: AgentStatus
    settings: dict[str, Any]
    created_at: datetime
    updated_at: datetime
