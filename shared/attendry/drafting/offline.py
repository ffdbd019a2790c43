"""The drafter that needs no key and no network: real sentences from the fields we have.

Each sentence is written only when the facts it needs are known, so a missing company or
date shortens the email instead of leaving a hole. Wording varies by tone and, within a
tone, by a hash of the request: the same request always gives the same email, and two
contacts do not get identical ones. It writes English only; another language is recorded
in the generator's notes. The contact's bio is never quoted: it is untrusted text and
this drafter cannot judge it.
"""

import hashlib
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import ValidationError

from attendry.drafting.errors import DraftingError, validation_summary
from attendry.drafting.models import (
    SUBJECT_MAX,
    DraftRequest,
    DraftResult,
    EmailDraft,
    GeneratorInfo,
    reply_subject,
)

OFFLINE_VERSION = "offline-v1"

_TONES = ("professional", "formal", "friendly", "warm", "concise")
_TONE_ALIASES = {"casual": "friendly", "brief": "concise", "short": "concise", "direct": "concise"}
_HONORIFICS = {"dr", "prof", "mr", "mrs", "ms", "mx", "sir", "dame", "miss"}
_ONLINE = {"online", "virtual", "remote", "web", "zoom", "livestream"}
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MENTION = re.compile(
    r"^(?:please\s+)?(?:mention|say|note|add|include|tell (?:them|him|her))"
    r"(?:\s+that\s+|\s*:\s*)(?P<content>.+)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SUBJECT_EVENT_MAX = 60
_MAX_INSTRUCTION_LINES = 2


def _join(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return f"{cut}…"


def _sentence(text: str) -> str:
    text = text.strip().rstrip(",;:")
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else f"{text}."


@dataclass(frozen=True)
class _Facts:
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
    tokens = [t for t in ordered.split() if t.rstrip(".").lower() not in _HONORIFICS]
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
    return f"{_MONTHS[d.month - 1]} {d.day}" if us else f"{d.day} {_MONTHS[d.month - 1]}"


def _when(request: DraftRequest, us: bool) -> str | None:
    """Say when, as "on Tuesday 14 October 2025" or a range, in English whatever the locale."""
    event = request.event
    if event is None or event.starts_at is None:
        return None
    start = event.starts_at.date()
    end = event.ends_at.date() if event.ends_at else start
    if end <= start:
        weekday = _WEEKDAYS[start.weekday()]
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


def _facts(request: DraftRequest, us: bool) -> _Facts:
    contact, event = request.contact, request.event
    first, full = _names(contact.name)
    topics = tuple(contact.topics[:3])
    event_topics = tuple(event.topics) if event else ()
    lowered = {t.lower() for t in contact.topics}
    shared = tuple(t for t in event_topics if t.lower() in lowered)
    location = event.location if event else None
    online = bool(location and location.lower() in _ONLINE)
    return _Facts(
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


class _Writer:
    """Picks wording by tone, then by a hash of the request.

    The hash leaves out the step, so every email of a thread keeps its greeting and sign-off.
    """

    def __init__(self, request: DraftRequest, tone: str, facts: _Facts) -> None:
        self.tone = tone
        self.f = facts
        thread = request.model_dump_json(include={"contact", "event", "style", "instructions"})
        self.seed = hashlib.sha256(thread.encode()).hexdigest()

    def pick(self, slot: str, options: Sequence[str]) -> str:
        digest = hashlib.sha256(f"{self.seed}:{slot}".encode()).digest()
        return options[int.from_bytes(digest[:8], "big") % len(options)]

    def by_tone(self, slot: str, table: Mapping[str, Sequence[str]]) -> str:
        return self.pick(slot, table[self.tone])

    # Pieces shared by every kind of email.

    def greeting(self) -> str:
        f = self.f
        if self.tone == "formal":
            return f"Dear {f.full_name}," if f.full_name else "Hello,"
        if not f.first_name:
            return "Hello," if self.tone == "professional" else "Hi there,"
        options = {
            "professional": ("Hello {n},", "Hi {n},"),
            "friendly": ("Hi {n},", "Hey {n},"),
            "warm": ("Hi {n},", "Dear {n},"),
            "concise": ("Hi {n},",),
        }
        return self.pick("greeting", options[self.tone]).format(n=f.first_name)

    def event_clause(self) -> str:
        """When and where, in the order that reads naturally: "online on ..." or "on ... in X"."""
        f = self.f
        parts = [f.where, f.when] if f.online else [f.when, f.where]
        return " ".join(p for p in parts if p)

    def closing(self) -> str:
        f = self.f
        farewell = self.by_tone(
            "farewell",
            {
                "professional": ("Best regards,", "Kind regards,"),
                "formal": ("Kind regards,", "Yours sincerely,"),
                "friendly": ("Best,", "Cheers,"),
                "warm": ("Warm regards,", "All the best,"),
                "concise": ("Thanks,", "Best,"),
            },
        )
        signature_has_name = bool(
            f.sender and f.signature and f.signature.splitlines()[0].strip() == f.sender
        )
        lines = [farewell]
        if f.sender and not signature_has_name:
            lines.append(f.sender)
        if f.signature:
            lines.append(f.signature)
        if len(lines) == 1:
            return {"concise": "Thanks!"}.get(self.tone, "Looking forward to hearing from you.")
        return "\n".join(lines)

    # The first email.

    def initial_subject(self) -> str:
        f = self.f
        if f.event:
            event = _shorten(f.event, _SUBJECT_EVENT_MAX)
            options = {
                "professional": (f"Meeting at {event}?", f"{event}: a short meeting?"),
                "formal": (f"Meeting request: {event}", f"Request for a meeting at {event}"),
                "friendly": (f"Coffee at {event}?", f"Meeting up at {event}?"),
                "warm": (f"Would love to meet at {event}", f"Hello ahead of {event}"),
                "concise": (f"{event}: 15 minutes?",),
            }[self.tone]
            if f.first_name and self.tone in {"friendly", "warm"}:
                options = (*options, f"{f.first_name}, coffee at {event}?")
            return self.pick("subject", options)
        if self.tone == "formal":
            return "Introduction and a short request"
        options = ("A quick hello", "A short call?")
        if f.sender:
            options = (*options, f"Introduction: {f.sender}")
        if f.topics:
            options = (*options, f"{f.topics[0]}: a short conversation?")
        return self.pick("subject", options)

    def introduction(self) -> str | None:
        """Who is writing, after a pleasantry in the warm tone; concise skips both."""
        sender = self.f.sender
        pleasantry = (
            self.pick(
                "pleasantry", ("I hope this finds you well!", "I hope you're having a good week.")
            )
            if self.tone == "warm"
            else None
        )
        if not sender or self.tone == "concise":
            return pleasantry
        name = (
            f"My name is {sender}." if self.tone in {"formal", "professional"} else f"I'm {sender}."
        )
        return f"{pleasantry} {name}" if pleasantry else name

    def hook(self) -> str:
        f = self.f
        if f.event:
            clause = self.event_clause()
            table = {
                "professional": (
                    "I'm reaching out ahead of {e}{c}.",
                    "I'm getting in touch ahead of {e}{c}.",
                ),
                "formal": (
                    "I am writing to you ahead of {e}{c}.",
                    "I am contacting you in advance of {e}{c}.",
                ),
                "friendly": (
                    "I saw that {e} is coming up{s} and wanted to say hello.",
                    "With {e} coming up{s}, I thought I'd reach out.",
                ),
                "warm": (
                    "With {e} coming up{s}, I wanted to reach out.",
                    "{E} is coming up{s}, and I wanted to say hello.",
                ),
                "concise": ("A quick note ahead of {e}{c}.",),
            }
            return self.by_tone("hook", table).format(
                e=f.event,
                E=f.event[0].upper() + f.event[1:],
                c=f", taking place {clause}" if clause else "",
                s=f" {clause}" if clause else "",
            )
        table = {
            "professional": ("I wanted to reach out and introduce myself.",),
            "formal": ("I am writing to introduce myself.",),
            "friendly": ("I wanted to reach out and say hello.",),
            "warm": ("I wanted to reach out and say hello.",),
            "concise": ("A quick note to introduce myself.",),
        }
        return self.by_tone("hook", table)

    def why_them(self) -> str | None:
        f = self.f
        verb = self.by_tone(
            "verb",
            {
                "professional": ("caught my attention", "stood out to me"),
                "formal": ("is of particular interest to me",),
                "friendly": ("really caught my eye",),
                "warm": ("really resonated with me",),
                "concise": ("is very relevant to what I do",),
            },
        )
        topics = _join(f.topics)
        if f.role and topics:
            return _sentence(f"{f.role}, especially around {topics}, {verb}")
        if f.role:
            return _sentence(f"{f.role} {verb}")
        if topics:
            return _sentence(f"your focus on {topics} {verb}")
        return None

    def agenda(self) -> str | None:
        f = self.f
        if not (f.event and f.agenda) or self.tone == "concise":
            return None
        return self.by_tone(
            "agenda",
            {
                "professional": (f"With {_join(f.agenda)} on the agenda, the timing feels right.",),
                "formal": (
                    f"As the programme covers {_join(f.agenda)}, I believe a conversation there "
                    "would be valuable for us both.",
                ),
                "friendly": (f"With {_join(f.agenda)} on the agenda, it feels like good timing.",),
                "warm": (
                    f"With {_join(f.agenda)} on the agenda, it feels like a lovely chance to "
                    "connect.",
                ),
            },
        )

    def ask(self) -> str:
        f = self.f
        if f.event:
            return self.by_tone(
                "ask",
                {
                    "professional": (
                        "Would you be open to a short meeting during the event?",
                        "Could we find 20 minutes to meet during the event?",
                    ),
                    "formal": (
                        "Would you be available for a brief meeting during the event?",
                        "Might you have twenty minutes for a meeting during the event?",
                    ),
                    "friendly": (
                        "Would you be up for a quick coffee at the event?",
                        "Fancy grabbing a coffee while you're there?",
                    ),
                    "warm": (
                        "It would be lovely to meet in person. Would you have time for a coffee "
                        "during the event?",
                    ),
                    "concise": ("Could we meet for 15 minutes there?",),
                },
            )
        ask = self.by_tone(
            "ask",
            {
                "professional": ("Would you be open to a short call in the coming weeks?",),
                "formal": ("Would you be available for a brief call in the coming weeks?",),
                "friendly": ("Would you be up for a quick call sometime soon?",),
                "warm": ("Would you be up for a short call in the coming weeks?",),
                "concise": ("Could we talk for 15 minutes?",),
            },
        )
        if f.local_time and self.tone != "concise":
            ask += f" I'm happy to fit around {f.local_time}."
        return ask

    # Follow-ups.

    def nearness(self, short: bool) -> str | None:
        """How close the event is ("only 5 days away"): why a follow-up is worth sending now.

        The short form, for later follow-ups, speaks only when the event is a week away or less.
        """
        f = self.f
        days = f.days_until_event
        if not f.event or (days is not None and days <= 0):
            return None
        if days == 1:
            return "tomorrow"
        if days is not None and days <= 7:
            return f"only {days} days away"
        if short:
            return None
        if days is not None and days <= 14:
            return "less than two weeks away"
        if f.when:
            return f"coming up {f.when}"
        return f"{days} days away" if days is not None else None

    def followup_one(self) -> tuple[str, str]:
        f = self.f
        near = self.nearness(short=False)
        about = f" about {f.event}" if f.event else ""
        if near:
            about += f", which is {near}"
        opener = self.by_tone(
            "fu1",
            {
                "professional": (f"I wanted to follow up on my note{about}.",),
                "formal": (f"I am following up on my previous message{about}.",),
                "friendly": (f"Just following up on my last note{about}.",),
                "warm": (f"I hope all is well! Just following up on my note{about}.",),
                "concise": (f"Following up on my note{about}.",),
            },
        )
        if f.event:
            ask = {
                "formal": (
                    "Should a short meeting there suit you, I would be glad to arrange a time."
                ),
                "concise": "Still up for 15 minutes there?",
            }.get(self.tone, "If a short meeting there works for you, I'd be glad to find a time.")
        else:
            ask = {
                "formal": "Should a brief call suit you, I would be glad to arrange a time.",
                "concise": "Still up for a 15-minute call?",
            }.get(self.tone, "If a short call works for you, I'd be glad to find a time.")
        return opener, ask

    def followup_two(self) -> str:
        near = self.nearness(short=True)
        with_event = f", with {self.f.event} {near}" if near else ""
        opener = {
            "formal": f"I wanted to bring my earlier message up once more{with_event}.",
            "concise": f"Bumping this up{with_event}.",
        }.get(self.tone, f"Just bringing this back to the top of your inbox{with_event}.")
        return f"{opener} Happy to fit around your schedule."

    def followup_last(self) -> str:
        """The shortest of all: by now the event's name has been said often enough."""
        if self.tone == "concise":
            return "Last note: no worries if the timing is off."
        before = " before the event" if self.f.event else ""
        return f"One last note{before}: if the timing doesn't work, no problem at all."


def _instruction_lines(instructions: str | None) -> tuple[list[str], list[str]]:
    """Lines the user asked to mention, and a note for each instruction left unapplied.

    Only "mention that ..." style instructions become text; an instruction to write to
    someone else or anything with an address is never copied into the email.
    """
    if not instructions:
        return [], []
    lines: list[str] = []
    skipped = 0
    for raw in re.split(r"[\n;]+", instructions):
        candidate = " ".join(raw.split())
        if not candidate:
            continue
        match = _MENTION.match(candidate)
        content = match.group("content").strip() if match else ""
        sensible = any(ch.isalnum() for ch in content) and not _EMAIL.search(content)
        if sensible and len(lines) < _MAX_INSTRUCTION_LINES:
            lines.append(_sentence(content))
        else:
            skipped += 1
    notes = (
        [
            f"{skipped} instruction(s) not applied: the offline drafter only adds "
            "'mention that ...' lines; review the draft."
        ]
        if skipped
        else []
    )
    return lines, notes


def _html(paragraphs: Sequence[str]) -> str:
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


class OfflineDrafter:
    """Deterministic drafts from the contact and event fields, in English."""

    def draft(self, request: DraftRequest) -> DraftResult:
        notes: list[str] = []
        language = request.style.language
        us = language.lower().replace("_", "-") == "en-us"
        if language.lower().split("-")[0].split("_")[0] != "en":
            notes.append(
                f"Language '{language}' is not available offline; the draft is in English."
            )
        tone = request.style.tone.lower()
        tone = _TONE_ALIASES.get(tone, tone)
        if tone not in _TONES:
            notes.append(f"Tone '{request.style.tone}' is unknown offline; used 'professional'.")
            tone = "professional"

        facts = _facts(request, us)
        writer = _Writer(request, tone, facts)
        extra, instruction_notes = _instruction_lines(request.instructions)
        notes += instruction_notes

        if request.kind == "initial":
            subject = writer.initial_subject()
            first = " ".join(p for p in (writer.introduction(), writer.hook()) if p)
            middle = " ".join(p for p in (writer.why_them(), writer.agenda()) if p)
            body = [first, middle, " ".join(extra), writer.ask()]
        else:
            subject = reply_subject(request.previous_messages[0].subject)
            if request.sequence_step == 1:
                opener, ask = writer.followup_one()
                body = [opener, " ".join(extra), ask]
            else:
                late = (
                    writer.followup_two() if request.sequence_step == 2 else writer.followup_last()
                )
                body = [late]
                if extra:
                    notes.append("Instructions are not added to a late, short follow-up.")
        paragraphs = [writer.greeting(), *(p for p in body if p), writer.closing()]

        try:
            draft = EmailDraft(
                subject=_shorten(subject, SUBJECT_MAX),
                text_body="\n\n".join(paragraphs),
                html_body=_html(paragraphs),
            )
        except ValidationError as error:
            # The event's or contact's own text can make a subject no header may carry.
            raise DraftingError(
                f"The offline drafter's email cannot be sent: {validation_summary(error)}"
            ) from error
        return DraftResult(
            draft=draft,
            generator=GeneratorInfo(
                name="offline",
                model=None,
                prompt_version=OFFLINE_VERSION,
                language="en-US" if us else "en",
                notes=notes,
            ),
        )
