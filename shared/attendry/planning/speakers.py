"""The user's saved speakers as the Planning agent sees them: each with where it stands
(reachable, contacted, replied, suppressed, ...), read in one query however many."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from attendry.core.errors import InvalidInputError
from attendry.db.enums import (
    DraftStatus,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    AgentTask,
    Contact,
    EmailSuppression,
    OutreachDraft,
    OutreachSent,
)
from attendry.planning.rules import (
    ContactStanding,
)

LIVE_DRAFTS = (DraftStatus.PENDING_APPROVAL, DraftStatus.APPROVED, DraftStatus.SENDING)
LIVE_TASKS = (TaskStatus.QUEUED, TaskStatus.IN_PROGRESS)


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


def chosen_speakers(session: Session, user_id: str, contact_ids: Sequence[UUID]) -> list[Speaker]:
    speakers = [
        speaker
        for found in speakers_by_event(session, user_id, Contact.id.in_(contact_ids)).values()
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


def speakers_of(session: Session, user_id: str, event_id: UUID) -> list[Speaker]:
    """The speakers saved from one event."""
    return speakers_by_event(session, user_id, Contact.opportunity_id == event_id).get(event_id, [])


def speakers_by_event(
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
