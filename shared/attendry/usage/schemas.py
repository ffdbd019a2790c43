"""The user's LLM usage as the API gives it."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, PlainSerializer

Usd = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class Usage(BaseModel):
    """This calendar month's (UTC) LLM calls, tokens and cost against the user's budget."""

    month: str
    period_start: datetime
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Usd
    budget_usd: Usd
    remaining_usd: Usd
    calls_per_minute_limit: int
