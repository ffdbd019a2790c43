"""SES events applied to what was sent: one code path for both ways in (SQS and webhook).

`apply_sns_notification(sns_message_id, message, received_at)` is the entry point: the
SES-events queue consumer (`attendry.delivery.consumer`) calls it for each SQS record,
the `POST /webhooks/ses` route for each verified SNS notification. In one transaction it:

1. stores the notification in `ses_events` keyed by its SNS message id
   (`INSERT ... ON CONFLICT DO NOTHING`); a repeat finds the key taken and stops there, so
   a notification that arrives twice, or both ways, changes nothing the second time;
2. applies it to its sent row, found (and locked) by SES message id, else by the
   `sent_id` message tag: a send whose outcome the Sender never recorded is still
   `sending` without an SES message id, and any event of its email (the `Send` event
   first of all) proves SES accepted it, so the row is reconciled through
   `record_ses_acceptance`, the Sender's own seam;
3. moves the row forward only and sets each timestamp once, from the event's own time
   (`attendry.delivery.rules`), keeping bounce type, subtype and diagnostic;
4. for a bounce or complaint: suppresses the addresses (`delivery_suppression`), stops
   the user's scheduled follow-ups to them, notifies the user, checks account safety.

An event whose message is unknown (sent by another system, or older than the database)
is stored with `applied = false` and logged; its addresses are still suppressed, since a
bounce is a fact about the address. It is never an error, so it never loops.

Every way of finding the sent row locks it before the notification is stored, so two
deliveries of one notification (SQS and webhook at once) queue on that lock and the
second finds the key taken; storing first on one way and locking first on the other
deadlocked when the Sender recorded the SES message id between the two. A row found only
by its `sent_id` tag has its draft locked first, in the Sender's order, draft before
sent row. The
account-safety upsert comes last. The common events run as a few Core statements on one
connection; an ORM session joins the transaction only for the rarer steps.
"""

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any
from uuid import UUID

from psycopg.types.json import Jsonb
from pydantic import ValidationError
from sqlalchemy import (
    Connection,
    Engine,
    inspect,
    select,
)
from sqlalchemy.orm import Session

from attendry.core.errors import DomainError
from attendry.core.observability import logger
from attendry.db.driver import driver_cursor, driver_value
from attendry.db.engine import get_engine
from attendry.db.enums import DeliveryStatus, FollowupReason
from attendry.db.models import Base, OutreachDraft, OutreachSent
from attendry.db.models import SesEvent as SesEventRow
from attendry.delivery.rules import Progress, SentFacts, progress
from attendry.delivery.schemas import (
    SENT_ID_TAG,
    SesEvent,
    SesEventType,
)
from attendry.delivery.settings import (
    SuppressionSettings,
    ses_events_settings,
    suppression_settings,
)
from attendry.delivery.suppression import apply_bounce, apply_complaint
from attendry.notifications.service import notify
from attendry.platform.domain_events import ConversationEnded, publish
from attendry.sending.account_safety import pause_if_unsafe
from attendry.sending.service import record_ses_acceptance
from attendry.sending.settings import AccountSafetySettings, account_safety_settings
from attendry.suppression.rules import is_hard_bounce

EMAIL_BOUNCED = "email.bounced"
EMAIL_COMPLAINED = "email.complained"

Clock = Callable[[], datetime]


class MalformedSesEventError(DomainError):
    """Not an SES event record: the API answers 400, the queue consumer parks it on the DLQ."""

    code = "malformed_ses_event"


class SesEventOutcome(StrEnum):
    APPLIED = "applied"
    """Stored and applied to its sent row (which may have changed nothing: an old event)."""
    UNMATCHED = "unmatched"
    """Stored; no sent row is known for it (or its type applies to none)."""
    DUPLICATE = "duplicate"
    """This SNS message id was stored before: nothing was done."""


@dataclass(frozen=True)
class SesEventResult:
    outcome: SesEventOutcome
    event_type: str
    ses_message_id: str
    sent_id: UUID | None = None
    changed: bool = False


@dataclass(frozen=True)
class SesEventPolicies:
    """What processing needs besides the database; each defaults to the environment's."""

    suppression: SuppressionSettings
    account_safety: AccountSafetySettings
    default_region: str

    @classmethod
    def from_environment(cls) -> "SesEventPolicies":
        return cls(
            suppression=suppression_settings(),
            account_safety=account_safety_settings(),
            default_region=ses_events_settings().aws_region,
        )


def _utc_now() -> datetime:
    return datetime.now(UTC)


