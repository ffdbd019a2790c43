"""Header values written to the wire here, not by the stdlib's header machinery.

Assigning a string to an `EmailMessage` header parses it: the header registry decodes any
RFC 2047 encoded-word it finds, then folds and re-encodes the result on output. Text
from a user, a contact or the LLM would then be read as structure, and how it is read
depends on the Python patch level. So the outreach email carries `EncodedHeader`s: a
value already in wire form (printable ASCII, encoded-words made here, folded here only
at the spaces this module put in). The email policy documents that a value with a
`name` attribute is stored as it is and folded by its own `fold` method
(https://docs.python.org/3/library/email.policy.html#email.policy.Policy.header_store_parse).

Outside text is shown literally: anything beyond plain printable ASCII, anything that
contains `=?` (so a client cannot take it for an encoded-word), and any word too long
to fold is base64-encoded as a whole, UTF-8 throughout. Decoders ignore the folding
whitespace between adjacent encoded-words (RFC 2047, 6.2), so the text comes back
exactly, character for character.
"""

import base64
import re
from typing import Any

_WORD_BYTES = 36  # 48 base64 characters: a 60-character encoded-word, well inside 75
_LONGEST_PLAIN_WORD = 70
_LONGEST_ENCODED_WORD = 75  # RFC 2047, 2
_Q_PHRASE_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")
_ATOM_PHRASE = re.compile(
    r"^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$"
)
_PRINTABLE_ASCII = re.compile(r"^[\x20-\x7e]*$")


class EncodedHeader(str):
    """A header value in its final wire form, folded only at its own spaces.

    Construction refuses anything but printable ASCII, so whatever reaches it, no line
    break or control character can leave through it: this is the last guard, after the
    checks of `attendry.email.headers`.
    """

    name: str

    def __new__(cls, name: str, value: str) -> "EncodedHeader":
        if not value or not _PRINTABLE_ASCII.match(value):
            raise ValueError(f"{name} is not in wire form: {value[:80]!r}")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Any) -> str:
        """`Name: value` and the line ending, wrapped at spaces before the line limit."""
        limit = policy.max_line_length or 78
        lines: list[str] = []
        line = f"{self.name}:"
        for index, word in enumerate(self.split(" ")):
            if index and len(line) + 1 + len(word) > limit:
                lines.append(line)
                line = ""
            line += f" {word}"
        lines.append(line)
        linesep: str = policy.linesep
        return linesep.join(lines) + linesep


def _needs_encoding(text: str) -> bool:
    return (
        not _PRINTABLE_ASCII.match(text)
        or "=?" in text
        or any(len(word) > _LONGEST_PLAIN_WORD for word in text.split(" "))
    )


def encoded_words(text: str) -> str:
    """`text` as base64 encoded-words separated by spaces, no UTF-8 sequence split."""
    words: list[bytes] = []
    chunk = b""
    for char in text:
        encoded = char.encode("utf-8")
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(chunk)
            chunk = b""
        chunk += encoded
    words.append(chunk)
    return " ".join(f"=?utf-8?b?{base64.b64encode(word).decode('ascii')}?=" for word in words)


def unstructured(text: str) -> str:
    """A Subject-like value: the text itself when it is plain ASCII, else encoded-words."""
    return encoded_words(text) if _needs_encoding(text) else text


def _q_phrase_word(text: str) -> str:
    """`text` as one Q encoded-word, with only the characters RFC 2047 (5.3) lets a phrase keep."""
    encoded = "".join(
        "_" if byte == 0x20 else chr(byte) if chr(byte) in _Q_PHRASE_SAFE else f"={byte:02X}"
        for byte in text.encode("utf-8")
    )
    return f"=?utf-8?q?{encoded}?="


def phrase(text: str) -> str:
    """A display name: atoms as they are, a quoted-string when it has specials, else words.

    An encoded name is one encoded-word when one can hold it: the stdlib's own parser
    (unlike RFC 2047, 6.2, and mail clients) puts a space between adjacent encoded-words
    of a display name, so one word reads the same everywhere.
    """
    if _needs_encoding(text):
        single = _q_phrase_word(text)
        if len(single) <= _LONGEST_ENCODED_WORD:
            return single
        return encoded_words(text)
    if _ATOM_PHRASE.match(text):
        return text
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def mailbox(display_name: str | None, addr_spec: str) -> str:
    """`Name <addr>`, or the bare address when there is no name."""
    if not display_name:
        return addr_spec
    return f"{phrase(display_name)} <{addr_spec}>"
