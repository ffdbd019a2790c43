"""What a bounce or complaint does besides moving its sent row: the user told, their
follow-ups to the address stopped, the address suppressed, the user's rates checked."""

from sqlalchemy.orm import Session

from attendry.core.clock import Clock
from attendry.db.enums import FollowupReason
from attendry.db.models import OutreachSent
from attendry.delivery.rules import Progress
from attendry.delivery.schemas import SesEvent
from attendry.delivery.settings import SuppressionSettings
from attendry.delivery.store import SentEmail
from attendry.delivery.suppression import apply_bounce, apply_complaint
from attendry.notifications.service import notify
from attendry.platform.domain_events import ConversationEnded, publish
from attendry.sending.account_safety import pause_if_unsafe
from attendry.sending.settings import AccountSafetySettings
from attendry.suppression.rules import is_hard_bounce

EMAIL_BOUNCED = "email.bounced"
EMAIL_COMPLAINED = "email.complained"


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


def apply_feedback(
    session: Session,
    event: SesEvent,
    sent: SentEmail | None,
    moved: Progress,
    *,
    suppression: SuppressionSettings,
    account_safety: AccountSafetySettings,
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
            policy=suppression.policy(),
        )
    elif event.complaint is not None:
        apply_complaint(session, event.complaint)
    if sent is not None and (moved.bounced or moved.complained):
        pause_if_unsafe(session, sent.user_id, clock(), account_safety)