def parse_ses_event(message: Mapping[str, Any]) -> SesEvent:
    try:
        return SesEvent.model_validate(message)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'event'}: {e['msg']}"
            for e in error.errors()[:5]
        )
        raise MalformedSesEventError(f"Not an SES event record: {problems}") from error


def _tagged_sent_id(event: SesEvent) -> UUID | None:
    value = event.mail.tag(SENT_ID_TAG)
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


# The statements every event runs go to the driver's cursor, inside the transaction
# SQLAlchemy opened: SQLAlchemy's execution layer costs about 150 us of CPU per statement
# over psycopg's own, which left the function at 2.2x the time of raw psycopg in
# benchmarks/ses_events.py (the target is at most 2x). Their SQL is built once, from the
# models' own table and column names; every other statement goes through SQLAlchemy.
_SES_EVENTS = Base.metadata.tables[SesEventRow.__tablename__]
_SENT = Base.metadata.tables[OutreachSent.__tablename__]
_COLUMN_OF = {attr.key: attr.columns[0].name for attr in inspect(OutreachSent).column_attrs}
_SENT_FIELDS = (
    "id",
    "user_id",
    "delivery_status",
    "delivered_at",
    "opened_at",
    "clicked_at",
    "bounced_at",
    "complained_at",
    "meta",
)
"""What every event needs of its row; the rest is read only for a bounce or complaint."""
_LOCK_BY_SES_MESSAGE_ID = (
    f"SELECT {', '.join(_COLUMN_OF[name] for name in _SENT_FIELDS)} FROM {_SENT.name}"
    f" WHERE {_COLUMN_OF['ses_message_id']} = %(ses_message_id)s FOR UPDATE"
)
_STORED_FIELDS = (
    "sns_message_id",
    "event_type",
    "ses_message_id",
    "payload",
    "received_at",
    "applied",
)
_STORE_NOTIFICATION = (
    f"INSERT INTO {_SES_EVENTS.name} ({', '.join(_STORED_FIELDS)})"
    f" VALUES ({', '.join(f'%({name})s' for name in _STORED_FIELDS)})"
    f" ON CONFLICT (sns_message_id) DO NOTHING RETURNING id"
)


@dataclass
class SentEmail:
    """The locked sent row's fields that every event reads, kept up to date as it changes."""

    id: UUID
    user_id: str
    delivery_status: DeliveryStatus
    delivered_at: datetime | None
    opened_at: datetime | None
    clicked_at: datetime | None
    bounced_at: datetime | None
    complained_at: datetime | None
    meta: dict[str, Any]

    @classmethod
    def of(cls, sent: OutreachSent) -> "SentEmail":
        return cls(**{name: getattr(sent, name) for name in _SENT_FIELDS})

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> "SentEmail":
        fields = dict(zip(_SENT_FIELDS, row, strict=True))
        fields["delivery_status"] = DeliveryStatus(fields["delivery_status"])
        return cls(**fields)

    @property
    def facts(self) -> SentFacts:
        return SentFacts(
            delivery_status=self.delivery_status,
            delivered_at=self.delivered_at,
            opened_at=self.opened_at,
            clicked_at=self.clicked_at,
            bounced_at=self.bounced_at,
            complained_at=self.complained_at,
            meta=self.meta,
        )


def _locked_by_ses_message_id(connection: Connection, event: SesEvent) -> SentEmail | None:
    """The sent row SES's message id names, locked. Such a row was recorded with its status
    in one transaction, so it needs no reconciling and its draft no lock."""
    with driver_cursor(connection) as cursor:
        cursor.execute(_LOCK_BY_SES_MESSAGE_ID, {"ses_message_id": event.mail.message_id})
        row = cursor.fetchone()
    return SentEmail.from_row(row) if row is not None else None


def _store(
    connection: Connection,
    sns_message_id: str,
    event: SesEvent,
    message: Mapping[str, Any],
    received_at: datetime,
    *,
    applied: bool,
) -> bool:
    """Keep the notification; False when its SNS message id was already kept."""
    with driver_cursor(connection) as cursor:
        cursor.execute(
            _STORE_NOTIFICATION,
            {
                "sns_message_id": sns_message_id,
                "event_type": event.event_type,
                "ses_message_id": event.mail.message_id,
                "payload": Jsonb(dict(message)),
                "received_at": received_at,
                "applied": applied,
            },
        )
        return cursor.fetchone() is not None


