"""SesEvents SQS consumer: applies SES events (SNS envelopes) to sent messages, partially."""

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
from attendry.delivery.consumer import SesEventsUnavailableError, default_consumer
from attendry.platform.queue import logging_failures
from attendry.wiring import connect_features

connect_features()

# With the database away every record fails; that is still a partial response, and each
# record comes back after its visibility timeout.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    with default_consumer().invocation() as consumer:
        return process_partial_response(
            event=event,
            record_handler=logging_failures(consumer, planned=(SesEventsUnavailableError,)),
            processor=processor,
            context=context,
        )
