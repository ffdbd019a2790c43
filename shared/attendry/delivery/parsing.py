"""Reading an SES event record out of what either way in delivers: the SNS notification's
`Message`, or an SQS body holding its envelope or (raw message delivery) the record."""

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import ValidationError

from attendry.core.errors import DomainError
from attendry.delivery.schemas import SesEvent, SnsEnvelope, SnsMessageType

RAW_DELIVERY_KEY_PREFIX = "sqs:"


class MalformedSesEventError(DomainError):
    """Not an SES event record: the API answers 400, the queue consumer parks it on the DLQ."""

    code = "malformed_ses_event"


def parse_ses_event(message: Mapping[str, Any]) -> SesEvent:
    try:
        return SesEvent.model_validate(message)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        raise MalformedSesEventError(f"Not an SES event record: {problems}") from error


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
