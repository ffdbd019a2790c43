"""Query parameters every list route takes, declared once for validation and OpenAPI."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.db.pagination import CURSOR_PATTERN
from attendry.schemas.common import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

Limit = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Page size, at most {MAX_PAGE_SIZE}.")
]
CursorParam = Annotated[
    str | None,
    Query(
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page (opaque; its shape is stated so any "
        "cursor of that shape is a place in the list).",
    ),
]
DEFAULT_LIMIT = DEFAULT_PAGE_SIZE
RankCursorParam = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page of the ranking."),
]
