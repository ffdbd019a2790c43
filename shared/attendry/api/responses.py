"""What a route answers, for the OpenAPI document, declared beside the route.

Powertools documents a route's own success as 200 unless told, and once a route declares
any response it documents only those: a route that answers 201 or 202, or that can
refuse with 409, declares its answers here. The statuses every route shares (401, 404,
413, 415, 422, 500) are added in one place, `attendry.api.openapi`.
"""

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from attendry.schemas.common import ErrorBody

PUBLIC: dict[str, Any] = {"security": []}
"""`openapi_extensions` of a route API Gateway serves without a token: Powertools drops a
route's `security=[]` when it builds the document, but writes its extensions as given."""


def error(description: str) -> OpenAPIResponse:
    """A refusal in the API's one error shape."""
    return {"description": description, "content": {"application/json": {"model": ErrorBody}}}


def answers(
    status: HTTPStatus, model: type[BaseModel], description: str, *, conflict: str | None = None
) -> dict[int, OpenAPIResponse]:
    """The route's success, and its 409 when some state of the user's data refuses it."""
    documented: dict[int, OpenAPIResponse] = {
        status: {"description": description, "content": {"application/json": {"model": model}}}
    }
    if conflict is not None:
        documented[HTTPStatus.CONFLICT] = error(conflict)
    return documented
