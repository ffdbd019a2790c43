"""Scheduled Planning agent pass: delegates the recommended events of users who let it."""

from typing import Any

from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger, metrics
from attendry.core.tracing import tracer
from attendry.services.planning_pass import planning_pass


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """The schedule's `time` is "now", so a run can be replayed for any moment."""
    now = EventBridgeModel.model_validate(event).time
    done = planning_pass(now)
    return {"users": done.users, "events": done.events, "tasks": done.tasks}
