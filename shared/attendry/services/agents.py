"""Creating, reading and changing a user's agents."""

from uuid import UUID

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from attendry.agents.settings import merge_settings, settings_for
from attendry.core.errors import ConflictError
from attendry.db.enums import AgentStatus, AgentType
from attendry.db.models import Agent
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.schemas.agents import AgentCreate, AgentUpdate

NOUN = "Agent"


def oldest_active_agent(session: Session, user_id: str, agent_type: AgentType) -> Agent | None:
    """The user's agent of that type that acts for them: the oldest active one, so the
    choice is stable while the user adds agents."""
    return session.scalars(
        select(Agent)
        .where(
            Agent.user_id == user_id,
            Agent.agent_type == agent_type,
            Agent.status == AgentStatus.ACTIVE,
        )
        .order_by(Agent.created_at, Agent.id)
        .limit(1)
    ).first()


def _refuse_duplicate_name(session: Session, user_id: str, name: str, keep: UUID | None) -> None:
    """Names are how users tell their agents apart, so two of one user's agents never share one."""
    stmt = select(Agent.id).where(Agent.user_id == user_id, Agent.name == name)
    if keep is not None:
        stmt = stmt.where(Agent.id != keep)
    if session.scalars(stmt).first() is not None:
        raise ConflictError(f"You already have an agent named {name!r}.")


def create_agent(session: Session, user_id: str, request: AgentCreate) -> Agent:
    _refuse_duplicate_name(session, user_id, request.name, keep=None)
    settings = settings_for(request.agent_type, request.settings)
    agent = Agent(
        user_id=user_id,
        agent_type=request.agent_type,
        name=request.name,
        status=AgentStatus.ACTIVE,
        settings=settings.model_dump(mode="json"),
    )
    session.add(agent)
    session.flush()
    session.refresh(agent)
    return agent


def get_agent(session: Session, user_id: str, agent_id: UUID) -> Agent:
    return get_owned(session, Agent, user_id, agent_id, noun=NOUN)


def list_agents(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    agent_type: AgentType | None = None,
    status: AgentStatus | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        Agent,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=((Agent.agent_type, agent_type), (Agent.status, status)),
    )


def update_agent(session: Session, user_id: str, agent_id: UUID, changes: AgentUpdate) -> Agent:
    agent = get_owned(session, Agent, user_id, agent_id, noun=NOUN, for_update=True)
    if changes.name is not None and changes.name != agent.name:
        _refuse_duplicate_name(session, user_id, changes.name, keep=agent.id)
        agent.name = changes.name
    if changes.status is not None:
        agent.status = changes.status
    if changes.settings is not None:
        settings = merge_settings(agent.agent_type, agent.settings, changes.settings)
        agent.settings = settings.model_dump(mode="json")
    session.flush()
    session.refresh(agent)
    return agent
