"""Stopping a user's scheduled follow-ups to a contact: the one place every stop goes through.

A reply, an unsubscribe (and the Follow-up agent's own checks) all end the same way: every
follow-up still `scheduled` for that contact becomes `cancelled` with the reason. Drafted
or sent ones are history and stay as they are. The stop conditions (the service's
docstring lists them) are read here too, right before each action.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, exists, func, or_, select, update
from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.enums import (
    AgentStatus,
    DeliveryStatus,
    FollowupReason,
    FollowupStatus,
    SuppressionReason,
    SuppressionScope,
)
from attendry.db.models import (
    Agent,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
)
from attendry.followups.history import (
    contact_timezone,
    event_dates,
    followup_settings,
    schedule_for_draft,
    thread_event,
)
from attendry.followups.rules import (
    Cancel,
    earliest_allowed,
)
from attendry.platform.domain_events import (
    ConversationEnded,
    DraftRejected,
)
from attendry.sending.policy import find_suppression, paused_sending

_SUPPRESSION_STOP = {
    SuppressionReason.UNSUBSCRIBE: FollowupReason.UNSUBSCRIBED,
    SuppressionReason.BOUNCE: FollowupReason.BOUNCED,
    SuppressionReason.COMPLAINT: FollowupReason.COMPLAINED,
}


@dataclass(frozen=True)
class Stop:
    reason: FollowupReason


@dataclass(frozen=True)
class Wait:
    """Not now: at `until` (the rules' next allowed time), or once sending resumes (None)."""

    until: datetime | None


Verdict = Stop | Wait | None
"""What the stop conditions say about acting on a follow-up now; None: go ahead."""


def stop_scheduled_followups(
    session: Session,
    user_id: str,
    reason: FollowupReason,
    *,
    contact_id: UUID | None = None,
    address: str | None = None,
) -> list[UUID]:
    """Cancel the user's scheduled follow-ups to `contact_id`, or of threads sent to
    `address` (the contact row may be gone, or hold another address now); the ids cancelled.
    """
    matches: list[ColumnElement[bool]] = []
    if contact_id is not None:
        matches.append(FollowupSchedule.contact_id == contact_id)
    if address:
        threads_to_address = select(OutreachSent.id).where(
            OutreachSent.user_id == user_id,
            func.lower(OutreachSent.recipient_email) == address.strip().lower(),
        )
        matches.append(FollowupSchedule.sent_id.in_(threads_to_address))
    if not matches:
        return []
    stmt = (
        update(FollowupSchedule)
        .where(
            FollowupSchedule.user_id == user_id,
            FollowupSchedule.status == FollowupStatus.SCHEDULED,
            or_(*matches),
        )
        .values(status=FollowupStatus.CANCELLED, reason=reason)
        .returning(FollowupSchedule.id)
    )
    return list(session.scalars(stmt))


def on_conversation_ended(session: Session, event: ConversationEnded) -> None:
    """The contact's side ended the conversation: what was scheduled to them stops."""
    event.stopped.extend(
        stop_scheduled_followups(
            session,
            event.user_id,
            event.reason,
            contact_id=event.contact_id,
            address=event.address,
        )
    )


def contact_stop(
    session: Session, row: FollowupSchedule, original: OutreachSent
) -> FollowupReason | None:
    """Whether the contact's side ended the thread: a reply, a bounce, a complaint, an
    unsubscribe. Read fresh every time."""
    since = original.sent_at or original.created_at
    replied = session.scalar(
        select(
            exists().where(
                OutreachSent.user_id == row.user_id,
                OutreachSent.response_received_at.is_not(None),
                (OutreachSent.id == original.id)
                | (
                    (OutreachSent.contact_id == row.contact_id)
                    & (OutreachSent.response_received_at >= since)
                ),
            )
        )
    )
    if replied:
        return FollowupReason.REPLIED
    statuses = set(
        session.scalars(
            select(OutreachSent.delivery_status)
            .outerjoin(OutreachDraft, OutreachDraft.id == OutreachSent.draft_id)
            .outerjoin(FollowupSchedule, FollowupSchedule.task_id == OutreachDraft.task_id)
            .where((OutreachSent.id == original.id) | (FollowupSchedule.sent_id == original.id))
        )
    )
    if DeliveryStatus.COMPLAINED in statuses:
        return FollowupReason.COMPLAINED
    if DeliveryStatus.BOUNCED in statuses:
        return FollowupReason.BOUNCED
    if original.recipient_email:
        suppression = find_suppression(session, row.user_id, original.recipient_email)
        if suppression is not None:
            if suppression.scope == SuppressionScope.USER:
                return FollowupReason.UNSUBSCRIBED
            return _SUPPRESSION_STOP[suppression.reason]
    return None


def review(session: Session, row: FollowupSchedule, agent: Agent, now: datetime) -> Verdict:
    """Every stop condition, then what makes it wait, for acting on `row` at `now`.

    The contact's side is named first: a reply explains a stop better than a pause does.
    """
    original = session.get(OutreachSent, row.sent_id)
    assert original is not None  # the row goes with its thread (ON DELETE CASCADE)
    reason = contact_stop(session, row, original)
    if reason is not None:
        return Stop(reason)
    if agent.status == AgentStatus.PAUSED:
        return Stop(FollowupReason.AGENT_PAUSED)
    placed = earliest_allowed(
        max(row.due_at, now),
        window=followup_settings(agent).send_window,
        contact_timezone=contact_timezone(session, row.contact_id),
        event=event_dates(thread_event(session, original)),
    )
    if isinstance(placed, Cancel):
        return Stop(FollowupReason.EVENT_PASSED)
    if paused_sending(session, row.user_id) is not None:
        return Wait(None)
    if placed > now:
        return Wait(placed)
    return None


def stop(row: FollowupSchedule, reason: FollowupReason) -> None:
    row.status = FollowupStatus.CANCELLED
    row.reason = reason
    logger.info("Follow-up stopped", extra={"followup_id": str(row.id), "reason": reason.value})


def stop_reason_at_send(session: Session, draft: OutreachDraft) -> FollowupReason | None:
    """For the Sender: a follow-up whose thread the contact ended is not sent (and its
    schedule row says why), even when the user approved it before the reply came."""
    row = schedule_for_draft(session, draft)
    if row is None:
        return None
    original = session.get(OutreachSent, row.sent_id)
    reason = contact_stop(session, row, original) if original is not None else None
    if reason is not None and row.status in {FollowupStatus.SCHEDULED, FollowupStatus.DRAFTED}:
        stop(row, reason)
    return reason


def stop_for_rejected_draft(session: Session, event: DraftRejected) -> None:
    """The user rejected a follow-up draft: its thread ends there, and the schedule says so."""
    row = schedule_for_draft(session, event.draft)
    if row is not None and row.status == FollowupStatus.DRAFTED:
        stop(row, FollowupReason.CANCELLED_BY_USER)
