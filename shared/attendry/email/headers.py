"""Header safety: text from users, contacts and the LLM is refused, never rewritten, when unsafe.

A CR or LF in a header value lets its author add headers (a Bcc, a second body). Checking
the raw string is not enough: an RFC 2047 encoded-word such as `=?utf-8?b?SGkNCkJjYzog...?=`
is plain ASCII, and the stdlib's header registry decodes it when the value is assigned,
so the line break appears after the check (CVE-2024-6923 is the family; 3.11 and 3.12
differ by patch level). So every value is checked twice here, as written and as a mail
client would decode it, and `attendry.email.header_encoding` then writes it to the wire
itself, never through the stdlib's parser. Invisible and text-direction characters are
refused as well: they let a subject or a name read differently from what was approved.
Refusing rather than cleaning keeps what is sent identical to what the user approved.
"""

import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import suppress
from email.errors import HeaderParseError
from email.header import decode_header, make_header
from email.headerregistry import Address
from email.policy import default as default_policy
from functools import cache

from attendry.core.errors import InvalidInputError

# Line breaks and controls (Cc: C0, DEL, C1 with NEL), Unicode line and paragraph
# separators (which str.splitlines also breaks on) and lone surrogates.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
# Format characters (Cf) are invisible by definition: the bidirectional overrides,
# embeddings and isolates (U+202A-202E, U+2066-2069), the marks U+200E/200F/061C, the
# zero-width space and non-joiner, word joiners, BOM, soft hyphen, tag characters.
_INVISIBLE_CATEGORY = "Cf"
# Letters that render as nothing, used to make names look empty or alike.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u034f")
# The zero-width joiner is what glues emoji sequences (a family, a profession) together;
# between two symbols it is text, anywhere else it only hides something.
_ZERO_WIDTH_JOINER = "\u200d"
MAX_HEADER_CHARS = 998
_ADDR_SPEC = re.compile(r"^[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.-]+$")
_MESSAGE_ID = re.compile(r"^<?([!-;=?-~]+@[!-;=?-~]+)>?$")


class UnsafeHeaderError(InvalidInputError):
    """A header value that cannot be sent as it is; `header` names which one."""

    def __init__(self, header: str, reason: str) -> None:
        super().__init__(
            f"{header} {reason}",
            details=[{"field": header, "message": reason, "type": "unsafe_header"}],
        )
        self.header = header
        self.reason = reason


def _is_emoji_joiner(text: str, index: int) -> bool:
    return (
        0 < index < len(text) - 1
        and unicodedata.category(text[index - 1]) in {"So", "Mn"}
        and unicodedata.category(text[index + 1]) == "So"
    )


