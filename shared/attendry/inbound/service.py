"""Replies: an inbound email matched to its thread, or a reply marked by hand.

Matching, strongest first:
1. an unsubscribe mailto address (`unsubscribe+TOKEN@`): the contact unsubscribes;
2. the per-email Reply-To address (`reply+TOKEN@`), whose signed token names the sent row;
3. In-Reply-To, then References newest first, naming the Message-ID SES gave a sent email
   (`<SES-message-id@...amazonses.com>`): a contact writing to the reply domain from
   another account, or answering a forwarded copy; ids are read with or without their
   angle brackets.
Only mail to the reply domain arrives here (SES receiving is its MX). A reply written by
hand to the From address goes to the sender domain's own mail host and is never seen:
the user records it with `POST /contacts/{id}/replied` (README, "How it behaves").
Every email is classified (attendry.inbound.classification) and the kind and its reason
are stored on its row. Only a `reply` sets the sent row's `response_received_at` once,
stops every scheduled follow-up to that contact with reason `replied`, and notifies the
user. An `auto_reply`, `list` or `other` mail is kept, logged, and changes nothing; so
does a `bounce` for now (it is recorded as one, not yet applied as an SES bounce would
be). Mail that matches no thread is kept without an owner and logged, so no contact's
words are lost to a rule.

Each email is stored once: its S3 object names it, and the row is written before any
effect in the same transaction, so a redelivered notification changes nothing.
"""

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.core.clock import Clock
from attendry.core.observability import logger
from attendry.db import models
from attendry.db.enums import FollowupReason, InboundMatch
from attendry.db.models import Contact, OutreachSent
from attendry.db.models.inbound import InboundKind
from attendry.db.owned import get_owned
from attendry.email.inbound import InboundEmail
from attendry.inbound.classification import Classification, classify
from attendry.notifications.service import notify
from attendry.platform.domain_events import ConversationEnded, publish
from attendry.suppression.unsubscribe import UnsubscribeVia, unsubscribe

REPLY_RECEIVED = "reply.received"
# The raw email stays in S3; what the database keeps is for reading, not an archive.
MAX_TEXT_CHARS = 100_000
SNIPPET_CHARS = 280


@dataclass(frozen=True)
class StoredEmail:
    """Where SES put one received email, and what its envelope said."""

    bucket: str
    key: str
    received_at: datetime
    recipients: tuple[str, ...] = ()


@dataclass(frozen=True)
class InboundResult:
    inbound_id: UUID | None
    duplicate: bool
    matched_by: InboundMatch | None = None
    user_id: str | None = None
    sent_id: UUID | None = None
    classification: InboundKind | None = None
    counted_as_reply: bool = False
    first_reply: bool = False
    unsubscribed: bool = False
    followups_cancelled: int = 0


@dataclass(frozen=True)
class ReplyRecorded:
    """What marking a reply changed; `first_reply` is False when one was already recorded."""

    sent_id: UUID | None
    response_received_at: datetime | None
    first_reply: bool
    followups_cancelled: int


def _clean(value: str, limit: int = MAX_TEXT_CHARS) -> str:
    """PostgreSQL text cannot hold NUL; a malformed email must not fail its row forever."""
    return value.replace("\x00", "")[:limit]


def _match(
    session: Session, email: InboundEmail
) -> tuple[OutreachSent | None, InboundMatch | None]:
    if email.unsubscribe_sent_id is not None:
        sent = session.get(OutreachSent, email.unsubscribe_sent_id)
        if sent is not None:
            return sent, InboundMatch.UNSUBSCRIBE_ADDRESS
    if email.reply_sent_id is not None:
        sent = session.get(OutreachSent, email.reply_sent_id)
        if sent is not None:
            return sent, InboundMatch.REPLY_ADDRESS
    ses_ids = email.referenced_ses_message_ids
    if ses_ids:
        rows = session.scalars(
            select(OutreachSent).where(OutreachSent.ses_message_id.in_(ses_ids))
        ).all()
        by_id = {row.ses_message_id: row for row in rows}
        for ses_id in ses_ids:
            if ses_id in by_id:
                return by_id[ses_id], InboundMatch.MESSAGE_ID
    return None, None


def _insert(
    session: Session,
    stored: StoredEmail,
    email: InboundEmail,
    sent: OutreachSent | None,
    matched_by: InboundMatch | None,
    classification: Classification,
) -> UUID | None:
    """The row, unless this S3 object was already stored (then None)."""
    values: dict[str, Any] = {
        "user_id": sent.user_id if sent is not None else None,
        "sent_id": sent.id if sent is not None else None,
        "contact_id": sent.contact_id if sent is not None else None,
        "from_address": _clean(email.from_address, 998) if email.from_address else None,
        "from_name": _clean(email.from_name, 998),
        "to_addresses": [
            _clean(address, 998)
            for address in dict.fromkeys((*stored.recipients, *email.to, *email.cc))
        ],
        "subject": _clean(email.subject, 998),
        "text_body": _clean(email.text),
        "reply_text": _clean(email.reply_text),
        "message_id": _clean(email.message_id, 998) if email.message_id else None,
        "in_reply_to": [_clean(value, 998) for value in email.in_reply_to],
        "references": [_clean(value, 998) for value in email.references],
        "classification": classification.kind,
        "classification_reason": classification.reason,
        "s3_bucket": stored.bucket,
        "s3_key": stored.key,
        "received_at": stored.received_at,
        "matched_by": matched_by,
    }
    stmt = (
        insert(models.InboundEmail)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["s3_bucket", "s3_key"])
        .returning(models.InboundEmail.id)
    )
    return session.scalars(stmt).first()


