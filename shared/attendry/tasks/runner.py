"""The agent-task worker: claim a task, run its agent, record the outcome, retry with care.

At-least-once delivery meets exactly-once work here. A task is claimed by one
conditional UPDATE (`queued` -> `in_progress`, or a dead attempt's expired claim), and
its results are kept only together with the completion of that same attempt, so a
duplicate or late message never does the work twice.

Failures come in three kinds:
- permanent (bad input, over budget, the LLM refusing): the task fails, the message is
  done;
- transient (LLM 429/5xx, database unreachable, anything unexpected): the task goes back
  to `queued`, the message is hidden for an exponential, jittered delay and reported
  failed so SQS delivers it again; on its last delivery the task fails with a readable
  error and the message goes on to the dead-letter queue;
- malformed (not JSON, no task id, unknown task): parked on the dead-letter queue with
  the reason at once, never blocking the rest of its batch.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.core.errors import DomainError
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import TaskStatus, TaskType
from attendry.db.models import AgentTask
from attendry.drafting import LlmError, LlmRateLimited, drafter_from_settings
from attendry.platform.queue import (
    DATABASE_DOWN,
    Acknowledge,
    Park,
    QueueConsumer,
    Retry,
    backoff_s,
    receive_count,
)
from attendry.platform.queue import Outcome as QueueOutcome
from attendry.platform.sqs import SqsQueue
from attendry.tasks.failures import fail_task
from attendry.tasks.runtime import (
    AgentRuntime,
    LostClaim,
    TaskHandler,
    llm_settings_from_environment,
    record_usage,
    run_task,
    update_held_task,
)
from attendry.tasks.service import CORRELATION_ID_ATTRIBUTE
from attendry.tasks.settings import TaskSettings, TaskWorkerSettings
from attendry.usage.settings import llm_limit_settings


class TaskMessage(BaseModel):
    """The AgentTasks message body: only the task's id, the database holds the rest."""

    model_config = ConfigDict(extra="ignore")

    task_id: UUID


