"""Every error the API returns, in one shape, mapped from domain exceptions in one place."""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from attendry.core.errors import (
    ConflictError,
    DomainError,
    InvalidInputError,
    NotFoundError,
    PayloadTooLargeError,
    UnauthorizedError,
)
from attendry.core.observability import logger
from attendry.schemas.common import error_body

STATUS_BY_ERROR: dict[type[DomainError], HTTPStatus] = {
    NotFoundError: HTTPStatus.NOT_FOUND,
    ConflictError: HTTPStatus.CONFLICT,
    InvalidInputError: HTTPStatus.UNPROCESSABLE_ENTITY,
    PayloadTooLargeError: HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
    UnauthorizedError: HTTPStatus.UNAUTHORIZED,
}


def error_response(
    status: HTTPStatus, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details).model_dump_json(),
    )


def status_for(error: DomainError) -> HTTPStatus:
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return HTTPStatus.BAD_REQUEST


def _field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def validation_details(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Pydantic's error list as `field` / `message` pairs a client can show next to inputs."""
    return [
        {"field": _field_path(e.get("loc", ())), "message": e.get("msg", ""), "type": e.get("type")}
        for e in errors
    ]


def allowed_methods(app: APIGatewayHttpResolver, path: str) -> list[str]:
    """The methods some route serves at `path` (RFC 9110's `Allow`), for a 405 rather than
    a 404 when the path exists. Powertools keeps its routes in two lists and has no public
    view of them; it answers every miss through the not-found handler."""
    routes = app._static_routes + app._dynamic_routes
    return sorted({route.method for route in routes if route.rule.match(path)})


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response[str]:
        return error_response(status_for(error), error.code, error.message, error.details)

    @app.exception_handler(RequestValidationError)
    def _validation_error(error: RequestValidationError) -> Response[str]:
        return error_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            "validation_error",
            "The request is not valid.",
            validation_details(list(error.errors())),
        )

    @app.not_found
    def _route_not_found(_: Exception) -> Response[str]:
        allowed = allowed_methods(app, app.current_event.path)
        if not allowed:
            return error_response(HTTPStatus.NOT_FOUND, "not_found", "No such route.")
        response = error_response(
            HTTPStatus.METHOD_NOT_ALLOWED,
            "method_not_allowed",
            f"This path answers {', '.join(allowed)} only.",
        )
        response.headers["Allow"] = ", ".join(allowed)
        return response

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("Unhandled error")
        return error_response(
            HTTPStatus.INTERNAL_SERVER_ERROR, "internal_error", "Something went wrong on our side."
        )
