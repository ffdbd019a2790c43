"""Assigning tasks to agents and keeping every queued task on the AgentTasks queue.

A task is committed before it is enqueued, so the queue never carries a task the
database does not know. The reverse gap (committed, never enqueued: SQS down, a crash
between the two) is closed by `services.task_redrive`, which a schedule runs every few
minutes; a message sent twice is harmless because the worker claims a task only once.
"""

import hashlib
import json
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import Connection, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.core.errors import ConflictError, InvalidInputError, NotFoundError
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import AgentStatus, AgentType, TaskStatus, TaskType
from attendry.db.models import Agent, AgentTask, Contact, Opportunity
from attendry.db.owned import get_owned, list_owned, require_owned
from attendry.db.pagination import KeysetPage
from attendry.platform.sqs import SqsQueue
from attendry.tasks.schemas import TaskCreate
from attendry.tasks.settings import task_settings

NOUN = "Task"
AGENT_FOR_TASK = {TaskType.DRAFT_OUTREACH: AgentType.OUTREACH}

CORRELATION_ID_ATTRIBUTE = "correlation_id"
"""Message attribute carrying the request's correlation id, so the worker logs under it."""

InputRow = TypeVar("InputRow", Contact, Opportunity)


def agent_tasks_queue() -> SqsQueue:
    """The AgentTasks queue of the process's settings: where the API's assignments and the
    planning pass queue tasks (the worker, the sweep and the re-drive get theirs from
    their cold start)."""
    return SqsQueue(task_settings().queue_url())


