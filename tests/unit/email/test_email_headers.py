"""Header safety: unsafe values from users or the LLM are refused, naming the header."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attendry.core.errors import InvalidInputError
from attendry.email.headers import (
    MAX_HEADER_CHARS,
    UnsafeHeaderError,
    check_address,
    check_header_value,
    format_message_id,
)

UNSAFE = ["\r", "\n", "\r\n", "\x00", "\t", "\x1b", "\x7f", "\x85", "\u2028", "\u2029"]


def test_surrounding_whitespace_is_trimmed_and_nothing_else_changes() -> None:
    assert check_header_value("Subject", "  Hello — Grüße 👋🏽  ") == "Hello — Grüße 👋🏽"


@pytest.mark.parametrize("char", UNSAFE)
def test_line_breaks_and_control_characters_are_refused_naming_the_header(char: str) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        check_header_value("Subject", f"Hello{char}Bcc: victim@example.com")

    assert caught.value.header == "Subject"
    assert caught.value.message.startswith("Subject ")
    assert caught.value.details == [
        {"field": "Subject", "message": caught.value.reason, "type": "unsafe_header"}
    ]


def test_unsafe_header_error_is_an_invalid_input_error() -> None:
    assert issubclass(UnsafeHeaderError, InvalidInputError)


@pytest.mark.parametrize("value", ["", "   ", "\u00a0"])
def test_an_empty_value_is_refused(value: str) -> None:
    with pytest.raises(UnsafeHeaderError, match="is empty"):
        check_header_value("From", value)


def test_an_overlong_value_is_refused() -> None:
    check_header_value("Subject", "x" * MAX_HEADER_CHARS)
    with pytest.raises(UnsafeHeaderError, match="longer than"):
        check_header_value("Subject", "x" * (MAX_HEADER_CHARS + 1))


@given(st.text(), st.sampled_from(UNSAFE), st.text())
def test_any_value_with_a_line_break_or_control_is_refused(
    before: str, char: str, after: str
) -> None:
    with pytest.raises(UnsafeHeaderError):
        check_header_value("Subject", f"x{before}{char}{after}x")


INVISIBLE_LETTERS = "\u115f\u1160\u3164\uffa0\u034f"


@given(
    st.text(
        alphabet=st.characters(
            blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Cf"),
            blacklist_characters=INVISIBLE_LETTERS,
        ),
        min_size=1,
        max_size=200,
    ).filter(lambda value: value.strip())
)
def test_any_value_without_them_is_kept_as_it_is_once_trimmed(value: str) -> None:
    assert check_header_value("Subject", value) == value.strip()


SPOOFING = [
    *(chr(code) for code in range(0x202A, 0x202F)),  # embeddings and overrides
    *(chr(code) for code in range(0x2066, 0x206A)),  # isolates
    "\u200e",  # left-to-right mark
    "\u200f",  # right-to-left mark
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u200d",  # zero-width joiner between letters
    "\u2060",  # word joiner
    "\ufeff",  # zero-width no-break space
    "\u00ad",  # soft hyphen
    "\U000e0041",  # tag letter A (invisible)
    "\u3164",  # Hangul filler, renders as nothing
]


@pytest.mark.parametrize("char", SPOOFING, ids=lambda char: f"U+{ord(char):04X}")
def test_invisible_and_text_direction_characters_are_refused(char: str) -> None:
    with pytest.raises(UnsafeHeaderError, match=f"U\\+{ord(char):04X}") as caught:
        check_header_value("Subject", f"Invoice{char}fdp.exe")
    assert "invisible or text-direction" in caught.value.reason


def test_a_zero_width_joiner_inside_an_emoji_sequence_is_text() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert (
        check_header_value("Subject", f"From our {family} to yours")
        == f"From our {family} to yours"
    )


@pytest.mark.parametrize(
    "value",
    [
        "=?utf-8?b?SGkNCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?=",  # Hi\r\nBcc: evil@...
        "Hello =?utf-8?q?there=0D=0ABcc:_evil@attacker.example?=",
        "=?iso-8859-1?q?x=0Ay?=",
        "=?utf-8?b?4oCu?= gnp.exe",  # U+202E, the right-to-left override
        '"=?utf-8?q?Ann=0D=0ACc:_x@evil.example?=" ',
        "=?utf-8?q?Bob=0D=0A Cc: x@evil.example?=",  # whitespace inside: still decoded by some
    ],
)
def test_an_encoded_word_that_decodes_to_a_control_or_spoofing_character_is_refused(
    value: str,
) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        check_header_value("Subject", value)
    assert "encoded-word" in caught.value.reason


@pytest.mark.parametrize(
    "value", ["=?utf-8?b?SGVsbG8=?=", "=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "What does =? mean"]
)
def test_an_encoded_word_that_decodes_to_plain_text_is_accepted_as_written(value: str) -> None:
    assert check_header_value("Subject", value) == value


@pytest.mark.parametrize(
    "address",
    ["anna@example.com", "anna.o'neil+events@mail.example.co.uk", "a-b_c@sub-domain.example"],
)
def test_plain_addresses_are_accepted(address: str) -> None:
    assert check_address("To", f" {address} ") == address


@pytest.mark.parametrize(
    "address",
    [
        "anna@example.com\r\nBcc: eve@example.com",
        "Anna <anna@example.com>",
        "anna@example.com, eve@example.com",
        "anna",
        "anna@localhost",
        "jürgen@example.com",
        "anna@exämple.com",
        '"anna smith"@example.com',
    ],
)
def test_anything_but_one_plain_address_is_refused(address: str) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        check_address("To", address)
    assert caught.value.header == "To"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc-123@eu-west-1.amazonses.com", "<abc-123@eu-west-1.amazonses.com>"),
        (" <abc-123@email.amazonses.com> ", "<abc-123@email.amazonses.com>"),
        ("<CAE5ih7-qTJbO+YnP=VPjTvr@mail.gmail.com>", "<CAE5ih7-qTJbO+YnP=VPjTvr@mail.gmail.com>"),
    ],
)
def test_message_ids_are_put_in_angle_brackets(value: str, expected: str) -> None:
    assert format_message_id("References", value) == expected


@pytest.mark.parametrize(
    "value", ["<a@b>\r\nBcc: eve@example.com", "a b@c", "no-at-sign", "a@b@c", "<a@b> <c@d>"]
)
def test_anything_but_one_message_id_is_refused(value: str) -> None:
    with pytest.raises(UnsafeHeaderError) as caught:
        format_message_id("In-Reply-To", value)
    assert caught.value.header == "In-Reply-To"
