"""Unsubscribing a contact from one user's email: by the one-click link, its page, or mailto.

An unsubscribe is the contact's word to that user, not to everyone (docs/rules.md,
"Suppression"): the address is suppressed for that user only, that user's scheduled
follow-ups to the contact stop (reason `unsubscribed`), and the user is told. Repeating it
changes nothing and tells the user nothing new, whichever way it came.
"""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.agents.settings import sender_display_name
from attendry.core.observability import logger
from attendry.db.enums import FollowupReason, SuppressionReason, SuppressionScope
from attendry.db.models import Agent, EmailSuppression, OutreachSent
from attendry.email.settings import EmailSettings
from attendry.email.unsubscribe import UnsubscribeClaims
from attendry.notifications.service import notify
from attendry.platform.domain_events import ConversationEnded, publish
from attendry.suppression.service import suppress_for_user

CONTACT_UNSUBSCRIBED = "contact.unsubscribed"


class UnsubscribeVia(StrEnum):
    ONE_CLICK = "one_click"
    """RFC 8058: the mail client POSTed `List-Unsubscribe=One-Click`."""
    PAGE = "page"
    """The contact confirmed on the page the link opens."""
    MAILTO = "mailto"
    """An email to the List-Unsubscribe mailto address."""


@dataclass(frozen=True)
class UnsubscribeView:
    """What the confirmation page shows: who will stop writing to which address."""

    address: str
    sender_name: str | None
    sender_address: str
    unsubscribed: bool


@dataclass(frozen=True)
class UnsubscribeResult:
    address: str
    newly_unsubscribed: bool
    followups_cancelled: int


def _sender_name(session: Session, sent: OutreachSent | None) -> str | None:
    agent = session.get(Agent, sent.agent_id) if sent and sent.agent_id else None
    return sender_display_name(agent) if agent is not None else None


def _sent_row(session: Session, sent_id: UUID, user_id: str) -> OutreachSent | None:
    sent = session.get(OutreachSent, sent_id)
    return sent if sent is not None and sent.user_id == user_id else None


def is_unsubscribed(session: Session, user_id: str, address: str) -> bool:
    stmt = select(EmailSuppression.id).where(
        EmailSuppression.address == address.strip().lower(),
        EmailSuppression.scope == SuppressionScope.USER,
        EmailSuppression.user_id == user_id,
    )
    return session.scalars(stmt).first() is not None


def describe_unsubscribe(
    session: Session, claims: UnsubscribeClaims, settings: EmailSettings
) -> UnsubscribeView:
    """The page's content for a genuine token; it changes nothing (link scanners GET it)."""
    sent = _sent_row(session, claims.sent_id, claims.user_id)
    return UnsubscribeView(
        address=claims.recipient,
        sender_name=_sender_name(session, sent),
        sender_address=settings.from_address,
        unsubscribed=is_unsubscribed(session, claims.user_id, claims.recipient),
    )


def unsubscribe(
    session: Session,
    *,
    user_id: str,
    address: str,
    sent_id: UUID | None,
    via: UnsubscribeVia,
) -> UnsubscribeResult:
    """Suppress `address` for `user_id`, stop the follow-ups, notify once; idempotent."""
    address = address.strip().lower()
    sent = _sent_row(session, sent_id, user_id) if sent_id is not None else None
    contact_id = sent.contact_id if sent is not None else None
    added = suppress_for_user(session, user_id, address, SuppressionReason.UNSUBSCRIBE)
    # Every time, not only the first: a follow-up scheduled since (for an older thread)
    # must not go out either.
    ended = ConversationEnded(
        user_id, FollowupReason.UNSUBSCRIBED, contact_id=contact_id, address=address
    )
    publish(session, ended)
    cancelled = ended.stopped
    if added:
        notify(
            session,
            user_id,
            CONTACT_UNSUBSCRIBED,
            {
                "address": address,
                "sent_id": str(sent_id) if sent_id else None,
                "contact_id": str(contact_id) if contact_id else None,
                "via": via.value,
                "followups_cancelled": len(cancelled),
            },
        )
        logger.info(
            "Contact unsubscribed",
            extra={"user_id": user_id, "sent_id": str(sent_id), "via": via.value},
        )
    return UnsubscribeResult(address, added, len(cancelled))


def unsubscribe_with_claims(
    session: Session, claims: UnsubscribeClaims, via: UnsubscribeVia
) -> UnsubscribeResult:
    return unsubscribe(
        session,
        user_id=claims.user_id,
        address=claims.recipient,
        sent_id=claims.sent_id,
        via=via,
    )
