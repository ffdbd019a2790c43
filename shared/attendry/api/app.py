"""The API's one resolver: routers joined, validation on, errors in one shape.

Built once per execution environment at import, as Powertools intends; each area's
routes live in their own router module, the OpenAPI document and Swagger UI in `openapi`.
"""

import base64
from http import HTTPStatus
from typing import Any

import pydantic_core
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from attendry.api import (
    agent_messages,
    agents,
    contacts,
    drafts,
    followups,
    health,
    notifications,
    opportunities,
    planning,
    sending,
    tasks,
    unsubscribe,
    usage,
    webhooks,
)
from attendry.api.errors import allowed_methods, register_error_handlers
from attendry.api.openapi import register_openapi_routes
from attendry.api.request_body import (
    JSON_MEDIA_TYPE,
    body_text,
    is_json_media_type,
    load_json_body,
    takes_non_json_body,
)
from attendry.core.config import api_settings
from attendry.core.errors import InvalidInputError
from attendry.schemas.common import error_body


def to_json(value: Any) -> str:
    """The API's JSON writer: pydantic-core's, three times json.dumps' speed on a page of rows.

    Compact like Powertools' default; non-ASCII text is written as UTF-8, not escaped.
    """
    return pydantic_core.to_json(value).decode()


app = APIGatewayHttpResolver(
    enable_validation=True, serializer=to_json, json_body_deserializer=load_json_body
)
register_error_handlers(app)
for area in (
    health,
    agents,
    contacts,
    opportunities,
    notifications,
    tasks,
    usage,
    drafts,
    sending,
    unsubscribe,
    webhooks,
    followups,
    agent_messages,
    planning,
):
    app.include_router(area.router)

register_openapi_routes(app)


def body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(base64.b64decode(body))
    return len(body.encode())


def _refusal(
    status: HTTPStatus, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": error_body(code, message, details).model_dump_json(),
        "isBase64Encoded": False,
    }


def _method(event: dict[str, Any]) -> str:
    return str(((event.get("requestContext") or {}).get("http") or {}).get("method", ""))


def _path(event: dict[str, Any]) -> str:
    return str(event.get("rawPath", ""))


def _served(event: dict[str, Any]) -> bool:
    """Whether a route serves this method and path: a request no route serves is answered
    404 or 405 by the router, whatever its body."""
    return _method(event).upper() in allowed_methods(app, _path(event))


def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Resolve one API Gateway event, refusing bodies the API cannot read before parsing.

    A form-encoded body (curl's `-d` default) would otherwise be parsed as a form and
    fail validation with confusing field names; saying what to send is kinder. The
    routes then see the body as text and a JSON body's media type as `application/json`,
    so Powertools reads exactly the bodies the rule in `request_body` accepts (its own
    test is a case-sensitive prefix match).
    """
    limit = api_settings().max_body_bytes
    if body_size(event) > limit:
        return _refusal(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            "payload_too_large",
            f"The request body is over the {limit // 1024} KB limit.",
        )
    try:
        text = body_text(event)
    except InvalidInputError as error:
        return _refusal(HTTPStatus.UNPROCESSABLE_ENTITY, error.code, error.message, error.details)
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    if text is not None:
        if is_json_media_type(headers.get("content-type", "")):
            headers["content-type"] = JSON_MEDIA_TYPE
        elif _served(event) and not takes_non_json_body(_method(event), _path(event)):
            return _refusal(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the request body as JSON, with Content-Type: application/json.",
            )
    readable = {**event, "headers": headers, "body": text, "isBase64Encoded": False}
    return app.resolve(readable, context)
