"""Account safety: too many bounces or complaints pause a user's sending until they resume."""

import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.models import OutreachDraft, UserSendingState
from attendry.outreach.service import approve_draft
from attendry.sending.policy import SendRefusedError
from attendry.sending.settings import AccountSafetySettings
from tests.fixtures.api import ApiResponse
from tests.fixtures.sent_emails import SENT_AT, Apply, MakeSent, SentEmail, notifications

pytestmark = pytest.mark.integration

CallApi = Callable[..., ApiResponse]


def sends(make_sent: MakeSent, user_id: str, count: int) -> list[SentEmail]:
    first = make_sent(user_id)
    return [first] + [
        make_sent(user_id, agent_id=first.agent_id, sent_at=SENT_AT + timedelta(seconds=i))
        for i in range(1, count)
    ]


def paused(session: Session, user_id: str) -> bool:
    state = session.get(UserSendingState, user_id, populate_existing=True)
    return state is not None and state.paused


def test_a_bounce_rate_over_five_percent_pauses_sending_and_says_why(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given 50 emails sent, two of which bounced (4%: still fine)
    emails = sends(make_sent, user_id, 50)
    for email in emails[:2]:
        apply(email.event("bounce_permanent"))
    assert not paused(db_session, user_id)

    # When a third bounces (6%, over 5%)
    apply(emails[2].event("bounce_permanent"))

    # Then sending is paused and the user is told why, with SES's thresholds for context
    assert paused(db_session, user_id)
    [told] = notifications(db_session, user_id, "sending.paused")
    assert told.payload["reasons"] == ["bounce_rate"]
    assert (told.payload["sends"], told.payload["bounces"]) == (50, 3)
    assert "3 of your last 50 emails bounced (6%, over the 5% limit)" in told.payload["message"]
    assert "may stop all of its email at 10% or 0.5%" in told.payload["message"]

    # And a further bounce neither pauses again nor notifies twice
    apply(emails[3].event("bounce_permanent"))
    assert len(notifications(db_session, user_id, "sending.paused")) == 1


def test_a_paused_user_cannot_approve(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    emails = sends(make_sent, user_id, 50)
    apply(emails[0].event("complaint"))  # 1 in 50: 2%, over 0.1%
    draft = OutreachDraft(
        user_id=user_id,
        agent_id=emails[0].agent_id,
        contact_id=emails[1].contact_id,
        subject="Hello",
        message_body="Hi",
        recipient_email=f"new-{uuid.uuid4().hex[:8]}@example.com",
    )
    db_session.add(draft)
    db_session.commit()

    with pytest.raises(SendRefusedError) as refused:
        approve_draft(db_session, user_id, draft.id, now=system_clock())
    assert refused.value.code == "sending_paused"
    assert "marked as spam" in refused.value.message


def test_no_rate_is_judged_below_the_minimum_sample(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    emails = sends(make_sent, user_id, 49)

    for email in emails[:10]:
        apply(email.event("bounce_permanent"))

    assert not paused(db_session, user_id)


def test_the_window_and_minimum_come_from_settings(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given a policy counting only the last 10 sends, judged from 10
    emails = sends(make_sent, user_id, 30)
    tight = AccountSafetySettings(ACCOUNT_SAFETY_WINDOW_SENDS=10, ACCOUNT_SAFETY_MIN_SENDS=10)

    # When one of the 10 newest bounces (10%), older ones not counted
    apply(emails[-1].event("bounce_permanent"), account_safety=tight)

    # Then sending is paused
    assert paused(db_session, user_id)


def test_resuming_counts_only_sends_after_the_resume(
    make_sent: MakeSent,
    apply: Apply,
    user_id: str,
    db_session: Session,
    call_api: CallApi,
) -> None:
    # Given a user paused for bounces
    emails = sends(make_sent, user_id, 50)
    for email in emails[:3]:
        apply(email.event("bounce_permanent"))
    state = call_api("GET", "/sending", user=user_id).json()
    assert state["paused"] is True
    assert state["reason"].startswith("3 of your last 50 emails bounced")
    assert state["rates"]["bounce_rate"] == 0.06

    # When they resume
    resumed = call_api("POST", "/sending/resume", user=user_id)

    # Then sending is on, and the old sends no longer count
    assert resumed.status == 200
    body = resumed.json()
    assert body["paused"] is False
    assert body["resumed_at"] is not None
    assert body["rates"]["sends"] == 0
    assert len(notifications(db_session, user_id, "sending.resumed")) == 1

    # And late bounces of sends from before the resume do not pause it again
    for email in emails[3:8]:
        apply(email.event("bounce_permanent"))
    assert not paused(db_session, user_id)

    # And resuming again is harmless
    assert call_api("POST", "/sending/resume", user=user_id).json()["paused"] is False


def test_sending_state_of_a_user_never_paused(call_api: CallApi, user_id: str) -> None:
    response = call_api("GET", "/sending", user=user_id)

    assert response.status == 200
    body = response.json()
    assert body["paused"] is False
    assert body["rates"]["sends"] == 0
    assert body["limits"] == {
        "max_bounce_rate": 0.05,
        "max_complaint_rate": 0.001,
        "minimum_sends": 50,
        "window_sends": 200,
        "window_days": 30,
        "ses_review_bounce_rate": 0.05,
        "ses_review_complaint_rate": 0.001,
        "ses_pause_bounce_rate": 0.1,
        "ses_pause_complaint_rate": 0.005,
    }


def test_sending_needs_a_user(call_api: CallApi) -> None:
    assert call_api("GET", "/sending", user=None).status == 401
