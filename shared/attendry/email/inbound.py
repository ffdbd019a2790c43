"""Mail that comes back (replies, auto-replies, mailto unsubscribes), read from raw MIME.

The quoted part of a reply is cut with a small set of rules rather than the
email-reply-parser package: that package knows only English attribution lines ("On ...
wrote:"), keeps "Am ... schrieb ...:" as if the contact had written it, and drops any
paragraph that starts with "-" and a letter or digit as a signature, while agents write,
and contacts answer, in the user's language. What counts as the quoted part:
- a line starting with ">";
- an attribution line, possibly wrapped over three lines, that opens like "On", "Am",
  "Le", "El", "Il", "Op", "Em" ..., holds a date or an address, has the language's
  "wrote" and ends with ":", or one that names an address right before "wrote:";
- an "Original Message" separator (several languages) or a line of underscores;
- an Outlook header block: "From:" (or Von, De, Da, Van ...) followed by Sent/Date/To/
  Subject lines.
Everything from the first attribution, separator or header block on is cut, and quoted
lines are dropped wherever they are (inline answers keep their answers). When nothing
precedes the quote (bottom-posting), the text after it is kept instead.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes, policy
from email.errors import HeaderParseError
from email.message import EmailMessage, MIMEPart
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Protocol
from uuid import UUID

from attendry.email.message import ses_message_id_from_header
from attendry.email.reply_address import parse_reply_address, parse_unsubscribe_mailto_address
from attendry.email.settings import EmailSettings

# Ids in angle brackets (RFC 5322), or bare: some clients write `id@host` without them.
_MESSAGE_ID = re.compile(r"<\s*([^<>\s]+@[^<>\s]+?)\s*>|([^<>\s,;()]+@[^<>\s,;()]+)")
_WROTE = (
    r"(?:wrote|writes|schrieb|a écrit|escribió|ha scritto|schreef|escreveu|skrev|napisał|"
    r"napisała|написал|написала|kirjoitti|napsal|yazd\u0131)"
)
_OPENER = r"(?:On|Am|Le|El|Il|Op|Em|Den|Dne|Dnia|W dniu|\u0412|Pe|Kello|Tanggal)"
_ATTRIBUTION = re.compile(rf"^{_OPENER}\b.{{0,300}}\b{_WROTE}\b.{{0,200}}:$", re.IGNORECASE)
_ADDRESS_ATTRIBUTION = re.compile(rf"^.{{0,200}}@[^\s<>]{{1,255}}>?\s*{_WROTE}\s*:$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
    r"mensaje original|messaggio originale|oorspronkelijk bericht|mensagem original|"
    r"originalmeddelande|opprinnelig melding)\s*-{2,}|_{10,})\s*$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^\s*\*?(?:from|von|de|da|van|från|fra|od|от)\s*:\*?\s+\S", re.I)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(?:sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|à|objet|enviado|"
    r"fecha|para|asunto|inviato|data|a|oggetto|verzonden|aan|onderwerp|skickat|till|ämne)"
    r"\s*:",
    re.IGNORECASE,
)


class _AddressParser(Protocol):
    def __call__(self, address: str, *, settings: EmailSettings) -> UUID | None: ...


@dataclass(frozen=True, slots=True)
class InboundEmail:
    """What the inbound function needs from one received email; ids are given as <...>.

    `message` is the parsed MIME message, for what reads more than these fields (the
    classification in attendry.inbound).
    """

    from_address: str | None
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    date: datetime | None
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    reply_sent_id: UUID | None
    unsubscribe_sent_id: UUID | None
    text: str
    reply_text: str
    message: EmailMessage = field(compare=False, repr=False)

    @property
    def thread_message_ids(self) -> tuple[str, ...]:
        """In-Reply-To first, then References newest first: the order to try when matching."""
        return tuple(dict.fromkeys((*self.in_reply_to, *reversed(self.references))))

    @property
    def referenced_ses_message_ids(self) -> tuple[str, ...]:
        """The SES message ids this email answers, in matching order, whatever the region."""
        found = (ses_message_id_from_header(value) for value in self.thread_message_ids)
        return tuple(value for value in found if value)


def parse_inbound_email(
    raw: bytes,
    *,
    envelope_recipients: Sequence[str] = (),
    settings: EmailSettings,
) -> InboundEmail:
    """Parse one raw email; `envelope_recipients` (SES's receipt.recipients) also count.

    Never raises on malformed mail: what cannot be read comes back empty, so an odd
    message is stored and logged rather than retried forever.
    """
    message = message_from_bytes(raw, policy=policy.default)
    from_pairs = _addresses(header_values(message, "From"))
    to = tuple(address for _, address in _addresses(header_values(message, "To")))
    cc = tuple(address for _, address in _addresses(header_values(message, "Cc")))
    recipients = (*envelope_recipients, *to, *cc)
    subject = " ".join(header_values(message, "Subject")).strip()
    text = _body_text(message)
    message_ids = _message_ids(header_values(message, "Message-ID"))
    return InboundEmail(
        from_address=from_pairs[0][1] if from_pairs else None,
        from_name=from_pairs[0][0] if from_pairs else "",
        to=to,
        cc=cc,
        subject=subject,
        date=_date(header_values(message, "Date")),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_message_ids(header_values(message, "In-Reply-To")),
        references=_message_ids(header_values(message, "References")),
        reply_sent_id=_first_sent_id(recipients, parse_reply_address, settings),
        unsubscribe_sent_id=_first_sent_id(recipients, parse_unsubscribe_mailto_address, settings),
        text=text,
        reply_text=cut_quoted_text(text),
        message=message,
    )


def cut_quoted_text(text: str) -> str:
    """The contact's own words: the quoted part cut by the rules in this module's docstring."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    quote = _quote_start(lines)
    kept = lines
    if quote is not None:
        start, end = quote
        kept = lines[:start]
        if not "".join(kept).strip():
            kept = lines[end:]
    return "\n".join(line.rstrip() for line in kept if not line.lstrip().startswith(">")).strip()


def _quote_start(lines: list[str]) -> tuple[int, int] | None:
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith(">"):
            continue
        if _SEPARATOR.match(stripped):
            return index, index + 1
        if _HEADER_FROM.match(stripped) and any(
            _HEADER_NEXT.match(following) for following in lines[index + 1 : index + 4]
        ):
            return index, len(lines)
        if _ADDRESS_ATTRIBUTION.match(stripped):
            return index, index + 1
        for span in (1, 2, 3):
            joined = " ".join(part.strip() for part in lines[index : index + span])
            if _ATTRIBUTION.match(joined) and re.search(r"\d|@", joined):
                return index, index + span
    return None


def header_values(message: EmailMessage, name: str) -> list[str]:
    """Decoded values; the raw text if the header is too broken for the parser."""
    try:
        return [str(value) for value in message.get_all(name, [])]
    except (HeaderParseError, IndexError, ValueError):
        return [value for key, value in message.raw_items() if key.lower() == name.lower()]


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    return [(name, address) for name, address in getaddresses(values) if "@" in address]


def _message_ids(values: list[str]) -> tuple[str, ...]:
    found = (
        f"<{bracketed or bare.strip('.')}>"
        for bracketed, bare in _MESSAGE_ID.findall(" ".join(values))
    )
    return tuple(dict.fromkeys(found))


def _date(values: list[str]) -> datetime | None:
    if not values:
        return None
    try:
        return parsedate_to_datetime(values[0])
    except (TypeError, ValueError, IndexError):
        return None


def _first_sent_id(
    recipients: Iterable[str],
    parse: _AddressParser,
    settings: EmailSettings,
) -> UUID | None:
    for recipient in recipients:
        sent_id = parse(recipient, settings=settings)
        if sent_id is not None:
            return sent_id
    return None


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    content = _decoded(part)
    if part.get_content_type() == "text/html":
        content = _html_to_text(content)
    return content.replace("\r\n", "\n").replace("\r", "\n").strip()


def _decoded(part: MIMEPart) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        return payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else ""
    return content if isinstance(content, str) else ""


class _HtmlText(HTMLParser):
    """Visible text: a line per block or <br>; blockquote lines marked "> " like plain quotes."""

    _BLOCKS = frozenset(
        {"p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0
        self._quote = 0
        self._at_line_start = True

    def _newline(self) -> None:
        self.parts.append("\n")
        self._at_line_start = True

    def _end_line(self) -> None:
        if not self._at_line_start:
            self._newline()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag == "br":
            self._newline()
        elif tag == "blockquote":
            self._end_line()
            self._quote += 1
        elif tag in self._BLOCKS:
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag == "blockquote":
            self._end_line()
            self._quote = max(0, self._quote - 1)
        elif tag in self._BLOCKS:
            self._end_line()

    def handle_data(self, data: str) -> None:
        text = re.sub(r"\s+", " ", data)
        if self._at_line_start:
            text = text.lstrip()
        if self._skip or not text:
            return
        if self._at_line_start:
            text = "> " * self._quote + text
        self.parts.append(text)
        self._at_line_start = False


def _html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    text = "\n".join(line.strip() for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text)
