"""The outreach email: headers exact, parts right, unsafe input refused, bytes ready for SES."""

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage, MIMEPart
from typing import Any
from uuid import UUID

import pytest

from attendry.core.errors import InvalidInputError
from attendry.email.headers import UnsafeHeaderError
from attendry.email.message import (
    build_outreach_email,
    ses_message_id_from_header,
    ses_message_id_header,
    ses_raw_content,
)
from attendry.email.reply_address import (
    make_reply_address,
    parse_reply_address,
    parse_unsubscribe_mailto_address,
)
from attendry.email.settings import EmailSettings
from attendry.email.unsubscribe import UnsubscribeClaims, read_unsubscribe_token

SENT_ID = UUID("5f1c9a2e-8d3b-4c7a-9e61-0b2f4d6a8c13")
USER_ID = "user-42"
NOW = datetime(2025, 3, 3, 9, 30, 15, tzinfo=UTC)
SES_ID = "0102019570a3c2f1-3b1f6c2a-7d4e-4f0a-9c3b-5e8d7a6b4c21-000000"
LIST_UNSUBSCRIBE = re.compile(
    r"<https://app\.attendry\.example/unsubscribe/(?P<token>[A-Za-z0-9_-]+)>, "
    r"<mailto:(?P<mailto>unsubscribe\+[a-z2-7]{42}@reply\.attendry\.example)"
    r"\?subject=unsubscribe>"
)


@pytest.fixture
def settings() -> EmailSettings:
    return EmailSettings(
        STAGE="local",
        UNSUBSCRIBE_SECRET="test-secret",
        SENDER_DOMAIN="attendry.example",
        FROM_ADDRESS="outreach@attendry.example",
        REPLY_DOMAIN="reply.attendry.example",
        PUBLIC_BASE_URL="https://app.attendry.example",
        UNSUBSCRIBE_MAILTO="unsubscribe",
    )


@pytest.fixture
def build(settings: EmailSettings) -> Callable[..., EmailMessage]:
    def _build(**overrides: Any) -> EmailMessage:
        arguments: dict[str, Any] = {
            "sent_id": SENT_ID,
            "user_id": USER_ID,
            "sender_name": "Jane Doe",
            "recipient": "anna@example.com",
            "subject": "Speaking at DevSummit Berlin?",
            "text": "Hi Anna,\n\nwould you speak at DevSummit?\n\nJane",
            "settings": settings,
            "now": NOW,
        }
        arguments.update(overrides)
        return build_outreach_email(**arguments)

    return _build


def _parsed(message: EmailMessage) -> EmailMessage:
    return message_from_bytes(message.as_bytes(), policy=policy.default)


def _text(part: MIMEPart | None) -> str:
    """Decoded content; SMTP line endings survive decoding, so they are normalised here."""
    assert part is not None
    content: str = part.get_content()
    return content.replace("\r\n", "\n")


def test_the_required_headers_are_present_and_exact(
    build: Callable[..., EmailMessage], settings: EmailSettings
) -> None:
    message = _parsed(build())

    assert message["From"] == "Jane Doe <outreach@attendry.example>"
    assert message["To"] == "anna@example.com"
    assert message["Subject"] == "Speaking at DevSummit Berlin?"
    assert message["Date"] == "Mon, 03 Mar 2025 09:30:15 +0000"
    assert message["Reply-To"] == make_reply_address(SENT_ID, settings=settings)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] is None
    assert message["In-Reply-To"] is None
    assert message["References"] is None


def test_list_unsubscribe_has_the_https_one_click_link_and_the_mailto(
    build: Callable[..., EmailMessage], settings: EmailSettings
) -> None:
    match = LIST_UNSUBSCRIBE.fullmatch(str(_parsed(build())["List-Unsubscribe"]))

    assert match is not None
    assert read_unsubscribe_token(match["token"], settings=settings) == UnsubscribeClaims(
        sent_id=SENT_ID, user_id=USER_ID, recipient="anna@example.com", issued_at=NOW
    )
    assert parse_unsubscribe_mailto_address(match["mailto"], settings=settings) == SENT_ID


