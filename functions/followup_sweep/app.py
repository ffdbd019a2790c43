"""Scheduled follow-up sweep: drafts (or escalates, or stops) every follow-up now due."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.services.followup_sweep import sweep_followups


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The schedule's `time` is "now", so a run can be replayed for any moment."""
    now = EventBridgeModel.model_validate(event).time
    done = sweep_followups(now)
    return {"claimed": done.claimed, **done.outcomes}
