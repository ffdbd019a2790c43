"""AgentTasks SQS consumer: runs each queued task's agent, reporting partial batch failures."""

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
from attendry.services.task_runner import GaveUp, RetryLater, default_runner

# A batch where every record failed is still a partial response: each item's retry is
# already scheduled through its visibility, so the invocation itself must not fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=logging_failures(
            default_runner().handle_record, planned=(RetryLater, GaveUp)
        ),
        processor=processor,
        context=context,
    )
