"""A user's LLM usage: what this month cost, and how many calls the last minute saw.

Months are calendar months in UTC, so the budget resets at the same moment for everyone
and `/usage` and the budget check always agree on what "this month" is.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from attendry.db.models import LlmUsage
from attendry.usage.schemas import Usage
from attendry.usage.settings import LlmLimitSettings

OFFLINE_MODEL = "offline"
"""`llm_usage.model` of a draft written without an LLM: counted as a call, never billed."""

RATE_WINDOW = timedelta(minutes=1)


@dataclass(frozen=True)
class MonthTotals:
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal


def month_start(now: datetime) -> datetime:
    utc = now.astimezone(UTC)
    return utc.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_totals(session: Session, user_id: str, since: datetime) -> MonthTotals:
    row = session.execute(
        select(
            func.count(LlmUsage.id),
            func.coalesce(func.sum(LlmUsage.input_tokens), 0),
            func.coalesce(func.sum(LlmUsage.output_tokens), 0),
            func.coalesce(func.sum(LlmUsage.cost_usd), 0),
        ).where(LlmUsage.user_id == user_id, LlmUsage.created_at >= since)
    ).one()
    return MonthTotals(int(row[0]), int(row[1]), int(row[2]), Decimal(row[3]))


def recent_llm_calls(session: Session, user_id: str) -> tuple[int, datetime | None]:
    """LLM calls (offline drafts excluded) in the last minute, and when the oldest was made."""
    row = session.execute(
        select(func.count(LlmUsage.id), func.min(LlmUsage.created_at)).where(
            LlmUsage.user_id == user_id,
            LlmUsage.model != OFFLINE_MODEL,
            LlmUsage.created_at > func.now() - RATE_WINDOW,
        )
    ).one()
    return int(row[0]), row[1]


def usage_summary(
    session: Session, user_id: str, *, now: datetime, limits: LlmLimitSettings
) -> Usage:
    start = month_start(now)
    totals = month_totals(session, user_id, start)
    budget = limits.monthly_budget_usd
    return Usage(
        month=start.strftime("%Y-%m"),
        period_start=start,
        calls=totals.calls,
        input_tokens=totals.input_tokens,
        output_tokens=totals.output_tokens,
        cost_usd=totals.cost_usd,
        budget_usd=budget,
        remaining_usd=max(Decimal(0), budget - totals.cost_usd),
        calls_per_minute_limit=limits.calls_per_minute,
    )
