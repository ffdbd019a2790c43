"""The unsubscribe link: the confirmation page, RFC 8058 one-click, and what they change."""

import base64
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.enums import FollowupReason, FollowupStatus, SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression, OutreachSent
from attendry.email.settings import EmailSettings, email_settings
from attendry.email.unsubscribe import make_unsubscribe_token
from attendry.suppression.unsubscribe import CONTACT_UNSUBSCRIBED
from tests.fixtures.api import ApiResponse, LambdaContext, http_event
from tests.fixtures.aws import Aws
from tests.fixtures.outreach import Outreach, followup, notifications, sent_message

pytestmark = pytest.mark.integration

CallApi = Callable[..., ApiResponse]
FORM = {"content-type": "application/x-www-form-urlencoded"}
ONE_CLICK = "List-Unsubscribe=One-Click"


@pytest.fixture
def sent(session: Session, outreach: Outreach) -> OutreachSent:
    return sent_message(session, outreach)


def link(sent: OutreachSent) -> str:
    token = make_unsubscribe_token(
        sent_id=sent.id,
        user_id=sent.user_id,
        recipient=str(sent.recipient_email),
        settings=email_settings(),
        issued_at=system_clock(),
    )
    return f"/unsubscribe/{token}"


def tampered(path: str) -> str:
    last = path[-1]
    return path[:-1] + ("A" if last != "A" else "B")


def suppressions(session: Session, address: str) -> list[EmailSuppression]:
    session.expire_all()
    stmt = select(EmailSuppression).where(EmailSuppression.address == address.lower())
    return list(session.scalars(stmt))


def test_the_page_names_the_address_and_sender_and_changes_nothing(
    call_api: CallApi, session: Session, sent: OutreachSent
) -> None:
    response = call_api("GET", link(sent), user=None)

    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert str(sent.recipient_email) in response.body
    assert "Sam Lee" in response.body
    assert "outreach@attendry.example" in response.body
    assert '<form method="post">' in response.body
    assert '<button type="submit">Unsubscribe</button>' in response.body
    assert "<script" not in response.body
    assert suppressions(session, str(sent.recipient_email)) == []


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_tampered_or_made_up_token_is_a_404_page(
    call_api: CallApi, session: Session, sent: OutreachSent, method: str
) -> None:
    form = {"raw_body": ONE_CLICK, "headers": FORM} if method == "POST" else {}
    for path in (tampered(link(sent)), "/unsubscribe/not-a-token"):
        response = call_api(method, path, user=None, **form)

        assert response.status == 404, path
        assert response.headers["content-type"].startswith("text/html")
        assert "not valid" in response.body
    assert suppressions(session, str(sent.recipient_email)) == []


def test_one_click_suppresses_for_that_user_stops_their_followups_and_tells_them(
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    outreach: Outreach,
    session: Session,
    sent: OutreachSent,
) -> None:
    # Given scheduled follow-ups of this user, one already drafted, and another user's
    scheduled = followup(session, outreach, sent, attempt=1)
    drafted = followup(session, outreach, sent, attempt=2, status=FollowupStatus.DRAFTED)
    other = make_outreach(f"user-{uuid.uuid4()}")
    other_sent = sent_message(session, other, recipient=str(sent.recipient_email))
    theirs = followup(session, other, other_sent)

    # When the mail client posts RFC 8058's one-click body
    response = call_api("POST", link(sent), user=None, raw_body=ONE_CLICK, headers=FORM)

    # Then the address is suppressed for this user only
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    [row] = suppressions(session, str(sent.recipient_email))
    assert (row.scope, row.user_id, row.reason) == (
        SuppressionScope.USER,
        outreach.user_id,
        SuppressionReason.UNSUBSCRIBE,
    )
    # And only this user's scheduled follow-up stopped
    for row_ in (scheduled, drafted, theirs):
        session.refresh(row_)
    assert (scheduled.status, scheduled.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.UNSUBSCRIBED,
    )
    assert drafted.status == FollowupStatus.DRAFTED
    assert theirs.status == FollowupStatus.SCHEDULED
    # And the user was told how
    [notice] = notifications(session, outreach.user_id, CONTACT_UNSUBSCRIBED)
    assert notice.payload["via"] == "one_click"
    assert notice.payload["address"] == str(sent.recipient_email)
    assert notice.payload["followups_cancelled"] == 1


