"""What every agent shares: its row and settings, the end of a task, LLM usage and limits.

An agent runs one claimed task. It reads what it needs in a short transaction, calls the
LLM outside any transaction (a call may take seconds; RDS Proxy should not pin a
connection for it), then writes its results and the task's completion in one transaction
guarded by the attempt that claimed the task: if another attempt has taken the task
over, nothing of this one is kept.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy import Update, func, select, update
from sqlalchemy.orm import Session

from attendry.agents.settings import AgentSettings, settings_for
from attendry.core.clock import Clock
from attendry.core.errors import DomainError
from attendry.core.observability import metrics
from attendry.db.engine import session_scope
from attendry.db.enums import AgentStatus, TaskStatus, TaskType
from attendry.db.models import Agent, AgentTask, LlmUsage
from attendry.drafting import (
    Drafter,
    LlmRateLimited,
    LlmSettings,
    OfflineDrafter,
    llm_settings,
)
from attendry.drafting import LlmUsage as DraftUsage
from attendry.notifications.service import notify_once
from attendry.tasks.settings import TaskSettings
from attendry.usage.service import (
    OFFLINE_MODEL,
    RATE_WINDOW,
    month_start,
    month_totals,
    recent_llm_calls,
)
from attendry.usage.settings import LlmLimitSettings


@dataclass(frozen=True)
class AgentRuntime:
    """The collaborators an agent uses; the worker builds them once, tests pass their own."""

    drafter: Drafter
    prices: LlmSettings
    limits: LlmLimitSettings
    clock: Clock


TaskHandler = Callable[[AgentTask, AgentRuntime], dict[str, Any]]
"""Runs one claimed task to completion (calling `finish_task`) and returns its output."""


class TaskFailedError(DomainError):
    """A task that cannot succeed as given: retrying would fail the same way."""

    code = "task_failed"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


InputT = TypeVar("InputT", bound=BaseModel)


def task_input(task: AgentTask, model: type[InputT]) -> InputT:
    """The task's input as its handler's model; an input no retry can fix fails the task."""
    try:
        return model.model_validate(task.input)
    except ValidationError as error:
        raise TaskFailedError(
            f"The task's input is not valid: {error}", code="invalid_input"
        ) from error


class LlmBudgetExceeded(TaskFailedError):  # noqa: N818 - named for its code
    code = "llm_budget_exceeded"


class LlmCallRateExceeded(LlmRateLimited):
    """The user's own LLM call rate is spent: the task waits, it does not fail."""

    code = "llm_call_rate_exceeded"


class LostClaim(Exception):  # noqa: N818 - a state, not an error of this attempt's making
    """Another attempt took the task over; this attempt's results must not be kept."""


def llm_settings_from_environment(settings: TaskSettings) -> LlmSettings:
    """GEMINI_API_KEY if set; else the key in GEMINI_API_KEY_SECRET_ARN (AWS); else offline.

    Read once per execution environment, when the worker builds its runtime.
    """
    configured = llm_settings()
    if configured.gemini_api_key is not None or not settings.gemini_api_key_secret_arn:
        return configured
    from aws_lambda_powertools.utilities.parameters import get_secret

    key = str(get_secret(settings.gemini_api_key_secret_arn)).strip()
    return configured.model_copy(update={"gemini_api_key": SecretStr(key)}) if key else configured


def is_metered(drafter: Drafter) -> bool:
    """Only an LLM costs money and counts against the rate; the offline drafter does neither."""
    return not isinstance(drafter, OfflineDrafter)


def run_task(
    task: AgentTask, runtime: AgentRuntime, handlers: Mapping[TaskType, TaskHandler]
) -> dict[str, Any]:
    handler = handlers.get(task.task_type)
    if handler is None:
        raise TaskFailedError(
            f"No agent handles {task.task_type.value} tasks yet.", code="unsupported_task_type"
        )
    return handler(task, runtime)


def load_agent(session: Session, task: AgentTask) -> tuple[Agent, AgentSettings]:
    agent = session.scalars(
        select(Agent).where(Agent.id == task.agent_id, Agent.user_id == task.user_id)
    ).one_or_none()
    if agent is None:
        raise TaskFailedError("The task's agent no longer exists.", code="agent_not_found")
    if agent.status is AgentStatus.PAUSED:
        raise TaskFailedError(
            f"Agent {agent.name!r} was paused before the task ran; resume it and assign the "
            "task again.",
            code="agent_paused",
        )
    return agent, settings_for(agent.agent_type, agent.settings)


