"""The Follow-up agent receiving a message from another agent (a `handle_message` task).

The message row is the source of truth; the task only says which message to handle. The
handling and the message's `processed` mark are written with the task's completion, in
one transaction, so a message redelivered by SQS, the re-drive or both is handled once.
A message type the receiving agent does not know is marked `failed` (kept, visible in
`GET /agents/{id}/messages`) and the task completes: retrying would not teach it.
"""

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.engine import session_scope
from attendry.db.enums import AgentType, MessageStatus
from attendry.db.models import Agent, AgentMessage, AgentTask
from attendry.followups.service import OUTREACH_SENT, on_outreach_sent
from attendry.messaging.service import mark_processed
from attendry.tasks.runtime import AgentRuntime, TaskFailedError, finish_task, task_input

Receiver = Callable[[Session, Agent, AgentMessage, datetime], dict[str, Any]]

RECEIVERS: Mapping[tuple[AgentType, str], Receiver] = {
    (AgentType.FOLLOWUP, OUTREACH_SENT): on_outreach_sent,
}


class HandleMessageInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message_id: UUID


def handle_message(task: AgentTask, runtime: AgentRuntime) -> dict[str, Any]:
    wanted = task_input(task, HandleMessageInput)
    with session_scope() as session:
        message = session.scalars(
            select(AgentMessage)
            .where(AgentMessage.id == wanted.message_id, AgentMessage.user_id == task.user_id)
            .with_for_update()
        ).one_or_none()
        agent = session.get(Agent, task.agent_id)
        if message is None or agent is None or message.to_agent_id != agent.id:
            raise TaskFailedError(
                "The message of this task no longer exists for this agent.",
                code="message_not_found",
            )
        output: dict[str, Any] = {
            "message_id": str(message.id),
            "message_type": message.message_type,
        }
        if message.status != MessageStatus.PENDING:
            output["outcome"] = f"already {message.status.value}"
        else:
            receiver = RECEIVERS.get((agent.agent_type, message.message_type))
            if receiver is None:
                output["outcome"] = f"a {agent.agent_type.value} agent does not handle it"
                mark_processed(message, status=MessageStatus.FAILED, at=runtime.clock())
            else:
                output |= receiver(session, agent, message, runtime.clock())
                mark_processed(message, status=MessageStatus.PROCESSED, at=runtime.clock())
        finish_task(session, task, output)
    return output
