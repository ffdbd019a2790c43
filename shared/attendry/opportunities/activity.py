"""What the agents did about one event: its tasks, drafts, sends and the replies to them.

Sends carry no event of their own: they belong to the event of the draft they were sent
from, which is how a follow-up in the thread counts too.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from attendry.db.models import AgentTask, Opportunity, OutreachDraft, OutreachSent
from attendry.db.owned import get_owned


@dataclass(frozen=True)
class Activity:
    opportunity_id: UUID
    counts: dict[str, int]
    tasks: list[AgentTask]
    drafts: list[OutreachDraft]
    sent: list[OutreachSent]
    replies: list[OutreachSent]


def opportunity_activity(
    session: Session, user_id: str, opportunity_id: UUID, *, limit: int
) -> Activity:
    get_owned(session, Opportunity, user_id, opportunity_id, noun="Opportunity")
    tasks = select(AgentTask).where(
        AgentTask.user_id == user_id, AgentTask.opportunity_id == opportunity_id
    )
    drafts = select(OutreachDraft).where(
        OutreachDraft.user_id == user_id, OutreachDraft.opportunity_id == opportunity_id
    )
    sent = (
        select(OutreachSent)
        .join(OutreachDraft, OutreachDraft.id == OutreachSent.draft_id)
        .where(OutreachSent.user_id == user_id, OutreachDraft.opportunity_id == opportunity_id)
    )
    replies = sent.where(OutreachSent.response_received_at.is_not(None))
    kinds: dict[str, tuple[Select[Any], Any]] = {
        "tasks": (tasks, AgentTask),
        "drafts": (drafts, OutreachDraft),
        "sent": (sent, OutreachSent),
        "replies": (replies, OutreachSent),
    }
    counts = {
        kind: session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        for kind, (stmt, _) in kinds.items()
    }
    latest = {
        kind: list(
            session.scalars(stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit))
        )
        for kind, (stmt, model) in kinds.items()
    }
    return Activity(
        opportunity_id=opportunity_id,
        counts=counts,
        tasks=latest["tasks"],
        drafts=latest["drafts"],
        sent=latest["sent"],
        replies=latest["replies"],
    )