def update_held_task(task: AgentTask) -> Update:
    """An UPDATE of the task that changes it only while this attempt still holds it: in
    progress, and not claimed again since (a later claim counted another attempt)."""
    return (
        update(AgentTask)
        .where(
            AgentTask.id == task.id,
            AgentTask.status == TaskStatus.IN_PROGRESS,
            AgentTask.attempts == task.attempts,
        )
        .execution_options(synchronize_session=False)
    )


def finish_task(session: Session, task: AgentTask, output: dict[str, Any]) -> None:
    """Complete the task in the caller's transaction, if this attempt still holds it."""
    completed = session.execute(
        update_held_task(task).values(
            status=TaskStatus.COMPLETED, output=output, error=None, completed_at=func.now()
        )
    )
    if completed.rowcount == 0:  # type: ignore[attr-defined]
        raise LostClaim(f"task {task.id} is no longer held by attempt {task.attempts}")


def record_usage(
    session: Session, task: AgentTask, usage: DraftUsage | None, prices: LlmSettings
) -> None:
    """One row per drafting; `None` (the offline drafter) is a call of model `offline`, free."""
    if usage is None:
        model, tokens_in, tokens_out, cost = OFFLINE_MODEL, 0, 0, Decimal(0)
    else:
        model, tokens_in, tokens_out = usage.model, usage.input_tokens, usage.output_tokens
        cost = prices.cost_usd(model, tokens_in, tokens_out)
        count_llm_spend(usage.calls, tokens_in + tokens_out, cost)
    session.add(
        LlmUsage(
            user_id=task.user_id,
            agent_id=task.agent_id,
            task_id=task.id,
            model=model,
            input_tokens=tokens_in,
            output_tokens=tokens_out,
            cost_usd=cost,
        )
    )


def count_llm_spend(calls: int, tokens: int, cost: Decimal) -> None:
    """CloudWatch metrics of what the LLM costs everyone together, for the operator's
    alarm (template: LlmSpendAlarm); each user's own budget is enforced from `llm_usage`."""
    metrics.add_metric(name="LlmCalls", unit=MetricUnit.Count, value=calls)
    metrics.add_metric(name="LlmTokens", unit=MetricUnit.Count, value=tokens)
    metrics.add_metric(name="LlmCostUsd", unit=MetricUnit.NoUnit, value=float(cost))


def enforce_llm_limits(task: AgentTask, limits: LlmLimitSettings, now: datetime) -> None:
    """Refuse an LLM call over the user's monthly budget (fails) or call rate (waits).

    The user hears of each once: the budget once a month, the rate once a minute. Checked
    before the call, so concurrent tasks of one user may overshoot the rate by a few calls.
    """
    with session_scope() as session:
        refusal = _llm_refusal(session, task, limits, now)
    if refusal is not None:
        raise refusal


def _llm_refusal(
    session: Session, task: AgentTask, limits: LlmLimitSettings, now: datetime
) -> DomainError | None:
    """Why the user may not call the LLM now (notified in this transaction), or None."""
    start = month_start(now)
    spent = month_totals(session, task.user_id, start).cost_usd
    budget = limits.monthly_budget_usd
    if spent >= budget:
        spent_payload = {
            "month": start.strftime("%Y-%m"),
            "budget_usd": str(budget),
            "spent_usd": str(spent),
            "task_id": str(task.id),
        }
        notify_once(session, task.user_id, "llm.budget_exceeded", spent_payload, since=start)
        return LlmBudgetExceeded(
            f"Your LLM budget for {start:%B %Y} (USD {budget}) is spent (USD {spent:.4f}); "
            "raise it or wait for next month."
        )
    calls, oldest = recent_llm_calls(session, task.user_id)
    if calls < limits.calls_per_minute:
        return None
    rate_payload: dict[str, Any] = {
        "calls_per_minute": limits.calls_per_minute,
        "task_id": str(task.id),
    }
    notify_once(session, task.user_id, "llm.rate_limited", rate_payload, since=now - RATE_WINDOW)
    wait_s = RATE_WINDOW.total_seconds()
    if oldest is not None:
        wait_s = max(1.0, (oldest + RATE_WINDOW - now).total_seconds())
    return LlmCallRateExceeded(
        f"You reached {limits.calls_per_minute} LLM calls a minute; the task will run again "
        "shortly.",
        retry_after_s=wait_s,
    )
