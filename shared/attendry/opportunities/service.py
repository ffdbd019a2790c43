"""A user's opportunities: the industry events they track."""

from uuid import UUID

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from attendry.db.enums import OpportunityStatus
from attendry.db.models import Opportunity
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.opportunities.schemas import OpportunityCreate

NOUN = "Opportunity"


def create_opportunity(session: Session, user_id: str, request: OpportunityCreate) -> Opportunity:
    opportunity = Opportunity(
        user_id=user_id,
        title=request.title,
        description=request.description,
        url=str(request.url) if request.url else None,
        location=request.location,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        topics=request.topics,
        signals=request.signals,
        score=request.score,
        status=request.status,
    )
    session.add(opportunity)
    session.flush()
    session.refresh(opportunity)
    return opportunity


def get_opportunity(session: Session, user_id: str, opportunity_id: UUID) -> Opportunity:
    return get_owned(session, Opportunity, user_id, opportunity_id, noun=NOUN)


def list_opportunities(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    status: OpportunityStatus | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        Opportunity,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=((Opportunity.status, status),),
    )
