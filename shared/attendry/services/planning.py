"""The Planning agent's view of a user's events: ranked, explained, and delegated.

Everything is computed on request from the rows as they are (the events, the speakers
saved from them, what was written to whom, the suppression list), so a recommendation
is never stale: a speaker who replied a minute ago is no longer recommended. The rules
themselves live in `rules.planning`.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import ColumnElement, String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from attendry.agents.settings import PlanningSettings, settings_for
from attendry.core.errors import ConflictError, InvalidInputError, NotFoundError
from attendry.db.enums import (
    AgentType,
    DraftStatus,
    OpportunityStatus,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    Agent,
    AgentTask,
    Contact,
    EmailSuppression,
    Opportunity,
    OutreachDraft,
    OutreachSent,
)
from attendry.db.owned import get_owned
from attendry.platform.after_commit import after_commit
from attendry.rules.planning import (
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
from attendry.schemas.planning import DelegateRequest
from attendry.schemas.tasks import DraftOutreachInput, DraftOutreachTask
from attendry.services.agents import oldest_active_agent
from attendry.services.tasks import enqueue_task, store_task

LIVE_DRAFTS = (DraftStatus.PENDING_APPROVAL, DraftStatus.APPROVED, DraftStatus.SENDING)
LIVE_TASKS = (TaskStatus.QUEUED, TaskStatus.IN_PROGRESS)
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
class SavedSpeaker:
    """The columns of a saved speaker the Planning agent reads."""

    id: UUID
    opportunity_id: UUID | None
    name: str
    email: str | None
    title: str | None
    company: str | None
    has_bio: bool
    topics: list[str]


@dataclass(frozen=True)
class Speaker:
    contact: SavedSpeaker
    standing: ContactStanding


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
    speakers = _speakers(
        session, user_id, Contact.opportunity_id.in_(select(Opportunity.id).where(*ahead))
    )
    ranked: list[Ranked] = []
    for event in events:  # none is over: `ahead` left those out
        facts = _facts(event, speakers.get(event.id, []))
        assessment = assess(facts, now)
        ranked.append(Ranked(event, assessment, facts.reachable, assessment.recommended(min_score)))
    return sorted(ranked, key=lambda r: _RankCursor.of(r).key)


def ranked_opportunities(
    session: Session, user_id: str, now: datetime, *, limit: int, cursor: str | None
) -> tuple[list[tuple[Ranked, Opportunity]], str | None]:
    """A page of `rank`, each with its event's whole row; the cursor is the last item's
    place in the ranking."""
    after = _RankCursor.decode(cursor) if cursor else None
    ranked = rank(session, user_id, now)
    if after is not None:
        ranked = [r for r in ranked if _RankCursor.of(r).key > after.key]
    page = ranked[:limit]
    rows = {
        row.id: row
        for row in session.scalars(
            select(Opportunity).where(Opportunity.id.in_([r.opportunity.id for r in page]))
        )
    }
    next_cursor = _RankCursor.of(page[-1]).encode() if len(ranked) > limit else None
    return [(r, rows[r.opportunity.id]) for r in page], next_cursor


def plan_for(session: Session, user_id: str, opportunity_id: UUID, now: datetime) -> Plan:
    row = get_owned(session, Opportunity, user_id, opportunity_id, noun="Opportunity")
    event = _summary(row)
    speakers = _speakers_of(session, user_id, event.id)
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
        speakers = _speakers_of(session, user_id, event.id)
    else:
        speakers = _chosen_speakers(session, user_id, request.contact_ids)
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


def _chosen_speakers(session: Session, user_id: str, contact_ids: Sequence[UUID]) -> list[Speaker]:
    speakers = [
        speaker
        for found in _speakers(session, user_id, Contact.id.in_(contact_ids)).values()
        for speaker in found
    ]
    missing = set(contact_ids) - {speaker.contact.id for speaker in speakers}
    if missing:
        raise InvalidInputError(
            "Some of the chosen contacts are not yours.",
            details=[
                {"field": "body.contact_ids", "message": f"no such Contact {contact_id}"}
                for contact_id in sorted(missing, key=str)
            ],
        )
    return speakers


def _speakers_of(session: Session, user_id: str, event_id: UUID) -> list[Speaker]:
    """The speakers saved from one event."""
    return _speakers(session, user_id, Contact.opportunity_id == event_id).get(event_id, [])


def _speakers(
    session: Session, user_id: str, which: ColumnElement[bool]
) -> dict[UUID | None, list[Speaker]]:
    """The user's speakers `which` selects, by the event they were saved from, each with
    where it stands: one query, the standings worked out by PostgreSQL (index lookups per
    speaker, the live tasks read once), however many speakers."""
    suppressed = exists().where(
        EmailSuppression.address == Contact.email,
        or_(
            EmailSuppression.scope == SuppressionScope.GLOBAL,
            EmailSuppression.user_id == user_id,
        ),
    )
    sent = select(OutreachSent.id).where(
        OutreachSent.contact_id == Contact.id, OutreachSent.user_id == user_id
    )
    live_draft = exists().where(
        OutreachDraft.contact_id == Contact.id,
        OutreachDraft.user_id == user_id,
        OutreachDraft.status.in_(LIVE_DRAFTS),
    )
    live_task = cast(Contact.id, String).in_(
        select(AgentTask.input["contact_id"].astext).where(
            AgentTask.user_id == user_id,
            AgentTask.task_type == TaskType.DRAFT_OUTREACH,
            AgentTask.status.in_(LIVE_TASKS),
        )
    )
    rows = session.execute(
        select(
            Contact.id,
            Contact.opportunity_id,
            Contact.name,
            Contact.email,
            Contact.title,
            Contact.company,
            func.coalesce(Contact.bio, "") != "",
            Contact.topics,
            suppressed,
            sent.where(OutreachSent.response_received_at.is_not(None)).exists(),
            sent.exists(),
            or_(live_draft, live_task),
        )
        .where(Contact.user_id == user_id, which)
        .order_by(Contact.created_at, Contact.id)
    )
    by_event: dict[UUID | None, list[Speaker]] = {}
    for *columns, is_suppressed, replied, written_to, busy in rows:
        contact = SavedSpeaker(*columns)
        standing = _standing(contact, is_suppressed, replied, written_to, busy)
        by_event.setdefault(contact.opportunity_id, []).append(Speaker(contact, standing))
    return by_event


def _standing(
    contact: SavedSpeaker, suppressed: bool, replied: bool, written_to: bool, busy: bool
) -> ContactStanding:
    if not contact.email:
        return ContactStanding.NO_EMAIL
    if suppressed:
        return ContactStanding.SUPPRESSED
    if replied:
        return ContactStanding.REPLIED
    if busy:
        return ContactStanding.IN_PROGRESS
    if written_to:
        return ContactStanding.CONTACTED
    return ContactStanding.REACHABLE


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


@dataclass(frozen=True)
class _RankCursor:
    """A position in the ranking: best score first, then the earlier event, then the id."""

    score: float
    starts_at: str
    id: str

    @property
    def key(self) -> tuple[float, str, str]:
        return (-self.score, self.starts_at, self.id)

    @classmethod
    def of(cls, ranked: Ranked) -> "_RankCursor":
        starts = ranked.opportunity.starts_at
        # In UTC, so the strings sort as the times do; undated events after dated ones of
        # the same score ("~" sorts after any digit).
        return cls(
            ranked.assessment.score,
            starts.astimezone(UTC).isoformat() if starts else "~",
            str(ranked.opportunity.id),
        )

    def encode(self) -> str:
        raw = json.dumps([self.score, self.starts_at, self.id]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "_RankCursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            score, starts_at, row_id = json.loads(raw)
            return cls(float(score), str(starts_at), str(UUID(row_id)))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
            raise InvalidInputError(
                "The cursor is not valid.",
                details=[{"field": "query.cursor", "message": "not a cursor this API issued"}],
            ) from error