def _reconciled_by_tag(
    connection: Connection, event: SesEvent, region: str
) -> tuple[SentEmail, bool] | None:
    """The sent row named by the `sent_id` tag, locked, and whether it was reconciled now.

    The Sender's outcome may have been lost, so the row may still be `sending` without an
    SES message id: its draft is locked first, as the Sender locks it, and SES's
    acceptance is recorded through the Sender's own `record_ses_acceptance`.
    """
    sent_id = _tagged_sent_id(event)
    if sent_id is None:
        return None
    with _orm(connection) as session:
        found = session.execute(
            select(OutreachSent.draft_id).where(OutreachSent.id == sent_id)
        ).first()
        if found is None:
            return None
        if found.draft_id is not None:
            session.get(OutreachDraft, found.draft_id, with_for_update=True)
        sent = session.get(OutreachSent, sent_id, with_for_update=True)
        if sent is None:
            return None
        # Read under the lock: the Sender may have recorded this very message id since the
        # lookup by id missed it (its transaction was open), which is no second message.
        if sent.ses_message_id not in (None, event.mail.message_id):
            logger.warning(
                "SES event of a second SES message for one sent row",
                extra={
                    "sent_id": str(sent_id),
                    "recorded_ses_message_id": sent.ses_message_id,
                    "event_ses_message_id": event.mail.message_id,
                },
            )
        reconciled = False
        if sent.ses_message_id is None or sent.delivery_status == DeliveryStatus.SENDING:
            reconciled = record_ses_acceptance(
                session,
                sent,
                ses_message_id=event.mail.message_id,
                region=event.mail.region or region,
                accepted_at=event.mail.timestamp,
            )
        if reconciled:
            logger.info("Sent row reconciled from an SES event", extra={"sent_id": str(sent_id)})
        return SentEmail.of(sent), reconciled


@contextmanager
def _orm(connection: Connection) -> Iterator[Session]:
    """An ORM session inside the connection's transaction, for the rarer steps that need
    one (reconciling, notifying, suppressing); its work is flushed into that transaction,
    which the caller commits."""
    with Session(bind=connection, expire_on_commit=False) as session:
        yield session
        session.commit()


@lru_cache(maxsize=64)
def _update_of(names: tuple[str, ...]) -> str:
    """One UPDATE per set of changed fields: the few kinds of event reuse a few statements.
    `updated_at` is set here as the model's `onupdate` would."""
    assignments = [f"{_COLUMN_OF[name]} = %(new_{name})s" for name in names]
    return (
        f"UPDATE {_SENT.name} SET {', '.join(assignments)}, updated_at = now()"
        " WHERE id = %(sent_id)s"
    )


def _save(connection: Connection, sent: SentEmail, changes: dict[str, Any]) -> None:
    """Write `changes` to the row, and to `sent`."""
    if not changes:
        return
    with driver_cursor(connection) as cursor:
        cursor.execute(
            _update_of(tuple(sorted(changes))),
            {
                "sent_id": sent.id,
                **{f"new_{name}": driver_value(value) for name, value in changes.items()},
            },
        )
    for name, value in changes.items():
        setattr(sent, name, value)


_APPLICABLE = frozenset(SesEventType) - {SesEventType.SUBSCRIPTION}


def _tell_user(session: Session, sent: OutreachSent, event: SesEvent, moved: Progress) -> None:
    common = {
        "sent_id": str(sent.id),
        "draft_id": str(sent.draft_id) if sent.draft_id else None,
        "contact_id": str(sent.contact_id) if sent.contact_id else None,
        "recipient": sent.recipient_email,
        "subject": sent.subject,
    }
    if moved.bounced and event.bounce is not None:
        notify(
            session,
            sent.user_id,
            EMAIL_BOUNCED,
            {
                **common,
                "bounce_type": sent.bounce_type,
                "bounce_subtype": sent.bounce_subtype,
                "diagnostic": sent.bounce_diagnostic,
                "bounced_at": event.bounce.timestamp.isoformat(),
            },
        )
    if moved.complained and event.complaint is not None:
        notify(
            session,
            sent.user_id,
            EMAIL_COMPLAINED,
            {
                **common,
                "feedback_type": event.complaint.complaint_feedback_type,
                "complained_at": event.complaint.timestamp.isoformat(),
            },
        )


def _stop_followups(session: Session, sent: OutreachSent, event: SesEvent, moved: Progress) -> None:
    reason = None
    if moved.complained:
        reason = FollowupReason.COMPLAINED
    elif moved.bounced and event.bounce is not None and is_hard_bounce(event.bounce.bounce_type):
        reason = FollowupReason.BOUNCED
    if reason is not None:
        publish(
            session,
            ConversationEnded(
                sent.user_id, reason, contact_id=sent.contact_id, address=sent.recipient_email
            ),
        )


