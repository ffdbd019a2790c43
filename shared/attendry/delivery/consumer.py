"""The SesEvents queue's consumer: each record's SES event applied, or parked when it cannot be.

With the database away a record comes back (the base's retry); a connection it broke is
invalidated so the next record of the batch opens a new one.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, NamedTuple

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError
from sqlalchemy import Connection, Engine

from attendry.core.observability import logger
from attendry.db.engine import get_engine
from attendry.delivery.schemas import SnsEnvelope, SnsMessageType
from attendry.delivery.service import (
    Clock,
    MalformedSesEventError,
    SesEventPolicies,
    SesEventResult,
    _utc_now,
    apply_sns_notification,
)
from attendry.platform.queue import Acknowledge, Outcome, Park, QueueConsumer
from attendry.platform.sqs import SqsQueue

RAW_DELIVERY_KEY_PREFIX = "sqs:"


class QueuedNotification(NamedTuple):
    key: str
    """The SNS message id, or (raw message delivery) the SQS message id, prefixed."""
    message: dict[str, Any] | None
    """The SES event record; None for an SNS message that is not a notification."""
    sns_type: str


def read_queue_body(record: SQSRecord) -> QueuedNotification:
    """An SQS body as SNS put it there: its JSON envelope, or (with raw message delivery on)
    the SES event record itself, keyed then by the SQS message id, which a redelivery keeps."""
    try:
        body = json.loads(record.body)
    except ValueError as error:
        raise MalformedSesEventError(f"The body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise MalformedSesEventError("The body is not a JSON object.")
    if "Type" not in body:
        return QueuedNotification(
            RAW_DELIVERY_KEY_PREFIX + record.message_id, body, SnsMessageType.NOTIFICATION
        )
    try:
        envelope = SnsEnvelope.model_validate(body)
    except ValidationError as error:
        raise MalformedSesEventError(f"Not an SNS message: {error.errors()[0]['msg']}") from error
    if envelope.type != SnsMessageType.NOTIFICATION:
        return QueuedNotification(envelope.message_id, None, envelope.type)
    try:
        message = json.loads(envelope.message)
    except ValueError as error:
        raise MalformedSesEventError("The notification's Message is not JSON.") from error
    if not isinstance(message, dict):
        raise MalformedSesEventError("The notification's Message is not a JSON object.")
    return QueuedNotification(envelope.message_id, message, envelope.type)


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
        policies: SesEventPolicies | None = None,
        clock: Clock = _utc_now,
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
                )
            )
        except MalformedSesEventError as error:
            return Park(error.message)

    def database_down(self, error: Exception) -> None:
        if self._connection is not None:
            self._connection.invalidate()
