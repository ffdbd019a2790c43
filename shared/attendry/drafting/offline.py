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

from pydantic import ValidationError

from attendry.drafting import phrasings as w
from attendry.drafting.errors import DraftingError, validation_summary
from attendry.drafting.models import (
    SUBJECT_MAX,
    DraftRequest,
    DraftResult,
    EmailDraft,
    GeneratorInfo,
    reply_subject,
)
from attendry.drafting.offline_facts import Facts, facts_of, join, sentence, shorten

OFFLINE_VERSION = "offline-v1"

_MENTION = re.compile(
    r"^(?:please\s+)?(?:mention|say|note|add|include|tell (?:them|him|her))"
    r"(?:\s+that\s+|\s*:\s*)(?P<content>.+)$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_SUBJECT_EVENT_MAX = 60
_MAX_INSTRUCTION_LINES = 2


class _Writer:
    """Picks wording by tone, then by a hash of the request.

    The hash leaves out the step, so every email of a thread keeps its greeting and sign-off.
    """

    def __init__(self, request: DraftRequest, tone: str, facts: Facts) -> None:
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
            if not f.full_name:
                return w.FORMAL_NAMELESS_GREETING
            return w.FORMAL_GREETING.format(n=f.full_name)
        if not f.first_name:
            return w.NAMELESS_GREETING.get(self.tone, w.NAMELESS_GREETING_OTHERWISE)
        return self.by_tone("greeting", w.GREETINGS).format(n=f.first_name)

    def event_clause(self) -> str:
        """When and where, in the order that reads naturally: "online on ..." or "on ... in X"."""
        f = self.f
        parts = [f.where, f.when] if f.online else [f.when, f.where]
        return " ".join(p for p in parts if p)

    def closing(self) -> str:
        f = self.f
        farewell = self.by_tone("farewell", w.FAREWELLS)
        signature_has_name = bool(
            f.sender and f.signature and f.signature.splitlines()[0].strip() == f.sender
        )
        lines = [farewell]
        if f.sender and not signature_has_name:
            lines.append(f.sender)
        if f.signature:
            lines.append(f.signature)
        if len(lines) == 1:
            return w.UNSIGNED_CLOSING.get(self.tone, w.UNSIGNED_CLOSING_OTHERWISE)
        return "\n".join(lines)

    # The first email.

    def initial_subject(self) -> str:
        f = self.f
        if f.event:
            event = shorten(f.event, _SUBJECT_EVENT_MAX)
            options = w.EVENT_SUBJECTS[self.tone]
            if f.first_name and self.tone in {"friendly", "warm"}:
                options = (*options, w.FIRST_NAME_EVENT_SUBJECT)
            return self.pick("subject", options).format(event=event, first_name=f.first_name)
        if self.tone == "formal":
            return w.FORMAL_SUBJECT
        options = w.SUBJECTS
        if f.sender:
            options = (*options, w.SENDER_SUBJECT.format(sender=f.sender))
        if f.topics:
            options = (*options, w.TOPIC_SUBJECT.format(topic=f.topics[0]))
        return self.pick("subject", options)

    def introduction(self) -> str | None:
        """Who is writing, after a pleasantry in the warm tone; concise skips both."""
        sender = self.f.sender
        pleasantry = self.pick("pleasantry", w.WARM_PLEASANTRIES) if self.tone == "warm" else None
        if not sender or self.tone == "concise":
            return pleasantry
        name = w.INTRODUCTIONS.get(self.tone, w.INTRODUCTION_OTHERWISE).format(sender=sender)
        return f"{pleasantry} {name}" if pleasantry else name

    def hook(self) -> str:
        f = self.f
        if not f.event:
            return self.by_tone("hook", w.HOOKS)
        clause = self.event_clause()
        return self.by_tone("hook", w.EVENT_HOOKS).format(
            e=f.event,
            E=f.event[0].upper() + f.event[1:],
            c=f", taking place {clause}" if clause else "",
            s=f" {clause}" if clause else "",
        )

    def why_them(self) -> str | None:
        f = self.f
        verb = self.by_tone("verb", w.INTEREST_VERBS)
        topics = join(f.topics)
        if f.role and topics:
            return sentence(w.WHY_ROLE_AND_TOPICS.format(role=f.role, topics=topics, verb=verb))
        if f.role:
            return sentence(w.WHY_ROLE.format(role=f.role, verb=verb))
        if topics:
            return sentence(w.WHY_TOPICS.format(topics=topics, verb=verb))
        return None

    def agenda(self) -> str | None:
        f = self.f
        if not (f.event and f.agenda) or self.tone not in w.AGENDAS:
            return None
        return self.by_tone("agenda", w.AGENDAS).format(agenda=join(f.agenda))

    def ask(self) -> str:
        f = self.f
        if f.event:
            return self.by_tone("ask", w.EVENT_ASKS)
        ask = self.by_tone("ask", w.ASKS)
        if f.local_time and self.tone != "concise":
            ask += w.LOCAL_TIME_OFFER.format(local_time=f.local_time)
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
            return w.NEAR_TOMORROW
        if days is not None and days <= 7:
            return w.NEAR_DAYS.format(days=days)
        if short:
            return None
        if days is not None and days <= 14:
            return w.NEAR_FORTNIGHT
        if f.when:
            return w.NEAR_WHEN.format(when=f.when)
        return w.DAYS_AWAY.format(days=days) if days is not None else None

    def followup_one(self) -> tuple[str, str]:
        f = self.f
        near = self.nearness(short=False)
        about = f" about {f.event}" if f.event else ""
        if near:
            about += f", which is {near}"
        opener = self.by_tone("fu1", w.FIRST_FOLLOWUP_OPENERS).format(about=about)
        if f.event:
            ask = w.FIRST_FOLLOWUP_EVENT_ASKS.get(self.tone, w.FIRST_FOLLOWUP_EVENT_ASK_OTHERWISE)
        else:
            ask = w.FIRST_FOLLOWUP_ASKS.get(self.tone, w.FIRST_FOLLOWUP_ASK_OTHERWISE)
        return opener, ask

    def followup_two(self) -> str:
        near = self.nearness(short=True)
        with_event = f", with {self.f.event} {near}" if near else ""
        opener = w.SECOND_FOLLOWUP_OPENERS.get(self.tone, w.SECOND_FOLLOWUP_OPENER_OTHERWISE)
        return opener.format(with_event=with_event) + w.SECOND_FOLLOWUP_CLOSE

    def followup_last(self) -> str:
        """The shortest of all: by now the event's name has been said often enough."""
        if self.tone == "concise":
            return w.LAST_FOLLOWUP_CONCISE
        before = " before the event" if self.f.event else ""
        return w.LAST_FOLLOWUP.format(before=before)


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
            lines.append(sentence(content))
        else:
            skipped += 1
    notes = [w.INSTRUCTIONS_SKIPPED.format(skipped=skipped)] if skipped else []
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
        tone = w.TONE_ALIASES.get(tone, tone)
        if tone not in w.TONES:
            notes.append(f"Tone '{request.style.tone}' is unknown offline; used 'professional'.")
            tone = "professional"

        facts = facts_of(request, us)
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
                subject=shorten(subject, SUBJECT_MAX),
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
