"""The follow-up schedule: what the Follow-up agent plans, and when it must stop.

A thread is an initial email (`agent_outreach_sent`) and the follow-ups sent after it;
each planned follow-up is a row of `agent_followup_schedule` keyed by the thread and its
attempt number, so planning the same attempt twice writes one row. Every time comes from
`attendry.followups.rules`.

The stop conditions are read from the rows other parts keep, right before
each action, so they hold whatever order events arrive in:

- `replied`: a sent message of the thread, or any later one to the same contact, has
  `response_received_at` (a contact who answered another email is not chased either);
- `bounced` / `complained`: a message of the thread bounced or drew a complaint, or the
  address is suppressed for everyone for that reason;
- `unsubscribed`: the address is suppressed for this user (an unsubscribe);
- `event_passed`: the timing rules leave no time before the event's blackout;
- `agent_paused`: the Follow-up agent is paused;
- `cancelled_by_user`: the user cancelled it (`attendry.followups.changes`).

A user whose sending is paused (account safety) makes the follow-up wait, not stop.
"""

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.agents.service import oldest_active_agent
from attendry.core.clock import Clock
from attendry.core.observability import logger
from attendry.db.enums import (
    AgentType,
    Channel,
    DraftKind,
    FollowupReason,
    FollowupStatus,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    Agent,
    AgentMessage,
    AgentTask,
    Contact,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
)
from attendry.followups.history import (
    agent_and_thread,
    contact_timezone,
    event_dates,
    followup_settings,
    schedule_for_draft,
    thread_event,
)
from attendry.followups.rules import (
    Cancel,
    earliest_send,
    next_followup,
)
from attendry.followups.stops import (
    contact_stop,
    stop,
)
from attendry.messaging.service import send_agent_message
from attendry.notifications.service import notify
from attendry.platform.domain_events import EmailSent, SendFailed, TaskFailed

OUTREACH_SENT = "outreach.sent"
FOLLOWUP_ESCALATED = "followup.escalated"

MAX_FAILED_DRAFTS = 3
"""Failed draft tasks of one follow-up after which the thread is escalated to the user."""
DRAFT_RETRY_DELAY = timedelta(days=1)
"""How long after a failed draft the follow-up is due again."""

# ---------------------------------------------------------------------------- planning


def after_email_sent(session: Session, event: EmailSent, *, clock: Clock) -> None:
    """SES took a draft's email: plan what follows. Runs once per draft, in the transaction
    that marks it sent (whichever of the Sender and SES's Send event records it first).

    An initial email is announced to the user's Follow-up agent (`outreach.sent`); a
    follow-up marks its schedule row sent and plans the next attempt (or the escalation).
    A user without a Follow-up agent gets nothing, and nothing else changes.
    """
    draft, sent = event.draft, event.sent
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
        sent_at = sent.sent_at or clock()
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


def on_outreach_sent(
    session: Session, agent: Agent, message: AgentMessage, now: datetime
) -> dict[str, Any]:
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
    row = schedule_attempt(session, agent, original, 1, previous_send=sent_at, now=now)
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
        contact_timezone=contact_timezone(session, original.contact_id),
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


def after_draft_failed(session: Session, event: TaskFailed, *, clock: Clock) -> None:
    """A follow-up whose draft task failed goes back to the schedule, due again a day
    after the failure, where the user can also cancel or move it; the third failed draft
    of the same follow-up escalates the thread to the user instead (`draft_failed`).

    The task runner has already retried what a retry could fix (rate limits, server
    errors) before failing the task, so an immediate new draft would most likely fail
    the same way; a day later the LLM is back, the budget raised, or the data fixed.
    """
    task = event.task
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
        escalate(session, row, *agent_and_thread(session, row), FollowupReason.DRAFT_FAILED)
        return
    row.status = FollowupStatus.SCHEDULED
    # From when it was due if that is later (a sweep replayed for a future time).
    row.due_at = max(row.due_at, clock()) + DRAFT_RETRY_DELAY
    logger.info(
        "Follow-up draft failed; due again later",
        extra={"followup_id": str(row.id), "task_id": str(task.id), "due_at": str(row.due_at)},
    )


def after_send_failed(session: Session, event: SendFailed) -> None:
    """A follow-up that could not be sent ends its thread's schedule: stopped when the
    contact's side explains it (a suppressed address), else handed to the user (reason
    `send_failed`): the user knows the thread and the address, the agent cannot fix it."""
    row = schedule_for_draft(session, event.draft)
    if row is None or row.status != FollowupStatus.DRAFTED:
        return
    agent, original = agent_and_thread(session, row)
    reason = contact_stop(session, row, original)
    if reason is not None:
        stop(row, reason)
    else:
        escalate(session, row, agent, original, FollowupReason.SEND_FAILED)


def draft_task_key(row: FollowupSchedule) -> str:
    """The idempotency key of the row's next draft task: one per try, so a retry after a
    failed draft (whose task keeps its key) gets a task of its own."""
    if row.task_id is None:
        return f"followup:{row.id}"
    return f"followup:{row.id}:after:{row.task_id}"
