"""The Lambda handlers of the functions, built once here so no `app.py` copies another.

A function's `app.py` reads its settings at cold start (a missing variable fails it, by
name) and hands one of these what to run. An SQS consumer is built on the first batch, so
importing the handler reads no AWS client (boto3 alone costs ~200 ms to import).
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.platform.queue import QueueConsumer, logging_failures

SqsHandler = Callable[[dict[str, Any], LambdaContext], PartialItemFailureResponse]
ScheduledHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def sqs_batch_handler(
    build: Callable[[], QueueConsumer[Any, Any]], *, raise_on_entire_batch_failure: bool
) -> SqsHandler:
    """The handler running each record through the consumer `build` returns (built once).

    `raise_on_entire_batch_failure=False` where a batch whose every record failed is
    still a partial response: each record's retry is already scheduled (its visibility).
    """
    processor = BatchProcessor(
        event_type=EventType.SQS, raise_on_entire_batch_failure=raise_on_entire_batch_failure
    )
    built: list[QueueConsumer[Any, Any]] = []

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
        if not built:
            built.append(build())
        consumer = built[0]
        with consumer.invocation():
            return process_partial_response(
                event=event,
                record_handler=logging_failures(consumer),
                processor=processor,
                context=context,
            )

    return lambda_handler


def scheduled_handler(run: Callable[[datetime], dict[str, Any]]) -> ScheduledHandler:
    """The handler of a scheduled function: `run` at the schedule's `time`.

    The event's `time` is "now", so a run can be replayed for any moment.
    """

    @logger.inject_lambda_context
    @metrics.log_metrics
    @tracer.capture_lambda_handler
    def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return run(EventBridgeModel.model_validate(event).time)

    return lambda_handler
