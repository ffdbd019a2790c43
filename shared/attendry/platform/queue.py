"""What every SQS consumer shares: failures logged before they are reported, poison parked.

Powertools' batch processor turns a record handler's exception into a batch item failure
without logging it, so without this a bug shows only as messages drifting to the DLQ.
A message that can never succeed (malformed) is parked on the dead-letter queue at once,
with the reason, instead of failing five times first and holding up its batch.
"""

from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from attendry.core.observability import logger
from attendry.platform.sqs import SqsQueue

MAX_REASON_CHARS = 1000

ResultT = TypeVar("ResultT")


def logging_failures(
    handler: Callable[[SQSRecord], ResultT], *, planned: tuple[type[Exception], ...]
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
