"""What SES's bounces and complaints do to `email_suppressions`: the service side of
`attendry.rules.suppression`.

Suppressions made here are global (an address that bounces or complains does so for
every user) with reason `bounce` or `complaint`; the refusals read them through
`send_policy.find_suppression`, at approval and again at send time. Every bounce is also
kept in `email_bounces`, once per SES feedback id and address, so transient ones can be
counted.
"""

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.enums import SuppressionReason, SuppressionScope
from attendry.db.models import EmailBounce, EmailSuppression
from attendry.rules.suppression import (
    BounceType,
    TransientBouncePolicy,
    complaint_suppresses,
    is_hard_bounce,
    too_many_soft_bounces,
)
from attendry.schemas.ses_events import SesBounce, SesComplaint


def normalized(address: str) -> str:
    return address.strip().lower()


def suppress_for_everyone(session: Session, address: str, reason: SuppressionReason) -> bool:
    """Suppress `address` for every user; True if this call added it (a repeat is a no-op)."""
    stmt = (
        insert(EmailSuppression)
        .values(address=normalized(address), reason=reason, scope=SuppressionScope.GLOBAL)
        .on_conflict_do_nothing(index_elements=["address"], index_where=text("scope = 'global'"))
        .returning(EmailSuppression.id)
    )
    added = session.execute(stmt).first() is not None
    if added:
        logger.info("Address suppressed for everyone", extra={"reason": reason.value})
    return added


def _record_bounce(
    session: Session,
    bounce: SesBounce,
    address: str,
    *,
    ses_message_id: str,
    sent_id: UUID | None,
    diagnostic: str | None,
) -> None:
    session.execute(
        insert(EmailBounce)
        .values(
            address=address,
            bounce_type=bounce.bounce_type,
            bounce_subtype=bounce.bounce_sub_type,
            diagnostic=diagnostic,
            bounced_at=bounce.timestamp,
            feedback_id=bounce.feedback_id,
            ses_message_id=ses_message_id,
            sent_id=sent_id,
        )
        .on_conflict_do_nothing(index_elements=["feedback_id", "address"])
    )


def _soft_bounce_times(
    session: Session, address: str, around: datetime, policy: TransientBouncePolicy
) -> list[datetime]:
    """Soft bounces of `address` within one window either side of `around`: every window
    holding this bounce lies inside, whatever order the events came in."""
    return list(
        session.scalars(
            select(EmailBounce.bounced_at).where(
                EmailBounce.address == address,
                EmailBounce.bounce_type != BounceType.PERMANENT.value,
                EmailBounce.bounced_at >= around - policy.window,
                EmailBounce.bounced_at <= around + policy.window,
            )
        )
    )


def apply_bounce(
    session: Session,
    bounce: SesBounce,
    *,
    ses_message_id: str,
    sent_id: UUID | None,
    policy: TransientBouncePolicy,
) -> list[str]:
    """Record the bounce for each of its recipients; the addresses it newly suppressed."""
    suppressed = []
    for recipient in bounce.bounced_recipients:
        address = normalized(recipient.email_address)
        if not address:
            continue
        _record_bounce(
            session,
            bounce,
            address,
            ses_message_id=ses_message_id,
            sent_id=sent_id,
            diagnostic=recipient.diagnostic_code or recipient.status,
        )
        suppresses = is_hard_bounce(bounce.bounce_type) or too_many_soft_bounces(
            _soft_bounce_times(session, address, bounce.timestamp, policy), policy
        )
        if suppresses and suppress_for_everyone(session, address, SuppressionReason.BOUNCE):
            suppressed.append(address)
    return suppressed


def apply_complaint(session: Session, complaint: SesComplaint) -> list[str]:
    """Suppress each complaining recipient (not for `not-spam` feedback); those newly added.

    ISPs often redact the complainant, so SES lists every recipient of the email on that
    ISP's domain: for a one-recipient email, that is the contact.
    """
    if not complaint_suppresses(complaint.complaint_feedback_type):
        return []
    return [
        address
        for address in _addresses(r.email_address for r in complaint.complained_recipients)
        if suppress_for_everyone(session, address, SuppressionReason.COMPLAINT)
    ]


def _addresses(addresses: Iterable[str]) -> list[str]:
    return [address for address in (normalized(a) for a in addresses) if address]