def record_reply(session: Session, sent: OutreachSent, at: datetime) -> tuple[bool, list[UUID]]:
    """`response_received_at` set if it was not yet (atomically: two replies at once agree
    on which was first) and the contact's scheduled follow-ups stopped; (first, cancelled)."""
    first = (
        session.execute(
            update(OutreachSent)
            .where(OutreachSent.id == sent.id, OutreachSent.response_received_at.is_(None))
            .values(response_received_at=at)
            .returning(OutreachSent.id)
        ).first()
        is not None
    )
    ended = ConversationEnded(
        sent.user_id,
        FollowupReason.REPLIED,
        contact_id=sent.contact_id,
        address=sent.recipient_email,
    )
    publish(session, ended)
    return first, ended.stopped


def record_inbound(session: Session, stored: StoredEmail, email: InboundEmail) -> InboundResult:
    """Store one received email and apply what it means; a repeat changes nothing."""
    sent, matched_by = _match(session, email)
    classification = classify(email)
    inbound_id = _insert(session, stored, email, sent, matched_by, classification)
    if inbound_id is None:
        logger.info("Inbound email already recorded", extra={"s3_key": stored.key})
        return InboundResult(None, duplicate=True)
    kind = classification.kind
    if sent is None or matched_by is None:
        logger.warning(
            "Inbound email matched no thread; kept without an owner",
            extra={
                "inbound_email_id": str(inbound_id),
                "s3_key": stored.key,
                "from": email.from_address,
                "message_id": email.message_id,
                "classification": kind.value,
                "classification_reason": classification.reason,
            },
        )
        return InboundResult(inbound_id, duplicate=False, classification=kind)
    base = InboundResult(
        inbound_id,
        duplicate=False,
        matched_by=matched_by,
        user_id=sent.user_id,
        sent_id=sent.id,
        classification=kind,
    )
    if matched_by is InboundMatch.UNSUBSCRIBE_ADDRESS:
        # The address the email went to, not the sender's: mail forwarded from an alias
        # unsubscribes the address the user writes to.
        address = sent.recipient_email or email.from_address
        if not address:
            logger.warning("Unsubscribe email for a message without an address; kept")
            return base
        result = unsubscribe(
            session,
            user_id=sent.user_id,
            address=address,
            sent_id=sent.id,
            via=UnsubscribeVia.MAILTO,
        )
        return replace(base, unsubscribed=True, followups_cancelled=result.followups_cancelled)
    if kind is not InboundKind.REPLY:
        logger.info(
            "Inbound email recorded; not a reply, so it changes nothing",
            extra={
                "inbound_email_id": str(inbound_id),
                "sent_id": str(sent.id),
                "classification": kind.value,
                "classification_reason": classification.reason,
            },
        )
        return base
    first, cancelled = record_reply(session, sent, stored.received_at)
    notify(
        session,
        sent.user_id,
        REPLY_RECEIVED,
        {
            "inbound_email_id": str(inbound_id),
            "sent_id": str(sent.id),
            "contact_id": str(sent.contact_id) if sent.contact_id else None,
            "from": _clean(email.from_address, 998) if email.from_address else None,
            "subject": _clean(email.subject, 998),
            "snippet": _clean(email.reply_text, SNIPPET_CHARS),
            "first_reply": first,
            "followups_cancelled": len(cancelled),
        },
    )
    logger.info(
        "Reply recorded",
        extra={
            "inbound_email_id": str(inbound_id),
            "sent_id": str(sent.id),
            "matched_by": matched_by.value,
            "first_reply": first,
        },
    )
    return replace(
        base, counted_as_reply=True, first_reply=first, followups_cancelled=len(cancelled)
    )


def latest_sent_to_contact(session: Session, user_id: str, contact_id: UUID) -> OutreachSent | None:
    """The newest message SES accepted for the contact (sent_at set), or None."""
    stmt = (
        select(OutreachSent)
        .where(
            OutreachSent.user_id == user_id,
            OutreachSent.contact_id == contact_id,
            OutreachSent.sent_at.is_not(None),
        )
        .order_by(OutreachSent.sent_at.desc(), OutreachSent.created_at.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def mark_replied(
    session: Session, user_id: str, contact_id: UUID, *, clock: Clock
) -> ReplyRecorded:
    """The user says the contact answered (by phone, from another address...): the same
    effects as a matched reply, on the latest message sent to the contact; idempotent."""
    contact = get_owned(session, Contact, user_id, contact_id, noun="Contact")
    sent = latest_sent_to_contact(session, user_id, contact_id)
    if sent is None:
        ended = ConversationEnded(
            user_id, FollowupReason.REPLIED, contact_id=contact_id, address=contact.email
        )
        publish(session, ended)
        return ReplyRecorded(None, None, False, len(ended.stopped))
    first, cancelled = record_reply(session, sent, clock())
    session.refresh(sent, ["response_received_at"])
    logger.info(
        "Reply marked by hand",
        extra={"sent_id": str(sent.id), "contact_id": str(contact_id), "first_reply": first},
    )
    return ReplyRecorded(sent.id, sent.response_received_at, first, len(cancelled))
