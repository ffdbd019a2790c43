"""Messages between agents: kept in `agent_messages`, carried by EventBridge.

`send_agent_message` works in the caller's transaction. It stores the message and, when
it names a receiving agent, a `handle_message` task for that agent: the unit of work the
receiver runs exactly once, whatever delivers it. After the commit the message is put on
the agent bus, where a rule routes every event with a `to_agent_id` to the AgentTasks
queue as `{"task_id": ...}`. A publish that fails loses nothing: the task is queued in
the database and the task re-drive enqueues it directly once its grace period is over. A
message to the user (no receiving agent) is stored and published; no rule routes it.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, bindparam, or_
from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.enums import MessageStatus, TaskType
from attendry.db.models import Agent, AgentMessage
from attendry.db.owned import list_owned, require_owned
from attendry.db.pagination import KeysetPage
from attendry.messaging.settings import agent_bus_settings
from attendry.platform.after_commit import after_commit
from attendry.platform.eventbridge import EventBus
from attendry.tasks.service import add_queued_task

SOURCE = "attendry.agents"
"""The `source` of every agent message on the bus; the routing rule matches it."""

Direction = Literal["sent", "received"]

_FROM_AGENT = AgentMessage.from_agent_id == bindparam("agent_id")
_TO_AGENT = AgentMessage.to_agent_id == bindparam("agent_id")
_OF_AGENT: dict[Direction | None, ColumnElement[bool]] = {
    "sent": _FROM_AGENT,
    "received": _TO_AGENT,
    None: or_(_FROM_AGENT, _TO_AGENT),
}
"""The agent's end of a message, by the `direction` asked for (either, if none)."""


def send_agent_message(
    session: Session,
    *,
    user_id: str,
    from_agent_id: UUID,
    to_agent_id: UUID | None,
    message_type: str,
    payload: Mapping[str, Any],
    bus: EventBus | None = None,
) -> AgentMessage:
    """Store a message (and the receiver's task); publish it once the caller commits."""
    message = AgentMessage(
        user_id=user_id,
        from_agent_id=from_agent_id,
        to_agent_id=to_agent_id,
        message_type=message_type,
        payload=dict(payload),
        status=MessageStatus.PENDING,
    )
    session.add(message)
    session.flush()
    task_id = None
    if to_agent_id is not None:
        task_id = _receiver_task(session, message)
    detail: dict[str, Any] = {
        "message_id": str(message.id),
        "user_id": user_id,
        "from_agent_id": str(from_agent_id),
        "message_type": message_type,
        "payload": message.payload,
    }
    if to_agent_id is not None:
        # Present only for a receiving agent: the routing rule matches on its existence.
        detail |= {"to_agent_id": str(to_agent_id), "task_id": str(task_id)}
    after_commit(session, lambda: publish(message_type, detail, bus))
    return message


def _receiver_task(session: Session, message: AgentMessage) -> UUID:
    """The receiver's `handle_message` task; its key ties it to this one message."""
    assert message.to_agent_id is not None
    return add_queued_task(
        session,
        user_id=message.user_id,
        agent_id=message.to_agent_id,
        task_type=TaskType.HANDLE_MESSAGE,
        task_input={"message_id": str(message.id)},
        idempotency_key=f"message:{message.id}",
    )


def publish(message_type: str, detail: Mapping[str, Any], bus: EventBus | None = None) -> bool:
    """Best effort: False (and logged) when the bus is not configured or refused it."""
    if bus is None:
        name = agent_bus_settings().agent_bus_name
        if not name:
            logger.warning(
                "AGENT_BUS_NAME is not set: the message is kept in the database, and one to an "
                "agent is delivered by the task re-drive",
                extra={"message_id": detail.get("message_id"), "message_type": message_type},
            )
            return False
        bus = EventBus(name)
    try:
        bus.put(source=SOURCE, detail_type=message_type, detail=detail)
    except Exception:
        logger.exception(
            "Could not publish the agent message; the task re-drive delivers it",
            extra={"message_id": detail.get("message_id"), "message_type": message_type},
        )
        return False
    return True


def mark_processed(message: AgentMessage, *, status: MessageStatus, at: datetime) -> None:
    message.status = status
    message.processed_at = at


def list_agent_messages(
    connection: Connection,
    user_id: str,
    agent_id: UUID,
    *,
    limit: int,
    cursor: str | None,
    direction: Direction | None = None,
) -> KeysetPage:
    """The messages the agent sent and received, newest first."""
    require_owned(connection, Agent, user_id, agent_id, noun="Agent")
    return list_owned(
        connection,
        AgentMessage,
        user_id,
        limit=limit,
        cursor=cursor,
        where=(_OF_AGENT[direction],),
        params={"agent_id": agent_id},
    )
