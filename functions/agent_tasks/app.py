"""AgentTasks SQS consumer: runs each queued task's agent, reporting partial batch failures."""

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
from attendry.platform.queue import logging_failures
from attendry.tasks.runner import GaveUp, RetryLater, TaskRunner, runner_from_environment
from attendry.wiring import TASK_HANDLERS, connect_features

connect_features()

# A batch where every record failed is still a partial response: each item's retry is
# already scheduled through its visibility, so the invocation itself must not fail.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@cache
def runner() -> TaskRunner:
    """Built on the first message, so importing the handler reads no AWS client."""
    return runner_from_environment(TASK_HANDLERS)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event,
        record_handler=logging_failures(runner().handle_record, planned=(RetryLater, GaveUp)),
        processor=processor,
        context=context,
    )
