"""API Gateway HTTP API entry point: every route of the public API."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.api.app import handle
from attendry.core.config import api_settings
from attendry.core.observability import logger, metrics
from attendry.email.settings import email_settings
from attendry.sending.settings import account_safety_settings, sending_settings
from attendry.tasks.settings import task_settings
from attendry.usage.settings import llm_limit_settings
from attendry.wiring import connect_features

connect_features()
# The routes' settings, read and validated now: a bad variable fails the cold start, by
# name, not the first request that needs it. The routes read these same objects (each
# feature's accessor caches its own; features may not import each other's).
for read_settings in (
    api_settings,
    email_settings,
    account_safety_settings,
    sending_settings,
    task_settings,
    llm_limit_settings,
):
    read_settings()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
