"""When the next follow-up of a thread may go out, or why none will: the one place it is decided.

Everything here is a pure function of its arguments (no clock, no database), so the
scheduler, the sweep and the API's `PATCH /followups/{id}` all ask the same question and
get the same answer. The rules it keeps (cadence, time zone, send window, event blackout,
escalation) are written out in docs/rules.md, "Follow-up timing". DST is left to
`zoneinfo`: a day is 24 hours of elapsed time, so "never before previous send + cadence"
is an exact comparison of instants.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from attendry.agents.settings import FollowupSettings, SendWindow, Weekday

DEFAULT_ZONE = "UTC"
WEEKDAYS = (
    Weekday.MON,
    Weekday.TUE,
    Weekday.WED,
    Weekday.THU,
    Weekday.FRI,
    Weekday.SAT,
    Weekday.SUN,
)
WEEKEND = frozenset({Weekday.SAT, Weekday.SUN})
_MAX_STEPS = 64
"""Window openings tried before giving up: a week needs at most ~8, DST oddities a few more."""


@dataclass(frozen=True)
class EventDates:
    """The event a thread is about; either date may be unknown."""

    starts_at: datetime | None = None
    ends_at: datetime | None = None


@dataclass(frozen=True)
class FollowupDue:
    """Send follow-up email number `attempt` at `at`."""

    at: datetime


@dataclass(frozen=True)
class Escalate:
    """No more emails: tell the user at `at`, when the next one would have been due."""

    at: datetime


@dataclass(frozen=True)
class Cancel:
    """Nothing more for this thread, and why."""

    reason: Literal["event_passed"] = "event_passed"


TimingDecision = FollowupDue | Escalate | Cancel


class TimingRule(StrEnum):
    """The rule a proposed time breaks: the `code` the API answers a refused `due_at` with."""

    EVENT_PASSED = "event_passed"
    BEFORE_CADENCE = "before_cadence"
    IN_THE_PAST = "in_the_past"
    EVENT_BLACKOUT = "event_blackout"
    WEEKEND = "weekend"
    OUTSIDE_SEND_WINDOW = "outside_send_window"


@dataclass(frozen=True)
class TimingViolation:
    rule: TimingRule
    message: str


def contact_zone(name: str | None) -> ZoneInfo:
    """The contact's zone; UTC when it has none or the database does not know the name."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo(DEFAULT_ZONE)


def cadence_days(cadence: Sequence[int], attempt: int) -> int:
    """Days between the previous send and attempt `attempt`; the list's last value repeats."""
    if attempt < 1:
        raise ValueError("attempts count from 1")
    return cadence[min(attempt, len(cadence)) - 1]


def earliest_send(settings: FollowupSettings, previous_send: datetime, attempt: int) -> datetime:
    """Rule 1's lower bound: the previous send plus the attempt's cadence."""
    _require_aware(previous_send, "previous_send")
    # In UTC: adding days to a zoned datetime would add wall-clock days, not elapsed ones.
    return previous_send.astimezone(UTC) + timedelta(
        days=cadence_days(settings.followup_cadence_days, attempt)
    )


def next_followup(
    *,
    previous_send: datetime,
    attempt: int,
    settings: FollowupSettings,
    contact_timezone: str | None,
    event: EventDates,
    now: datetime,
) -> TimingDecision:
    """What attempt `attempt` of a thread becomes: an email at a time, an escalation, or nothing."""
    _require_aware(now, "now")
    candidate = max(earliest_send(settings, previous_send, attempt), now)
    placed = earliest_allowed(
        candidate, window=settings.send_window, contact_timezone=contact_timezone, event=event
    )
    if isinstance(placed, Cancel):
        return placed
    if attempt > settings.max_followups:
        return Escalate(placed)
    return FollowupDue(placed)


def earliest_allowed(
    candidate: datetime,
    *,
    window: SendWindow | None,
    contact_timezone: str | None,
    event: EventDates,
) -> datetime | Cancel:
    """The first allowed instant at or after `candidate` (rules 2-4), or Cancel.

    Idempotent: an allowed instant is its own answer, so a stored due time can be checked
    again at any moment without moving it.
    """
    _require_aware(candidate, "candidate")
    zone = contact_zone(contact_timezone)
    limits = _event_limits(event, zone)
    if limits is not None and candidate >= limits.ended_at:
        return Cancel()
    placed = _first_in_window(candidate.astimezone(UTC), window, zone)
    if limits is not None and placed >= limits.blackout_from:
        return Cancel()
    return placed


