"""Query parameters every list route takes, declared once for validation and OpenAPI."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.schemas.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

Limit = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, at most {MAX_PAGE_SIZE}.")
]
CursorParam = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
