"""Opportunities (industry events) as the API takes and gives them."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from attendry.db.enums import OpportunityStatus
from attendry.http.schemas import JsonObject, Number, Resource, Timestamp, Topics


class OpportunityCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Data Summit 2026",
                    "location": "Berlin",
                    "starts_at": "2026-06-04T09:00:00+02:00",
                    "ends_at": "2026-06-05T18:00:00+02:00",
                    "topics": ["data"],
                    "score": 0.8,
                }
            ]
        },
    )

    title: Annotated[str, Field(min_length=1, max_length=300)]
    description: Annotated[str, Field(max_length=20_000)] | None = None
    url: HttpUrl | None = None
    location: Annotated[str, Field(max_length=300)] | None = None
    starts_at: Timestamp | None = None
    ends_at: Timestamp | None = None
    topics: Topics = Field(default_factory=list)
    signals: JsonObject = Field(default_factory=dict)
    score: Annotated[Number, Field(ge=0, le=1)] | None = None
    status: OpportunityStatus = OpportunityStatus.NEW

    @model_validator(mode="after")
    def _ends_after_start(self) -> "OpportunityCreate":
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("ends_at must not be before starts_at")
        return self


class Opportunity(Resource):
    id: UUID
    title: str
    description: str | None
    url: str | None
    location: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    topics: list[str]
    signals: dict[str, Any]
    score: float | None
    status: OpportunityStatus
    created_at: datetime
    updated_at: datetime
