"""The re-drive: every queued task is carried by a queue message, or it fails in the end.

A task is committed before it is enqueued, so the gap (committed, never enqueued: SQS
down, a crash between the two; or an attempt that died after its message was
acknowledged) is closed here, by a schedule every few minutes.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import TaskStatus
from attendry.db.models import AgentTask
from attendry.platform.sqs import SqsQueue
from attendry.tasks.failures import fail_task
from attendry.tasks.service import enqueue_task
from attendry.tasks.settings import TaskSettings


@dataclass(frozen=True)
class Redrive:
    """What one re-drive pass did."""

    enqueued: int
    abandoned: int


def redrive_queued_tasks(now: datetime, *, settings: TaskSettings, queue: SqsQueue) -> Redrive:
    """Enqueue again the tasks no message is carrying any more; safe to run concurrently.

    Two kinds: `queued` tasks untouched for the grace period (never enqueued, or their
    message was lost), and `in_progress` tasks whose attempt died (its claim lease passed)
    after their message was acknowledged as a duplicate or exhausted. A dead task that
    has used all its attempts fails instead. Each pass takes a bounded batch, skipping rows
    another pass holds, and stamps `scheduled_for` so the next pass leaves them alone for
    the grace period.
    """
    grace = timedelta(seconds=settings.redrive_grace_s)
    lease = timedelta(seconds=settings.claim_lease_s)
    with session_scope() as session:
        rows = session.execute(
            select(AgentTask.id, AgentTask.status, AgentTask.attempts)
            .where(
                or_(
                    and_(
                        AgentTask.status == TaskStatus.QUEUED,
                        func.coalesce(AgentTask.scheduled_for, AgentTask.updated_at) <= now - grace,
                    ),
                    and_(
                        AgentTask.status == TaskStatus.IN_PROGRESS,
                        AgentTask.started_at <= now - lease - grace,
                    ),
                )
            )
            .order_by(AgentTask.created_at)
            .limit(settings.redrive_batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        exhausted = [
            row.id
            for row in rows
            if row.status is TaskStatus.IN_PROGRESS and row.attempts >= settings.max_receive_count
        ]
        again = [row.id for row in rows if row.id not in exhausted]
        if again:
            session.execute(
                update(AgentTask)
                .where(AgentTask.id.in_(again))
                .values(status=TaskStatus.QUEUED, scheduled_for=now)
                .execution_options(synchronize_session=False)
            )
        for task in session.scalars(select(AgentTask).where(AgentTask.id.in_(exhausted))):
            fail_task(
                session,
                task,
                code="worker_lost",
                message=f"The agent stopped responding on each of {task.attempts} attempts.",
            )
    if not again:
        return Redrive(enqueued=0, abandoned=len(exhausted))
    enqueued = sum(enqueue_task(task_id, queue) for task_id in again)
    logger.info("Re-drove tasks", extra={"enqueued": enqueued, "abandoned": len(exhausted)})
    return Redrive(enqueued=enqueued, abandoned=len(exhausted))
