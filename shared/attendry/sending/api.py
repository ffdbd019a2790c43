"""The user's email sending: whether account safety paused it, the rates, and resuming."""

from aws_lambda_powertools.event_handler.api_gateway import Router

from attendry.core.clock import system_clock
from attendry.db.engine import read_scope, session_scope
from attendry.http.auth import current_user_id
from attendry.sending.account_safety import SendingStatus, resume_sending, sending_status
from attendry.sending.schemas import SendingLimits, SendingRates, SendingState
from attendry.sending.settings import account_safety_settings

router = Router()
TAGS = ["sending"]


def _shown(status: SendingStatus) -> SendingState:
    sample, settings = status.sample, status.settings
    return SendingState(
        paused=status.paused,
        reason=status.reason,
        paused_at=status.paused_at,
        resumed_at=status.resumed_at,
        rates=SendingRates(
            sends=sample.sends,
            bounces=sample.bounces,
            complaints=sample.complaints,
            bounce_rate=round(sample.bounce_rate, 6),
            complaint_rate=round(sample.complaint_rate, 6),
            counted_since=status.counted_since,
        ),
        limits=SendingLimits(
            max_bounce_rate=settings.max_bounce_rate,
            max_complaint_rate=settings.max_complaint_rate,
            minimum_sends=settings.minimum_sends,
            window_sends=settings.window_sends,
            window_days=settings.window_days,
        ),
    )


@router.get(
    "/sending",
    summary="Whether your email sending is paused, and your bounce and complaint rates",
    tags=TAGS,
)
def get_sending() -> SendingState:
    with read_scope() as session:
        return _shown(
            sending_status(
                session, current_user_id(router), system_clock(), account_safety_settings()
            )
        )


@router.post(
    "/sending/resume",
    summary="Resume email sending after a pause",
    description=(
        "Idempotent. Approved emails held during the pause are queued again within minutes. "
        "Rates then count only emails sent after the resume, so the sends that caused the "
        "pause cannot pause it again."
    ),
    tags=TAGS,
)
def resume() -> SendingState:
    with session_scope() as session:
        return _shown(
            resume_sending(
                session, current_user_id(router), system_clock(), account_safety_settings()
            )
        )
