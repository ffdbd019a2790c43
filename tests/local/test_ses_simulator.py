"""The local SES's events: what SES's mailbox simulator does, in SES's own format."""

from datetime import UTC, datetime, timedelta

import pytest

from attendry.delivery.schemas import SesEvent
from attendry_local.ses_mailbox import AcceptedEmail, simulated_events, simulator_mailbox

SENT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RAW = (
    "From: Maya Chen <outreach@attendry.example>\r\n"
    "To: Jonas Berg <{to}>\r\n"
    "Subject: Data Engineering Summit\r\n"
    "Message-ID: <draft-1@attendry.example>\r\n"
    "Reply-To: r-abc@reply.attendry.example\r\n"
    "\r\n"
    "Hi Jonas\r\n"
)


def accepted(to: str) -> AcceptedEmail:
    return AcceptedEmail(
        ses_message_id="0100019a-local-000000",
        accepted_at=SENT,
        source="outreach@attendry.example",
        destinations=(to,),
        tags={"sent_id": "5b7c1a52-8f0e-4d8e-9a51-2c6f3e9d7b10", "user_id": "u-1"},
        configuration_set="attendry-local-OutreachConfigurationSet",
        raw=RAW.format(to=to),
        subject=None,
        region="us-east-1",
        account_id="123456789012",
    )


def events_for(to: str) -> list[SesEvent]:
    later = iter(SENT + timedelta(seconds=s) for s in range(1, 10))
    return [
        SesEvent.model_validate(event)
        for event in simulated_events(
            accepted(to), "attendry-local-OutreachConfigurationSet", now=lambda: next(later)
        )
    ]


@pytest.mark.parametrize(
    ("address", "mailbox"),
    [
        ("bounce@simulator.amazonses.com", "bounce"),
        ("Bounce+run-7@Simulator.AmazonSES.com", "bounce"),
        ("success@simulator.amazonses.com", "success"),
        ("bounce@example.com", None),
    ],
)
def test_mailbox_simulator_addresses_are_recognised_with_labels(
    address: str, mailbox: str | None
) -> None:
    assert simulator_mailbox(address) == mailbox


@pytest.mark.parametrize(
    ("address", "types"),
    [
        ("success@simulator.amazonses.com", ["Send", "Delivery"]),
        ("anyone@example.com", ["Send", "Delivery"]),
        ("bounce@simulator.amazonses.com", ["Send", "Bounce"]),
        ("complaint@simulator.amazonses.com", ["Send", "Delivery", "Complaint"]),
        ("suppressionlist@simulator.amazonses.com", ["Send", "Bounce"]),
    ],
)
def test_each_address_gets_the_events_ses_publishes(address: str, types: list[str]) -> None:
    assert [event.event_type for event in events_for(address)] == types


def test_every_event_carries_the_mail_object_with_the_email_tags() -> None:
    for event in events_for("success@simulator.amazonses.com"):
        mail = event.mail
        assert mail.message_id == "0100019a-local-000000"
        assert mail.timestamp == SENT
        assert mail.tag("sent_id") == "5b7c1a52-8f0e-4d8e-9a51-2c6f3e9d7b10"
        assert mail.tag("ses:configuration-set") == "attendry-local-OutreachConfigurationSet"
        assert mail.region == "us-east-1"
        assert mail.destination == ["success@simulator.amazonses.com"]


def test_the_bounces_are_what_ses_reports() -> None:
    [_, hard] = events_for("bounce@simulator.amazonses.com")
    [_, suppressed] = events_for("suppressionlist@simulator.amazonses.com")

    assert hard.bounce is not None
    assert (hard.bounce.bounce_type, hard.bounce.bounce_sub_type) == ("Permanent", "General")
    assert hard.bounce.diagnostic == "smtp; 550 5.1.1 user unknown"
    assert suppressed.bounce is not None
    assert suppressed.bounce.bounce_sub_type == "Suppressed"
    assert hard.bounce.timestamp > SENT


def test_the_headers_are_the_original_ones_and_the_message_id_is_ses_s() -> None:
    [send, _] = events_for("success@simulator.amazonses.com")
    mail = send.mail.model_extra or {}

    assert send.send == {}
    assert {"name": "Message-ID", "value": "<draft-1@attendry.example>"} in mail["headers"]
    assert mail["commonHeaders"]["messageId"] == "0100019a-local-000000"
    assert mail["commonHeaders"]["subject"] == "Data Engineering Summit"