def _first_unsafe(text: str) -> str | None:
    """Why `text` cannot be shown in a header, or None: the first offending character."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in _UNSAFE_CATEGORIES:
            return f"contains a line break or control character (U+{ord(char):04X})"
        if char in _INVISIBLE_LETTERS or (
            category == _INVISIBLE_CATEGORY
            and not (char == _ZERO_WIDTH_JOINER and _is_emoji_joiner(text, index))
        ):
            return (
                f"contains an invisible or text-direction character (U+{ord(char):04X}), "
                "which would make the recipient read something other than what was sent"
            )
    return None


def _as_mail_clients_decode(text: str) -> list[str]:
    """The text a mail client may show for `text`: each RFC 2047 decoder's reading of it.

    Two decoders, because they disagree on edge cases (encoded-words inside quotes, next
    to other text): the compat32 one and the header registry the stdlib generator uses.
    A decoder that gives up shows the text as it is, which the raw check already covered.
    """
    readings = []
    for decode in _DECODERS:
        with suppress(HeaderParseError, LookupError, UnicodeError, ValueError, IndexError):
            readings.append(decode(text))
    return readings


_DECODERS: tuple[Callable[[str], str], ...] = (
    lambda text: str(make_header(decode_header(text))),
    lambda text: str(default_policy.header_factory("Subject", text)),
)


def check_header_value(header: str, value: str) -> str:
    """The value without surrounding whitespace; raises if empty, too long or unsafe.

    Unsafe is: a control or line-break character, an invisible or text-direction one,
    or an encoded-word that a mail client would decode into one of those.
    """
    stripped = value.strip()
    if not stripped:
        raise UnsafeHeaderError(header, "is empty")
    if len(stripped) > MAX_HEADER_CHARS:
        raise UnsafeHeaderError(header, f"is longer than {MAX_HEADER_CHARS} characters")
    reason = _first_unsafe(stripped)
    if reason is None and "=?" in stripped:
        for reading in _as_mail_clients_decode(stripped):
            decoded_reason = _first_unsafe(reading)
            if decoded_reason is not None:
                reason = (
                    f"holds an RFC 2047 encoded-word that decodes to text that {decoded_reason}"
                )
                break
    if reason is not None:
        raise UnsafeHeaderError(header, reason)
    return stripped


def _refused_characters() -> Iterator[tuple[int, int]]:
    """The ranges of code points `_first_unsafe` refuses wherever they stand, in order.

    Lone surrogates are left out (no UTF-8 body can carry one); the zero-width joiner,
    which `_first_unsafe` takes inside an emoji sequence, is in: a pattern cannot say where.
    """
    start = None
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        category = unicodedata.category(char)
        refused = category != "Cs" and (
            category in _UNSAFE_CATEGORIES
            or category == _INVISIBLE_CATEGORY
            or char in _INVISIBLE_LETTERS
        )
        if refused and start is None:
            start = point
        elif not refused and start is not None:
            yield start, point - 1
            start = None
    if start is not None:
        yield start, sys.maxunicode


def _in_class(point: int) -> str:
    # `\uXXXX` reads the same in Python's and ECMA-262's regexes; a code point past the
    # BMP is written as itself (ECMA-262 with the `u` flag, as JSON Schema reads patterns).
    return f"\\u{point:04X}" if point <= 0xFFFF else chr(point)


@cache
def header_text_pattern() -> str:
    """The regex of text `check_header_value` takes, as far as characters alone tell: it
    cannot judge an encoded-word by what it decodes to, nor a zero-width joiner by the
    characters around it (refused here, taken between two emoji by the check).

    Whitespace around the text, control characters included, is trimmed before the check,
    so only what lies between the first and the last other character must be safe.
    Built from the same character rules as the check, for the OpenAPI document; it is
    computed once, when the document is first asked for.
    """
    refused = "".join(
        _in_class(first) if first == last else f"{_in_class(first)}-{_in_class(last)}"
        for first, last in _refused_characters()
    )
    return f"^\\s*[^\\s{refused}](?:[^{refused}]*[^\\s{refused}])?\\s*$"


HEADER_TEXT_DESCRIPTION = (
    "Text that becomes an email header. Refused: control and line-break characters, "
    "invisible and text-direction characters (U+200B-200F, U+202A-202E, U+2066-2069, "
    "and every other format character; a zero-width joiner only inside an emoji "
    "sequence), and an RFC 2047 encoded-word (`=?charset?b?...?=`) that decodes to any "
    "of them. Whitespace around the text is trimmed; what is left must not be empty."
)


def header_text(field: str) -> Callable[[str], str]:
    """A pydantic after-validator for a field whose text becomes a header.

    It raises ValueError, so the API's 422 names the field and gives the reason.
    """

    def check(value: str) -> str:
        try:
            return check_header_value(field, value)
        except UnsafeHeaderError as error:
            raise ValueError(f"{field} {error.reason}") from error

    return check


def check_address(header: str, addr_spec: str) -> str:
    """A bare ASCII `local@domain`, exactly as given (trimmed), or UnsafeHeaderError.

    Internationalised addresses need SMTPUTF8, which the sending path does not offer,
    so they are refused here rather than bounced later.
    """
    value = check_header_value(header, addr_spec)
    if not _ADDR_SPEC.match(value):
        raise UnsafeHeaderError(header, "is not a plain ASCII email address")
    try:
        parsed = Address(addr_spec=value)
    except (ValueError, IndexError, HeaderParseError) as error:
        raise UnsafeHeaderError(header, "is not a valid email address") from error
    if parsed.addr_spec != value or not parsed.domain or "." not in parsed.domain:
        raise UnsafeHeaderError(header, "is not a valid email address")
    return value


def format_message_id(header: str, value: str) -> str:
    """`<id@host>` from `id@host` or `<id@host>`; anything else is refused."""
    match = _MESSAGE_ID.match(check_header_value(header, value))
    if match is None or match.group(1).count("@") != 1:
        raise UnsafeHeaderError(header, f"is not a Message-ID: {value.strip()[:80]!r}")
    return f"<{match.group(1)}>"
