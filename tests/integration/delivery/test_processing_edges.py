"""SES events at the edges the mutation run found untested: which region names a
reconciled email's Message-ID, an event without its `sent_id` tag, what a result says
changed, and what a bounce's record keeps."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.models import EmailBounce
from attendry.delivery.service import (
    SesEventOutcome,
    SesEventPolicies,
    SesEventResult,
    apply_sns_notification,
)
from tests.fixtures.sent_emails import SENT_AT, Apply, MakeSent

pytestmark = pytest.mark.integration


def apply_in(event: dict[str, object], default_region: str) -> SesEventResult:
    """The notification applied by a function whose own region is `default_region`."""
    defaults = SesEventPolicies.from_environment()
    return apply_sns_notification(
        str(uuid.uuid4()),
        event,
        datetime.now(UTC),
        policies=SesEventPolicies(
            suppression=defaults.suppression,
            account_safety=defaults.account_safety,
            default_region=default_region,
        ),
        clock=system_clock,
    )


@pytest.mark.parametrize(
    ("source_arn", "host"),
    [
        pytest.param(
            "arn:aws:ses:eu-west-1:123456789012:identity/attendry.example",
            "eu-west-1.amazonses.com",
            id="the-region-the-identity-names",
        ),
        pytest.param(None, "ap-southeast-2.amazonses.com", id="else-the-functions-own"),
    ],
)
def test_a_reconciled_email_is_threaded_on_the_message_id_of_the_region_that_sent_it(
    make_sent: MakeSent, user_id: str, db_session: Session, source_arn: str | None, host: str
) -> None:
    # Given a send whose outcome was lost, and SES's Send event for it
    email = make_sent(user_id, recorded=False)
    event = email.event("send")
    if source_arn is None:
        del event["mail"]["sourceArn"]
    else:
        event["mail"]["sourceArn"] = source_arn

    # When a function in ap-southeast-2 applies it
    result = apply_in(event, "ap-southeast-2")

    # Then the Message-ID the contact saw names the sending region's host
    assert result.changed is True
    assert email.row(db_session).rfc822_message_id == f"<{email.ses_message_id}@{host}>"


def test_an_event_without_its_sent_id_tag_is_applied_by_its_ses_message_id(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)

    result = apply(email.event("delivery", tagged=False))

    assert (result.outcome, result.sent_id, result.changed) == (
        SesEventOutcome.APPLIED,
        email.sent_id,
        True,
    )
    assert email.row(db_session).delivered_at is not None


def test_an_event_of_a_second_ses_message_for_a_recorded_email_changes_nothing(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given a recorded email, and a Send event tagged with its id but for another message
    email = make_sent(user_id)
    event = email.event("send")
    event["mail"]["messageId"] = f"0100019a{uuid.uuid4().hex[:8]}-{uuid.uuid4()}-000000"

    result = apply(event)

    # Then it is found by the tag, but nothing is reconciled or changed
    assert (result.outcome, result.sent_id, result.changed) == (
        SesEventOutcome.APPLIED,
        email.sent_id,
        False,
    )
    assert email.row(db_session).ses_message_id == email.ses_message_id


def test_a_bounce_is_kept_with_the_email_it_came_from(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)

    apply(email.event("bounce_permanent", at=SENT_AT + timedelta(minutes=1)))

    kept = db_session.scalars(
        select(EmailBounce).where(EmailBounce.address == email.recipient)
    ).one()
    assert (kept.ses_message_id, kept.sent_id, kept.bounce_type) == (
        email.ses_message_id,
        email.sent_id,
        "Permanent",
    )
    assert kept.bounced_at == SENT_AT + timedelta(minutes=1)
