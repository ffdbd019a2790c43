"""The scheduled re-drive: a task committed but never enqueued is enqueued, once."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from attendry.db.engine import session_scope
from attendry.db.enums import TaskStatus
from attendry.db.models import AgentTask
from tests.fixtures.agent_tasks import (
    MAX_RECEIVE_COUNT,
    Handler,
    Queues,
    World,
    make_world,
    queue_task,
    scheduled_event,
)


@pytest.fixture
def world(worker_env: pytest.MonkeyPatch) -> World:
    return make_world(f"user-{uuid.uuid4()}")


def age(task_id: uuid.UUID, *, minutes: int, **values: object) -> None:
    """Pretend the task was last touched `minutes` ago (and set any other column)."""
    then = datetime.now(UTC) - timedelta(minutes=minutes)
    with session_scope() as session:
        session.execute(
            update(AgentTask).where(AgentTask.id == task_id).values(updated_at=then, **values)
        )


def status(task_id: uuid.UUID) -> tuple[TaskStatus, str | None]:
    with session_scope() as session:
        task = session.get(AgentTask, task_id)
        assert task is not None
        return task.status, task.error


def test_an_old_queued_task_is_enqueued_once_and_a_fresh_one_is_left_alone(
    world: World, queues: Queues, task_redrive_handler: Handler
) -> None:
    # Given a queued task nobody enqueued ten minutes ago, and one queued just now
    forgotten, fresh = queue_task(world), queue_task(world)
    age(forgotten, minutes=10)
    now = datetime.now(UTC)

    # When the schedule fires twice at the same moment
    task_redrive_handler(scheduled_event(now))
    after_first = queues.drain()
    task_redrive_handler(scheduled_event(now))
    after_second = queues.drain()

    # Then the forgotten task was enqueued by the first run only, and the fresh one never
    # (other tests' tasks may be old enough to be re-driven too: only ours are counted)
    assert after_first.count(str(forgotten)) == 1
    assert str(fresh) not in after_first + after_second
    assert str(forgotten) not in after_second
    assert status(forgotten) == (TaskStatus.QUEUED, None)


def test_a_task_whose_attempt_died_is_queued_again_or_failed_when_out_of_attempts(
    world: World, queues: Queues, task_redrive_handler: Handler
) -> None:
    # Given two tasks claimed long ago by attempts that never finished
    retryable, exhausted = queue_task(world), queue_task(world)
    long_ago = datetime.now(UTC) - timedelta(minutes=30)
    age(retryable, minutes=30, status=TaskStatus.IN_PROGRESS, attempts=2, started_at=long_ago)
    age(
        exhausted,
        minutes=30,
        status=TaskStatus.IN_PROGRESS,
        attempts=MAX_RECEIVE_COUNT,
        started_at=long_ago,
    )

    # When the re-drive runs
    task_redrive_handler(scheduled_event(datetime.now(UTC)))

    # Then the one with attempts left is queued and enqueued again; the other failed
    ids = queues.drain()
    assert status(retryable) == (TaskStatus.QUEUED, None)
    assert str(retryable) in ids
    state, error = status(exhausted)
    assert state is TaskStatus.FAILED
    assert error == f"The agent stopped responding on each of {MAX_RECEIVE_COUNT} attempts."
    assert str(exhausted) not in ids
