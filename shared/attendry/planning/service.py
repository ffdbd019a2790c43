"""The Planning agent's view of a user's events: ranked, explained, and delegated.

Everything is computed on request from the rows as they are (the events, the speakers
saved from them, what was written to whom, the suppression list), so a recommendation
is never stale: a speaker who replied a minute ago is no longer recommended. The rules
themselves live in `rules.planning`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from attendry.agents.service import oldest_active_agent
from attendry.agents.settings import PlanningSettings, settings_for
from attendry.core.errors import ConflictError, InvalidInputError, NotFoundError
from attendry.db.enums import (
    AgentType,
    OpportunityStatus,
)
from attendry.db.models import (
    Agent,
    AgentTask,
    Contact,
    Opportunity,
)
from attendry.db.owned import get_owned
from attendry.planning.cursor import RankCursor
from attendry.planning.rules import (
    STANDING_REASONS,
    Assessment,
    ContactFacts,
    ContactStanding,
    EventFacts,
    assess,
    contact_rank,
    contact_reasons,
    ended,
    shared_topics,
)
from attendry.planning.schemas import DelegateRequest
from attendry.planning.speakers import (
    SavedSpeaker,
    Speaker,
    chosen_speakers,
    speakers_by_event,
    speakers_of,
)
from attendry.platform.after_commit import after_commit
from attendry.tasks.schemas import DraftOutreachInput, DraftOutreachTask
from attendry.tasks.service import enqueue_task, store_task

WRITTEN_TO = frozenset(
    {ContactStanding.CONTACTED, ContactStanding.REPLIED, ContactStanding.IN_PROGRESS}
)


class NoOutreachAgentError(ConflictError):
    code = "no_outreach_agent"


class NothingToDelegateError(ConflictError):
    code = "nothing_to_delegate"


class EventOverError(ConflictError):
    code = "event_over"


@dataclass(frozen=True)
class EventSummary:
    """The columns of an event its score is made of."""

    id: UUID
    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    score: float | None
    topics: list[str]
    status: OpportunityStatus


EVENT_COLUMNS = tuple(getattr(Opportunity, field.name) for field in fields(EventSummary))


@dataclass(frozen=True)
class Ranked:
    opportunity: EventSummary
    assessment: Assessment
    reachable: int
    recommended: bool


@dataclass(frozen=True)
class Plan:
    """What the Planning agent recommends for one event."""

    opportunity: Opportunity
    assessment: Assessment
    min_score: float
    agent: Agent | None
    agent_reason: str
    contacts: list[tuple[SavedSpeaker, tuple[str, ...]]]
    not_recommended: list[Speaker]

    @property
    def recommended(self) -> bool:
        return self.assessment.recommended(self.min_score)


@dataclass(frozen=True)
class Delegation:
    opportunity: Opportunity
    agent: Agent
    tasks: list[AgentTask]
    skipped: list[Speaker]


def planning_settings(session: Session, user_id: str) -> PlanningSettings:
    """The user's Planning agent's settings (the oldest active one), else the defaults."""
    agent = oldest_active_agent(session, user_id, AgentType.PLANNING)
    settings = settings_for(AgentType.PLANNING, agent.settings if agent else None)
    assert isinstance(settings, PlanningSettings)
    return settings


def rank(session: Session, user_id: str, now: datetime) -> list[Ranked]:
    """The user's events neither over nor archived, best first."""
    min_score = planning_settings(session, user_id).min_score
    last_day = func.coalesce(Opportunity.ends_at, Opportunity.starts_at)
    ahead = (
        Opportunity.user_id == user_id,
        Opportunity.status != OpportunityStatus.ARCHIVED,
        or_(last_day.is_(None), last_day >= now),
    )
    events = [EventSummary(*row) for row in session.execute(select(*EVENT_COLUMNS).where(*ahead))]
    speakers = speakers_by_event(
        session, user_id, Contact.opportunity_id.in_(select(Opportunity.id).where(*ahead))
    )
    ranked: list[Ranked] = []
    for event in events:  # none is over: `ahead` left those out
        facts = _facts(event, speakers.get(event.id, []))
        assessment = assess(facts, now)
        ranked.append(Ranked(event, assessment, facts.reachable, assessment.recommended(min_score)))
    return sorted(ranked, key=lambda r: _cursor(r).key)


def ranked_opportunities(
    session: Session, user_id: str, now: datetime, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Ranked, Opportunity]], str | None]:
    """A page of `rank`, each with its event's whole row; the cursor is the last item's
    place in the ranking."""
    after = RankCursor.decode(cursor) if cursor else None
    ranked = rank(session, user_id, now)
    if after is not None:
        ranked = [r for r in ranked if _cursor(r).key > after.key]
    page = ranked[:limit]
    rows = {
        row.id: row
        for row in session.scalars(
            select(Opportunity).where(Opportunity.id.in_([r.opportunity.id for r in page]))
        )
    }
    next_cursor = _cursor(page[-1]).encode() if len(ranked) > limit else None
    return [(r, rows[r.opportunity.id]) for r in page], next_cursor


