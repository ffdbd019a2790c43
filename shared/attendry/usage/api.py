"""The user's LLM usage this month against the budget."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from attendry.core.clock import system_clock
from attendry.db.engine import read_scope
from attendry.http.auth import current_user_id
from attendry.usage.schemas import Usage
from attendry.usage.service import usage_summary
from attendry.usage.settings import llm_limit_settings

router = Router()


@router.get(
    "/usage", summary="LLM calls, tokens and cost this month, and the budget", tags=["usage"]
)
def get_usage() -> Usage:
    with read_scope() as session:
        return usage_summary(
            session, current_user_id(router), now=system_clock(), limits=llm_limit_settings()
        )