class Outcome(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"
    UNKNOWN_TASK = "unknown_task"
    RETRY = "retry"
    GAVE_UP = "gave_up"


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    retry_in_s: int = 0
    reason: str | None = None


def retry_delay_s(receive_count: int, settings: TaskSettings, hint_s: float | None = None) -> int:
    """The queue's one backoff, over the worker's delays, never under a rate limit's hint."""
    return backoff_s(
        receive_count,
        base_s=settings.retry_base_delay_s,
        max_s=settings.retry_max_delay_s,
        hint_s=hint_s,
    )


def claim_task(task_id: UUID, lease_s: int) -> AgentTask | TaskStatus | None:
    """This attempt's claim on the task, else the status that refused it (None: no task)."""
    lease = timedelta(seconds=lease_s)
    with session_scope() as session:
        claimed = session.scalars(
            update(AgentTask)
            .where(
                AgentTask.id == task_id,
                or_(
                    AgentTask.status == TaskStatus.QUEUED,
                    and_(
                        AgentTask.status == TaskStatus.IN_PROGRESS,
                        AgentTask.started_at < func.now() - lease,
                    ),
                ),
            )
            .values(
                status=TaskStatus.IN_PROGRESS,
                attempts=AgentTask.attempts + 1,
                started_at=func.now(),
            )
            .returning(AgentTask)
        ).one_or_none()
        if claimed is not None:
            return claimed
        return session.scalar(select(AgentTask.status).where(AgentTask.id == task_id))


def _error_code(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return error.code
    if isinstance(error, DATABASE_DOWN):
        return "database_unavailable"
    return "internal_error"


def _describe(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return error.message
    if isinstance(error, DATABASE_DOWN):
        return "the database could not be reached"
    return f"an unexpected error ({type(error).__name__})"


def _is_permanent(error: BaseException) -> bool:
    return isinstance(error, DomainError) and not getattr(error, "retryable", False)


class TaskRunner(QueueConsumer[TaskMessage, None]):
    """Runs AgentTasks messages; every collaborator can be passed in."""

    what: ClassVar[str] = "Task message"
    malformed: ClassVar[tuple[type[Exception], ...]] = (ValidationError,)

    def __init__(
        self,
        *,
        settings: TaskSettings,
        runtime: AgentRuntime,
        queue: SqsQueue,
        dead_letters: SqsQueue,
        handlers: Mapping[TaskType, TaskHandler],
    ) -> None:
        super().__init__(queue=queue, dead_letters=dead_letters)
        self.settings = settings
        self.runtime = runtime
        self.handlers = handlers

    def parse(self, record: SQSRecord) -> TaskMessage:
        # Indexing, not .get(): Powertools wraps attributes only on item access.
        correlation_id = record.message_attributes[CORRELATION_ID_ATTRIBUTE]
        logger.set_correlation_id(correlation_id.string_value if correlation_id else None)
        return TaskMessage.model_validate_json(record.body)

    def malformed_reason(self, error: Exception) -> str:
        kinds = {e["type"] for e in error.errors()} if isinstance(error, ValidationError) else set()
        return "the body is not JSON" if "json_invalid" in kinds else "no valid task_id"

    def handle(self, message: TaskMessage, record: SQSRecord) -> QueueOutcome[None]:
        result = self.run(message.task_id, receive_count=receive_count(record))
        logger.info(
            "Task message handled",
            extra={"task_id": str(message.task_id), "outcome": result.outcome.value},
        )
        if result.outcome is Outcome.UNKNOWN_TASK:
            return Park(f"unknown task {message.task_id}")
        if result.outcome is Outcome.RETRY:
            return Retry(result.reason or "", result.retry_in_s)
        if result.outcome is Outcome.GAVE_UP:
            # Left to the visibility timeout: on this last receive SQS dead-letters it.
            return Retry(result.reason or "")
        return Acknowledge()

    def run(self, task_id: UUID, *, receive_count: int) -> RunResult:
        """Claim and run one task; the result says what the message should become."""
        last_attempt = receive_count >= self.settings.max_receive_count
        try:
            claim = claim_task(task_id, self.settings.claim_lease_s)
        except DATABASE_DOWN as error:
            logger.warning("Could not claim the task", extra={"task_id": str(task_id)})
            return self._retry_result(None, error, receive_count, last_attempt)
        if claim is None:
            return RunResult(Outcome.UNKNOWN_TASK)
        if not isinstance(claim, AgentTask):
            return RunResult(Outcome.SKIPPED, reason=f"task is {claim.value}")
        task = claim
        try:
            run_task(task, self.runtime, self.handlers)
        except LostClaim:
            return RunResult(Outcome.SKIPPED, reason="another attempt took the task over")
        except Exception as error:
            if _is_permanent(error):
                logger.info(
                    "Task failed",
                    extra={"task_id": str(task.id), "error_code": _error_code(error)},
                )
                self._settle(task, error, fail_with=_describe(error))
                return RunResult(Outcome.FAILED, reason=_describe(error))
            if not isinstance(error, (LlmError, *DATABASE_DOWN)):
                logger.exception("Task attempt crashed", extra={"task_id": str(task.id)})
            return self._retry_result(task, error, receive_count, last_attempt)
        return RunResult(Outcome.COMPLETED)

    def _retry_result(
        self, task: AgentTask | None, error: Exception, receive_count: int, last_attempt: bool
    ) -> RunResult:
        reason = _describe(error)
        if last_attempt:
            message = f"Gave up after {receive_count} attempts: {reason}"
            if task is not None:
                self._settle(task, error, fail_with=message)
            return RunResult(Outcome.GAVE_UP, reason=message)
        hint = error.retry_after_s if isinstance(error, LlmRateLimited) else None
        delay = retry_delay_s(receive_count, self.settings, hint)
        if task is not None:
            self._settle(task, error, retry_in_s=delay, reason=reason)
        return RunResult(Outcome.RETRY, retry_in_s=delay, reason=reason)

    def _settle(
        self,
        task: AgentTask,
        error: Exception,
        *,
        fail_with: str | None = None,
        retry_in_s: int = 0,
        reason: str = "",
    ) -> None:
        """Fail the task or put it back in the queue, keeping what the LLM billed.

        Best effort: with the database down this cannot be written, and the claim lease
        (then the re-drive) brings the task back instead.
        """
        usage = error.usage if isinstance(error, LlmError) else None
        try:
            with session_scope() as session:
                if usage is not None and usage.calls > 0:
                    record_usage(session, task, usage, self.runtime.prices)
                if fail_with is not None:
                    fail_task(session, task, code=_error_code(error), message=fail_with)
                else:
                    _requeue(session, task, retry_in_s, reason)
        except DATABASE_DOWN:
            logger.warning(
                "Could not record the task's outcome; its claim will expire",
                extra={"task_id": str(task.id)},
            )


def _requeue(session: Session, task: AgentTask, retry_in_s: int, reason: str) -> None:
    session.execute(
        update_held_task(task).values(
            status=TaskStatus.QUEUED,
            scheduled_for=func.now() + timedelta(seconds=retry_in_s),
            error=f"Attempt {task.attempts} failed, retrying in {retry_in_s} s: {reason}",
        )
    )


def runner_from_settings(
    settings: TaskWorkerSettings, handlers: Mapping[TaskType, TaskHandler]
) -> TaskRunner:
    """The worker's runner, running each task type with its handler (the agent function
    wires which feature handles which type)."""
    prices = llm_settings_from_environment(settings)
    runtime = AgentRuntime(
        drafter=drafter_from_settings(prices),
        prices=prices,
        limits=llm_limit_settings(),
        clock=system_clock,
    )
    return TaskRunner(
        settings=settings,
        runtime=runtime,
        queue=SqsQueue(settings.agent_tasks_queue_url),
        dead_letters=SqsQueue(settings.agent_tasks_dlq_url),
        handlers=handlers,
    )
