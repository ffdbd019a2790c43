"""The follow-up schedule: what the Follow-up agent plans, when it must stop, what the user changes.

A thread is an initial email (`agent_outreach_sent`) and the follow-ups sent after it;
each planned follow-up is a row of `agent_followup_schedule` keyed by the thread and its
attempt number, so planning the same attempt twice writes one row. Every time comes from
`attendry.rules.followup_timing`.

The stop conditions are read from the rows other parts keep (SPEC §6), right before
each action, so they hold whatever order events arrive in:

- `replied`: a sent message of the thread, or any later one to the same contact, has
  `response_received_at` (a contact who answered another email is not chased either);
- `bounced` / `complained`: a message of the thread bounced or drew a complaint, or the
  address is suppressed for everyone for that reason;
- `unsubscribed`: the address is suppressed for this user (an unsubscribe);
- `event_passed`: the timing rules leave no time before the event's blackout;
- `agent_paused`: the Follow-up agent is paused;
- `cancelled_by_user`: the user cancelled it (`POST /followups/{id}/cancel`).

A user whose sending is paused (account safety) makes the follow-up wait, not stop.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, exists, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.agents.settings import FollowupSettings, settings_for
from attendry.core.errors import ConflictError, InvalidInputError
from attendry.core.observability import logger
from attendry.db.enums import (
    AgentStatus,
    AgentType,
    Channel,
    DeliveryStatus,
    DraftKind,
    FollowupReason,
    FollowupStatus,
    SuppressionReason,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    Agent,
    AgentMessage,
    AgentTask,
    Contact,
    FollowupSchedule,
    Opportunity,
    OutreachDraft,
    OutreachSent,
)
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.rules.followup_timing import (
    Cancel,
    EventDates,
    earliest_allowed,
    earliest_send,
    next_followup,
)
from attendry.rules.followup_timing import check_due_at as timing_violation
from attendry.services.agent_messages import send_agent_message
from attendry.services.agents import oldest_active_agent
from attendry.services.notifications import notify
from attendry.services.send_policy import find_suppression, paused_sending

FOLLOWUP = "Follow-up"
OUTREACH_SENT = "outreach.sent"
FOLLOWUP_ESCALATED = "followup.escalated"
RECEIVED_STATUSES = (DeliveryStatus.SENT, DeliveryStatus.DELIVERED, DeliveryStatus.COMPLAINED)
"""Messages the contact got: their Message-IDs are the thread a follow-up answers."""

_SUPPRESSION_STOP = {
    SuppressionReason.UNSUBSCRIBE: FollowupReason.UNSUBSCRIBED,
    SuppressionReason.BOUNCE: FollowupReason.BOUNCED,
    SuppressionReason.COMPLAINT: FollowupReason.COMPLAINED,
}


class FollowupStateError(ConflictError):
    """A change the follow-up's status does not allow (cancelling a sent one, say)."""

    code = "invalid_followup_state"


