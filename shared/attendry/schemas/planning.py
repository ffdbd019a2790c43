"""The Planning agent's recommendations, delegations and an event's activity, as the API
gives them."""

from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from attendry.db.enums import Channel
from attendry.rules.planning import ContactStanding
from attendry.schemas.common import MAX_PAGE_SIZE
from attendry.schemas.drafts import Draft, Sent
from attendry.schemas.opportunities import Opportunity
from attendry.schemas.tasks import Task

Reasons = Annotated[list[str], Field(description="What the score rests on, in words.")]
Score = Annotated[float, Field(ge=0, le=1, description="The Planning agent's score, 0 to 1.")]


class RankedOpportunity(BaseModel):
    opportunity: Opportunity
    score: Score
    reasons: Reasons
    recommended: bool = Field(
        description="Worth delegating: at or above the Planning agent's `min_score`, with "
        "someone to write to."
    )
    reachable_contacts: int = Field(description="Speakers saved from it who can be written to.")


class RecommendedAgent(BaseModel):
    id: UUID
    name: str


class RecommendedContact(BaseModel):
    contact_id: UUID
    name: str
    email: str | None
    title: str | None
    company: str | None
    reasons: list[str]


class SkippedContact(BaseModel):
    """A speaker the agent will not write to now, and why."""

    contact_id: UUID
    name: str
    standing: ContactStanding
    reason: str


class OpportunityRecommendation(BaseModel):
    opportunity_id: UUID
    score: Score
    reasons: Reasons
    recommended: bool
    min_score: float = Field(description="The Planning agent's threshold (its `min_score`).")
    agent: RecommendedAgent | None = Field(description="The agent that would do the writing.")
    agent_reason: str
    contacts: list[RecommendedContact] = Field(description="Whom to write to, best first.")
    not_recommended: list[SkippedContact]


class DelegateRequest(BaseModel):
    """`POST /opportunities/{opportunity_id}/delegate`: whom to write to, or the
    recommended speakers when `contact_ids` is left out."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"channel": "email", "instructions": "Keep it short."}, {}]
        },
    )

    contact_ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_PAGE_SIZE)] | None = None
    agent_id: UUID | None = Field(
        default=None, description="The Outreach agent to delegate to; default: your oldest."
    )
    channel: Channel = Channel.EMAIL
    instructions: Annotated[str, Field(max_length=2_000)] | None = Field(
        default=None, description="Wishes for every message, in the user's words."
    )


class DelegationResult(BaseModel):
    opportunity_id: UUID
    agent_id: UUID
    tasks: list[Task] = Field(description="One queued `draft_outreach` task per speaker.")
    skipped: list[SkippedContact]


class ActivityCounts(BaseModel):
    tasks: int
    drafts: int
    sent: int
    replies: int


class OpportunityActivity(BaseModel):
    """What the agents did about one event, newest first, `limit` of each kind."""

    opportunity_id: UUID
    counts: ActivityCounts
    tasks: list[Task]
    drafts: list[Draft]
    sent: list[Sent]
    replies: list[Sent] = Field(description="Messages the contact answered.")
