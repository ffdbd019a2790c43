"""The SesEvents queue's consumer: each record's SES event applied, or parked when it cannot be."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, NamedTuple

import psycopg
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

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
from attendry.delivery.settings import SesEventsSettings, ses_events_settings
from attendry.platform.queue import park_on_dead_letter_queue
from attendry.platform.sqs import SqsQueue

DATABASE_DOWN = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)
"""SQLAlchemy's wrapped errors, and psycopg's own from the statements run on its cursor."""
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


class SesEventsUnavailableError(Exception):
    """The database could not be reached: the record is reported failed and comes back."""


class SesEventsConsumer:
    """One SesEvents record: applied, or parked on the DLQ when it can never apply.

    Inside `invocation()` (the function wraps each batch in it) the records share one
    database connection, each still in a transaction of its own: the pool's liveness
    check and checkout then cost once per batch instead of once per event.
    """

    def __init__(
        self,
        *,
        dead_letters: SqsQueue | None = None,
        settings: SesEventsSettings | None = None,
        engine: Engine | None = None,
        policies: SesEventPolicies | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self._dead_letters = dead_letters
        self._settings = settings
        self.engine = engine
        self.policies = policies
        self.clock = clock
        self._sharing = False
        self._connection: Connection | None = None

    @property
    def dead_letters(self) -> SqsQueue:
        if self._dead_letters is None:
            settings = self._settings or ses_events_settings()
            self._dead_letters = SqsQueue(settings.dead_letter_queue_url())
        return self._dead_letters

    @contextmanager
    def invocation(self) -> Iterator["SesEventsConsumer"]:
        self._sharing = True
        try:
            yield self
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

    def __call__(self, record: SQSRecord) -> SesEventResult | None:
        logger.set_correlation_id(None)
        try:
            queued = read_queue_body(record)
            if queued.message is None:
                logger.info(
                    "SNS message that is not a notification acknowledged",
                    extra={"sns_type": queued.sns_type, "sns_message_id": queued.key},
                )
                return None
            mail = queued.message.get("mail")
            logger.set_correlation_id(mail.get("messageId") if isinstance(mail, dict) else None)
            return apply_sns_notification(
                queued.key,
                queued.message,
                self.clock(),
                bind=self._bind(),
                policies=self.policies,
            )
        except MalformedSesEventError as error:
            park_on_dead_letter_queue(
                self.dead_letters, record, error.message, what="Malformed SES event message"
            )
            return None
        except DATABASE_DOWN as error:
            logger.warning("Database unavailable; the SES event will come back")
            if self._connection is not None:
                self._connection.invalidate()
            raise SesEventsUnavailableError(str(error)) from error


@lru_cache(maxsize=1)
def default_consumer() -> SesEventsConsumer:
    """The function's consumer, built on first use so the environment is read then."""
    return SesEventsConsumer()
