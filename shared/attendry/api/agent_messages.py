"""Routes for the messages agents send each other (and the user)."""

from typing import Annotated, Literal
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.api.auth import current_user_id
from attendry.api.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.db.engine import read_scope
from attendry.schemas.common import Page
from attendry.schemas.followups import AgentMessage
from attendry.services import agent_messages

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
    with read_scope() as session:
        rows, next_cursor = agent_messages.list_agent_messages(
            session,
            current_user_id(router),
            agent_id,
            limit=limit,
            cursor=cursor,
            direction=direction,
        )
        items = [
            AgentMessage.model_validate(row).model_copy(
                update={"direction": "sent" if row["from_agent_id"] == agent_id else "received"}
            )
            for row in rows
        ]
        return Page[AgentMessage](items=items, next_cursor=next_cursor)
