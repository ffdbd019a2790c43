"""Routes for the messages agents send each other (and the user)."""

from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.db.engine import read_connection
from attendry.http.auth import current_user_id
from attendry.http.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.http.schemas import Page
from attendry.messaging import service as agent_messages
from attendry.messaging.schemas import AgentMessage

router = Router()


@router.get(
    "/agents/<agent_id>/messages",
    summary="Messages this agent sent and received, newest first",
    tags=["agents"],
)
def list_agent_messages(
    agent_id: UUID,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    direction: Annotated[Literal["sent", "received"] | None, Query()] = None,
) -> Page[AgentMessage]:
    with read_connection() as connection:
        rows, next_cursor = agent_messages.list_agent_messages(
            connection,
            current_user_id(router),
            agent_id,
            limit=limit,
            cursor=cursor,
            direction=direction,
        )
    for row in rows:
        row["direction"] = "sent" if row["from_agent_id"] == agent_id else "received"
    return Page[AgentMessage].of(rows, next_cursor)
