"""Unsubscribe tokens and per-email addresses: round trips, forgeries refused, nothing leaked."""

import base64
import re
import string
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from attendry.core.errors import NotFoundError
from attendry.email.reply_address import (
    make_reply_address,
    make_unsubscribe_mailto_address,
    parse_reply_address,
    parse_unsubscribe_mailto_address,
)
from attendry.email.settings import EmailSettings
from attendry.email.unsubscribe import (
    InvalidTokenError,
    UnsubscribeClaims,
    make_unsubscribe_token,
    read_unsubscribe_token,
    unsubscribe_url,
)

SENT_ID = UUID("5f1c9a2e-8d3b-4c7a-9e61-0b2f4d6a8c13")
USER_ID = "8a0e3f52-6c1d-4b9e-a7f3-2d5c8e1b4a60"
RECIPIENT = "anna.mueller@example.com"
ISSUED_AT = datetime(2025, 3, 3, 9, 30, 15, tzinfo=UTC)
BASE64_CHARS = string.ascii_letters + string.digits + "-_"
BASE32_CHARS = string.ascii_lowercase + "234567"


def _settings(secret: str) -> EmailSettings:
    return EmailSettings(
        STAGE="local",
        UNSUBSCRIBE_SECRET=secret,
        SENDER_DOMAIN="attendry.example",
        REPLY_DOMAIN="reply.attendry.example",
        PUBLIC_BASE_URL="https://app.attendry.example",
        UNSUBSCRIBE_MAILTO="unsubscribe",
    )


@pytest.fixture
def settings() -> EmailSettings:
    return _settings("test-secret-one")


@pytest.fixture
def other_settings() -> EmailSettings:
    return _settings("another-secret")


def _token(settings: EmailSettings, sent_id: UUID = SENT_ID) -> str:
    return make_unsubscribe_token(
        sent_id=sent_id,
        user_id=USER_ID,
        recipient=RECIPIENT,
        issued_at=ISSUED_AT,
        settings=settings,
    )


def _encodings(data: bytes) -> set[str]:
    """Every way `data` could show in a text token: hex, and base64/base32 at every alignment.

    The characters at either end of an unaligned encoding also depend on neighbouring
    bytes, so only the inner part, which does not, is kept.
    """
    found = {data.hex(), data.hex().upper()}
    for shift in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * shift + data).decode()
            found.add(encoded[4:-4])
    for shift in range(5):
        found.add(base64.b32encode(b"\0" * shift + data).decode()[8:-8])
    return found


def _contains_any(haystack: str, needles: set[str]) -> bool:
    return any(needle in haystack or needle.lower() in haystack.lower() for needle in needles)


def test_an_unsubscribe_token_round_trips(settings: EmailSettings) -> None:
    token = _token(settings)

    assert re.fullmatch(r"[A-Za-z0-9_-]+", token)
    assert read_unsubscribe_token(token, settings=settings) == UnsubscribeClaims(
        sent_id=SENT_ID, user_id=USER_ID, recipient=RECIPIENT, issued_at=ISSUED_AT
    )


@hypothesis_settings(max_examples=50)
@given(
    user_id=st.text(min_size=1, max_size=100),
    recipient=st.emails(),
    issued_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
)
def test_any_claims_round_trip(user_id: str, recipient: str, issued_at: datetime) -> None:
    settings = _settings("property-secret")
    sent_id = uuid4()
    token = make_unsubscribe_token(
        sent_id=sent_id,
        user_id=user_id,
        recipient=recipient,
        issued_at=issued_at,
        settings=settings,
    )

    claims = read_unsubscribe_token(token, settings=settings)

    assert (claims.sent_id, claims.user_id, claims.recipient) == (sent_id, user_id, recipient)
    assert claims.issued_at == issued_at.replace(microsecond=0)


def test_tokens_for_the_same_claims_differ(settings: EmailSettings) -> None:
    assert _token(settings) != _token(settings)


def test_every_changed_character_is_refused(settings: EmailSettings) -> None:
    token = _token(settings)
    for index, char in enumerate(token):
        replacement = BASE64_CHARS[(BASE64_CHARS.index(char) + 1) % len(BASE64_CHARS)]
        tampered = token[:index] + replacement + token[index + 1 :]
        with pytest.raises(InvalidTokenError):
            read_unsubscribe_token(tampered, settings=settings)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1],
        lambda token: token[:40],
        lambda token: token + "A",
        lambda token: token + "=",
        lambda token: token[:20] + "." + token[20:],
        lambda token: token.swapcase(),
        lambda token: "",
        lambda token: "A" * 5000,
    ],
)
def test_truncated_extended_or_garbled_tokens_are_refused(
    settings: EmailSettings, mangle: object
) -> None:
    assert callable(mangle)
    with pytest.raises(InvalidTokenError):
        read_unsubscribe_token(mangle(_token(settings)), settings=settings)


def test_a_token_made_with_another_secret_is_refused(
    settings: EmailSettings, other_settings: EmailSettings
) -> None:
    with pytest.raises(InvalidTokenError):
        read_unsubscribe_token(_token(other_settings), settings=settings)


