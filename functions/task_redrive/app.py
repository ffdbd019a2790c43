"""Scheduled re-drive: enqueues again the agent tasks that no queue message carries."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.services.task_redrive import redrive_queued_tasks


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """The schedule's `time` is "now", so a run can be replayed for any moment."""
    now = EventBridgeModel.model_validate(event).time
    done = redrive_queued_tasks(now)
    return {"enqueued": done.enqueued, "abandoned": done.abandoned}
