"""The follow-up sweep: every 5 minutes, act on each follow-up whose time has come.

One run takes due rows in batches, each batch one transaction:

1. claim: `status = 'scheduled' AND due_at <= now`, oldest first, `FOR UPDATE SKIP
   LOCKED` (the partial index `ix_agent_followup_schedule_due` walks exactly these
   rows), leaving out users whose sending is paused so their rows never crowd a batch;
2. re-check every stop condition on the locked row (`services.followups.review`):
   a stop cancels it with its reason, a wait leaves it scheduled (moved to the rules'
   next allowed time when that is later);
3. act: past `max_followups` the user gets the escalation; otherwise a `draft_followup`
   task is stored (key `followup:<id>`, a retry's naming the failed task it follows) and
   the row becomes `drafted` with its task id.

The status change and the task are committed together, and the tasks are enqueued after
the commit. So firing the same time twice finds nothing left to do, two sweeps at once
never hold the same row, and a task whose message was lost is re-driven like any other.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import FollowupStatus, TaskType
from attendry.db.models import Agent, FollowupSchedule, OutreachSent, UserSendingState
from attendry.followups.history import followup_settings, thread_event
from attendry.followups.service import draft_task_key, escalate
from attendry.followups.settings import SweepSettings
from attendry.followups.stops import Stop, Wait, review, stop
from attendry.platform.sqs import SqsQueue
from attendry.tasks.service import add_queued_task, enqueue_task


@dataclass(frozen=True)
class SweepResult:
    """What one run did, by outcome: drafted, escalated, cancelled, waiting, rescheduled,
    failed (logged, retried by the next run)."""

    claimed: int
    outcomes: Mapping[str, int]


def due_followups(
    now: datetime, limit: int, skip: tuple[UUID, ...] = ()
) -> Select[FollowupSchedule]:
    """The claim: due rows of users who may send, oldest first, locked, others' skipped."""
    paused = exists().where(
        UserSendingState.user_id == FollowupSchedule.user_id, UserSendingState.paused.is_(True)
    )
    stmt = (
        select(FollowupSchedule)
        .where(
            FollowupSchedule.status == FollowupStatus.SCHEDULED,
            FollowupSchedule.due_at <= now,
            ~paused,
        )
        .order_by(FollowupSchedule.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True, of=FollowupSchedule)
    )
    if skip:
        stmt = stmt.where(FollowupSchedule.id.not_in(skip))
    return stmt


def sweep_followups(
    now: datetime, *, settings: SweepSettings, queue: SqsQueue | None = None
) -> SweepResult:
    outcomes: Counter[str] = Counter()
    claimed = 0
    waiting: list[UUID] = []
    for _ in range(settings.max_batches):
        tasks: list[UUID] = []
        with session_scope() as session:
            rows = list(session.scalars(due_followups(now, settings.batch_size, tuple(waiting))))
            for row in rows:
                outcome, task_id = _act_safely(session, row, now)
                outcomes[outcome] += 1
                if task_id is not None:
                    tasks.append(task_id)
                if outcome in {"waiting", "failed"}:
                    waiting.append(row.id)
        claimed += len(rows)
        for task_id in tasks:
            enqueue_task(task_id, queue)
        if len(rows) < settings.batch_size:
            break
    if claimed:
        logger.info("Follow-up sweep", extra={"claimed": claimed, **outcomes})
    return SweepResult(claimed=claimed, outcomes=dict(outcomes))


def _act_safely(session: Session, row: FollowupSchedule, now: datetime) -> tuple[str, UUID | None]:
    """One row's outcome; a row that cannot be handled is logged and left for the next run
    (in a savepoint, so it undoes only itself and never holds up the rest of the batch)."""
    try:
        with session.begin_nested():
            return _act(session, row, now)
    except Exception:
        logger.exception("Could not handle a due follow-up", extra={"followup_id": str(row.id)})
        return "failed", None


def _act(session: Session, row: FollowupSchedule, now: datetime) -> tuple[str, UUID | None]:
    agent = session.get(Agent, row.agent_id)
    assert agent is not None  # the row goes with its agent (ON DELETE CASCADE)
    verdict = review(session, row, agent, now)
    if isinstance(verdict, Stop):
        stop(row, verdict.reason)
        return "cancelled", None
    if isinstance(verdict, Wait):
        if verdict.until is None:
            return "waiting", None
        row.due_at = verdict.until
        return "rescheduled", None
    original = session.get(OutreachSent, row.sent_id)
    assert original is not None  # likewise ON DELETE CASCADE
    if row.attempt > followup_settings(agent).max_followups:
        escalate(session, row, agent, original)
        return "escalated", None
    event = thread_event(session, original)
    task_id = add_queued_task(
        session,
        user_id=row.user_id,
        agent_id=row.agent_id,
        task_type=TaskType.DRAFT_FOLLOWUP,
        task_input={"followup_id": str(row.id)},
        idempotency_key=draft_task_key(row),
        opportunity_id=event.id if event is not None else None,
    )
    row.status = FollowupStatus.DRAFTED
    row.task_id = task_id
    return "drafted", task_id
