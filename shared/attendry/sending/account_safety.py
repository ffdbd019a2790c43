"""Account safety: pause a user's sending when their bounce or complaint rate is too high.

Rates are measured over the user's most recent sends (`AccountSafetySettings`: the last
200 sends within 30 days) and only over sends made after their last resume. That last
rule is what lets a resume stick: the sends that caused a pause stay behind the resume
time, so the next bounce cannot re-pause on the same old data; the window has to fill
again (at least the minimum sample) with new sends before a rate is judged. Late bounces
of sends from before the resume still suppress their addresses; they no longer count.

A pause is checked only when a bounce or complaint is recorded (the only events that can
raise a rate) and is written with one conditional upsert, so two events deciding at once
pause once and notify once. The Sender holds a paused user's approved drafts (they stay
`approved`) and the re-drive queues them again after the resume.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from attendry.core.observability import logger
from attendry.db.enums import DeliveryStatus
from attendry.db.models import OutreachSent, UserSendingState
from attendry.notifications.service import notify
from attendry.sending.rates import (
    SES_PAUSE_BOUNCE_RATE,
    SES_PAUSE_COMPLAINT_RATE,
    SES_REVIEW_BOUNCE_RATE,
    SES_REVIEW_COMPLAINT_RATE,
    SendingSample,
    SendOutcome,
    pause_explanation,
    pause_reason_text,
    reasons_to_pause,
    sample_of,
)
from attendry.sending.settings import AccountSafetySettings

SENDING_PAUSED = "sending.paused"
SENDING_RESUMED = "sending.resumed"
_NOT_SENT = (DeliveryStatus.SENDING, DeliveryStatus.FAILED, DeliveryStatus.REJECTED)


@dataclass(frozen=True)
class SendingStatus:
    """A user's sending state and the rates account safety currently sees."""

    paused: bool
    reason: str | None
    paused_at: datetime | None
    resumed_at: datetime | None
    counted_since: datetime
    sample: SendingSample
    settings: AccountSafetySettings


def _state(
    session: Session, user_id: str
) -> tuple[bool, str | None, datetime | None, datetime | None]:
    row = session.execute(
        select(
            UserSendingState.paused,
            UserSendingState.reason,
            UserSendingState.paused_at,
            UserSendingState.resumed_at,
        ).where(UserSendingState.user_id == user_id)
    ).first()
    return (row[0], row[1], row[2], row[3]) if row is not None else (False, None, None, None)


def _counted_since(
    resumed_at: datetime | None, now: datetime, settings: AccountSafetySettings
) -> datetime:
    start = now - settings.window
    return max(start, resumed_at) if resumed_at is not None else start


def recent_sample(
    session: Session, user_id: str, since: datetime, settings: AccountSafetySettings
) -> SendingSample:
    """The user's last `window_sends` emails SES accepted after `since`, and what they did.

    Uses the (user_id, sent_at) index; at most `window_sends` small rows are read.
    """
    rows = session.execute(
        select(
            OutreachSent.bounce_type,
            OutreachSent.bounce_subtype,
            OutreachSent.complained_at,
            OutreachSent.meta,
        )
        .where(
            OutreachSent.user_id == user_id,
            OutreachSent.sent_at > since,
            OutreachSent.delivery_status.not_in(_NOT_SENT),
        )
        .order_by(OutreachSent.sent_at.desc())
        .limit(settings.window_sends)
    )
    return sample_of(
        SendOutcome(
            bounce_type=bounce_type,
            bounce_subtype=bounce_subtype,
            complained=complained_at is not None,
            complaint_subtype=(meta.get("complaint") or {}).get("subtype"),
        )
        for bounce_type, bounce_subtype, complained_at, meta in rows
    )


def sending_status(
    session: Session, user_id: str, now: datetime, settings: AccountSafetySettings
) -> SendingStatus:
    paused, reason, paused_at, resumed_at = _state(session, user_id)
    since = _counted_since(resumed_at, now, settings)
    return SendingStatus(
        paused=paused,
        reason=reason,
        paused_at=paused_at,
        resumed_at=resumed_at,
        counted_since=since,
        sample=recent_sample(session, user_id, since, settings),
        settings=settings,
    )


def _rates_payload(status: SendingStatus) -> dict[str, Any]:
    sample, limits = status.sample, status.settings.limits()
    return {
        "sends": sample.sends,
        "bounces": sample.bounces,
        "complaints": sample.complaints,
        "bounce_rate": round(sample.bounce_rate, 6),
        "complaint_rate": round(sample.complaint_rate, 6),
        "counted_since": status.counted_since.isoformat(),
        "limits": {
            "bounce_rate": limits.max_bounce_rate,
            "complaint_rate": limits.max_complaint_rate,
            "minimum_sends": limits.minimum_sends,
        },
        "ses": {
            "review_bounce_rate": SES_REVIEW_BOUNCE_RATE,
            "review_complaint_rate": SES_REVIEW_COMPLAINT_RATE,
            "pause_bounce_rate": SES_PAUSE_BOUNCE_RATE,
            "pause_complaint_rate": SES_PAUSE_COMPLAINT_RATE,
        },
    }


def pause_if_unsafe(
    session: Session, user_id: str, now: datetime, settings: AccountSafetySettings
) -> bool:
    """Pause the user's sending if a rate is over its limit; True if this call paused it."""
    status = sending_status(session, user_id, now, settings)
    if status.paused:
        return False
    limits = status.settings.limits()
    reasons = reasons_to_pause(status.sample, limits)
    if not reasons:
        return False
    reason = pause_reason_text(status.sample, limits, reasons)
    stmt = (
        insert(UserSendingState)
        .values(user_id=user_id, paused=True, reason=reason, paused_at=now)
        .on_conflict_do_update(
            index_elements=["user_id"],
            set_={"paused": True, "reason": reason, "paused_at": now, "updated_at": func.now()},
            where=UserSendingState.paused.is_(False),
        )
        .returning(UserSendingState.user_id)
    )
    if session.execute(stmt).first() is None:
        return False
    notify(
        session,
        user_id,
        SENDING_PAUSED,
        {
            "reasons": [r.value for r in reasons],
            "message": pause_explanation(status.sample, limits, reasons),
            **_rates_payload(status),
        },
    )
    logger.warning(
        "Sending paused for a user by account safety",
        extra={
            "user_id": user_id,
            "reasons": [r.value for r in reasons],
            "sends": status.sample.sends,
            "bounces": status.sample.bounces,
            "complaints": status.sample.complaints,
        },
    )
    return True


def resume_sending(
    session: Session, user_id: str, now: datetime, settings: AccountSafetySettings
) -> SendingStatus:
    """Resume a paused user's sending (idempotent); rates then count only later sends."""
    state = session.get(UserSendingState, user_id, with_for_update=True)
    if state is not None and state.paused:
        state.paused = False
        state.resumed_at = now
        session.flush()
        notify(
            session,
            user_id,
            SENDING_RESUMED,
            {"resumed_at": now.isoformat(), "previous_reason": state.reason},
        )
        logger.info("Sending resumed by the user", extra={"user_id": user_id})
    return sending_status(session, user_id, now, settings)
