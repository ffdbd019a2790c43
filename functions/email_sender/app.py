"""EmailSend SQS consumer: sends each approved draft through SES, reporting partial failures."""

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.followups.threads import ScheduledThreads
from attendry.platform.queue import logging_failures
from attendry.sending.consumer import RetryLaterError, SendMessageConsumer
from attendry.sending.service import Sender
from attendry.wiring import connect_features

connect_features()

# A batch where every record failed is still a partial response: each retry (or wait for
# SES's Send event) is already scheduled through the message's visibility.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def consumer() -> SendMessageConsumer:
    """Built on the first message, so importing the handler reads no AWS client."""
    return SendMessageConsumer(sender=Sender(threads=ScheduledThreads()))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=logging_failures(consumer(), planned=(RetryLaterError,)),
        processor=processor,
        context=context,
    )
