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
4. for a bounce or complaint (`attendry.delivery.feedback`): suppresses the addresses,
   stops the user's scheduled follow-ups to them, notifies the user, checks account safety.

An event whose message is unknown (sent by another system, or older than the database)
is stored with `applied = false` and logged; its addresses are still suppressed, since a
bounce is a fact about the address. It is never an error, so it never loops.

Every way of finding the sent row locks it before the notification is stored, so two
deliveries of one notification (SQS and webhook at once) queue on that lock and the
second finds the key taken; storing first on one way and locking first on the other
deadlocked when the Sender recorded the SES message id between the two. A row found only
by its `sent_id` tag has its draft locked first, in the Sender's order, draft before
sent row. The account-safety upsert comes last. The common events run as a few
statements of hand-tuned SQL (`attendry.delivery.store`) on one connection; an ORM
session joins the transaction only for the rarer steps.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, select

from attendry.core.clock import Clock
from attendry.core.observability import logger
from attendry.db.engine import get_engine
from attendry.db.enums import DeliveryStatus
from attendry.db.models import OutreachDraft, OutreachSent
from attendry.delivery.feedback import apply_feedback
from attendry.delivery.parsing import parse_ses_event
from attendry.delivery.rules import Progress, progress
from attendry.delivery.schemas import SENT_ID_TAG, SesEvent, SesEventType
from attendry.delivery.settings import (
    SuppressionSettings,
    ses_events_settings,
    suppression_settings,
)
from attendry.delivery.store import (
    SentEmail,
    lock_by_ses_message_id,
    orm_session,
    save_changes,
    store_notification,
)
from attendry.sending.outcomes import record_ses_acceptance
from attendry.sending.settings import AccountSafetySettings, account_safety_settings


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
    """What processing needs besides the database: the function reads it at cold start."""

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


def _tagged_sent_id(event: SesEvent) -> UUID | None:
    value = event.mail.tag(SENT_ID_TAG)
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


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
    with orm_session(connection) as session:
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


_APPLICABLE = frozenset(SesEventType) - {SesEventType.SUBSCRIPTION}


def apply_ses_event(
    connection: Connection,
    sns_message_id: str,
    event: SesEvent,
    message: Mapping[str, Any],
    received_at: datetime,
    *,
    policies: SesEventPolicies,
    clock: Clock,
) -> SesEventResult:
    """`apply_sns_notification` inside the connection's open transaction.

    The common events cost two statements (Send) or three (Delivery, Open, Click) on the
    connection; an ORM session joins the same transaction only for what needs one.
    """
    ses_message_id = event.mail.message_id
    applicable = event.kind in _APPLICABLE
    sent = lock_by_ses_message_id(connection, event) if applicable else None
    reconciled = False
    if sent is None and applicable:
        by_tag = _reconciled_by_tag(connection, event, policies.default_region)
        if by_tag is not None:
            sent, reconciled = by_tag
    if not store_notification(
        connection, sns_message_id, event, message, received_at, applied=sent is not None
    ):
        logger.info(
            "SES notification already processed",
            extra={"sns_message_id": sns_message_id, "event_type": event.event_type},
        )
        return SesEventResult(SesEventOutcome.DUPLICATE, event.event_type, ses_message_id)
    moved = progress(sent.facts, event) if sent is not None else Progress({})
    if sent is not None:
        save_changes(connection, sent, moved.changes)
    if event.kind in {SesEventType.BOUNCE, SesEventType.COMPLAINT}:
        with orm_session(connection) as session:
            apply_feedback(
                session,
                event,
                sent,
                moved,
                suppression=policies.suppression,
                account_safety=policies.account_safety,
                clock=clock,
            )

    outcome = SesEventOutcome.APPLIED if sent is not None else SesEventOutcome.UNMATCHED
    _log_result(event, sns_message_id, outcome, sent)
    return SesEventResult(
        outcome,
        event.event_type,
        ses_message_id,
        sent.id if sent is not None else None,
        reconciled or bool(moved.changes),
    )


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
    policies: SesEventPolicies,
    clock: Clock,
) -> SesEventResult:
    """Store and apply one SES event record (the SNS notification's `Message`, parsed).

    `sns_message_id` is the notification's SNS `MessageId`: the key that makes a repeat
    change nothing. Runs in a transaction of its own, on `bind` (an engine, or a
    connection with no transaction open), else the process's engine. Raises
    MalformedSesEventError for a `message` that is not an SES event record; nothing is
    stored then.
    """
    event = parse_ses_event(message)
    if isinstance(bind, Connection):
        with bind.begin():
            return apply_ses_event(
                bind, sns_message_id, event, message, received_at, policies=policies, clock=clock
            )
    with (bind or get_engine()).begin() as connection:
        return apply_ses_event(
            connection,
            sns_message_id,
            event,
            message,
            received_at,
            policies=policies,
            clock=clock,
        )
