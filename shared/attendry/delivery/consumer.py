"""The SesEvents queue's consumer: each record's SES event applied, or parked when it cannot be.

With the database away a record comes back (the base's retry); a connection it broke is
invalidated so the next record of the batch opens a new one.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from sqlalchemy import Connection, Engine

from attendry.core.clock import Clock
from attendry.core.observability import logger
from attendry.db.engine import get_engine
from attendry.delivery.parsing import (
    MalformedSesEventError,
    QueuedNotification,
    read_queue_body,
)
from attendry.delivery.service import SesEventPolicies, SesEventResult, apply_sns_notification
from attendry.platform.queue import Acknowledge, Outcome, Park, QueueConsumer
from attendry.platform.sqs import SqsQueue


class SesEventsConsumer(QueueConsumer[QueuedNotification, SesEventResult]):
    """One SesEvents record: applied, or parked on the DLQ when it can never apply.

    Inside `invocation()` (the handler wraps each batch in it) the records share one
    database connection, each still in a transaction of its own: the pool's liveness
    check and checkout then cost once per batch instead of once per event.
    """

    what: ClassVar[str] = "Malformed SES event message"
    malformed: ClassVar[tuple[type[Exception], ...]] = (MalformedSesEventError,)

    def __init__(
        self,
        *,
        dead_letters: SqsQueue,
        engine: Engine | None = None,
        policies: SesEventPolicies,
        clock: Clock,
    ) -> None:
        super().__init__(dead_letters=dead_letters)
        self.engine = engine
        self.policies = policies
        self.clock = clock
        self._sharing = False
        self._connection: Connection | None = None

    @contextmanager
    def invocation(self) -> Iterator[None]:
        self._sharing = True
        try:
            yield
        finally:
            self._sharing = False
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _bind(self) -> Engine | Connection:
        """The shared connection, opened on first use (a record that finds the database
        away fails alone), and replaced once a failure has invalidated it."""
        engine = self.engine or get_engine()
        if not self._sharing:
            return engine
        if self._connection is not None and self._connection.invalidated:
            self._connection.close()
            self._connection = None
        if self._connection is None:
            self._connection = engine.connect()
        return self._connection

    def malformed_reason(self, error: Exception) -> str:
        return error.message if isinstance(error, MalformedSesEventError) else str(error)

    def parse(self, record: SQSRecord) -> QueuedNotification:
        logger.set_correlation_id(None)
        return read_queue_body(record)

    def handle(self, message: QueuedNotification, record: SQSRecord) -> Outcome[SesEventResult]:
        if message.message is None:
            logger.info(
                "SNS message that is not a notification acknowledged",
                extra={"sns_type": message.sns_type, "sns_message_id": message.key},
            )
            return Acknowledge()
        mail = message.message.get("mail")
        logger.set_correlation_id(mail.get("messageId") if isinstance(mail, dict) else None)
        try:
            return Acknowledge(
                apply_sns_notification(
                    message.key,
                    message.message,
                    self.clock(),
                    bind=self._bind(),
                    policies=self.policies,
                    clock=self.clock,
                )
            )
        except MalformedSesEventError as error:
            return Park(error.message)

    def database_down(self, error: Exception) -> None:
        if self._connection is not None:
            self._connection.invalidate()