def test_an_invalid_token_reads_as_not_found() -> None:
    assert issubclass(InvalidTokenError, NotFoundError)


def test_a_token_reveals_no_id_nor_address(settings: EmailSettings) -> None:
    token = _token(settings)

    assert not _contains_any(token, _encodings(SENT_ID.bytes) | {str(SENT_ID)})
    assert not _contains_any(token, _encodings(UUID(USER_ID).bytes) | {USER_ID})
    assert not _contains_any(token, _encodings(RECIPIENT.encode()) | {RECIPIENT, "anna"})


def test_a_naive_issue_time_is_refused(settings: EmailSettings) -> None:
    with pytest.raises(ValueError, match="timezone"):
        make_unsubscribe_token(
            sent_id=SENT_ID,
            user_id=USER_ID,
            recipient=RECIPIENT,
            issued_at=datetime(2025, 3, 3, 9, 30),
            settings=settings,
        )


def test_the_unsubscribe_url_is_under_the_public_base_url(settings: EmailSettings) -> None:
    assert unsubscribe_url("TOKEN", settings=settings) == (
        "https://app.attendry.example/unsubscribe/TOKEN"
    )


def test_a_reply_address_round_trips(settings: EmailSettings) -> None:
    address = make_reply_address(SENT_ID, settings=settings)

    assert re.fullmatch(r"reply\+[a-z2-7]{42}@reply\.attendry\.example", address)
    assert parse_reply_address(address, settings=settings) == SENT_ID


def test_per_email_local_parts_fit_rfc_5321(settings: EmailSettings) -> None:
    for address in (
        make_reply_address(uuid4(), settings=settings),
        make_unsubscribe_mailto_address(uuid4(), settings=settings),
    ):
        assert len(address.partition("@")[0]) <= 64


@pytest.mark.parametrize(
    "present",
    [
        lambda address: address.upper(),
        lambda address: f"Attendry <{address}>",
        lambda address: f'"Doe, Jane (via Attendry)" <{address.upper()}>',
        lambda address: f"  {address}  ",
    ],
)
def test_a_reply_address_is_read_whatever_its_case_or_display_name(
    settings: EmailSettings, present: object
) -> None:
    assert callable(present)
    address = make_reply_address(SENT_ID, settings=settings)
    assert parse_reply_address(present(address), settings=settings) == SENT_ID


def test_a_forged_reply_address_is_refused(settings: EmailSettings) -> None:
    address = make_reply_address(SENT_ID, settings=settings)
    local, _, domain = address.partition("@")
    prefix, _, token = local.partition("+")
    for index, char in enumerate(token):
        replacement = BASE32_CHARS[(BASE32_CHARS.index(char) + 1) % len(BASE32_CHARS)]
        forged = f"{prefix}+{token[:index]}{replacement}{token[index + 1 :]}@{domain}"
        assert parse_reply_address(forged, settings=settings) is None


@pytest.mark.parametrize(
    "address",
    [
        "reply@reply.attendry.example",
        "reply+@reply.attendry.example",
        "reply+abc@reply.attendry.example",
        "reply+" + "a" * 42 + "@reply.attendry.example",
        "reply+" + "1" * 42 + "@reply.attendry.example",
        "anna@example.com",
        "not an address",
        "",
    ],
)
def test_addresses_that_are_not_reply_addresses_read_as_none(
    settings: EmailSettings, address: str
) -> None:
    assert parse_reply_address(address, settings=settings) is None


def test_a_reply_address_from_another_secret_is_refused(
    settings: EmailSettings, other_settings: EmailSettings
) -> None:
    address = make_reply_address(SENT_ID, settings=other_settings)
    assert parse_reply_address(address, settings=settings) is None


def test_reply_and_unsubscribe_addresses_cannot_stand_in_for_each_other(
    settings: EmailSettings,
) -> None:
    reply = make_reply_address(SENT_ID, settings=settings)
    unsubscribe = make_unsubscribe_mailto_address(SENT_ID, settings=settings)
    reply_token = reply.partition("+")[2].partition("@")[0]
    unsubscribe_token = unsubscribe.partition("+")[2].partition("@")[0]

    assert parse_unsubscribe_mailto_address(unsubscribe, settings=settings) == SENT_ID
    assert parse_unsubscribe_mailto_address(reply, settings=settings) is None
    assert parse_reply_address(unsubscribe, settings=settings) is None
    swapped = f"unsubscribe+{reply_token}@reply.attendry.example"
    assert parse_unsubscribe_mailto_address(swapped, settings=settings) is None
    swapped = f"reply+{unsubscribe_token}@reply.attendry.example"
    assert parse_reply_address(swapped, settings=settings) is None


def test_per_email_addresses_reveal_no_id(settings: EmailSettings) -> None:
    hidden = _encodings(SENT_ID.bytes) | {str(SENT_ID)}
    assert not _contains_any(make_reply_address(SENT_ID, settings=settings), hidden)
    assert not _contains_any(make_unsubscribe_mailto_address(SENT_ID, settings=settings), hidden)