def test_unsubscribing_twice_or_from_the_page_changes_nothing_more(
    call_api: CallApi, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    first = call_api("POST", link(sent), user=None, raw_body="confirm=yes", headers=FORM)
    again = call_api("POST", link(sent), user=None, raw_body=ONE_CLICK, headers=FORM)
    page = call_api("GET", link(sent), user=None)

    assert (first.status, again.status) == (200, 200)
    assert len(suppressions(session, str(sent.recipient_email))) == 1
    [notice] = notifications(session, outreach.user_id, CONTACT_UNSUBSCRIBED)
    assert notice.payload["via"] == "page"
    assert "already unsubscribed" in page.body
    assert "<form" not in page.body


def test_a_base64_form_body_as_api_gateway_sends_it_is_accepted(
    api_handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    outreach: Outreach,
    session: Session,
    sent: OutreachSent,
) -> None:
    event = http_event("POST", link(sent), user=None, headers=FORM)
    event.update(body=base64.b64encode(ONE_CLICK.encode()).decode(), isBase64Encoded=True)

    result = api_handler(event, LambdaContext())

    assert result["statusCode"] == 200
    [notice] = notifications(session, outreach.user_id, CONTACT_UNSUBSCRIBED)
    assert notice.payload["via"] == "one_click"


def test_other_routes_still_refuse_form_bodies(call_api: CallApi, user: str) -> None:
    response = call_api("POST", "/contacts", user=user, raw_body="name=Ada", headers=FORM)
    nested = call_api("POST", "/unsubscribe/x/y", user=None, raw_body=ONE_CLICK, headers=FORM)

    assert response.status == 415
    # No route serves the nested path: the router's 404, its form never read.
    assert nested.status == 404


def test_approval_to_the_unsubscribed_address_is_refused_for_that_user_only(
    aws: Aws,
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    outreach: Outreach,
    session: Session,
    sent: OutreachSent,
) -> None:
    # Given the contact unsubscribed from this user
    call_api("POST", link(sent), user=None, raw_body=ONE_CLICK, headers=FORM)
    mine = outreach.draft(session, recipient_email=str(sent.recipient_email))
    other = make_outreach(f"user-{uuid.uuid4()}")
    theirs = other.draft(session, recipient_email=str(sent.recipient_email))

    # When each user approves a draft to that address
    refused = call_api("POST", f"/agents/outreach/drafts/{mine.id}/approve", user=outreach.user_id)
    allowed = call_api("POST", f"/agents/outreach/drafts/{theirs.id}/approve", user=other.user_id)

    # Then only this user is refused
    assert refused.status == 409
    assert refused.json()["error"]["code"] == "recipient_suppressed"
    assert allowed.status == 202


def test_deployed_without_a_public_base_url_the_page_still_reads_links(
    call_api: CallApi, monkeypatch: pytest.MonkeyPatch, session: Session, sent: OutreachSent
) -> None:
    # Given a deployed stage: a real secret, and no PUBLIC_BASE_URL for the API function
    local_link = link(sent)
    secret = "s" * 48
    for name, value in {"STAGE": "dev", "UNSUBSCRIBE_SECRET": secret}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    email_settings.cache_clear()
    try:
        deployed = EmailSettings(
            STAGE="dev", UNSUBSCRIBE_SECRET=secret, PUBLIC_BASE_URL="https://x"
        )
        token = make_unsubscribe_token(
            sent_id=sent.id,
            user_id=sent.user_id,
            recipient=str(sent.recipient_email),
            settings=deployed,
            issued_at=system_clock(),
        )

        # When the link is opened, and a local-secret link is tried
        page = call_api("GET", f"/unsubscribe/{token}", user=None)
        foreign = call_api("GET", local_link, user=None)
    finally:
        email_settings.cache_clear()

    # Then the deployed secret reads it, and nothing else does
    assert page.status == 200
    assert str(sent.recipient_email) in page.body
    assert foreign.status == 404
