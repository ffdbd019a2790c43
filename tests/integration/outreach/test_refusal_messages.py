"""What an approval refused for a suppressed address, paused sending or no address says,
word for word: the error a user reads and a client branches on."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression, UserSendingState
from tests.fixtures.api import ApiResponse
from tests.fixtures.aws import Aws
from tests.fixtures.outreach import Outreach

pytestmark = pytest.mark.integration

CallApi = Callable[..., ApiResponse]
DRAFTS = "/agents/outreach/drafts"


def approve(call_api: CallApi, outreach: Outreach, draft_id: object) -> dict[str, Any]:
    response = call_api("POST", f"{DRAFTS}/{draft_id}/approve", user=outreach.user_id)
    error: dict[str, Any] = response.json()["error"]
    return error


@pytest.mark.parametrize(
    ("scope", "reason", "whose"),
    [
        (SuppressionScope.GLOBAL, SuppressionReason.BOUNCE, "for everyone"),
        (SuppressionScope.USER, SuppressionReason.UNSUBSCRIBE, "for you"),
    ],
)
def test_a_suppressed_address_is_refused_saying_whose_suppression_and_why(
    aws: Aws,
    call_api: CallApi,
    outreach: Outreach,
    session: Session,
    scope: SuppressionScope,
    reason: SuppressionReason,
    whose: str,
) -> None:
    address = str(outreach.contact.email)
    session.add(
        EmailSuppression(
            address=address,
            reason=reason,
            scope=scope,
            user_id=outreach.user_id if scope is SuppressionScope.USER else None,
        )
    )
    session.commit()

    error = approve(call_api, outreach, outreach.draft(session).id)

    assert error == {
        "code": "recipient_suppressed",
        "message": f"{address} is suppressed {whose} ({reason.value}); no email will be sent "
        "to it.",
        "details": [
            {"field": "recipient_email", "message": f"suppressed: {reason.value}", "type": None}
        ],
    }


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("bounce rate 7%", "Your email sending is paused: bounce rate 7%."),
        (None, "Your email sending is paused."),
    ],
)
def test_paused_sending_is_refused_with_the_pause_reason_if_there_is_one(
    aws: Aws,
    call_api: CallApi,
    outreach: Outreach,
    session: Session,
    reason: str | None,
    message: str,
) -> None:
    session.add(
        UserSendingState(
            user_id=outreach.user_id, paused=True, reason=reason, paused_at=datetime.now(UTC)
        )
    )
    session.commit()

    error = approve(call_api, outreach, outreach.draft(session).id)

    assert (error["code"], error["message"]) == ("sending_paused", message)


def test_a_draft_without_an_address_is_refused_naming_the_field(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session
) -> None:
    outreach.contact.email = None
    session.merge(outreach.contact)
    session.commit()
    draft = outreach.draft(session)
    draft.recipient_email = None
    session.commit()

    error = approve(call_api, outreach, draft.id)

    assert error == {
        "code": "invalid_recipient",
        "message": "The draft has no recipient address.",
        "details": [{"field": "recipient_email", "message": "is missing", "type": None}],
    }
