"""How the Planning agent rates an event and the speakers saved from it.

A score from 0 to 1, made of three parts a user can check against the event: what
Attendry's event intelligence says of it (the opportunity's own `score`), whether now is
the time to write (meetings are booked weeks ahead, not the day before, and rarely half a
year out), and whether anyone saved from it can still be written to. Every part says in
words what it saw, so a recommendation is never a bare number.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

INTELLIGENCE_WEIGHT = 0.4
TIMING_WEIGHT = 0.3
AUDIENCE_WEIGHT = 0.3
UNRATED = 0.5
"""What an event Attendry has not rated counts for: neither for nor against it."""
FULL_AUDIENCE = 3
"""Speakers to write to at which an event's audience part is full."""
TOO_LATE = timedelta(days=2)
RAMP_UP = timedelta(days=7)
SWEET_SPOT_END = timedelta(days=60)
FAR_AWAY = timedelta(days=180)
FAR_TIMING = 0.3
LATE_TIMING = 0.1


@dataclass(frozen=True)
class EventFacts:
    """One event as the Planning agent sees it."""

    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    attendry_score: float | None
    topics: Sequence[str]
    reachable: int
    """Speakers saved from it who can be written to now."""
    contacted: int
    """Speakers saved from it who were written to already, or are being."""
    shared_topics: Sequence[str]
    """The event's topics that its reachable speakers share."""


@dataclass(frozen=True)
class Assessment:
    score: float
    reasons: tuple[str, ...]
    actionable: bool
    """False when nothing can be done: the event is over, or no one is left to write to."""
    over: bool = False

    def recommended(self, min_score: float) -> bool:
        """Worth delegating: someone to write to, and a score at the agent's threshold."""
        return self.actionable and self.score >= min_score


def assess(facts: EventFacts, now: datetime) -> Assessment:
    over = ended(facts.title, facts.starts_at, facts.ends_at, now)
    if over is not None:
        return Assessment(0.0, (over,), actionable=False, over=True)
    intelligence, intelligence_reason = _intelligence(facts.attendry_score)
    timing, timing_reason = _timing(facts.starts_at, now)
    audience, audience_reasons = _audience(facts)
    score = INTELLIGENCE_WEIGHT * intelligence + TIMING_WEIGHT * timing + AUDIENCE_WEIGHT * audience
    return Assessment(
        round(score, 3),
        (intelligence_reason, timing_reason, *audience_reasons),
        actionable=facts.reachable > 0,
    )


def ended(
    title: str, starts_at: datetime | None, ends_at: datetime | None, now: datetime
) -> str | None:
    """Why the event is over, in words; None while it is not (or has no date)."""
    last_day = ends_at or starts_at
    if last_day is not None and last_day < now:
        return f"{title} is over (it ended {last_day.date().isoformat()})."
    return None


def _intelligence(score: float | None) -> tuple[float, str]:
    if score is None:
        return UNRATED, "Attendry has not rated this event yet."
    return score, f"Attendry rates this event {score:.2f} of 1."


def _timing(starts_at: datetime | None, now: datetime) -> tuple[float, str]:
    if starts_at is None:
        return UNRATED, "The event has no date yet."
    ahead = starts_at - now
    days = ahead.days
    if ahead <= timedelta(0):
        return LATE_TIMING, "The event is under way: meetings there are hard to book now."
    if ahead < TOO_LATE:
        return LATE_TIMING, "It starts within two days: too late to book most meetings."
    if ahead < RAMP_UP:
        share = (ahead - TOO_LATE) / (RAMP_UP - TOO_LATE)
        return 0.5 + 0.5 * share, f"It starts in {days} days: meetings can still be booked."
    if ahead <= SWEET_SPOT_END:
        return 1.0, f"It starts in {days} days: the right time to arrange meetings."
    if ahead < FAR_AWAY:
        share = (ahead - SWEET_SPOT_END) / (FAR_AWAY - SWEET_SPOT_END)
        return 1.0 - (1.0 - FAR_TIMING) * share, f"It starts in {days} days: early to write."
    return FAR_TIMING, f"It starts in {days} days: most people do not plan that far ahead."


def _audience(facts: EventFacts) -> tuple[float, tuple[str, ...]]:
    reasons: list[str] = []
    if facts.reachable == 0:
        reasons.append("No saved speaker of this event can be written to yet.")
    else:
        reasons.append(f"{_speakers(facts.reachable)} you saved from it can be written to.")
    if facts.contacted:
        reasons.append(f"{_speakers(facts.contacted)} from it already written to.")
    if facts.shared_topics:
        reasons.append(f"Its speakers cover its topics: {', '.join(facts.shared_topics)}.")
    return min(facts.reachable, FULL_AUDIENCE) / FULL_AUDIENCE, tuple(reasons)


def _speakers(count: int) -> str:
    return f"{count} speaker{'s' if count != 1 else ''}"


class ContactStanding(StrEnum):
    """Whether a saved speaker can be written to now, or why not."""

    REACHABLE = "reachable"
    NO_EMAIL = "no_email"
    SUPPRESSED = "suppressed"
    REPLIED = "replied"
    CONTACTED = "contacted"
    IN_PROGRESS = "in_progress"


STANDING_REASONS = {
    ContactStanding.NO_EMAIL: "No email address saved.",
    ContactStanding.SUPPRESSED: "The address is suppressed (a bounce, complaint or unsubscribe).",
    ContactStanding.REPLIED: "Already replied to you.",
    ContactStanding.CONTACTED: "Already written to.",
    ContactStanding.IN_PROGRESS: "A message to them is being drafted or sent.",
}


@dataclass(frozen=True)
class ContactFacts:
    name: str
    title: str | None
    has_bio: bool
    topics: Sequence[str]


def contact_reasons(contact: ContactFacts, event_topics: Sequence[str]) -> tuple[str, ...]:
    """Why this speaker is worth writing to about this event, in words."""
    reasons = ["Saved from this event."]
    shared = shared_topics(event_topics, contact.topics)
    if shared:
        reasons.append(f"Shares its topics: {', '.join(shared)}.")
    if contact.has_bio or contact.title:
        reasons.append("Has a title or bio to personalise the message from.")
    return tuple(reasons)


def contact_rank(contact: ContactFacts, event_topics: Sequence[str]) -> tuple[int, int, str]:
    """Sort key, best first: shared topics, then material to personalise from, then name."""
    material = int(contact.has_bio) + int(contact.title is not None)
    return (-len(shared_topics(event_topics, contact.topics)), -material, contact.name.lower())


def shared_topics(event_topics: Sequence[str], topics: Sequence[str]) -> list[str]:
    """The event's topics (in its order) that `topics` names too, case aside."""
    wanted = {topic.casefold() for topic in topics}
    return [topic for topic in event_topics if topic.casefold() in wanted]
