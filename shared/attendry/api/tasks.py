"""Routes for assigning tasks to agents and following them."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Query

from attendry.api.auth import current_user_id
from attendry.api.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.api.responses import answers
from attendry.db.engine import read_connection, read_scope
from attendry.db.enums import TaskStatus
from attendry.schemas.common import Page
from attendry.schemas.tasks import Task, TaskCreate
from attendry.services import tasks

router = Router()

# Printable ASCII, as a header value carries safely; control characters (NUL, which no
# text column can store, among them) are refused naming the header.
IDEMPOTENCY_KEY_PATTERN = r"^[\x20-\x7e]+$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=255,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Repeat a request with the same key to get the same task back, once. "
        "Printable ASCII (a UUID, say), at most 255 characters.",
        examples=["assign-ada-2026-06-04"],
    ),
]


@router.post(
    "/agents/<agent_id>/tasks",
    summary="Assign a task to an agent (queued; 202)",
    tags=["tasks"],
    responses=answers(
        HTTPStatus.ACCEPTED,
        Task,
        "The task is stored and queued (or an idempotent repeat of it).",
        conflict="`conflict`: the agent is paused or of another type, or the "
        "Idempotency-Key was used for another request.",
    ),
)
def assign_task(
    agent_id: UUID, body: TaskCreate, idempotency_key: IdempotencyKey = None
) -> tuple[Task, int]:
    task = tasks.assign_task(
        current_user_id(router), agent_id, body, idempotency_key=idempotency_key
    )
    return Task.model_validate(task), HTTPStatus.ACCEPTED


@router.get("/agents/<agent_id>/tasks", summary="An agent's tasks, newest first", tags=["tasks"])
def list_agent_tasks(
    agent_id: UUID,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    status: Annotated[TaskStatus | None, Query()] = None,
) -> Page[Task]:
    with read_connection() as connection:
        rows, next_cursor = tasks.list_agent_tasks(
            connection, current_user_id(router), agent_id, limit=limit, cursor=cursor, status=status
        )
    return Page[Task].of(rows, next_cursor)


@router.get("/tasks/<task_id>", summary="A task's status, output and error", tags=["tasks"])
def get_task(task_id: UUID) -> Task:
    with read_scope() as session:
        return Task.model_validate(tasks.get_task(session, current_user_id(router), task_id))
