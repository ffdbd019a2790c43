"""What a thread holds, read from the rows: its messages, its event, its agent's settings,
its contact's time zone. The schedule, the agent and the user's changes all read it."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.agents.settings import FollowupSettings, settings_for
from attendry.db.enums import (
    AgentType,
    DeliveryStatus,
    DraftKind,
)
from attendry.db.models import (
    Agent,
    Contact,
    FollowupSchedule,
    Opportunity,
    OutreachDraft,
    OutreachSent,
)
from attendry.followups.rules import (
    EventDates,
)

RECEIVED_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.COMPLAINED)
"""Messages the contact got: their Message-IDs are the thread a follow-up answers."""


def followup_settings(agent: Agent) -> FollowupSettings:
    settings = settings_for(AgentType.FOLLOWUP, agent.settings)
    assert isinstance(settings, FollowupSettings)
    return settings


def thread_event(session: Session, original: OutreachSent) -> Opportunity | None:
    """The event the thread is about: its first draft's, else the one the contact came from."""
    opportunity_id = session.scalar(
        select(OutreachDraft.opportunity_id).where(OutreachDraft.id == original.draft_id)
    )
    if opportunity_id is None and original.contact_id is not None:
        opportunity_id = session.scalar(
            select(Contact.opportunity_id).where(Contact.id == original.contact_id)
        )
    if opportunity_id is None:
        return None
    return session.scalars(
        select(Opportunity).where(
            Opportunity.id == opportunity_id, Opportunity.user_id == original.user_id
        )
    ).one_or_none()


def event_dates(event: Opportunity | None) -> EventDates:
    if event is None:
        return EventDates()
    return EventDates(starts_at=event.starts_at, ends_at=event.ends_at)


def contact_timezone(session: Session, contact_id: UUID | None) -> str | None:
    if contact_id is None:
        return None
    return session.scalar(select(Contact.timezone).where(Contact.id == contact_id))


def thread_messages(
    session: Session, original: OutreachSent, before_attempt: int
) -> list[OutreachSent]:
    """The thread's messages the contact received, oldest first, up to `before_attempt`."""
    followups = list(
        session.scalars(
            select(OutreachSent)
            .join(OutreachDraft, OutreachDraft.id == OutreachSent.draft_id)
            .join(FollowupSchedule, FollowupSchedule.task_id == OutreachDraft.task_id)
            .where(
                FollowupSchedule.sent_id == original.id,
                FollowupSchedule.attempt < before_attempt,
                OutreachSent.rfc822_message_id.is_not(None),
                OutreachSent.delivery_status.in_(RECEIVED_STATUSES),
            )
            .order_by(FollowupSchedule.attempt)
        )
    )
    return [original, *followups]


def schedule_for_draft(session: Session, draft: OutreachDraft) -> FollowupSchedule | None:
    """The follow-up a draft was written for (its task is the schedule row's task)."""
    if draft.kind != DraftKind.FOLLOWUP or draft.task_id is None:
        return None
    return session.scalars(
        select(FollowupSchedule).where(FollowupSchedule.task_id == draft.task_id)
    ).one_or_none()


def agent_and_thread(session: Session, row: FollowupSchedule) -> tuple[Agent, OutreachSent]:
    """The row's agent and the first email of its thread."""
    agent = session.get(Agent, row.agent_id)
    original = session.get(OutreachSent, row.sent_id)
    assert agent is not None  # the row goes with its agent and thread (ON DELETE CASCADE)
    assert original is not None
    return agent, original


def previous_send(session: Session, original: OutreachSent, attempt: int) -> datetime:
    """When the thread's message before `attempt` went out (the cadence counts from it)."""
    previous = thread_messages(session, original, attempt)[-1]
    return previous.sent_at or previous.created_at