class FollowupTimingError(InvalidInputError):
    """A due time the timing rules forbid; `code` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(
            message, details=[{"field": "body.due_at", "message": message, "type": rule}]
        )
        self.code = rule


@dataclass(frozen=True)
class Stop:
    reason: FollowupReason


@dataclass(frozen=True)
class Wait:
    """Not now: at `until` (the rules' next allowed time), or once sending resumes (None)."""

    until: datetime | None


MAX_FAILED_DRAFTS = 3
"""Failed draft tasks of one follow-up after which the thread is escalated to the user."""
DRAFT_RETRY_DELAY = timedelta(days=1)
"""How long after a failed draft the follow-up is due again."""

Verdict = Stop | Wait | None
"""What the stop conditions say about acting on a follow-up now; None: go ahead."""


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


def _contact_timezone(session: Session, contact_id: UUID | None) -> str | None:
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


# ---------------------------------------------------------------------------- planning


def after_email_sent(session: Session, draft: OutreachDraft, sent: OutreachSent) -> None:
    """SES took a draft's email: plan what follows. Runs once per draft, in the transaction
    that marks it sent (whichever of the Sender and SES's Send event records it first).

    An initial email is announced to the user's Follow-up agent (`outreach.sent`); a
    follow-up marks its schedule row sent and plans the next attempt (or the escalation).
    A user without a Follow-up agent gets nothing, and nothing else changes.
    """
    if sent.channel != Channel.EMAIL:
        return
    if draft.kind == DraftKind.INITIAL:
        _announce_initial_email(session, draft, sent)
        return
    row = schedule_for_draft(session, draft)
    if row is None or row.status != FollowupStatus.DRAFTED:
        return
    row.status = FollowupStatus.SENT
    original = session.get(OutreachSent, row.sent_id)
    agent = session.get(Agent, row.agent_id)
    if original is not None and agent is not None:
        sent_at = sent.sent_at or datetime.now(UTC)
        schedule_attempt(
            session, agent, original, row.attempt + 1, previous_send=sent_at, now=sent_at
        )


def _announce_initial_email(session: Session, draft: OutreachDraft, sent: OutreachSent) -> None:
    agent = oldest_active_agent(session, draft.user_id, AgentType.FOLLOWUP)
    if agent is None:
        return
    send_agent_message(
        session,
        user_id=draft.user_id,
        from_agent_id=draft.agent_id,
        to_agent_id=agent.id,
        message_type=OUTREACH_SENT,
        payload={
            "sent_id": str(sent.id),
            "draft_id": str(draft.id),
            "contact_id": str(sent.contact_id) if sent.contact_id else None,
            "opportunity_id": str(draft.opportunity_id) if draft.opportunity_id else None,
            "recipient": sent.recipient_email,
            "subject": sent.subject,
            "sent_at": sent.sent_at.isoformat() if sent.sent_at else None,
        },
    )


def on_outreach_sent(session: Session, agent: Agent, message: AgentMessage) -> dict[str, Any]:
    """The Follow-up agent hears of an initial email: it plans attempt 1."""
    sent_id = message.payload.get("sent_id")
    original = (
        session.scalars(
            select(OutreachSent).where(
                OutreachSent.id == UUID(str(sent_id)), OutreachSent.user_id == message.user_id
            )
        ).one_or_none()
        if sent_id
        else None
    )
    if original is None or original.contact_id is None:
        return {"outcome": "ignored", "why": "the sent message or its contact is gone"}
    sent_at = original.sent_at or original.created_at
    row = schedule_attempt(
        session, agent, original, 1, previous_send=sent_at, now=datetime.now(UTC)
    )
    return {
        "outcome": "scheduled" if row.status == FollowupStatus.SCHEDULED else row.status.value,
        "followup_id": str(row.id),
        "attempt": row.attempt,
        "due_at": row.due_at.isoformat(),
        "reason": row.reason.value if row.reason else None,
    }


def schedule_attempt(
    session: Session,
    agent: Agent,
    original: OutreachSent,
    attempt: int,
    *,
    previous_send: datetime,
    now: datetime,
) -> FollowupSchedule:
    """Plan attempt `attempt` of the thread (once: a repeat finds the row already there).

    An attempt past `max_followups` is planned too: when it comes due it is the
    escalation. One the event leaves no time for is stored cancelled (`event_passed`), so
    the user sees why the thread ends.
    """
    assert original.contact_id is not None
    settings = followup_settings(agent)
    decision = next_followup(
        previous_send=previous_send,
        attempt=attempt,
        settings=settings,
        contact_timezone=_contact_timezone(session, original.contact_id),
        event=event_dates(thread_event(session, original)),
        now=now,
    )
    cancelled = isinstance(decision, Cancel)
    due_at = (
        earliest_send(settings, previous_send, attempt)
        if isinstance(decision, Cancel)
        else decision.at
    )
    values = {
        "user_id": original.user_id,
        "agent_id": agent.id,
        "sent_id": original.id,
        "contact_id": original.contact_id,
        "attempt": attempt,
        "due_at": due_at,
        "status": FollowupStatus.CANCELLED if cancelled else FollowupStatus.SCHEDULED,
        "reason": FollowupReason.EVENT_PASSED if cancelled else None,
    }
    session.execute(
        insert(FollowupSchedule)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[FollowupSchedule.sent_id, FollowupSchedule.attempt])
    )
    row = session.scalars(
        select(FollowupSchedule).where(
            FollowupSchedule.sent_id == original.id, FollowupSchedule.attempt == attempt
        )
    ).one()
    logger.info(
        "Follow-up planned",
        extra={"followup_id": str(row.id), "attempt": attempt, "status": row.status.value},
    )
    return row


