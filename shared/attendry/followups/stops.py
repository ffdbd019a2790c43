"""Stopping a user's scheduled follow-ups to a contact: the one place every stop goes through.

A reply, an unsubscribe (and the Follow-up agent's own checks) all end the same way: every
follow-up still `scheduled` for that contact becomes `cancelled` with the reason. Drafted
or sent ones are history and stay as they are.
"""

from uuid import UUID

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from attendry.db.enums import FollowupReason, FollowupStatus
from attendry.db.models import FollowupSchedule, OutreachSent
from attendry.platform.domain_events import ConversationEnded


def stop_scheduled_followups(
    session: Session,
    user_id: str,
    reason: FollowupReason,
    *,
    contact_id: UUID | None = None,
    address: str | None = None,
) -> list[UUID]:
    """Cancel the user's scheduled follow-ups to `contact_id`, or of threads sent to
    `address` (the contact row may be gone, or hold another address now); the ids cancelled.
    """
    matches: list[ColumnElement[bool]] = []
    if contact_id is not None:
        matches.append(FollowupSchedule.contact_id == contact_id)
    if address:
        threads_to_address = select(OutreachSent.id).where(
            OutreachSent.user_id == user_id,
            func.lower(OutreachSent.recipient_email) == address.strip().lower(),
        )
        matches.append(FollowupSchedule.sent_id.in_(threads_to_address))
    if not matches:
        return []
    stmt = (
        update(FollowupSchedule)
        .where(
            FollowupSchedule.user_id == user_id,
            FollowupSchedule.status == FollowupStatus.SCHEDULED,
            or_(*matches),
        )
        .values(status=FollowupStatus.CANCELLED, reason=reason)
        .returning(FollowupSchedule.id)
    )
    return list(session.scalars(stmt))


def on_conversation_ended(session: Session, event: ConversationEnded) -> None:
    """The contact's side ended the conversation: what was scheduled to them stops."""
    event.stopped.extend(
        stop_scheduled_followups(
            session,
            event.user_id,
            event.reason,
            contact_id=event.contact_id,
            address=event.address,
        )
    )