def apply_ses_event(
    connection: Connection,
    sns_message_id: str,
    event: SesEvent,
    message: Mapping[str, Any],
    received_at: datetime,
    *,
    policies: SesEventPolicies,
    clock: Clock = _utc_now,
) -> SesEventResult:
    """`apply_sns_notification` inside the connection's open transaction.

    The common events cost two statements (Send) or three (Delivery, Open, Click) on the
    connection; an ORM session joins the same transaction only for what needs one.
    """
    ses_message_id = event.mail.message_id
    applicable = event.kind in _APPLICABLE
    sent = _locked_by_ses_message_id(connection, event) if applicable else None
    reconciled = False
    if sent is None and applicable:
        by_tag = _reconciled_by_tag(connection, event, policies.default_region)
        if by_tag is not None:
            sent, reconciled = by_tag
    if not _store(
        connection, sns_message_id, event, message, received_at, applied=sent is not None
    ):
        logger.info(
            "SES notification already processed",
            extra={"sns_message_id": sns_message_id, "event_type": event.event_type},
        )
        return SesEventResult(SesEventOutcome.DUPLICATE, event.event_type, ses_message_id)
    moved = progress(sent.facts, event) if sent is not None else Progress({})
    if sent is not None:
        _save(connection, sent, moved.changes)
    if event.kind in {SesEventType.BOUNCE, SesEventType.COMPLAINT}:
        with _orm(connection) as session:
            _feedback(session, event, sent, moved, policies, clock)

    outcome = SesEventOutcome.APPLIED if sent is not None else SesEventOutcome.UNMATCHED
    _log_result(event, sns_message_id, outcome, sent)
    return SesEventResult(
        outcome,
        event.event_type,
        ses_message_id,
        sent.id if sent is not None else None,
        reconciled or bool(moved.changes),
    )


def _feedback(
    session: Session,
    event: SesEvent,
    sent: SentEmail | None,
    moved: Progress,
    policies: SesEventPolicies,
    clock: Clock,
) -> None:
    """A bounce or complaint: the user told, their follow-ups stopped, the address
    suppressed (even for an unknown message: it is a fact about the address), and the
    user's rates checked."""
    row = session.get(OutreachSent, sent.id) if sent is not None else None
    if row is not None:
        _tell_user(session, row, event, moved)
        _stop_followups(session, row, event, moved)
    if event.bounce is not None:
        apply_bounce(
            session,
            event.bounce,
            ses_message_id=event.mail.message_id,
            sent_id=sent.id if sent is not None else None,
            policy=policies.suppression.policy(),
        )
    elif event.complaint is not None:
        apply_complaint(session, event.complaint)
    if sent is not None and (moved.bounced or moved.complained):
        pause_if_unsafe(session, sent.user_id, clock(), policies.account_safety)


def _log_result(
    event: SesEvent, sns_message_id: str, outcome: SesEventOutcome, sent: SentEmail | None
) -> None:
    extra = {
        "sns_message_id": sns_message_id,
        "ses_message_id": event.mail.message_id,
        "event_type": event.event_type,
        "outcome": outcome.value,
    }
    if sent is not None:
        logger.info("SES event applied", extra={**extra, "sent_id": str(sent.id)})
    elif event.kind is None:
        logger.warning("SES event of an unknown type stored, not applied", extra=extra)
    elif event.kind in _APPLICABLE:
        logger.warning("SES event for an unknown message stored, not applied", extra=extra)
    else:
        logger.info("SES event stored", extra=extra)


def apply_sns_notification(
    sns_message_id: str,
    message: Mapping[str, Any],
    received_at: datetime,
    *,
    bind: Engine | Connection | None = None,
    policies: SesEventPolicies | None = None,
) -> SesEventResult:
    """Store and apply one SES event record (the SNS notification's `Message`, parsed).

    `sns_message_id` is the notification's SNS `MessageId`: the key that makes a repeat
    change nothing. Runs in a transaction of its own, on `bind` (an engine, or a
    connection with no transaction open), else the process's engine. Raises
    MalformedSesEventError for a `message` that is not an SES event record; nothing is
    stored then.
    """
    event = parse_ses_event(message)
    policies = policies or SesEventPolicies.from_environment()
    if isinstance(bind, Connection):
        with bind.begin():
            return apply_ses_event(
                bind, sns_message_id, event, message, received_at, policies=policies
            )
    with (bind or get_engine()).begin() as connection:
        return apply_ses_event(
            connection, sns_message_id, event, message, received_at, policies=policies
        )