def request_hash(agent_id: UUID, request: TaskCreate) -> str:
    """The request as it will run (defaults filled in), so equal requests hash equal."""
    canonical = json.dumps(
        {"agent_id": str(agent_id), **request.model_dump(mode="json")},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def assign_task(
    user_id: str,
    agent_id: UUID,
    request: TaskCreate,
    *,
    idempotency_key: str | None = None,
    queue: SqsQueue | None = None,
) -> AgentTask:
    """Store the task (or find the one this idempotency key made) and enqueue a new one."""
    with session_scope() as session:
        task, created = store_task(
            session, user_id, agent_id, request, idempotency_key=idempotency_key
        )
    if created:
        enqueue_task(task.id, queue)
    return task


def store_task(
    session: Session,
    user_id: str,
    agent_id: UUID,
    request: TaskCreate,
    *,
    idempotency_key: str | None,
) -> tuple[AgentTask, bool]:
    """The task, and whether this call created it (False: an idempotent repeat)."""
    digest = request_hash(agent_id, request)
    if idempotency_key is not None:
        earlier = _task_with_key(session, user_id, idempotency_key)
        if earlier is not None:
            return _repeat(earlier, digest), False
    agent = get_owned(session, Agent, user_id, agent_id, noun="Agent")
    _refuse_unfit_agent(agent, TaskType(request.task_type))
    contact = _owned_input(session, Contact, user_id, request.input.contact_id, "contact_id")
    opportunity_id = request.input.opportunity_id
    if opportunity_id is not None:
        _owned_input(session, Opportunity, user_id, opportunity_id, "opportunity_id")
    values: dict[str, Any] = {
        "user_id": user_id,
        "agent_id": agent.id,
        "opportunity_id": opportunity_id or contact.opportunity_id,
        "task_type": TaskType(request.task_type),
        "status": TaskStatus.QUEUED,
        "input": request.input.model_dump(mode="json"),
        "idempotency_key": idempotency_key,
        "request_hash": digest,
    }
    if idempotency_key is None:
        task = AgentTask(**values)
        session.add(task)
        session.flush()
        session.refresh(task)
        return task, True
    inserted = session.scalars(
        insert(AgentTask)
        .values(**values)
        .on_conflict_do_nothing(
            index_elements=[AgentTask.user_id, AgentTask.idempotency_key],
            index_where=AgentTask.idempotency_key.is_not(None),
        )
        .returning(AgentTask)
    ).one_or_none()
    if inserted is not None:
        return inserted, True
    # A concurrent request with the same key committed first; ours waited for it, so the
    # row is visible now.
    earlier = _task_with_key(session, user_id, idempotency_key)
    assert earlier is not None
    return _repeat(earlier, digest), False


def add_queued_task(
    session: Session,
    *,
    user_id: str,
    agent_id: UUID,
    task_type: TaskType,
    task_input: dict[str, Any],
    idempotency_key: str,
    opportunity_id: UUID | None = None,
) -> UUID:
    """A task the system itself queues for an agent (a message's receiver, a due follow-up);
    its key names what it is for. The caller enqueues it once the transaction commits."""
    task = AgentTask(
        user_id=user_id,
        agent_id=agent_id,
        opportunity_id=opportunity_id,
        task_type=task_type,
        status=TaskStatus.QUEUED,
        input=task_input,
        idempotency_key=idempotency_key,
    )
    session.add(task)
    session.flush()
    return task.id


def _task_with_key(session: Session, user_id: str, key: str) -> AgentTask | None:
    return session.scalars(
        select(AgentTask).where(AgentTask.user_id == user_id, AgentTask.idempotency_key == key)
    ).one_or_none()


def _repeat(earlier: AgentTask, digest: str) -> AgentTask:
    if earlier.request_hash != digest:
        raise ConflictError(
            "This Idempotency-Key was already used for a different request; use a new key "
            "for a new task.",
            details=[{"field": "header.idempotency-key", "message": "reused for another body"}],
        )
    return earlier


def _refuse_unfit_agent(agent: Agent, task_type: TaskType) -> None:
    needed = AGENT_FOR_TASK[task_type]
    if agent.agent_type is not needed:
        raise ConflictError(
            f"Agent {agent.name!r} is a {agent.agent_type.value} agent; {task_type.value} "
            f"tasks need a {needed.value} agent.",
            details=[{"message": "wrong agent type", "type": "wrong_agent_type"}],
        )
    if agent.status is AgentStatus.PAUSED:
        raise ConflictError(
            f"Agent {agent.name!r} is paused; resume it before assigning tasks.",
            details=[{"message": "agent is paused", "type": "agent_paused"}],
        )


def _owned_input(
    session: Session, model: type[InputRow], user_id: str, row_id: UUID, field: str
) -> InputRow:
    """An id in the body names a row of the user's, or the body is invalid (422, not 404)."""
    try:
        return get_owned(session, model, user_id, row_id, noun=model.__name__)
    except NotFoundError as error:
        raise InvalidInputError(
            error.message,
            details=[{"field": f"body.input.{field}", "message": f"no such {model.__name__}"}],
        ) from error


def enqueue_task(task_id: UUID, queue: SqsQueue | None = None) -> bool:
    """Best effort, after the commit: a task that could not be enqueued is re-driven later."""
    try:
        correlation_id = logger.get_correlation_id()
        (queue or agent_tasks_queue()).send_json(
            {"task_id": str(task_id)},
            # SQS refuses empty attribute values; a re-drive has no request to correlate.
            attributes={CORRELATION_ID_ATTRIBUTE: correlation_id} if correlation_id else {},
        )
    except Exception:
        logger.exception(
            "Could not enqueue the task; the re-drive will", extra={"task_id": str(task_id)}
        )
        return False
    return True


def get_task(session: Session, user_id: str, task_id: UUID) -> AgentTask:
    return get_owned(session, AgentTask, user_id, task_id, noun=NOUN)


def list_agent_tasks(
    connection: Connection,
    user_id: str,
    agent_id: UUID,
    *,
    limit: int,
    cursor: str | None,
    status: TaskStatus | None = None,
) -> KeysetPage:
    require_owned(connection, Agent, user_id, agent_id, noun="Agent")
    return list_owned(
        connection,
        AgentTask,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=((AgentTask.agent_id, agent_id), (AgentTask.status, status)),
    )