def plan_for(session: Session, user_id: str, opportunity_id: UUID, now: datetime) -> Plan:
    row = get_owned(session, Opportunity, user_id, opportunity_id, noun="Opportunity")
    event = _summary(row)
    speakers = speakers_of(session, user_id, event.id)
    assessment = assess(_facts(event, speakers), now)
    min_score = planning_settings(session, user_id).min_score
    agent = oldest_active_agent(session, user_id, AgentType.OUTREACH)
    reachable = sorted(
        (s.contact for s in speakers if s.standing is ContactStanding.REACHABLE),
        key=lambda contact: contact_rank(_contact_facts(contact), event.topics),
    )
    return Plan(
        opportunity=row,
        assessment=assessment,
        min_score=min_score,
        agent=agent,
        agent_reason=(
            f"{agent.name!r} is your Outreach agent: it drafts each first message for your "
            "approval."
            if agent is not None
            else "You have no active Outreach agent: create or resume one to delegate."
        ),
        contacts=[
            (contact, contact_reasons(_contact_facts(contact), event.topics))
            for contact in reachable
        ],
        not_recommended=[s for s in speakers if s.standing is not ContactStanding.REACHABLE],
    )


def delegate(
    session: Session,
    user_id: str,
    opportunity_id: UUID,
    request: DelegateRequest,
    now: datetime,
    *,
    max_tasks: int | None = None,
) -> Delegation:
    """Store one `draft_outreach` task per chosen (else recommended) speaker who can be
    written to, best first and at most `max_tasks`, enqueued once the session commits.

    The event's row is locked first, so two delegations of one event (a double click)
    run one after the other and the second finds the first's tasks in progress.
    """
    event = session.scalars(
        select(Opportunity)
        .where(Opportunity.id == opportunity_id, Opportunity.user_id == user_id)
        .with_for_update()
    ).one_or_none()
    if event is None:
        raise NotFoundError(f"Opportunity {opportunity_id} not found")
    over = ended(event.title, event.starts_at, event.ends_at, now)
    if over is not None:
        raise EventOverError(f"{over} Nothing was delegated.")
    agent = _delegate_agent(session, user_id, request.agent_id)
    if request.contact_ids is None:
        speakers = speakers_of(session, user_id, event.id)
    else:
        speakers = chosen_speakers(session, user_id, request.contact_ids)
    chosen = [s for s in speakers if s.standing is ContactStanding.REACHABLE]
    skipped = [s for s in speakers if s.standing is not ContactStanding.REACHABLE]
    if not chosen:
        raise NothingToDelegateError(
            "No speaker of this event can be written to now; nothing was delegated.",
            details=[
                {"field": str(s.contact.id), "message": STANDING_REASONS[s.standing]}
                for s in skipped
            ]
            or [{"message": "no speaker is saved from this event"}],
        )
    best_first = sorted(chosen, key=lambda s: contact_rank(_contact_facts(s.contact), event.topics))
    tasks = []
    for speaker in best_first[:max_tasks]:
        task, _ = store_task(
            session,
            user_id,
            agent.id,
            DraftOutreachTask(
                task_type="draft_outreach",
                input=DraftOutreachInput(
                    contact_id=speaker.contact.id,
                    opportunity_id=event.id,
                    channel=request.channel,
                    instructions=request.instructions,
                ),
            ),
            idempotency_key=None,
        )
        tasks.append(task)
    event.status = OpportunityStatus.DELEGATED
    task_ids = [task.id for task in tasks]
    after_commit(session, lambda: [enqueue_task(task_id) for task_id in task_ids])
    return Delegation(event, agent, tasks, skipped)


def _delegate_agent(session: Session, user_id: str, agent_id: UUID | None) -> Agent:
    if agent_id is None:
        agent = oldest_active_agent(session, user_id, AgentType.OUTREACH)
        if agent is None:
            raise NoOutreachAgentError(
                "You have no active Outreach agent to delegate to: create or resume one."
            )
        return agent
    try:
        return get_owned(session, Agent, user_id, agent_id, noun="Agent")
    except NotFoundError as error:
        raise InvalidInputError(
            error.message, details=[{"field": "body.agent_id", "message": "no such Agent"}]
        ) from error


def _summary(row: Opportunity) -> EventSummary:
    return EventSummary(*(getattr(row, field.name) for field in fields(EventSummary)))


def _facts(event: EventSummary, speakers: Sequence[Speaker]) -> EventFacts:
    reachable = [s.contact for s in speakers if s.standing is ContactStanding.REACHABLE]
    covered = {topic for contact in reachable for topic in contact.topics}
    return EventFacts(
        title=event.title,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        attendry_score=event.score,
        topics=event.topics,
        reachable=len(reachable),
        contacted=sum(s.standing in WRITTEN_TO for s in speakers),
        shared_topics=shared_topics(event.topics, sorted(covered)),
    )


def _contact_facts(contact: SavedSpeaker) -> ContactFacts:
    return ContactFacts(
        name=contact.name, title=contact.title, has_bio=contact.has_bio, topics=contact.topics
    )


def _cursor(ranked: Ranked) -> RankCursor:
    event = ranked.opportunity
    return RankCursor.of(ranked.assessment.score, event.starts_at, event.id)
