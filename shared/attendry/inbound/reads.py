"""What the user reads of received mail: replies listed and read, and a contact's thread.

Kept apart from `inbound.service` (MIME parsing, reply-address crypto) so the API's read
routes load only database code. Sent messages are read through their model, not through
the outreach feature, which inbound may not import.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    bindparam,
    cast,
    exists,
    func,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from attendry.db.models import Contact, InboundEmail, OutreachSent
from attendry.db.models.inbound import InboundKind
from attendry.db.owned import get_owned, list_owned, require_owned
from attendry.db.pagination import KeysetPage

REPLY = "Reply"
CONTACT = "Contact"
Direction = Literal["sent", "received"]
SENT: Direction = "sent"
RECEIVED: Direction = "received"

_BY_AGENT = exists().where(
    OutreachSent.id == InboundEmail.sent_id, OutreachSent.agent_id == bindparam("agent_id")
)
_MATCHED = InboundEmail.sent_id.is_not(None)
_UNMATCHED = InboundEmail.sent_id.is_(None)


def list_replies(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    classification: InboundKind | None = None,
    contact_id: UUID | None = None,
    agent_id: UUID | None = None,
    matched: bool | None = None,
) -> KeysetPage:
    """A page of the user's received mail, newest first. `agent_id` keeps mail answering
    that agent's messages (so it keeps only matched mail)."""
    where: list[ColumnElement[bool]] = []
    if agent_id is not None:
        where.append(_BY_AGENT)
    if matched is not None:
        where.append(_MATCHED if matched else _UNMATCHED)
    return list_owned(
        connection,
        InboundEmail,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=(
            (InboundEmail.classification, classification),
            (InboundEmail.contact_id, contact_id),
        ),
        where=tuple(where),
        params={"agent_id": agent_id} if agent_id is not None else None,
    )


def get_reply(session: Session, user_id: str, reply_id: UUID) -> InboundEmail:
    return get_owned(session, InboundEmail, user_id, reply_id, noun=REPLY)


@dataclass(frozen=True)
class ThreadEntry:
    """One message of a thread, either way."""

    id: UUID
    direction: Direction
    at: datetime
    subject: str
    text: str
    classification: InboundKind | None


def contact_thread(connection: Connection, user_id: str, contact_id: UUID) -> list[ThreadEntry]:
    """Every message sent to the contact and received from them, oldest first.

    A sent message not yet handed to SES has no `sent_at`; it stands at its creation.
    A received one shows the contact's own words (quoted text cut).
    """
    require_owned(connection, Contact, user_id, contact_id, noun=CONTACT)
    return thread_of(connection, user_id, contact_id)


def thread_of(connection: Connection, user_id: str, contact_id: UUID) -> list[ThreadEntry]:
    """`contact_thread` for a contact known to be the user's (a reply's own)."""
    sent = select(
        OutreachSent.id,
        literal(SENT, String).label("direction"),
        func.coalesce(OutreachSent.sent_at, OutreachSent.created_at).label("at"),
        func.coalesce(OutreachSent.subject, "").label("subject"),
        OutreachSent.message_body.label("text"),
        cast(null(), String).label("classification"),
    ).where(OutreachSent.user_id == user_id, OutreachSent.contact_id == contact_id)
    received = select(
        InboundEmail.id,
        literal(RECEIVED, String).label("direction"),
        InboundEmail.received_at.label("at"),
        InboundEmail.subject,
        InboundEmail.reply_text.label("text"),
        InboundEmail.classification,
    ).where(InboundEmail.user_id == user_id, InboundEmail.contact_id == contact_id)
    both = union_all(sent, received).subquery()
    rows = connection.execute(select(both).order_by(both.c.at, both.c.id)).all()
    return [
        ThreadEntry(
            id=row.id,
            direction=row.direction,
            at=row.at,
            subject=row.subject,
            text=row.text,
            classification=InboundKind(row.classification) if row.classification else None,
        )
        for row in rows
    ]
