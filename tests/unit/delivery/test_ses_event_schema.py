"""SES event records as AWS documents them parse, each type with the time it carries."""

from datetime import UTC, datetime

import pytest

from attendry.delivery.parsing import MalformedSesEventError, parse_ses_event
from attendry.delivery.schemas import SesEvent, SesEventType, SnsEnvelope
from tests.fixtures.ses import EVENT_FILES, load, sns_envelope


@pytest.mark.parametrize("event_type", sorted(EVENT_FILES))
def test_every_documented_event_type_parses(event_type: str) -> None:
    # Given AWS's example record of that type
    record = load(EVENT_FILES[event_type])

    # When it is parsed
    event = parse_ses_event(record)

    # Then its type is known and the message id and tags are read
    assert event.kind is SesEventType(event_type)
    assert event.mail.message_id.startswith("EXAMPLE")
    assert event.mail.tag("ses:configuration-set") == "ConfigSet"


def test_each_event_carries_its_own_time() -> None:
    bounce = parse_ses_event(load("bounce_permanent"))
    delivery = parse_ses_event(load("delivery"))
    send = parse_ses_event(load("send"))

    assert bounce.occurred_at == datetime(2017, 8, 5, 0, 41, 2, 669000, tzinfo=UTC)
    assert delivery.occurred_at == datetime(2016, 10, 19, 23, 21, 4, 133000, tzinfo=UTC)
    # A Send event has no time of its own: the email's send time
    assert send.occurred_at == send.mail.timestamp


def test_bounce_details_and_region_are_read() -> None:
    event = parse_ses_event(load("bounce_permanent"))

    assert event.bounce is not None
    assert event.bounce.bounce_type == "Permanent"
    assert event.bounce.bounce_sub_type == "General"
    assert event.bounce.diagnostic == "smtp; 550 5.1.1 user unknown"
    assert event.mail.region == "us-east-1"


def test_an_unknown_event_type_parses_without_a_kind() -> None:
    record = load("send")
    record["eventType"] = "SomethingNew"

    assert parse_ses_event(record).kind is None


def test_a_feedback_notification_names_its_type_notification_type() -> None:
    record = load("delivery")
    record["notificationType"] = record.pop("eventType")

    assert parse_ses_event(record).kind is SesEventType.DELIVERY


@pytest.mark.parametrize(
    ("name", "remove"),
    [
        pytest.param("bounce_permanent", "bounce", id="bounce-without-bounce"),
        pytest.param("delivery", "delivery", id="delivery-without-delivery"),
        pytest.param("send", "mail", id="no-mail"),
        pytest.param("send", "eventType", id="no-event-type"),
    ],
)
def test_a_record_missing_what_processing_needs_is_malformed(name: str, remove: str) -> None:
    record = load(name)
    del record[remove]

    with pytest.raises(MalformedSesEventError) as raised:
        parse_ses_event(record)
    assert raised.value.code == "malformed_ses_event"


def test_the_sns_envelope_carries_the_record_as_a_string() -> None:
    envelope = SnsEnvelope.model_validate_json(sns_envelope(load("send"), sns_message_id="m-1"))

    assert envelope.type == "Notification"
    assert envelope.message_id == "m-1"
    assert SesEvent.model_validate_json(envelope.message).kind is SesEventType.SEND
