"""The Follow-up agent: a shorter email in the same thread, for a contact who has not answered.

The sweep hands it one due follow-up (a `draft_followup` task). It checks the stop
conditions again (the contact may have replied since the sweep), writes with the same
drafters as the Outreach agent, aware of every message the contact already received and
of how close the event is, and stores the draft under the thread's `Re:` subject. The
draft waits for approval like any other, or, when the agent may send alone, is approved
at once. The recipient is the address the thread went to: nothing the drafter writes can
change it.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.agents.settings import OutreachSettings, settings_for
from attendry.db.engine import session_scope
from attendry.db.enums import Channel, DraftKind, FollowupStatus
from attendry.db.models import (
    Agent,
    AgentTask,
    Contact,
    FollowupSchedule,
    OutreachSent,
)
from attendry.drafting import DraftRequest, PreviousMessage
from attendry.drafting.models import reply_subject
from attendry.followups.history import followup_settings, thread_event, thread_messages
from attendry.followups.stops import Stop, review, stop
from attendry.outreach.agent import (
    agent_style,
    contact_info,
    days_until,
    event_info,
    finish_with_draft,
    store_draft,
)
from attendry.tasks.runtime import (
    AgentRuntime,
    TaskFailedError,
    enforce_llm_limits,
    finish_task,
    is_metered,
    record_usage,
    task_input,
)


class DraftFollowupInput(BaseModel):
    """The `draft_followup` task's input, written by the sweep."""

    model_config = ConfigDict(extra="forbid")

    followup_id: UUID


def draft_followup(task: AgentTask, runtime: AgentRuntime) -> dict[str, Any]:
    """Draft the follow-up, store it for approval (or approve it), tell the user."""
    wanted = task_input(task, DraftFollowupInput)

    with session_scope() as session:
        row, agent = _followup(session, task, wanted.followup_id)
        stopped = _stopped(session, task, row, agent, runtime.clock())
        if stopped is not None:
            return stopped
        original = session.get(OutreachSent, row.sent_id)
        contact = session.get(Contact, row.contact_id)
        assert original is not None  # the row goes with its thread (ON DELETE CASCADE)
        assert contact is not None
        request = _draft_request(session, agent, row, original, contact, runtime.clock())
        recipient = original.recipient_email
        requires_approval = followup_settings(agent).requires_approval

    if is_metered(runtime.drafter):
        enforce_llm_limits(task, runtime.limits, runtime.clock())
    result = runtime.drafter.draft(request)

    with session_scope() as session:
        record_usage(session, task, result.usage, runtime.prices)
        row, agent = _followup(session, task, wanted.followup_id, lock=True)
        # The LLM took seconds: a reply in the meantime still stops the thread.
        stopped = _stopped(session, task, row, agent, runtime.clock())
        if stopped is not None:
            return stopped
        draft = store_draft(
            session,
            task,
            result,
            contact_id=row.contact_id,
            channel=Channel.EMAIL,
            kind=DraftKind.FOLLOWUP,
            sequence_step=row.attempt,
            recipient=recipient,
            # Mail clients thread on the subject too: whatever the drafter wrote, keep `Re:`.
            subject=reply_subject(request.previous_messages[0].subject),
        )
        return finish_with_draft(
            session,
            task,
            draft,
            result,
            requires_approval=requires_approval,
            contact_id=row.contact_id,
            now=runtime.clock(),
            about={"followup_id": str(row.id), "attempt": row.attempt},
        )


def _followup(
    session: Session, task: AgentTask, followup_id: UUID, *, lock: bool = False
) -> tuple[FollowupSchedule, Agent]:
    stmt = select(FollowupSchedule).where(
        FollowupSchedule.id == followup_id,
        FollowupSchedule.user_id == task.user_id,
        FollowupSchedule.task_id == task.id,
    )
    row = session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()
    if row is None:
        raise TaskFailedError(
            "The follow-up of this task no longer exists.", code="followup_not_found"
        )
    agent = session.get(Agent, row.agent_id)
    assert agent is not None  # the row goes with its agent (ON DELETE CASCADE)
    return row, agent


def _stopped(
    session: Session, task: AgentTask, row: FollowupSchedule, agent: Agent, now: datetime
) -> dict[str, Any] | None:
    """The task's output when the thread stopped (cancelled, or already handled), else None."""
    if row.status != FollowupStatus.DRAFTED:
        output = {"followup_id": str(row.id), "outcome": f"follow-up is {row.status.value}"}
        finish_task(session, task, output)
        return output
    verdict = review(session, row, agent, now)
    if not isinstance(verdict, Stop):
        return None
    stop(row, verdict.reason)
    output = {"followup_id": str(row.id), "outcome": "stopped", "reason": verdict.reason.value}
    finish_task(session, task, output)
    return output


def _draft_request(
    session: Session,
    agent: Agent,
    row: FollowupSchedule,
    original: OutreachSent,
    contact: Contact,
    now: datetime,
) -> DraftRequest:
    """The thread so far and the event's closeness; name and signature fall back to the
    first email's agent, so the thread is signed by the same person throughout."""
    settings = followup_settings(agent)
    first_author = session.get(Agent, original.agent_id) if original.agent_id else None
    author = settings_for(first_author.agent_type, first_author.settings) if first_author else None
    fallback = author if isinstance(author, OutreachSettings) else None
    event = thread_event(session, original)
    try:
        return DraftRequest(
            contact=contact_info(contact),
            event=None if event is None else event_info(event),
            style=agent_style(
                settings,
                sender_name=fallback.sender_name if fallback else None,
                signature=fallback.signature if fallback else None,
            ),
            kind="followup",
            sequence_step=row.attempt,
            previous_messages=[
                PreviousMessage(
                    subject=message.subject or original.subject or "(no subject)",
                    body=message.message_body,
                    sent_at=message.sent_at,
                )
                for message in thread_messages(session, original, row.attempt)
            ],
            days_until_event=days_until(event, now),
        )
    except ValidationError as error:
        raise TaskFailedError(
            f"The thread, contact or event cannot be drafted from: {error}", code="invalid_input"
        ) from error
