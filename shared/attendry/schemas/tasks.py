"""Agent tasks as the API takes and gives them."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, computed_field

from attendry.db.enums import Channel, TaskStatus, TaskType
from attendry.schemas.common import Resource

ERROR_CODE_KEY = "error_code"
"""Where a failed task's stable error code lives in its `output`."""


class DraftOutreachInput(BaseModel):
    """What the Outreach agent needs to draft a first message."""

    model_config = ConfigDict(extra="forbid")

    contact_id: UUID
    opportunity_id: UUID | None = Field(
        default=None,
        description="The event to write about; defaults to the event the contact was saved from.",
    )
    channel: Channel = Channel.EMAIL
    instructions: Annotated[str, Field(max_length=2_000)] | None = Field(
        default=None, description="Wishes for this message, in the user's words."
    )


class DraftOutreachTask(BaseModel):
    """`POST /agents/{agent_id}/tasks` body; other task types are created by agents."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "task_type": "draft_outreach",
                    "input": {
                        "contact_id": "6b974f5e-ac65-4a42-ae33-3ed157ddd088",
                        "channel": "email",
                        "instructions": "Mention her keynote.",
                    },
                }
            ]
        },
    )

    task_type: Literal["draft_outreach"]
    input: DraftOutreachInput


TaskCreate = DraftOutreachTask


class Task(Resource):
    id: UUID
    agent_id: UUID
    opportunity_id: UUID | None
    task_type: TaskType
    status: TaskStatus
    input: dict[str, Any]
    output: dict[str, Any] | None
    error: str | None = Field(description="Why the task failed, in words (or the last retry).")
    attempts: int
    idempotency_key: str | None
    scheduled_for: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def error_code(self) -> str | None:
        """Stable code of a failure (`llm_budget_exceeded`, ...), for clients to branch on."""
        if self.status is not TaskStatus.FAILED:
            return None
        code = (self.output or {}).get(ERROR_CODE_KEY)
        return code if isinstance(code, str) else None
