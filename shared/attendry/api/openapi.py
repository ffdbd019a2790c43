"""The OpenAPI document and Swagger UI, built on request rather than at cold start.

Powertools' `enable_swagger` imports its OpenAPI models (about 400 ms here) as the API
module loads, to serve a page few requests ever ask for. These two routes import them
only when asked, and serve the same document and the same bundled Swagger UI.

The document is the API's contract, and Powertools' own leaves out what every route
shares; `contract` adds it in one place, from the same rules the code follows:
- every operation can answer 413 (a body over the limit), 422 (a body that is not UTF-8
  or breaks a rule, in the API's error shape: Powertools documents an
  `HTTPValidationError` the API never sends), and 500; every JSON-only one 415;
- every operation behind the authorizer answers 401, in API Gateway's shape or ours;
- every operation that names a resource in its path answers 404;
- a query, path or header parameter cannot be JSON `null`, only absent: Powertools'
  `anyOf [..., null]` for an optional one is narrowed to the value's own schema;
- the components request fields refer to (`HeaderText`, `JsonValue`: attendry.http.schemas).
"""

import json
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from attendry.core.config import api_settings
from attendry.http.request_body import MAX_JSON_DEPTH, takes_non_json_body
from attendry.http.schemas import component_schemas

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

TITLE = "Attendry Agents API"
VERSION = "1.0.0"
SCHEMAS = "#/components/schemas/"
ERROR_BODY = {"$ref": f"{SCHEMAS}ErrorBody"}
GATEWAY_REFUSAL = "GatewayRefusal"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
POWERTOOLS_ONLY_SCHEMAS = ("HTTPValidationError", "ValidationError", "ResponseValidationError")


def _document(app: APIGatewayHttpResolver) -> "OpenAPI":
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Server

    return app.get_openapi_schema(
        title=TITLE,
        version=VERSION,
        servers=[Server(url="/")],
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="JWT")},
        security=[{"bearerAuth": []}],
    )


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}


def _shared_errors(*, json_only: bool) -> dict[str, dict[str, Any]]:
    limit_kb = api_settings().max_body_bytes // 1024
    errors = {
        str(HTTPStatus.REQUEST_ENTITY_TOO_LARGE.value): _error(
            f"`payload_too_large`: the request body is over {limit_kb} KB."
        ),
        str(HTTPStatus.UNPROCESSABLE_ENTITY.value): _error(
            "`validation_error`: the request is not valid; `details` names each field "
            "(`body.name`, `query.limit`, `header.idempotency-key`). A body must be UTF-8; "
            f"JSON nests at most {MAX_JSON_DEPTH} levels, its numbers are finite doubles and "
            "its integers fit 64 bits, and no string holds U+0000 or a lone surrogate."
        ),
        str(HTTPStatus.INTERNAL_SERVER_ERROR.value): _error(
            "`internal_error`: something went wrong on our side."
        ),
    }
    if json_only:
        errors[str(HTTPStatus.UNSUPPORTED_MEDIA_TYPE.value)] = _error(
            "`unsupported_media_type`: a body must be JSON, as `application/json` or "
            "`application/<name>+json` (any case, parameters allowed)."
        )
    return errors


UNAUTHORIZED = {
    "description": "No valid bearer token: API Gateway's authorizer answers "
    '`{"message": "Unauthorized"}`; the API answers `unauthorized` for a token whose '
    "subject it cannot use.",
    "content": {
        "application/json": {
            "schema": {"anyOf": [ERROR_BODY, {"$ref": f"{SCHEMAS}{GATEWAY_REFUSAL}"}]}
        }
    },
}
NOT_FOUND = _error("`not_found`: no such resource, or one another user owns (never told apart).")
GATEWAY_REFUSAL_SCHEMA = {
    "title": GATEWAY_REFUSAL,
    "description": "API Gateway's own refusal, before the API runs.",
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    kept = [option for option in options if option != {"type": "null"}]
    if len(kept) != 1:
        return {**schema, "anyOf": kept}
    narrowed = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**kept[0], **narrowed}


def _operation(operation: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    json_only = not takes_non_json_body(method, path)
    for status, response in _shared_errors(json_only=json_only).items():
        if status == str(HTTPStatus.UNPROCESSABLE_ENTITY.value) or status not in responses:
            responses[status] = response
    parameters = operation.get("parameters", [])
    if any(parameter.get("in") == "path" for parameter in parameters):
        responses.setdefault(str(HTTPStatus.NOT_FOUND.value), NOT_FOUND)
    # A public route declares `security: []` itself (`attendry.http.responses.PUBLIC`).
    if operation.get("security") != []:
        responses.setdefault(str(HTTPStatus.UNAUTHORIZED.value), UNAUTHORIZED)
    for parameter in parameters:
        parameter["schema"] = _without_null(parameter.get("schema", {}))
    operation["responses"] = dict(sorted(responses.items()))
    return operation


def contract(document: dict[str, Any]) -> dict[str, Any]:
    """Powertools' document with what every operation shares stated (see the module)."""
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                item[method] = _operation(item[method], method, path)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for name in POWERTOOLS_ONLY_SCHEMAS:
        schemas.pop(name, None)
    schemas[GATEWAY_REFUSAL] = GATEWAY_REFUSAL_SCHEMA
    schemas.update(component_schemas())
    return document


def api_document(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The OpenAPI document `/openapi.json` serves."""
    generated: dict[str, Any] = _document(app).model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    return contract(generated)


def register_openapi_routes(app: APIGatewayHttpResolver) -> None:
    @app.get("/openapi.json", include_in_schema=False)
    def openapi_document() -> dict[str, Any]:
        return api_document(app)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> Response[str]:
        from aws_lambda_powertools.event_handler.openapi import swagger_ui
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import (
            generate_swagger_html,
        )

        assets = Path(swagger_ui.__file__).parent
        spec = json.dumps(api_document(app)).replace("</", "<\\/")
        page = generate_swagger_html(
            spec,
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
        )
        return Response(status_code=200, content_type=content_types.TEXT_HTML, body=page)
