"""The Planning agent's periodic pass: it delegates the events it recommends, for the users
who let it (`auto_delegate`, off by default).

Each such user's recommended events that are still `new` or `watching` are delegated
best first, within the agent's `max_tasks_per_run`, and the user is told of each. What it
queues are drafting tasks: the Outreach agent's drafts still wait for the user's approval
unless the user turned that off, so the pass never sends anything by itself. An event it
delegated is `delegated` and is not taken again; a user without an active Outreach agent
is skipped (and logged) until there is one.

One transaction per user, so one user's trouble never holds up another's.
"""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from attendry.agents.settings import PlanningSettings, settings_for
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import AgentStatus, AgentType, OpportunityStatus
from attendry.db.models import Agent
from attendry.schemas.planning import DelegateRequest
from attendry.services.notifications import notify
from attendry.services.planning import (
    NoOutreachAgentError,
    NothingToDelegateError,
    delegate,
    rank,
)

UNDELEGATED = (OpportunityStatus.NEW, OpportunityStatus.WATCHING)
PLANNING_DELEGATED = "planning.delegated"


@dataclass(frozen=True)
class PassResult:
    users: int
    events: int
    tasks: int


def planning_pass(now: datetime) -> PassResult:
    users = events = tasks = 0
    for agent_id in _auto_delegating_agents():
        users += 1
        try:
            with session_scope() as session:
                agent = session.get(Agent, agent_id)
                assert agent is not None
                done = _delegate_for(session, agent, now)
        except Exception:
            logger.exception("Planning pass failed for a user", extra={"agent_id": str(agent_id)})
            continue
        events += done[0]
        tasks += done[1]
    if users:
        logger.info("Planning pass", extra={"users": users, "events": events, "tasks": tasks})
    return PassResult(users, events, tasks)


def _auto_delegating_agents() -> list[UUID]:
    """Each user's oldest active Planning agent, where it may delegate by itself."""
    with session_scope() as session:
        return list(
            session.scalars(
                select(Agent.id)
                .where(
                    Agent.agent_type == AgentType.PLANNING,
                    Agent.status == AgentStatus.ACTIVE,
                    Agent.settings["auto_delegate"].as_boolean().is_(True),
                )
                .order_by(Agent.user_id, Agent.created_at, Agent.id)
                .ext(distinct_on(Agent.user_id))
            )
        )


def _delegate_for(session: Session, agent: Agent, now: datetime) -> tuple[int, int]:
    settings = settings_for(AgentType.PLANNING, agent.settings)
    assert isinstance(settings, PlanningSettings)
    budget = settings.max_tasks_per_run
    events = tasks = 0
    for ranked in rank(session, agent.user_id, now):
        if budget <= 0:
            break
        if not ranked.recommended or ranked.opportunity.status not in UNDELEGATED:
            continue
        try:
            with session.begin_nested():
                done = delegate(
                    session,
                    agent.user_id,
                    ranked.opportunity.id,
                    DelegateRequest(),
                    now,
                    max_tasks=budget,
                )
        except NoOutreachAgentError:
            logger.info("No active Outreach agent to delegate to", extra={"user_id": agent.user_id})
            break
        except NothingToDelegateError:
            continue  # its speakers were taken since the ranking (another pass, the user)
        budget -= len(done.tasks)
        events += 1
        tasks += len(done.tasks)
        notify(
            session,
            agent.user_id,
            PLANNING_DELEGATED,
            {
                "agent_id": str(agent.id),
                "outreach_agent_id": str(done.agent.id),
                "opportunity_id": str(ranked.opportunity.id),
                "title": ranked.opportunity.title,
                "score": ranked.assessment.score,
                "reasons": list(ranked.assessment.reasons),
                "task_ids": [str(task.id) for task in done.tasks],
                "speakers_left": ranked.reachable - len(done.tasks),
            },
        )
    return events, tasks
