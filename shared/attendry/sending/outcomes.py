"""What becomes of a claimed send: recorded as accepted by SES, or failed for good.

`record_ses_acceptance` is shared by the Sender (from SendEmail's answer) and by the
processing of SES's `Send` event (when the Sender's answer was lost), so whichever comes
first records it and the other changes nothing.
"""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.enums import DeliveryStatus, DraftStatus
from attendry.db.models import OutreachDraft, OutreachSent
from attendry.email.message import ses_message_id_header
from attendry.notifications.service import notify
from attendry.platform.domain_events import EmailSent, SendFailed, publish

EMAIL_SENT = "email.sent"
EMAIL_FAILED = "email.failed"


def _with_failure(meta: dict[str, Any], code: str, message: str) -> dict[str, Any]:
    return {**meta, "send_failure": {"code": code, "message": message}}


def fail_send(
    session: Session,
    draft: OutreachDraft,
    code: str,
    message: str,
    *,
    sent: OutreachSent | None = None,
) -> None:
    """The draft (and its sent row, if any) failed for good; the user is told why, and a
    follow-up's schedule does not wait for it any more."""
    draft.status = DraftStatus.FAILED
    draft.meta = _with_failure(draft.meta, code, message)
    if sent is not None:
        sent.delivery_status = DeliveryStatus.FAILED
        sent.meta = _with_failure(sent.meta, code, message)
    notify(
        session,
        draft.user_id,
        EMAIL_FAILED,
        {
            "draft_id": str(draft.id),
            "sent_id": str(sent.id) if sent is not None else None,
            "recipient": draft.recipient_email,
            "subject": draft.subject,
            "code": code,
            "message": message,
        },
    )
    publish(session, SendFailed(draft))
    logger.warning(
        "Email send failed", extra={"draft_id": str(draft.id), "code": code, "reason": message}
    )


def _mark_draft_sent(session: Session, sent: OutreachSent) -> bool:
    draft = session.get(OutreachDraft, sent.draft_id) if sent.draft_id else None
    if draft is None or draft.status not in {DraftStatus.APPROVED, DraftStatus.SENDING}:
        return False
    draft.status = DraftStatus.SENT
    notify(
        session,
        sent.user_id,
        EMAIL_SENT,
        {
            "draft_id": str(draft.id),
            "sent_id": str(sent.id),
            "recipient": sent.recipient_email,
            "subject": sent.subject,
            "rfc822_message_id": sent.rfc822_message_id,
        },
    )
    publish(session, EmailSent(draft, sent))
    return True


def record_ses_acceptance(
    session: Session,
    sent: OutreachSent,
    *,
    ses_message_id: str,
    region: str,
    accepted_at: datetime,
) -> bool:
    """SES accepted `sent`: keep its ids, mark it and its draft sent; True if this changed it.

    Shared by the Sender (from SendEmail's answer) and by the processing of SES's `Send`
    event (which finds the row by its `sent_id` tag when the Sender's answer was lost),
    so whichever comes first records it and the other changes nothing. Status only moves
    forward: a row that an event already took further keeps its status. Callers lock the
    draft (if any) before the sent row, as the Sender does.
    """
    changed = False
    if sent.ses_message_id is None:
        sent.ses_message_id = ses_message_id
        sent.rfc822_message_id = ses_message_id_header(ses_message_id, region)
        changed = True
    if sent.sent_at is None:
        sent.sent_at = accepted_at
    if sent.delivery_status == DeliveryStatus.SENDING:
        sent.delivery_status = DeliveryStatus.SENT
        changed = True
    return _mark_draft_sent(session, sent) or changed


def outcome_recorded(sent: OutreachSent) -> bool:
    return sent.ses_message_id is not None or sent.delivery_status != DeliveryStatus.SENDING


def settle_from_row(session: Session, draft: OutreachDraft, sent: OutreachSent) -> None:
    """A redelivery found the outcome already on the row: bring the draft level with it."""
    if sent.delivery_status == DeliveryStatus.FAILED:
        failure = sent.meta.get("send_failure") or {}
        fail_send(
            session,
            draft,
            str(failure.get("code", "failed")),
            str(failure.get("message", "The send failed.")),
        )
    else:
        _mark_draft_sent(session, sent)