# ------------------------------------------------------------------------------ stops


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
        contact_timezone=_contact_timezone(session, row.contact_id),
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


def stop_for_rejected_draft(session: Session, draft: OutreachDraft) -> None:
    """The user rejected a follow-up draft: its thread ends there, and the schedule says so."""
    row = schedule_for_draft(session, draft)
    if row is not None and row.status == FollowupStatus.DRAFTED:
        stop(row, FollowupReason.CANCELLED_BY_USER)


def escalate(
    session: Session,
    row: FollowupSchedule,
    agent: Agent,
    original: OutreachSent,
    reason: FollowupReason = FollowupReason.MAX_FOLLOWUPS_REACHED,
) -> None:
    """The agent hands the thread to the user, as a message and a notification, instead of
    writing again: no answer after the last follow-up, or its drafts kept failing."""
    row.status = FollowupStatus.ESCALATED
    row.reason = reason
    contact = session.get(Contact, row.contact_id)
    payload = {
        "followup_id": str(row.id),
        "sent_id": str(original.id),
        "contact_id": str(row.contact_id),
        "contact_name": contact.name if contact is not None else None,
        "recipient": original.recipient_email,
        "subject": original.subject,
        "followups_sent": row.attempt - 1,
        "reason": reason.value,
    }
    send_agent_message(
        session,
        user_id=row.user_id,
        from_agent_id=agent.id,
        to_agent_id=None,
        message_type=FOLLOWUP_ESCALATED,
        payload=payload,
    )
    notify(session, row.user_id, FOLLOWUP_ESCALATED, {**payload, "agent_id": str(agent.id)})


def after_draft_failed(session: Session, task: AgentTask) -> None:
    """A follow-up whose draft task failed goes back to the schedule, due again a day
    after the failure, where the user can also cancel or move it; the third failed draft
    of the same follow-up escalates the thread to the user instead (`draft_failed`).

    The task runner has already retried what a retry could fix (rate limits, server
    errors) before failing the task, so an immediate new draft would most likely fail
    the same way; a day later the LLM is back, the budget raised, or the data fixed.
    """
    row = session.scalars(
        select(FollowupSchedule)
        .where(
            FollowupSchedule.task_id == task.id,
            FollowupSchedule.status == FollowupStatus.DRAFTED,
        )
        .with_for_update()
    ).one_or_none()
    if row is None:
        return
    failed_drafts = session.scalar(
        select(func.count())
        .select_from(AgentTask)
        .where(
            AgentTask.user_id == row.user_id,
            AgentTask.task_type == TaskType.DRAFT_FOLLOWUP,
            AgentTask.status == TaskStatus.FAILED,
            AgentTask.input["followup_id"].astext == str(row.id),
        )
    )
    if (failed_drafts or 0) >= MAX_FAILED_DRAFTS:
        escalate(session, row, *_agent_and_thread(session, row), FollowupReason.DRAFT_FAILED)
        return
    row.status = FollowupStatus.SCHEDULED
    # From when it was due if that is later (a sweep replayed for a future time).
    row.due_at = max(row.due_at, datetime.now(UTC)) + DRAFT_RETRY_DELAY
    logger.info(
        "Follow-up draft failed; due again later",
        extra={"followup_id": str(row.id), "task_id": str(task.id), "due_at": str(row.due_at)},
    )