def check_due_at(
    due_at: datetime,
    *,
    previous_send: datetime,
    attempt: int,
    settings: FollowupSettings,
    contact_timezone: str | None,
    event: EventDates,
    now: datetime,
) -> TimingViolation | None:
    """The first rule a proposed due time breaks, or None when the rules allow it.

    Every time `next_followup` returns is allowed here, and only those times or later
    ones in a window are.
    """
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    zone = contact_zone(contact_timezone)
    limits = _event_limits(event, zone)
    if limits is not None and max(now, due_at) >= limits.ended_at:
        return TimingViolation(TimingRule.EVENT_PASSED, "The event will have ended by then.")
    earliest = earliest_send(settings, previous_send, attempt)
    if due_at < earliest:
        return TimingViolation(
            TimingRule.BEFORE_CADENCE,
            f"Attempt {attempt} may not go out before {earliest.isoformat()}: "
            f"{cadence_days(settings.followup_cadence_days, attempt)} days after the "
            "previous send.",
        )
    if due_at < now:
        return TimingViolation(TimingRule.IN_THE_PAST, "That time has already passed.")
    if limits is not None and due_at >= limits.blackout_from:
        return TimingViolation(
            TimingRule.EVENT_BLACKOUT,
            "No follow-up goes out on the day before the event or during it "
            f"(from {limits.blackout_from.astimezone(zone).isoformat()}, {zone.key}).",
        )
    window = settings.send_window
    if window is None:
        return None
    local = due_at.astimezone(zone)
    day = WEEKDAYS[local.weekday()]
    if day not in window.days:
        rule = TimingRule.WEEKEND if day in WEEKEND else TimingRule.OUTSIDE_SEND_WINDOW
        return TimingViolation(
            rule, f"{local:%A} in {zone.key} is not one of the send window's days."
        )
    if not window.start <= local.time() < window.end:
        return TimingViolation(
            TimingRule.OUTSIDE_SEND_WINDOW,
            f"{local:%H:%M} in {zone.key} is outside the send window "
            f"({window.start:%H:%M} to {window.end:%H:%M}).",
        )
    return None


def is_in_window(instant: datetime, window: SendWindow | None, zone: ZoneInfo) -> bool:
    if window is None:
        return True
    local = instant.astimezone(zone)
    return WEEKDAYS[local.weekday()] in window.days and window.start <= local.time() < window.end


@dataclass(frozen=True)
class _EventLimits:
    blackout_from: datetime
    ended_at: datetime


def _event_limits(event: EventDates, zone: ZoneInfo) -> _EventLimits | None:
    first = event.starts_at or event.ends_at
    if first is None:
        return None
    _require_aware(first, "event dates")
    first_day = first.astimezone(zone).date()
    blackout_from = _wall_instants(first_day - timedelta(days=1), time(0), zone)[0]
    ended_at = event.ends_at or _wall_instants(first_day + timedelta(days=1), time(0), zone)[0]
    return _EventLimits(blackout_from=blackout_from, ended_at=ended_at)


def _first_in_window(candidate: datetime, window: SendWindow | None, zone: ZoneInfo) -> datetime:
    """Step from window opening to window opening until one is allowed.

    The window also opens where the clock is set back into it (window 01:30-02:45 on the
    night clocks go from 03:00 back to 02:00): that instant comes before the next opening.
    """
    if window is None:
        return candidate
    instant = candidate
    for _ in range(_MAX_STEPS):
        if is_in_window(instant, window, zone):
            return instant
        opening = _next_opening(instant, window.start, zone)
        set_back = _clock_set_back(instant, opening, zone)
        in_window = set_back is not None and is_in_window(set_back, window, zone)
        instant = set_back if set_back is not None and in_window else opening
    raise RuntimeError(f"no send window opening within {_MAX_STEPS} tries after {candidate}")


def _next_opening(after: datetime, opens: time, zone: ZoneInfo) -> datetime:
    """The first instant strictly after `after` at which the local wall clock shows `opens`."""
    day = after.astimezone(zone).date()
    for offset in range(3):  # a zone may skip a whole calendar day (Pacific/Apia, 2011)
        later = [i for i in _wall_instants(day + timedelta(days=offset), opens, zone) if i > after]
        if later:
            return later[0]
    raise RuntimeError(f"the wall clock of {zone.key} never shows {opens} after {after}")


def _clock_set_back(low: datetime, high: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant in (low, high] at which `zone`'s clock is set back, if it is (bisection to
    the second: zones change their offset on whole seconds). `high` is at most a few days
    after `low`, which holds at most one such change."""
    if _offset(high, zone) >= _offset(low, zone):
        return None
    before = _offset(low, zone)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _offset(middle, zone) < before:
            high = middle
        else:
            low = middle
    whole = high.replace(microsecond=0)
    return whole if whole > low and _offset(whole, zone) < before else high


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset() or timedelta(0)


def _wall_instants(day: date, wall: time, zone: ZoneInfo) -> list[datetime]:
    """The UTC instants at which `zone`'s clock shows `day` `wall`, in order.

    One normally; two when the clock passes that time twice (fall back); and when it skips
    it (spring forward), the first instant after the gap.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if _wall(first, zone) == naive and _wall(second, zone) == naive:
        return sorted({first, second})
    return [_gap_end(min(first, second), max(first, second), naive, zone)]


def _gap_end(low: datetime, high: datetime, naive: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (low, high] whose wall time is at or past `naive` (bisection, 1 s)."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _wall(middle, zone) >= naive:
            high = middle
        else:
            low = middle
    return (
        high.replace(microsecond=0) if _wall(high.replace(microsecond=0), zone) >= naive else high
    )


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
