"""Routes for a user's opportunities (events)."""

from http import HTTPStatus
from typing import Annotated
from uuid import UUID

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from attendry.api.auth import current_user_id
from attendry.api.params import DEFAULT_LIMIT, CursorParam, Limit
from attendry.api.responses import answers
from attendry.db.engine import read_connection, read_scope, session_scope
from attendry.db.enums import OpportunityStatus
from attendry.schemas.common import Page
from attendry.schemas.opportunities import Opportunity, OpportunityCreate
from attendry.services import opportunities

router = Router()


@router.post(
    "/opportunities",
    summary="Save an event",
    tags=["opportunities"],
    responses=answers(HTTPStatus.CREATED, Opportunity, "The event, saved."),
)
def create_opportunity(body: OpportunityCreate) -> tuple[Opportunity, int]:
    with session_scope() as session:
        row = opportunities.create_opportunity(session, current_user_id(router), body)
        return Opportunity.model_validate(row), HTTPStatus.CREATED


@router.get("/opportunities", summary="List your events, newest first", tags=["opportunities"])
def list_opportunities(
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
    status: Annotated[OpportunityStatus | None, Query()] = None,
) -> Page[Opportunity]:
    with read_connection() as connection:
        rows, next_cursor = opportunities.list_opportunities(
            connection, current_user_id(router), limit=limit, cursor=cursor, status=status
        )
    return Page[Opportunity].of(rows, next_cursor)


@router.get("/opportunities/<opportunity_id>", summary="Read an event", tags=["opportunities"])
def get_opportunity(opportunity_id: UUID) -> Opportunity:
    with read_scope() as session:
        row = opportunities.get_opportunity(session, current_user_id(router), opportunity_id)
        return Opportunity.model_validate(row)
