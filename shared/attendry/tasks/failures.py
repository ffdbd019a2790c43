"""Failing an agent task: the row, the user's notification, and the `TaskFailed` event
that gives back what waited on the task (a follow-up waiting for its draft)."""

from sqlalchemy import func
from sqlalchemy.orm import Session

from attendry.db.enums import TaskStatus
from attendry.db.models import AgentTask
from attendry.notifications.service import notify
from attendry.platform.domain_events import TaskFailed, publish
from attendry.tasks.runtime import update_held_task
from attendry.tasks.schemas import ERROR_CODE_KEY


def fail_task(session: Session, task: AgentTask, *, code: str, message: str) -> bool:
    """Fail the task if `task.attempts` still holds it, tell the user, and give back what
    waited on it (a follow-up waiting for its draft); False if the attempt lost the task."""
    failed = session.execute(
        update_held_task(task).values(
            status=TaskStatus.FAILED,
            error=message,
            output={ERROR_CODE_KEY: code},
            completed_at=func.now(),
        )
    )
    if failed.rowcount == 0:  # type: ignore[attr-defined]
        return False
    notify(
        session,
        task.user_id,
        "task.failed",
        {
            "task_id": str(task.id),
            "agent_id": str(task.agent_id),
            "task_type": task.task_type.value,
            "error_code": code,
            "error": message,
        },
    )
    publish(session, TaskFailed(task))
    return True
