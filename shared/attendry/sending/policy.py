"""Whether an email may go to an address now: the checks approval and the Sender share.

Approval refuses early, so the user hears at once; the Sender checks again at send time,
because an address can be suppressed (a bounce, a complaint, an unsubscribe) or the
user's sending paused between the approval and the send.
"""

from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from attendry.core.errors import ConflictError, InvalidInputError
from attendry.db.enums import DeliveryStatus, DraftStatus, SuppressionScope
from attendry.db.models import EmailSuppression, OutreachDraft, OutreachSent, UserSendingState
from attendry.email.headers import UnsafeHeaderError, check_address


class SendRefusal(StrEnum):
    """Why an email may not be sent: the `code` of the error a client sees."""

    INVALID_RECIPIENT = "invalid_recipient"
    RECIPIENT_SUPPRESSED = "recipient_suppressed"
    SENDING_PAUSED = "sending_paused"
    DAILY_SEND_CAP_REACHED = "daily_send_cap_reached"


class SendRefusedError(ConflictError):
    """A 409 whose `code` names the refusal, so a client can act on it without parsing text."""

    def __init__(
        self, refusal: SendRefusal, message: str, *, details: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, details=details)
        self.code = refusal.value


class InvalidRecipientError(InvalidInputError):
    """A 422: the draft has no address an email can be sent to."""

    code = SendRefusal.INVALID_RECIPIENT.value


def recipient_address(address: str | None) -> str:
    """The address as it will be sent to, or InvalidRecipientError saying what is wrong."""
    if not address or not address.strip():
        raise InvalidRecipientError(
            "The draft has no recipient address.",
            details=[{"field": "recipient_email", "message": "is missing"}],
        )
    try:
        return check_address("recipient_email", address)
    except UnsafeHeaderError as error:
        raise InvalidRecipientError(
            f"The recipient address {address.strip()[:254]!r} {error.reason}.",
            details=[{"field": "recipient_email", "message": error.reason}],
        ) from error


def find_suppression(session: Session, user_id: str, address: str) -> EmailSuppression | None:
    """A global suppression of the address, or this user's own; global first."""
    stmt = (
        select(EmailSuppression)
        .where(
            EmailSuppression.address == address.strip().lower(),
            or_(
                EmailSuppression.scope == SuppressionScope.GLOBAL,
                (EmailSuppression.scope == SuppressionScope.USER)
                & (EmailSuppression.user_id == user_id),
            ),
        )
        .order_by(EmailSuppression.scope)
        .limit(1)
    )
    return session.scalars(stmt).first()


def paused_sending(session: Session, user_id: str) -> UserSendingState | None:
    """The user's sending state if it is paused, else None."""
    state = session.get(UserSendingState, user_id)
    return state if state is not None and state.paused else None


def suppression_refusal(suppression: EmailSuppression) -> SendRefusedError:
    whose = "for everyone" if suppression.scope == SuppressionScope.GLOBAL else "for you"
    return SendRefusedError(
        SendRefusal.RECIPIENT_SUPPRESSED,
        f"{suppression.address} is suppressed {whose} ({suppression.reason.value}); "
        f"no email will be sent to it.",
        details=[{"field": "recipient_email", "message": f"suppressed: {suppression.reason}"}],
    )


def paused_refusal(state: UserSendingState) -> SendRefusedError:
    reason = f": {state.reason}" if state.reason else ""
    return SendRefusedError(SendRefusal.SENDING_PAUSED, f"Your email sending is paused{reason}.")


def refuse_unsendable(session: Session, user_id: str, address: str) -> None:
    """Raise SendRefusedError if the address is suppressed or the user's sending is paused."""
    suppression = find_suppression(session, user_id, address)
    if suppression is not None:
        raise suppression_refusal(suppression)
    state = paused_sending(session, user_id)
    if state is not None:
        raise paused_refusal(state)


def start_of_utc_day(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def sends_counted_today(session: Session, user_id: str, agent_id: UUID, now: datetime) -> int:
    """Today's (UTC) sends of the agent plus its approved drafts still waiting to be sent.

    A send counts from the moment its row is written (before SES is called) unless it
    failed; an approved draft counts at once, so approving many drafts quickly cannot
    overshoot the cap before the Sender catches up.
    """
    sent = session.scalar(
        select(func.count())
        .select_from(OutreachSent)
        .where(
            OutreachSent.user_id == user_id,
            OutreachSent.agent_id == agent_id,
            OutreachSent.created_at >= start_of_utc_day(now),
            OutreachSent.delivery_status != DeliveryStatus.FAILED,
        )
    )
    waiting = session.scalar(
        select(func.count())
        .select_from(OutreachDraft)
        .where(
            OutreachDraft.user_id == user_id,
            OutreachDraft.status == DraftStatus.APPROVED,
            OutreachDraft.agent_id == agent_id,
        )
    )
    return int(sent or 0) + int(waiting or 0)
