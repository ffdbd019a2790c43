"""Scheduled re-drive: queues again the approved email drafts that no message carries."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.services.drafts import redrive_approved_drafts


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """The schedule's `time` is "now", so a run can be replayed for any moment."""
    now = EventBridgeModel.model_validate(event).time
    return {"enqueued": redrive_approved_drafts(now)}