def after_send_failed(session: Session, draft: OutreachDraft) -> None:
    """A follow-up that could not be sent ends its thread's schedule: stopped when the
    contact's side explains it (a suppressed address), else handed to the user (reason
    `send_failed`): the user knows the thread and the address, the agent cannot fix it."""
    row = schedule_for_draft(session, draft)
    if row is None or row.status != FollowupStatus.DRAFTED:
        return
    agent, original = _agent_and_thread(session, row)
    reason = contact_stop(session, row, original)
    if reason is not None:
        stop(row, reason)
    else:
        escalate(session, row, agent, original, FollowupReason.SEND_FAILED)


def _agent_and_thread(session: Session, row: FollowupSchedule) -> tuple[Agent, OutreachSent]:
    """The row's agent and the first email of its thread."""
    agent = session.get(Agent, row.agent_id)
    original = session.get(OutreachSent, row.sent_id)
    assert agent is not None  # the row goes with its agent and thread (ON DELETE CASCADE)
    assert original is not None
    return agent, original


def draft_task_key(row: FollowupSchedule) -> str:
    """The idempotency key of the row's next draft task: one per try, so a retry after a
    failed draft (whose task keeps its key) gets a task of its own."""
    if row.task_id is None:
        return f"followup:{row.id}"
    return f"followup:{row.id}:after:{row.task_id}"


# -------------------------------------------------------------------------------- API


def list_followups(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    status: FollowupStatus | None = None,
    contact_id: UUID | None = None,
    agent_id: UUID | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        FollowupSchedule,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=(
            (FollowupSchedule.status, status),
            (FollowupSchedule.contact_id, contact_id),
            (FollowupSchedule.agent_id, agent_id),
        ),
    )


def _scheduled_for_change(
    session: Session, user_id: str, followup_id: UUID, action: str
) -> FollowupSchedule:
    row = get_owned(session, FollowupSchedule, user_id, followup_id, noun=FOLLOWUP, for_update=True)
    if row.status != FollowupStatus.SCHEDULED:
        raise FollowupStateError(
            f"Follow-up {row.id} is {row.status.value}; only a scheduled follow-up can be "
            f"{action}.",
            details=[{"field": "status", "message": row.status.value}],
        )
    return row


def cancel_followup(session: Session, user_id: str, followup_id: UUID) -> FollowupSchedule:
    row = _scheduled_for_change(session, user_id, followup_id, "cancelled")
    stop(row, FollowupReason.CANCELLED_BY_USER)
    session.flush()
    session.refresh(row)
    return row


def reschedule_followup(
    session: Session, user_id: str, followup_id: UUID, due_at: datetime, *, now: datetime
) -> FollowupSchedule:
    """Move a scheduled follow-up; the timing rules still apply, and a refusal names the rule."""
    row = _scheduled_for_change(session, user_id, followup_id, "rescheduled")
    agent = session.get(Agent, row.agent_id)
    original = session.get(OutreachSent, row.sent_id)
    assert agent is not None
    assert original is not None
    violation = timing_violation(
        due_at,
        previous_send=_previous_send(session, original, row.attempt),
        attempt=row.attempt,
        settings=followup_settings(agent),
        contact_timezone=_contact_timezone(session, row.contact_id),
        event=event_dates(thread_event(session, original)),
        now=now,
    )
    if violation is not None:
        raise FollowupTimingError(violation.rule.value, violation.message)
    row.due_at = due_at
    session.flush()
    session.refresh(row)
    return row


def _previous_send(session: Session, original: OutreachSent, attempt: int) -> datetime:
    """When the thread's message before `attempt` went out (the cadence counts from it)."""
    previous = thread_messages(session, original, attempt)[-1]
    return previous.sent_at or previous.created_at