def test_the_reply_to_address_leads_back_to_the_sent_row(
    build: Callable[..., EmailMessage], settings: EmailSettings
) -> None:
    reply_to = str(_parsed(build())["Reply-To"])
    assert parse_reply_address(reply_to, settings=settings) == SENT_ID


def test_without_html_the_email_is_plain_text_with_the_unsubscribe_footer(
    build: Callable[..., EmailMessage],
) -> None:
    message = _parsed(build())
    token = LIST_UNSUBSCRIBE.fullmatch(str(message["List-Unsubscribe"]))

    assert message.get_content_type() == "text/plain"
    assert token is not None
    assert _text(message) == (
        "Hi Anna,\n\nwould you speak at DevSummit?\n\nJane\n\n-- \n"
        "Not interested? Unsubscribe with one click: "
        f"https://app.attendry.example/unsubscribe/{token['token']}\n"
    )


def test_with_html_the_email_is_an_alternative_of_plain_text_then_html(
    build: Callable[..., EmailMessage],
) -> None:
    message = _parsed(build(html="<html><body><p>Hi <b>Anna</b></p></body></html>"))
    token = LIST_UNSUBSCRIBE.fullmatch(str(message["List-Unsubscribe"]))
    assert token is not None
    url = f"https://app.attendry.example/unsubscribe/{token['token']}"

    parts = list(message.iter_parts())
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parts] == ["text/plain", "text/html"]
    assert all(part["MIME-Version"] is None for part in parts)
    assert _text(parts[0]).startswith("Hi Anna,")
    assert url in _text(parts[0])
    html = _text(parts[1])
    assert html.startswith("<html><body><p>Hi <b>Anna</b></p><p ")
    assert f'<a href="{url}">{url}</a></p>\n</body></html>' in html


def test_a_footer_in_the_agents_language(build: Callable[..., EmailMessage]) -> None:
    message = _parsed(build(footer_template="Kein Interesse? Hier abmelden: {url}"))
    assert "\n-- \nKein Interesse? Hier abmelden: https://" in _text(message)


def test_non_ascii_names_and_subjects_are_encoded_and_round_trip(
    build: Callable[..., EmailMessage],
) -> None:
    subject = "Grüße, Anna — 講演のお願い: DevSummit Berlin 2025 (Vortrag über Ökosysteme) 🎤"
    built = build(
        sender_name="Jürgen Müller, Acme GmbH",
        recipient_name="Anna Łukasiewicz",
        subject=subject,
        text="Grüße aus München — Jürgen",
        html="<p>Grüße aus München</p>",
    )
    raw = built.as_bytes()
    message = _parsed(built)

    assert raw.isascii()
    assert message["Subject"] == subject
    assert message["From"].addresses[0].display_name == "Jürgen Müller, Acme GmbH"
    assert message["From"].addresses[0].addr_spec == "outreach@attendry.example"
    assert message["To"].addresses[0].display_name == "Anna Łukasiewicz"
    assert _text(message.get_body(("plain",))).startswith("Grüße aus München — Jürgen")
    assert _text(message.get_body(("html",))).startswith("<p>Grüße aus München</p>")


def test_the_bytes_are_what_ses_raw_wants(build: Callable[..., EmailMessage]) -> None:
    message = build(text="Line " * 100, html="<p>" + "word " * 300 + "</p>")
    raw = message.as_bytes()
    lines = raw.split(b"\r\n")

    assert ses_raw_content(message) == {"Raw": {"Data": raw}}
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 998


def test_list_and_thread_headers_are_folded_between_items_never_encoded(
    build: Callable[..., EmailMessage],
) -> None:
    """The stdlib would turn long unbroken words into =?utf-8?q?...?= encoded words."""
    earlier = [f"{SES_ID[:-1]}{n}@eu-west-1.amazonses.com" for n in range(4)]
    raw = build(in_reply_to=earlier[-1], references=earlier[:-1]).as_bytes()
    section = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    headers = dict(line.split(":", 1) for line in re.sub(r"\r\n[ \t]+", " ", section).split("\r\n"))

    assert headers["In-Reply-To"] == f" <{earlier[-1]}>"
    assert headers["References"] == " " + " ".join(f"<{value}>" for value in earlier)
    assert LIST_UNSUBSCRIBE.fullmatch(headers["List-Unsubscribe"].strip())


