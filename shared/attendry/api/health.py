"""Liveness and database reachability, for load balancers and people alike."""

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from attendry.api.responses import PUBLIC
from attendry.core.observability import logger
from attendry.db.engine import read_scope

router = Router()


class Health(BaseModel):
    status: str
    database: str


@router.get(
    "/health",
    summary="Liveness and database reachability",
    openapi_extensions=PUBLIC,
    responses={
        HTTPStatus.OK: {
            "description": "The API and its database answer.",
            "content": {"application/json": {"model": Health}},
        },
        HTTPStatus.SERVICE_UNAVAILABLE: {
            "description": "The database does not answer.",
            "content": {"application/json": {"model": Health}},
        },
    },
)
def health() -> tuple[Health, int]:
    try:
        with read_scope() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        logger.exception("Database unreachable")
        return Health(status="degraded", database="unreachable"), HTTPStatus.SERVICE_UNAVAILABLE
    return Health(status="ok", database="ok"), HTTPStatus.OK
