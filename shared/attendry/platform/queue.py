"""What every SQS consumer shares: an outcome per record, one backoff, poison parked.

A consumer says what its record becomes (`Acknowledge`, `Retry`, `Park`) and this module
does it, the same way for every queue: a retry hides the message for its delay (or leaves
it to the queue's visibility timeout, after which SQS delivers it again or, on its last
receive, dead-letters it) and reports it failed; a park copies it to the dead-letter queue
with the reason and acknowledges it, so a message that can never succeed does not fail
five times first and hold up its batch. A body the record model refuses is such a message.

Powertools' batch processor turns a record handler's exception into a batch item failure
without logging it, so every exception but a planned retry is logged here first: without
that a bug shows only as messages drifting to the DLQ.
"""

import math
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import ClassVar, Generic, TypeVar

import psycopg
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from attendry.core.observability import logger
from attendry.platform.sqs import MAX_VISIBILITY_TIMEOUT_S, SqsQueue

MAX_REASON_CHARS = 1000

DATABASE_DOWN: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
"""The database could not be reached: SQLAlchemy's wrapped errors, and psycopg's own from
statements run on its cursor. Such a record is never the message's fault: it comes back."""

MessageT = TypeVar("MessageT")
ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class Acknowledge(Generic[ResultT]):
    """Done (or nothing to do): the message is deleted."""

    result: ResultT | None = None


@dataclass(frozen=True)
class Retry:
    """Deliver it again: after `after_s` seconds, or (None) after the queue's visibility
    timeout, which on the last receive lets SQS move it to the dead-letter queue."""

    reason: str
    after_s: int | None = None


@dataclass(frozen=True)
class Park:
    """It can never succeed: copied to the dead-letter queue with the reason, acknowledged."""

    reason: str


Outcome = Acknowledge[ResultT] | Retry | Park


class RetryLater(Exception):  # noqa: N818 - tells the batch processor: deliver this again
    """Reported as a batch item failure; the message reappears after its visibility."""


def backoff_s(receive_count: int, *, base_s: int, max_s: int, hint_s: float | None = None) -> int:
    """Exponential in the delivery count, jittered over its upper half, never under a hint."""
    ceiling = min(max_s, base_s * 2 ** max(0, receive_count - 1))
    delay = random.uniform(ceiling / 2, ceiling)
    if hint_s is not None:
        delay = max(delay, hint_s)
    return min(math.ceil(delay), MAX_VISIBILITY_TIMEOUT_S)


def receive_count(record: SQSRecord) -> int:
    """How many times SQS has delivered this message, this delivery included."""
    return int(record.attributes.approximate_receive_count or 1)


class QueueConsumer(ABC, Generic[MessageT, ResultT]):
    """One queue's records: `parse` reads the body, `handle` runs the use case on it.

    `malformed` are the exceptions of `parse` that mean the body can never be handled:
    such a record is parked, with `malformed_reason` of the error. `what` names the
    message kind in the log lines. `queue` (the one the records come from) is needed only
    by a consumer that retries after a delay of its own.
    """

    what: ClassVar[str] = "Queue message"
    malformed: ClassVar[tuple[type[Exception], ...]] = (ValueError,)

    def __init__(self, *, dead_letters: SqsQueue, queue: SqsQueue | None = None) -> None:
        self.queue = queue
        self.dead_letters = dead_letters

    @abstractmethod
    def parse(self, record: SQSRecord) -> MessageT:
        """The record's message; raises one of `malformed` when there is none."""

    @abstractmethod
    def handle(self, message: MessageT, record: SQSRecord) -> Outcome[ResultT]:
        """What the record becomes once its message is acted on."""

    def malformed_reason(self, error: Exception) -> str:
        return str(error)

    def database_down(self, error: Exception) -> None:
        """Called when `handle` found the database away, before the record is retried."""

    @contextmanager
    def invocation(self) -> Iterator[None]:
        """Wraps one batch: a consumer may hold what its records share for that long."""
        yield

    def __call__(self, record: SQSRecord) -> ResultT | None:
        """One record: returns to acknowledge it, raises to report it failed."""
        try:
            message = self.parse(record)
        except self.malformed as error:
            return self.settle(record, Park(self.malformed_reason(error)))
        try:
            outcome = self.handle(message, record)
        except DATABASE_DOWN as error:
            logger.warning(
                "Database unavailable; the message will come back",
                extra={"message_id": record.message_id},
            )
            self.database_down(error)
            outcome = Retry(str(error))
        return self.settle(record, outcome)

    def settle(self, record: SQSRecord, outcome: Outcome[ResultT]) -> ResultT | None:
        """Do what `outcome` says to `record`."""
        if isinstance(outcome, Park):
            park_on_dead_letter_queue(self.dead_letters, record, outcome.reason, what=self.what)
            return None
        if isinstance(outcome, Retry):
            if outcome.after_s is not None:
                self._hide(record, outcome.after_s)
            raise RetryLater(outcome.reason)
        return outcome.result

    def _hide(self, record: SQSRecord, seconds: int) -> None:
        if self.queue is None:
            raise TypeError(f"{type(self).__name__} retries after a delay but has no queue")
        # Best effort: the record is reported failed either way, and only comes back sooner.
        try:
            self.queue.change_visibility(record.receipt_handle, seconds)
        except Exception:
            logger.exception("Could not delay the message; it returns after its visibility timeout")


def logging_failures(
    handler: Callable[[SQSRecord], ResultT], *, planned: tuple[type[Exception], ...] = (RetryLater,)
) -> Callable[[SQSRecord], ResultT]:
    """`handler`, with every exception but the `planned` retry signals logged with its trace."""

    def handle(record: SQSRecord) -> ResultT:
        try:
            return handler(record)
        except planned:
            raise
        except Exception:
            logger.exception("Queue message failed", extra={"message_id": record.message_id})
            raise

    return handle


def park_on_dead_letter_queue(
    dead_letters: SqsQueue, record: SQSRecord, reason: str, *, what: str = "Queue message"
) -> None:
    """Copy `record` to `dead_letters` with the reason and where it came from; the caller
    then acknowledges it. `what` names the message kind in the log line."""
    logger.error(
        f"{what} parked on the dead-letter queue",
        extra={"message_id": record.message_id, "reason": reason[:500]},
    )
    dead_letters.send_text(
        record.body,
        attributes={
            "reason": reason[:MAX_REASON_CHARS],
            "source_message_id": record.message_id,
            "source_queue_arn": record.event_source_arn,
        },
    )
