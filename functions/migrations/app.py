"""CloudFormation custom resource `DatabaseMigrations`: the schema to the newest migration."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.core.observability import logger
from attendry.platform.cloudformation import CustomResourceRequest
from attendry.services.schema import apply_schema_request


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, bool]:
    """Answers CloudFormation itself (through the request's ResponseURL), failure included."""
    return {"migrated": apply_schema_request(CustomResourceRequest.model_validate(event))}