@pytest.mark.parametrize(
    ("field", "header"),
    [
        ("subject", "Subject"),
        ("sender_name", "From"),
        ("recipient_name", "To"),
        ("recipient", "To"),
        ("in_reply_to", "In-Reply-To"),
    ],
)
@pytest.mark.parametrize("injection", ["\r\nBcc: eve@example.com", "\nBcc: eve@example.com"])
def test_line_breaks_from_user_or_llm_text_are_refused_naming_the_header(
    build: Callable[..., EmailMessage], field: str, header: str, injection: str
) -> None:
    values = {
        "subject": "Hello",
        "sender_name": "Jane",
        "recipient_name": "Anna",
        "recipient": "anna@example.com",
        "in_reply_to": f"{SES_ID}@email.amazonses.com",
    }
    with pytest.raises(UnsafeHeaderError) as caught:
        build(**{field: values[field] + injection})
    assert caught.value.header == header


def test_a_line_break_in_references_is_refused(build: Callable[..., EmailMessage]) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        build(references=["<a@example.com>\r\nBcc: eve@example.com"])
    assert caught.value.header == "References"


def test_surrounding_whitespace_in_headers_is_trimmed(build: Callable[..., EmailMessage]) -> None:
    message = _parsed(build(subject="  Hello Anna \t", sender_name=" Jane Doe "))
    assert message["Subject"] == "Hello Anna"
    assert message["From"] == "Jane Doe <outreach@attendry.example>"


def test_a_follow_up_carries_in_reply_to_and_references(
    build: Callable[..., EmailMessage],
) -> None:
    first = ses_message_id_header(SES_ID, "eu-west-1")
    second = f"{SES_ID[:-1]}1@eu-west-1.amazonses.com"

    message = _parsed(build(in_reply_to=second, references=[first]))

    assert message["In-Reply-To"] == f"<{second}>"
    assert message["References"] == f"{first} <{second}>"


def test_references_already_holding_the_parent_are_not_repeated(
    build: Callable[..., EmailMessage],
) -> None:
    parent = "<p@example.com>"
    message = _parsed(build(in_reply_to=parent, references=["a@example.com", parent, parent]))
    assert message["References"] == "<a@example.com> <p@example.com>"


def test_an_email_needs_a_plain_text_body(build: Callable[..., EmailMessage]) -> None:
    with pytest.raises(InvalidInputError, match="plain-text"):
        build(text=" \n ", html="<p>only html</p>")


def test_the_footer_template_must_hold_the_link(build: Callable[..., EmailMessage]) -> None:
    with pytest.raises(InvalidInputError, match="url"):
        build(footer_template="Unsubscribe anytime.")


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("us-east-1", "email.amazonses.com"),
        ("eu-west-1", "eu-west-1.amazonses.com"),
        ("us-west-2", "us-west-2.amazonses.com"),
        ("ap-southeast-2", "ap-southeast-2.amazonses.com"),
        ("eu-central-1", "eu-central-1.amazonses.com"),
    ],
)
def test_the_ses_message_id_host_depends_on_the_region(region: str, host: str) -> None:
    header = ses_message_id_header(SES_ID, region)

    assert header == f"<{SES_ID}@{host}>"
    assert ses_message_id_from_header(header) == SES_ID


@pytest.mark.parametrize(
    ("ses_message_id", "region"),
    [(SES_ID, "Europe"), (SES_ID, "eu-west-1\r\n"), ("abc@def", "us-east-1"), ("", "us-east-1")],
)
def test_malformed_ses_ids_or_regions_are_refused(ses_message_id: str, region: str) -> None:
    with pytest.raises(ValueError, match="not an"):
        ses_message_id_header(ses_message_id, region)


@pytest.mark.parametrize(
    "message_id",
    ["<CAE5ih7@mail.gmail.com>", f"<{SES_ID}@amazonses.com.evil.example>", SES_ID, ""],
)
def test_other_message_ids_hold_no_ses_id(message_id: str) -> None:
    assert ses_message_id_from_header(message_id) is None


def test_an_ses_host_is_matched_whatever_its_case() -> None:
    assert ses_message_id_from_header(f" <{SES_ID}@EU-WEST-1.AmazonSES.com> ") == SES_ID
