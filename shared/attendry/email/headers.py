"""Header safety: values from users and the LLM are refused, never rewritten, when unsafe.

A CR or LF in a header value lets its author add headers (a Bcc, a second body), and
Python 3.11 before 3.11.10 does not check the headers it generates (CVE-2024-6923), so
every value that reaches a header passes through here first. Refusing rather than
cleaning keeps what is sent identical to what the user approved.
"""

import re
import unicodedata
from email.errors import HeaderParseError
from email.headerregistry import Address

from attendry.errors import InvalidInputError

# Line breaks and controls (Cc: C0, DEL, C1 with NEL), Unicode line and paragraph
# separators (which str.splitlines also breaks on) and lone surrogates.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})
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


def check_header_value(header: str, value: str) -> str:
    """The value without surrounding whitespace; raises if empty, too long or unsafe."""
    stripped = value.strip()
    if not stripped:
        raise UnsafeHeaderError(header, "is empty")
    if len(stripped) > MAX_HEADER_CHARS:
        raise UnsafeHeaderError(header, f"is longer than {MAX_HEADER_CHARS} characters")
    for char in stripped:
        if unicodedata.category(char) in _UNSAFE_CATEGORIES:
            raise UnsafeHeaderError(
                header, f"contains a line break or control character (U+{ord(char):04X})"
            )
    return stripped


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
