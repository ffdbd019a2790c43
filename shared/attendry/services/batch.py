"""What every SQS consumer shares: an unexpected failure is logged before it is reported.

Powertools' batch processor turns a record handler's exception into a batch item failure
without logging it, so without this a bug shows only as messages drifting to the DLQ.
"""

from collections.abc import Callable
from typing import TypeVar

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from attendry.observability import logger

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
