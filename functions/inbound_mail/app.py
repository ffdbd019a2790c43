"""InboundMail SQS consumer: replies and mailto unsubscribes SES received, matched to threads."""

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
from attendry.platform.queue import logging_failures
from attendry.services.inbound_mail import default_consumer

processor = BatchProcessor(event_type=EventType.SQS)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=logging_failures(default_consumer(), planned=()),
        processor=processor,
        context=context,
    )
