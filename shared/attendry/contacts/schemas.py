"""Contacts (saved speaker profiles) as the API takes and gives them."""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import AfterValidator, AliasChoices, BaseModel, ConfigDict, EmailStr, Field, HttpUrl

from attendry.http.schemas import HeaderText, JsonObject, Resource, Topics


def _known_timezone(value: str) -> str:
    if value not in available_timezones():
        raise ValueError(f"unknown IANA time zone: {value}")
    return value


TimeZone = Annotated[str, AfterValidator(_known_timezone)]


class ContactCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "title": "CTO",
                    "company": "Analytical Engines",
                    "topics": ["computing"],
                    "timezone": "Europe/London",
                }
            ]
        },
    )

    name: Annotated[str, Field(min_length=1, max_length=200), *HeaderText("name")]
    email: EmailStr | None = None
    title: Annotated[str, Field(max_length=200)] | None = None
    company: Annotated[str, Field(max_length=200)] | None = None
    bio: Annotated[str, Field(max_length=10_000)] | None = None
    topics: Topics = Field(default_factory=list)
    timezone: TimeZone | None = None
    linkedin_url: HttpUrl | None = None
    opportunity_id: UUID | None = Field(
        default=None, description="The event this contact was saved from."
    )
    metadata: JsonObject = Field(default_factory=dict)


class Contact(Resource):
    id: UUID
    name: str
    email: str | None
    title: str | None
    company: str | None
    bio: str | None
    topics: list[str]
    timezone: str | None
    linkedin_url: str | None
    opportunity_id: UUID | None
    metadata: dict[str, Any] = Field(validation_alias=AliasChoices("meta", "metadata"))
    created_at: datetime
    updated_at: datetime
