"""The offline drafter's request reduced to facts a sentence can use, each None when it
should not be mentioned, and the small helpers that turn facts into English."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from attendry.drafting import phrasings as w
from attendry.drafting.models import DraftRequest


def join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}…"


def sentence(text: str) -> str:
    text = text.strip().rstrip(",;:")
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else f"{text}."


@dataclass(frozen=True)
class Facts:
    """The request reduced to what a sentence can use; None means "do not mention"."""

    first_name: str | None
    full_name: str | None
    role: str | None
    topics: tuple[str, ...]
    agenda: tuple[str, ...]
    event: str | None
    when: str | None
    where: str | None
    online: bool
    days_until_event: int | None
    local_time: str | None
    sender: str | None
    signature: str | None


def _names(name: str | None) -> tuple[str | None, str | None]:
    if not name:
        return None, None
    ordered = " ".join(reversed(name.split(",", 1))).strip() if "," in name else name
    tokens = [t for t in ordered.split() if t.rstrip(".").lower() not in w.HONORIFICS]
    return (tokens[0] if tokens else None), " ".join(ordered.split())


def _role(title: str | None, company: str | None) -> str | None:
    if title and company:
        return f"your work as {title} at {company}"
    if title:
        return f"your work as {title}"
    if company:
        return f"your work at {company}"
    return None


def _day(d: date, us: bool) -> str:
    return f"{w.MONTHS[d.month - 1]} {d.day}" if us else f"{d.day} {w.MONTHS[d.month - 1]}"


def _when(request: DraftRequest, us: bool) -> str | None:
    """Say when, as "on Tuesday 14 October 2025" or a range, in English whatever the locale."""
    event = request.event
    if event is None or event.starts_at is None:
        return None
    start = event.starts_at.date()
    end = event.ends_at.date() if event.ends_at else start
    if end <= start:
        weekday = w.WEEKDAYS[start.weekday()]
        if us:
            return f"on {weekday}, {_day(start, us)}, {start.year}"
        return f"on {weekday} {_day(start, us)} {start.year}"
    if start.year != end.year:
        sep = ", " if us else " "
        return f"from {_day(start, us)}{sep}{start.year} to {_day(end, us)}{sep}{end.year}"
    if start.month == end.month:
        if us:
            return f"from {_day(start, us)} to {end.day}, {end.year}"
        return f"from {start.day} to {_day(end, us)} {end.year}"
    if us:
        return f"from {_day(start, us)} to {_day(end, us)}, {end.year}"
    return f"from {_day(start, us)} to {_day(end, us)} {end.year}"


def _local_time(timezone: str | None) -> str | None:
    """Offer the contact's hours as "Berlin time" (from Europe/Berlin), not as a zone id."""
    if not timezone or "/" not in timezone:
        return None
    city = timezone.rsplit("/", 1)[1].replace("_", " ").strip()
    return f"{city} time" if city and city.replace(" ", "").isalpha() else None


def _signature(text: str | None) -> str | None:
    if not text:
        return None
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").split("\n")]
    joined = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return joined or None


def facts_of(request: DraftRequest, us: bool) -> Facts:
    contact, event = request.contact, request.event
    first, full = _names(contact.name)
    topics = tuple(contact.topics[:3])
    event_topics = tuple(event.topics) if event else ()
    lowered = {t.lower() for t in contact.topics}
    shared = tuple(t for t in event_topics if t.lower() in lowered)
    location = event.location if event else None
    online = bool(location and location.lower() in w.ONLINE)
    return Facts(
        first_name=first,
        full_name=full,
        role=_role(contact.title, contact.company),
        topics=topics,
        agenda=(shared or event_topics)[:3],
        event=event.title if event else None,
        when=_when(request, us),
        where=("online" if online else f"in {location}") if location else None,
        online=online,
        days_until_event=request.days_until_event,
        local_time=_local_time(contact.timezone),
        sender=request.style.sender_name,
        signature=_signature(request.style.signature),
    )
