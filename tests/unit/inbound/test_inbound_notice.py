"""Reading SES's receipt notice, and the local stand-in's side of SES email receiving."""

import json

import pytest

from attendry.inbound.consumer import parse_notification
from attendry_local.inbound import ReceiptRoute, build_email, ses_inbound_message_id
from attendry_local.local_routes import LocalRouteError
from tests.fixtures.paths import ROOT
from tests.fixtures.ses_inbound import receipt_notice, sns_envelope


def test_a_raw_notice_names_the_stored_email() -> None:
    notice = receipt_notice(bucket="inbound", key="inbound/abc", recipients=["r@reply.example"])

    parsed = parse_notification(json.dumps(notice))

    assert parsed.receipt.action.bucket_name == "inbound"
    assert parsed.receipt.action.object_key == "inbound/abc"
    assert parsed.receipt.recipients == ["r@reply.example"]
    assert parsed.receipt.timestamp.tzinfo is not None
    assert parsed.mail.message_id == "abc"


def test_a_notice_inside_an_sns_envelope_is_unwrapped() -> None:
    notice = receipt_notice(bucket="inbound", key="inbound/abc", recipients=[])

    parsed = parse_notification(json.dumps(sns_envelope(notice)))

    assert parsed.receipt.action.object_key == "inbound/abc"


def test_the_sample_event_holds_one_good_and_one_malformed_notice() -> None:
    event = json.loads((ROOT / "events/inbound_mail/sqs_batch.json").read_text())
    good, bad = (record["body"] for record in event["Records"])

    assert parse_notification(good).receipt.action.object_key.startswith("inbound/")
    with pytest.raises(ValueError, match="receipt"):
        parse_notification(bad)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param(
            json.dumps(
                {
                    **receipt_notice(bucket="b", key="k", recipients=[]),
                    "notificationType": "Bounce",
                }
            ),
            id="another-notification-type",
        ),
        pytest.param(
            json.dumps(
                {
                    "notificationType": "Received",
                    "receipt": {
                        "timestamp": "2026-11-27T09:00:00Z",
                        "action": {"type": "SNS", "topicArn": "arn:aws:sns:x"},
                    },
                    "mail": {"messageId": "m"},
                }
            ),
            id="sns-action",
        ),
        pytest.param(
            json.dumps(
                {
                    "notificationType": "Received",
                    "receipt": {
                        "timestamp": "2026-11-27T09:00:00",
                        "action": {"type": "S3", "bucketName": "b", "objectKey": "k"},
                    },
                    "mail": {"messageId": "m"},
                }
            ),
            id="time-without-zone",
        ),
    ],
)
def test_anything_else_is_refused(body: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - ValidationError and JSONDecodeError alike
        parse_notification(body)


@pytest.mark.parametrize(
    ("recipients", "address", "accepted"),
    [
        (("reply.attendry.example",), "reply+abc@reply.attendry.example", True),
        (("reply.attendry.example",), "REPLY+abc@Reply.Attendry.Example", True),
        (("reply.attendry.example",), "x@attendry.example", False),
        (("reply.attendry.example",), "x@sub.reply.attendry.example", False),
        ((".attendry.example",), "x@sub.attendry.example", True),
        (("someone@example.org",), "someone@example.org", True),
        (("someone@example.org",), "other@example.org", False),
        ((), "anyone@anywhere.example", True),
    ],
)
def test_receipt_rules_match_recipients_as_ses_does(
    recipients: tuple[str, ...], address: str, accepted: bool
) -> None:
    route = ReceiptRoute("rule", recipients, "bucket", "inbound/", None)

    assert route.accepts(address) is accepted


def test_the_json_form_becomes_a_threaded_plain_text_reply() -> None:
    message = build_email(
        {
            "from": "Jonas <jonas@fjord.example>",
            "to": ["reply+abc@reply.attendry.example"],
            "subject": "Re: Hello",
            "text": "Yes!",
            "in_reply_to": "<0100abc@email.amazonses.com>",
            "references": ["<first@example.org>"],
        }
    )

    assert message["In-Reply-To"] == "<0100abc@email.amazonses.com>"
    assert message["References"] == "<first@example.org> <0100abc@email.amazonses.com>"
    assert message["Message-ID"].endswith("@fjord.example>")
    assert message.get_content().strip() == "Yes!"


@pytest.mark.parametrize(
    "body",
    [
        {"to": "a@b.example", "text": "no sender"},
        {"from": "a@b.example", "text": "no recipient"},
        {"from": "a@b.example", "to": "a@b.example", "bcc": "c@d.example"},
        {"from": "a@b.example", "to": "not an address"},
        {"from": "a@b.example", "to": "a@b.example", "subject": "Hi\r\nBcc: c@d.example"},
        {"from": "a@b.example", "to": "a@b.example", "subject": 5},
        ["not", "an", "object"],
    ],
)
def test_a_bad_json_form_is_a_400(body: object) -> None:
    with pytest.raises(LocalRouteError) as raised:
        build_email(body)

    assert raised.value.status == 400


def test_inbound_message_ids_look_like_ses_ones() -> None:
    ids = {ses_inbound_message_id() for _ in range(50)}

    assert len(ids) == 50
    assert all(len(value) == 28 and value.isalnum() and value.islower() for value in ids)
