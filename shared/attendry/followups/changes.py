"""What the user changes of the schedule: listed, cancelled, moved (the timing rules still
apply to a moved follow-up, and a refusal names the rule)."""

from datetime import datetime
from uuid import UUID

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from attendry.core.errors import ConflictError, InvalidInputError
from attendry.db.enums import (
    FollowupReason,
    FollowupStatus,
)
from attendry.db.models import (
    Agent,
    FollowupSchedule,
    OutreachSent,
)
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.followups.history import (
    contact_timezone,
    event_dates,
    followup_settings,
    previous_send,
    thread_event,
)
from attendry.followups.rules import check_due_at as timing_violation
from attendry.followups.stops import stop

FOLLOWUP = "Follow-up"


class FollowupStateError(ConflictError):
    """A change the follow-up's status does not allow (cancelling a sent one, say)."""

    code = "invalid_followup_state"


class FollowupTimingError(InvalidInputError):
    """A due time the timing rules forbid; `code` names the rule."""

    def __init__(self, rule: str, message: str) -> None:
        super().__init__(
            message, details=[{"field": "body.due_at", "message": message, "type": rule}]
        )
        self.code = rule


def list_followups(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    status: FollowupStatus | None = None,
    contact_id: UUID | None = None,
    agent_id: UUID | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        FollowupSchedule,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=(
            (FollowupSchedule.status, status),
            (FollowupSchedule.contact_id, contact_id),
            (FollowupSchedule.agent_id, agent_id),
        ),
    )


def _scheduled_for_change(
    session: Session, user_id: str, followup_id: UUID, action: str
) -> FollowupSchedule:
    row = get_owned(session, FollowupSchedule, user_id, followup_id, noun=FOLLOWUP, for_update=True)
    if row.status != FollowupStatus.SCHEDULED:
        raise FollowupStateError(
            f"Follow-up {row.id} is {row.status.value}; only a scheduled follow-up can be "
            f"{action}.",
            details=[{"field": "status", "message": row.status.value}],
        )
    return row


def cancel_followup(session: Session, user_id: str, followup_id: UUID) -> FollowupSchedule:
    row = _scheduled_for_change(session, user_id, followup_id, "cancelled")
    stop(row, FollowupReason.CANCELLED_BY_USER)
    session.flush()
    session.refresh(row)
    return row


def reschedule_followup(
    session: Session, user_id: str, followup_id: UUID, due_at: datetime, *, now: datetime
) -> FollowupSchedule:
    """Move a scheduled follow-up; the timing rules still apply, and a refusal names the rule."""
    row = _scheduled_for_change(session, user_id, followup_id, "rescheduled")
    agent = session.get(Agent, row.agent_id)
    original = session.get(OutreachSent, row.sent_id)
    assert agent is not None
    assert original is not None
    violation = timing_violation(
        due_at,
        previous_send=previous_send(session, original, row.attempt),
        attempt=row.attempt,
        settings=followup_settings(agent),
        contact_timezone=contact_timezone(session, row.contact_id),
        event=event_dates(thread_event(session, original)),
        now=now,
    )
    if violation is not None:
        raise FollowupTimingError(violation.rule.value, violation.message)
    row.due_at = due_at
    session.flush()
    session.refresh(row)
    return row
