"""Routes for a user's agents."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.api.auth import current_user_id
from attendry.api.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.api.responses import answers
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.db.enums import AgentStatus, AgentType
from attendry.schemas.agents import Agent, AgentCreate, AgentUpdate
from attendry.schemas.common import Page
from attendry.services import agents

router = Router()


DUPLICATE_NAME = "`conflict`: you already have an agent with this name."


@router.post(
    "/agents",
    summary="Create an agent",
    tags=["agents"],
    responses=answers(
        HTTPStatus.CREATED,
        Agent,
        "The agent, with every setting of its type (defaults for those not given).",
        conflict=DUPLICATE_NAME,
    ),
)
def create_agent(body: AgentCreate) -> tuple[Agent, int]:
    with session_scope() as session:
        agent = agents.create_agent(session, current_user_id(router), body)
        return Agent.model_validate(agent), HTTPStatus.CREATED


@router.get("/agents", summary="List your agents, newest first", tags=["agents"])
def list_agents(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    agent_type: Annotated[AgentType | None, Query()] = None,
    status: Annotated[AgentStatus | None, Query()] = None,
) -> Page[Agent]:
    with read_connection() as connection:
        rows, next_cursor = agents.list_agents(
            connection,
            current_user_id(router),
            limit=limit,
            cursor=cursor,
            agent_type=agent_type,
            status=status,
        )
    return Page[Agent].of(rows, next_cursor)


@router.get("/agents/<agent_id>", summary="Read an agent", tags=["agents"])
def get_agent(agent_id: UUID) -> Agent:
    with read_scope() as session:
        return Agent.model_validate(agents.get_agent(session, current_user_id(router), agent_id))


@router.patch(
    "/agents/<agent_id>",
    summary="Rename, pause or resume an agent, or change settings",
    tags=["agents"],
    responses=answers(HTTPStatus.OK, Agent, "The agent as changed.", conflict=DUPLICATE_NAME),
)
def update_agent(agent_id: UUID, body: AgentUpdate) -> Agent:
    with session_scope() as session:
        agent = agents.update_agent(session, current_user_id(router), agent_id, body)
        return Agent.model_validate(agent)
