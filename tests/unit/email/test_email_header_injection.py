"""No outside text can add, remove or change a header of the email we send.

Each case goes through `build_outreach_email` and is judged on the raw bytes SES would
receive, read back by two parsers (the modern one and compat32, as different mail
clients read differently): the headers are exactly the ones we set, once each, and the
text a user, contact or LLM gave reads back character for character.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from attendry.email.headers import UnsafeHeaderError
from attendry.email.message import build_outreach_email
from attendry.email.settings import EmailSettings
from tests.fixtures.mail_headers import (
    PLAIN_EMAIL_HEADERS,
    assert_reads_back,
    header_lines,
    header_names,
)

SETTINGS = EmailSettings(
    STAGE="local",
    UNSUBSCRIBE_SECRET="test-secret",
    SENDER_DOMAIN="attendry.example",
    FROM_ADDRESS="outreach@attendry.example",
    REPLY_DOMAIN="reply.attendry.example",
    PUBLIC_BASE_URL="https://app.attendry.example",
    UNSUBSCRIBE_MAILTO="unsubscribe",
)
# The payloads: each is plain ASCII and decodes to "...\r\nBcc: evil@attacker.example".
ENCODED_INJECTIONS = [
    "=?utf-8?b?SGkNCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?=",
    "=?utf-8?q?Hi=0D=0ABcc:_evil@attacker.example?=",
    "=?UTF-8?Q?Hi=0ABcc=3A_evil=40attacker.example?=",
    "Hello =?iso-8859-1?b?DQpCY2M6IGV2aWxAYXR0YWNrZXIuZXhhbXBsZQ==?= there",
]
FIELDS = [("subject", "Subject"), ("sender_name", "From"), ("recipient_name", "To")]


def _build(**overrides: Any) -> EmailMessage:
    arguments: dict[str, Any] = {
        "sent_id": UUID("5f1c9a2e-8d3b-4c7a-9e61-0b2f4d6a8c13"),
        "user_id": "user-42",
        "sender_name": "Jane Doe",
        "recipient": "anna@example.com",
        "recipient_name": "Anna Smith",
        "subject": "Speaking at DevSummit?",
        "text": "Hi Anna,\n\nwould you speak at DevSummit?\n\nJane",
        "settings": SETTINGS,
        "now": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
    }
    arguments.update(overrides)
    return build_outreach_email(**arguments)


@pytest.mark.parametrize(("field", "header"), FIELDS)
@pytest.mark.parametrize("payload", ENCODED_INJECTIONS)
def test_an_encoded_word_that_decodes_to_a_line_break_is_refused_naming_the_header(
    field: str, header: str, payload: str
) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        _build(**{field: payload})
    assert caught.value.header == header
    assert "encoded-word" in caught.value.reason


@pytest.mark.parametrize(("field", "header"), FIELDS)
@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff"])
def test_text_direction_and_invisible_characters_are_refused(
    field: str, header: str, char: str
) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        _build(**{field: f"Anna{char}Smith"})
    assert caught.value.header == header


@pytest.mark.parametrize(("field", "header"), FIELDS)
@pytest.mark.parametrize(
    "text",
    [
        "=?utf-8?b?SGVsbG8=?=",  # decodes to "Hello": shown as written, not as Hello
        "=?utf-8?q?Bob?= <eve@attacker.example>",
        'Smith, John "JJ" \\ <eve@attacker.example>, Bcc: eve@attacker.example',
        "x" * 60,
        "Grüße Ünal",
        "a  b   c",
    ],
)
def test_outside_text_reads_back_literally_and_adds_no_header(
    field: str, header: str, text: str
) -> None:
    raw = _build(**{field: text}).as_bytes()

    assert raw.isascii()
    assert header_names(raw) == PLAIN_EMAIL_HEADERS
    assert_reads_back(raw, {field: text})
    modern = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in modern["To"].addresses] == ["anna@example.com"]
    assert [a.addr_spec for a in modern["From"].addresses] == ["outreach@attendry.example"]


def test_long_outside_text_is_split_into_encoded_words_that_rfc_2047_joins_exactly() -> None:
    subject = "Grüße " * 30 + "x" * 120
    name = "Jürgen-Ünal Müller-Lüdenscheidt, Ökosystem-Beauftragter für Großveranstaltungen"
    raw = _build(subject=subject, sender_name=name, recipient_name=name).as_bytes()

    assert raw.isascii()
    assert header_names(raw) == PLAIN_EMAIL_HEADERS
    for header in ("From", "To", "Subject"):
        assert all(len(line) <= 78 for line in header_lines(raw, header)), header
    assert_reads_back(raw, {"subject": subject, "sender_name": name, "recipient_name": name})


_PIECES = st.one_of(
    st.sampled_from(
        [*" =?\"'\\<>,;:@()[]bBqQ_-", "=?utf-8?b?", "=?utf-8?q?", "?=", "=0D=0A", "Bcc: "]
    ),
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf")),
)


def _text(max_pieces: int) -> st.SearchStrategy[str]:
    """Text made to look like header syntax: encoded-word marks, quotes, specials, any letter."""
    return (
        st.lists(_PIECES, min_size=1, max_size=max_pieces).map("".join).map(str.strip).filter(bool)
    )


@settings(max_examples=300, deadline=None)
@given(subject=_text(120), sender_name=_text(30), recipient_name=_text(30))
def test_any_accepted_text_changes_no_header_and_reads_back_exactly(
    subject: str, sender_name: str, recipient_name: str
) -> None:
    given_text = {
        "subject": subject,
        "sender_name": sender_name,
        "recipient_name": recipient_name,
    }
    build: Callable[..., EmailMessage] = _build
    refusal = None
    try:
        message = build(**given_text)
    except UnsafeHeaderError as refused:
        refusal = refused.reason
    if refusal is not None:
        # Refused only when a decoder would turn the text into something unsafe.
        assert "encoded-word" in refusal
        return
    raw = message.as_bytes()

    assert raw.isascii()
    assert header_names(raw) == PLAIN_EMAIL_HEADERS
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert_reads_back(raw, given_text)
