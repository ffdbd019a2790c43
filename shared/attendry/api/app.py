"""The API's one resolver: routers joined, validation on, errors in one shape.

Built once per execution environment at import, as Powertools intends; each area's
routes live in their own router module.
"""

import base64
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.event_handler.openapi.models import (
    HTTPBearer,
    SecurityScheme,
    Server,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.api import (
    agents,
    contacts,
    drafts,
    health,
    notifications,
    opportunities,
    tasks,
    usage,
)
from attendry.api.errors import register_error_handlers
from attendry.config import api_settings
from attendry.schemas.common import error_body

TITLE = "Attendry Agents API"
VERSION = "1.0.0"
SECURITY_SCHEMES: dict[str, SecurityScheme] = {"bearerAuth": HTTPBearer(bearerFormat="JWT")}

app = APIGatewayHttpResolver(enable_validation=True)
register_error_handlers(app)
for area in (health, agents, contacts, opportunities, notifications, tasks, usage, drafts):
    app.include_router(area.router)

app.enable_swagger(
    path="/docs",
    title=TITLE,
    version=VERSION,
    security_schemes=SECURITY_SCHEMES,
    security=[{"bearerAuth": []}],
)


@app.get("/openapi.json", include_in_schema=False)
def openapi_document() -> dict[str, Any]:
    schema = app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        servers=[Server(url="/")],
        security_schemes=SECURITY_SCHEMES,
        security=[{"bearerAuth": []}],
    )
    document: dict[str, Any] = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    return document


def body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body))
    return len(body.encode())


def _refusal(status: HTTPStatus, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": error_body(code, message).model_dump_json(),
        "isBase64Encoded": False,
    }


def _is_json(content_type: str) -> bool:
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolve one API Gateway event, refusing bodies the API cannot read before parsing.

    A form-encoded body (curl's `-d` default) would otherwise be parsed as a form and
    fail validation with confusing field names; saying what to send is kinder.
    """
    limit = api_settings().max_body_bytes
    if body_size(event) > limit:
        return _refusal(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body is over the {limit // 1024} KB limit.",
        )
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    if event.get("body") and not _is_json(headers.get("content-type", "")):
        return _refusal(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the request body as JSON, with Content-Type: application/json.",
        )
    return app.resolve(event, context)
