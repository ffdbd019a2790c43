"""The user's activity feed."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select, text
from sqlalchemy.orm import Session

from attendry.db.models import Notification
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage

NOUN = "Notification"
_UNREAD = Notification.read_at.is_(None)


def list_notifications(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    unread_only: bool = False,
) -> KeysetPage:
    return list_owned(
        connection,
        Notification,
        user_id,
        limit=limit,
        cursor=cursor,
        where=(_UNREAD,) if unread_only else (),
    )


def mark_read(session: Session, user_id: str, notification_id: UUID) -> Notification:
    """Idempotent: reading twice keeps the first read time."""
    notification = get_owned(
        session, Notification, user_id, notification_id, noun=NOUN, for_update=True
    )
    if notification.read_at is None:
        notification.read_at = session.scalar(func.now())
        session.flush()
    return notification


def notify(session: Session, user_id: str, kind: str, payload: dict[str, Any]) -> None:
    """Add an entry to the user's feed, in the caller's transaction."""
    session.add(Notification(user_id=user_id, kind=kind, payload=payload))


def notify_once(
    session: Session, user_id: str, kind: str, payload: dict[str, Any], *, since: datetime
) -> bool:
    """Notify unless the user already got `kind` since `since`; concurrent callers agree.

    The advisory lock (per user and kind, released at commit) makes check-then-insert
    atomic without a table of its own.
    """
    session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"notify:{user_id}:{kind}"},
    )
    already = session.scalars(
        select(Notification.id)
        .where(
            Notification.user_id == user_id,
            Notification.kind == kind,
            Notification.created_at >= since,
        )
        .limit(1)
    ).first()
    if already is not None:
        return False
    notify(session, user_id, kind, payload)
    return True
