"""Follow-up timing: examples in real zones, and properties over every zone and DST change.

The properties check each decision against oracles written independently of the module:
the send window as `OpenHours` data read on the contact's calendar and wall clock, and
brute-force scans of the wall clock for the event's midnights, so a shared mistake cannot
hide. A table of boundary instants (the window's edges, weekends, the contact's own
weekday, DST changes, the days around the blackout) pins the answers down by hand.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attendry.agents.settings import FollowupSettings, SendWindow, Weekday
from attendry.followups.rules import (
    Cancel,
    Escalate,
    EventDates,
    FollowupDue,
    TimingRule,
    check_due_at,
    earliest_allowed,
    is_in_window,
    next_followup,
)

OFFICE = SendWindow()  # Monday to Friday, 08:00 to 18:00
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class OpenHours:
    """A send window as the oracle reads it: the days by name, and the seconds after local
    midnight at which it opens (included) and closes (excluded), all on the contact's own
    calendar and wall clock.

    Written as data and read with `strftime` and arithmetic, never through the module's
    weekday table or its time comparisons, so a mistake there cannot hide here.
    """

    days: frozenset[str]
    opens: int
    closes: int

    def send_window(self) -> SendWindow:
        """The same hours as the product's settings spell them, for the code under test."""
        return SendWindow(
            days=[Weekday(name[:3].lower()) for name in DAY_NAMES if name in self.days],
            start=time(self.opens // 3600, self.opens // 60 % 60, self.opens % 60),
            end=time(self.closes // 3600, self.closes // 60 % 60, self.closes % 60),
        )

    def open_at(self, instant: datetime, zone: ZoneInfo) -> bool:
        shown = instant.astimezone(zone)
        since_midnight = (
            shown.hour * 3600 + shown.minute * 60 + shown.second + shown.microsecond / 1e6
        )
        return shown.strftime("%A") in self.days and self.opens <= since_midnight < self.closes


OFFICE_HOURS = OpenHours(
    frozenset({"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"}), 8 * 3600, 18 * 3600
)
BERLIN_SUNDAY_NIGHT = OpenHours(frozenset({"Sunday"}), 2 * 3600 + 30 * 60, 4 * 3600)
BERLIN_BEFORE_THE_CHANGE = OpenHours(frozenset({"Sunday"}), 1 * 3600 + 30 * 60, 2 * 3600 + 45 * 60)


def _loadable(key: str) -> bool:
    try:
        ZoneInfo(key)
    except (ValueError, OSError):
        return False
    return True


ZONES = sorted(key for key in available_timezones() if _loadable(key))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


def after(sent: datetime, days: int) -> datetime:
    """Elapsed days: in UTC, since adding to a zoned datetime adds wall-clock days."""
    return sent.astimezone(UTC) + timedelta(days=days)


def followup_settings(
    cadence: list[int] | None = None,
    max_followups: int = 3,
    window: SendWindow | None = OFFICE,
) -> FollowupSettings:
    return FollowupSettings(
        followup_cadence_days=cadence or [3, 7, 14],
        max_followups=max_followups,
        send_window=window,
    )


def decide(
    previous_send: datetime,
    *,
    zone: str | None,
    attempt: int = 1,
    now: datetime | None = None,
    event: EventDates | None = None,
    **settings_args: object,
) -> FollowupDue | Escalate | Cancel:
    return next_followup(
        previous_send=previous_send,
        attempt=attempt,
        settings=followup_settings(**settings_args),
        contact_timezone=zone,
        event=event or EventDates(),
        now=now or previous_send,
    )


# --------------------------------------------------------------------------- examples


def test_cadence_counts_elapsed_days_across_the_berlin_spring_change() -> None:
    # Given a first email on Friday 27 March 2026, 10:00 in Berlin (CET, UTC+1)
    sent = local("Europe/Berlin", 2026, 3, 27, 10)

    # When attempt 1 is placed three days later, after clocks went forward on Sunday
    decision = decide(sent, zone="Europe/Berlin")

    # Then it is 72 hours later: Monday 11:00 CEST, inside the window
    assert decision == FollowupDue(after(sent, 3))
    assert decision.at.astimezone(ZoneInfo("Europe/Berlin")).hour == 11


def test_a_window_opening_in_the_spring_gap_opens_when_the_clock_jumps() -> None:
    # Given a Sunday window opening at 02:30, a time Berlin skips on 29 March 2026
    window = SendWindow(days=[Weekday.SUN], start=time(2, 30), end=time(4, 0))
    sent = local("Europe/Berlin", 2026, 3, 26, 1)

    # When a follow-up is placed on that Sunday
    decision = decide(sent, zone="Europe/Berlin", window=window)

    # Then it goes at the first instant after the gap: 03:00 CEST (01:00 UTC)
    assert decision == FollowupDue(utc(2026, 3, 29, 1, 0))


def test_an_ambiguous_autumn_opening_picks_its_first_occurrence() -> None:
    # Given a Sunday window opening at 02:30, a time Berlin shows twice on 25 October 2026
    window = SendWindow(days=[Weekday.SUN], start=time(2, 30), end=time(4, 0))
    sent = local("Europe/Berlin", 2026, 10, 22, 1)

    decision = decide(sent, zone="Europe/Berlin", window=window)

    # Then it is the first 02:30 (CEST, 00:30 UTC), not the second (CET, 01:30 UTC)
    assert decision == FollowupDue(utc(2026, 10, 25, 0, 30))


def test_the_second_occurrence_is_used_when_the_first_is_already_behind() -> None:
    # Given a candidate inside the repeated hour, after the first 02:30 went by
    window = SendWindow(days=[Weekday.SUN], start=time(2, 30), end=time(4, 0))
    candidate = local("Europe/Berlin", 2026, 10, 25, 2, 10, fold=1)  # 02:10 CET, second pass

    placed = earliest_allowed(
        candidate, window=window, contact_timezone="Europe/Berlin", event=EventDates()
    )

    # Then the window opens at the second 02:30 (CET, 01:30 UTC)
    assert placed == utc(2026, 10, 25, 1, 30)


def test_a_new_york_weekend_moves_to_monday_morning() -> None:
    # Given a first email on Wednesday 4 November 2026, 17:00 in New York
    sent = local("America/New_York", 2026, 11, 4, 17)

    # When three days later is a Saturday
    decision = decide(sent, zone="America/New_York")

    # Then the follow-up waits for Monday 08:00 EST
    assert decision == FollowupDue(local("America/New_York", 2026, 11, 9, 8))


def test_a_new_york_evening_moves_to_the_next_morning() -> None:
    sent = local("America/New_York", 2026, 3, 9, 18, 30)  # Monday, after the window

    decision = decide(sent, zone="America/New_York", cadence=[1])

    assert decision == FollowupDue(local("America/New_York", 2026, 3, 11, 8))


def test_kolkata_keeps_its_half_hour_offset() -> None:
    # Given a candidate at 07:30 IST on Monday 1 June 2026 (02:00 UTC)
    sent = utc(2026, 5, 29, 2, 0)

    decision = decide(sent, zone="Asia/Kolkata")

    # Then the window opens at 08:00 IST, 02:30 UTC
    assert decision == FollowupDue(utc(2026, 6, 1, 2, 30))


def test_chatham_decides_the_weekday_by_its_own_date() -> None:
    # Given a candidate on Friday 5 June 2026, 19:00 UTC: already Saturday 07:45 in
    # Chatham (UTC+12:45 in its winter)
    sent = utc(2026, 6, 2, 19, 0)

    decision = decide(sent, zone="Pacific/Chatham")

    # Then Saturday is refused there and it goes on Monday 08:00 CHAST (Sunday 19:15 UTC)
    assert decision == FollowupDue(local("Pacific/Chatham", 2026, 6, 8, 8))
    assert decision.at == utc(2026, 6, 7, 19, 15)


def test_a_contact_without_a_time_zone_is_read_in_utc() -> None:
    sent = utc(2026, 6, 1, 20, 0)  # Monday evening UTC

    assert decide(sent, zone=None) == FollowupDue(utc(2026, 6, 4, 20, 0) + timedelta(hours=12))
    assert decide(sent, zone="Not/AZone") == decide(sent, zone=None)


def test_no_window_sends_at_any_hour_of_any_day() -> None:
    sent = utc(2026, 6, 3, 23, 59)  # three days later is a Saturday, at midnight

    assert decide(sent, zone="Europe/Berlin", window=None) == FollowupDue(after(sent, 3))


def test_a_window_may_allow_the_weekend() -> None:
    weekend = SendWindow(days=[Weekday.SAT, Weekday.SUN], start=time(10), end=time(12))
    sent = local("Europe/Paris", 2026, 6, 3, 11)  # Wednesday; +3 days is Saturday 11:00

    assert decide(sent, zone="Europe/Paris", window=weekend) == FollowupDue(
        local("Europe/Paris", 2026, 6, 6, 11)
    )


def test_later_attempts_count_from_the_previous_send_and_reuse_the_last_cadence() -> None:
    sent = local("Europe/Berlin", 2026, 6, 1, 9)  # Monday

    assert decide(sent, zone="Europe/Berlin", attempt=2) == FollowupDue(after(sent, 7))
    assert decide(sent, zone="Europe/Berlin", attempt=3, max_followups=5) == FollowupDue(
        after(sent, 14)
    )
    assert decide(sent, zone="Europe/Berlin", attempt=5, max_followups=5) == FollowupDue(
        after(sent, 14)
    )


def test_after_the_last_attempt_the_user_is_told_when_the_next_would_be_due() -> None:
    sent = local("Europe/Berlin", 2026, 6, 1, 9)

    assert decide(sent, zone="Europe/Berlin", attempt=4, max_followups=3) == Escalate(
        after(sent, 14)
    )
    assert decide(sent, zone="Europe/Berlin", attempt=1, max_followups=0) == Escalate(
        after(sent, 3)
    )


def test_nothing_is_scheduled_in_the_past() -> None:
    sent = local("Europe/Berlin", 2026, 6, 1, 9)
    late = local("Europe/Berlin", 2026, 6, 10, 12)

    assert decide(sent, zone="Europe/Berlin", now=late) == FollowupDue(late)


def test_the_day_before_the_event_is_blacked_out_and_the_follow_up_cancelled() -> None:
    # Given an event on Thursday 11 June 2026, 09:00 in Berlin
    event = EventDates(starts_at=local("Europe/Berlin", 2026, 6, 11, 9))

    # When three days after the send is Tuesday 17:00: allowed
    tuesday = decide(local("Europe/Berlin", 2026, 6, 6, 17), zone="Europe/Berlin", event=event)
    assert tuesday == FollowupDue(local("Europe/Berlin", 2026, 6, 9, 17))

    # When it is Tuesday 18:30, the next opening is Wednesday: the day before the event
    late = decide(local("Europe/Berlin", 2026, 6, 6, 18, 30), zone="Europe/Berlin", event=event)

    # Then the blackout pushes it past the event: cancelled
    assert late == Cancel("event_passed")


def test_a_follow_up_after_the_event_ended_is_cancelled() -> None:
    event = EventDates(
        starts_at=local("Europe/Berlin", 2026, 6, 11, 9),
        ends_at=local("Europe/Berlin", 2026, 6, 12, 17),
    )

    decision = decide(
        local("Europe/Berlin", 2026, 6, 1, 9),
        zone="Europe/Berlin",
        now=local("Europe/Berlin", 2026, 6, 12, 17),
        event=event,
    )

    assert decision == Cancel("event_passed")


def test_the_blackout_follows_the_contacts_local_dates() -> None:
    # Given an event starting Wednesday 10 June 2026 at 02:00 UTC: still Tuesday 9 June in
    # Los Angeles, so there the blackout starts on Monday 8 June
    event = EventDates(starts_at=utc(2026, 6, 10, 2, 0))
    sent = utc(2026, 6, 5, 14, 0)  # Friday; +3 days is Monday 07:00 PDT, 16:00 CEST

    assert decide(sent, zone="America/Los_Angeles", event=event) == Cancel("event_passed")
    assert decide(sent, zone="Europe/Berlin", event=event) == FollowupDue(after(sent, 3))


# The event blackout, second by second at its edges. Without a send window, so nothing but
# the event moves or cancels a follow-up: an event on Thursday 11 and Friday 12 June 2026,
# Berlin, blacks out from Wednesday 10 June 00:00 (22:00 UTC on the 9th) and ends on
# Friday at 17:00.
BERLIN_EVENT = EventDates(
    starts_at=local("Europe/Berlin", 2026, 6, 11, 9),
    ends_at=local("Europe/Berlin", 2026, 6, 12, 17),
)


def placed(candidate: datetime, zone: str, event: EventDates) -> datetime | Cancel:
    return earliest_allowed(candidate, window=None, contact_timezone=zone, event=event)


def proposed(due_at: datetime, zone: str, event: EventDates) -> TimingRule | None:
    """The rule a due time breaks, for a thread sent long before with a one-day cadence."""
    violation = check_due_at(
        due_at,
        previous_send=due_at - timedelta(days=30),
        attempt=1,
        settings=followup_settings(cadence=[1], window=None),
        contact_timezone=zone,
        event=event,
        now=due_at - timedelta(days=1),
    )
    return violation.rule if violation else None


@pytest.mark.parametrize(
    ("candidate", "allowed", "rule"),
    [
        pytest.param(
            local("Europe/Berlin", 2026, 6, 9, 23, 59, 59), True, None, id="two-days-before-last"
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 10, 0, 0, 0),
            False,
            TimingRule.EVENT_BLACKOUT,
            id="day-before-first-second",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 10, 23, 59, 59),
            False,
            TimingRule.EVENT_BLACKOUT,
            id="day-before-last-second",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 11, 8, 59),
            False,
            TimingRule.EVENT_BLACKOUT,
            id="first-day-before-it-starts",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 12, 16, 59, 59),
            False,
            TimingRule.EVENT_BLACKOUT,
            id="last-day-before-it-ends",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 12, 17),
            False,
            TimingRule.EVENT_PASSED,
            id="the-moment-it-ends",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 13, 10),
            False,
            TimingRule.EVENT_PASSED,
            id="day-after",
        ),
    ],
)
def test_the_blackout_starts_at_midnight_the_day_before_and_never_ends(
    candidate: datetime, allowed: bool, rule: TimingRule | None
) -> None:
    expected = candidate if allowed else Cancel("event_passed")

    assert placed(candidate, "Europe/Berlin", BERLIN_EVENT) == expected
    assert proposed(candidate, "Europe/Berlin", BERLIN_EVENT) is rule


def test_an_event_without_an_end_is_over_at_the_end_of_its_first_day() -> None:
    event = EventDates(starts_at=local("Europe/Berlin", 2026, 6, 11, 9))

    assert proposed(local("Europe/Berlin", 2026, 6, 11, 23, 59, 59), "Europe/Berlin", event) is (
        TimingRule.EVENT_BLACKOUT
    )
    assert proposed(local("Europe/Berlin", 2026, 6, 12, 0, 0), "Europe/Berlin", event) is (
        TimingRule.EVENT_PASSED
    )


def test_an_event_known_only_by_its_end_blacks_out_from_the_day_before_that() -> None:
    event = EventDates(ends_at=local("Europe/Berlin", 2026, 6, 12, 17))

    assert placed(local("Europe/Berlin", 2026, 6, 10, 23, 59, 59), "Europe/Berlin", event) == (
        local("Europe/Berlin", 2026, 6, 10, 23, 59, 59)
    )
    assert placed(local("Europe/Berlin", 2026, 6, 11, 0, 0), "Europe/Berlin", event) == Cancel()


@pytest.mark.parametrize(
    ("zone", "blackout_from"),
    [
        # One event, 10 June 2026 02:00 UTC: its local date, and so the day before it,
        # depends on where the contact reads it.
        pytest.param("Pacific/Kiritimati", utc(2026, 6, 8, 10), id="utc+14-10-june"),
        pytest.param("Europe/Berlin", utc(2026, 6, 8, 22), id="utc+2-10-june"),
        pytest.param("UTC", utc(2026, 6, 9, 0), id="utc-10-june"),
        pytest.param("America/Los_Angeles", utc(2026, 6, 8, 7), id="utc-7-9-june"),
        pytest.param("Pacific/Pago_Pago", utc(2026, 6, 8, 11), id="utc-11-9-june"),
    ],
)
def test_the_blackout_starts_at_the_contacts_own_midnight(
    zone: str, blackout_from: datetime
) -> None:
    event = EventDates(starts_at=utc(2026, 6, 10, 2, 0))
    last_allowed = blackout_from - timedelta(seconds=1)

    assert placed(last_allowed, zone, event) == last_allowed
    assert placed(blackout_from, zone, event) == Cancel()
    assert proposed(last_allowed, zone, event) is None
    assert proposed(blackout_from, zone, event) is TimingRule.EVENT_BLACKOUT


def test_a_blackout_midnight_the_clock_skips_starts_when_the_clock_jumps() -> None:
    # Given an event on Monday 7 September 2026 in Santiago, whose clocks skip from
    # Saturday 23:59:59 to Sunday 01:00 (04:00 UTC)
    event = EventDates(starts_at=local("America/Santiago", 2026, 9, 7, 9))

    # Then the day before begins at 01:00, the first instant of that Sunday
    assert placed(utc(2026, 9, 6, 3, 59, 59), "America/Santiago", event) == utc(
        2026, 9, 6, 3, 59, 59
    )
    assert placed(utc(2026, 9, 6, 4, 0), "America/Santiago", event) == Cancel()


def test_a_blackout_midnight_the_clock_shows_twice_starts_at_the_first() -> None:
    # Given an event on Monday 2 November 2026 in Havana, whose clocks go back from
    # Sunday 01:00 to 00:00, showing Sunday midnight at 04:00 and at 05:00 UTC
    event = EventDates(starts_at=local("America/Havana", 2026, 11, 2, 9))

    # Then the blackout starts at the first midnight, so the repeated hour is in it
    assert placed(utc(2026, 11, 1, 3, 59, 59), "America/Havana", event) == utc(
        2026, 11, 1, 3, 59, 59
    )
    assert placed(utc(2026, 11, 1, 4, 0), "America/Havana", event) == Cancel()
    assert placed(utc(2026, 11, 1, 4, 30), "America/Havana", event) == Cancel()


@pytest.mark.parametrize(
    ("due_at", "rule"),
    [
        (local("Europe/Berlin", 2026, 6, 3, 10), TimingRule.BEFORE_CADENCE),
        (local("Europe/Berlin", 2026, 6, 5, 7, 59), TimingRule.OUTSIDE_SEND_WINDOW),
        (local("Europe/Berlin", 2026, 6, 4, 18, 0), TimingRule.OUTSIDE_SEND_WINDOW),
        (local("Europe/Berlin", 2026, 6, 6, 10), TimingRule.WEEKEND),
        (local("Europe/Berlin", 2026, 6, 10, 10), TimingRule.EVENT_BLACKOUT),
        (local("Europe/Berlin", 2026, 6, 12, 18), TimingRule.EVENT_PASSED),
        (local("Europe/Berlin", 2026, 6, 4, 10), None),
        (local("Europe/Berlin", 2026, 6, 9, 17, 59), None),
    ],
)
def test_a_proposed_due_time_names_the_rule_it_breaks(
    due_at: datetime, rule: TimingRule | None
) -> None:
    # Given a send on Monday 1 June 2026, 09:00 in Berlin, and an event on 11-12 June
    event = EventDates(
        starts_at=local("Europe/Berlin", 2026, 6, 11, 9),
        ends_at=local("Europe/Berlin", 2026, 6, 12, 17),
    )

    violation = check_due_at(
        due_at,
        previous_send=local("Europe/Berlin", 2026, 6, 1, 9),
        attempt=1,
        settings=followup_settings(),
        contact_timezone="Europe/Berlin",
        event=event,
        now=local("Europe/Berlin", 2026, 6, 2, 9),
    )

    assert (violation.rule if violation else None) == rule


@pytest.mark.parametrize(
    ("due_at", "now", "message"),
    [
        pytest.param(
            local("Europe/Berlin", 2026, 6, 3, 10),
            None,
            "Attempt 1 may not go out before 2026-06-04T07:00:00+00:00: 3 days after the "
            "previous send.",
            id="before-cadence",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 5, 7, 59),
            None,
            "07:59 in Europe/Berlin is outside the send window (08:00 to 18:00).",
            id="outside-window",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 6, 10),
            None,
            "Saturday in Europe/Berlin is not one of the send window's days.",
            id="weekend",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 10, 10),
            None,
            "No follow-up goes out on the day before the event or during it "
            "(from 2026-06-10T00:00:00+02:00, Europe/Berlin).",
            id="blackout",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 12, 18),
            None,
            "The event will have ended by then.",
            id="event-passed",
        ),
        pytest.param(
            local("Europe/Berlin", 2026, 6, 4, 10),
            local("Europe/Berlin", 2026, 6, 5, 9),
            "That time has already passed.",
            id="in-the-past",
        ),
    ],
)
def test_a_refused_due_time_says_why_in_words(
    due_at: datetime, now: datetime | None, message: str
) -> None:
    # The message is what the API's 422 tells the user
    violation = check_due_at(
        due_at,
        previous_send=local("Europe/Berlin", 2026, 6, 1, 9),
        attempt=1,
        settings=followup_settings(),
        contact_timezone="Europe/Berlin",
        event=BERLIN_EVENT,
        now=now or local("Europe/Berlin", 2026, 6, 2, 9),
    )

    assert violation is not None
    assert violation.message == message


def test_a_weekday_the_window_leaves_out_is_outside_the_window_not_a_weekend() -> None:
    window = SendWindow(days=[Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU])

    violation = check_due_at(
        local("Europe/Berlin", 2026, 6, 5, 10),  # a Friday
        previous_send=local("Europe/Berlin", 2026, 6, 1, 9),
        attempt=1,
        settings=followup_settings(window=window),
        contact_timezone="Europe/Berlin",
        event=EventDates(),
        now=local("Europe/Berlin", 2026, 6, 2, 9),
    )

    assert violation is not None
    assert violation.rule is TimingRule.OUTSIDE_SEND_WINDOW


def test_the_window_closes_at_its_end_time() -> None:
    # Given a candidate at 18:00 sharp on a Monday: the window is 08:00 up to 18:00
    candidate = local("Europe/Berlin", 2026, 6, 1, 18)

    placed_at = earliest_allowed(
        candidate, window=OFFICE, contact_timezone="Europe/Berlin", event=EventDates()
    )

    assert placed_at == local("Europe/Berlin", 2026, 6, 2, 8)
    assert is_in_window(candidate, None, ZoneInfo("Europe/Berlin"))


def test_a_window_opening_inside_the_spring_gap_opens_exactly_at_its_end() -> None:
    # Given a Sunday window opening at 02:05, inside the hour Berlin skips on 29 March
    # 2026 (and not halfway through it, where a coarse search would land by luck)
    window = SendWindow(days=[Weekday.SUN], start=time(2, 5), end=time(4, 0))

    placed_at = earliest_allowed(
        utc(2026, 3, 28, 12), window=window, contact_timezone="Europe/Berlin", event=EventDates()
    )

    # Then it opens at 03:00 CEST to the second: 01:00:00 UTC
    assert placed_at == utc(2026, 3, 29, 1, 0, 0)


class Floating(tzinfo):
    """A time zone that does not know its offset: datetimes in it count as naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


@pytest.mark.parametrize(
    ("argument", "call"),
    [
        ("now", lambda at: decide(utc(2026, 6, 1, 9), zone="UTC", now=at)),
        ("previous_send", lambda at: decide(at, zone="UTC", now=utc(2026, 6, 1, 9))),
        (
            "candidate",
            lambda at: earliest_allowed(at, window=None, contact_timezone=None, event=EventDates()),
        ),
        ("event dates", lambda at: decide(utc(2026, 6, 1, 9), zone="UTC", event=EventDates(at))),
        ("due_at", lambda at: proposed_naive(due_at=at)),
        ("now", lambda at: proposed_naive(now=at)),
    ],
)
def test_each_time_without_an_offset_is_refused_by_name(
    argument: str, call: Callable[[datetime], object]
) -> None:
    for naive in (datetime(2026, 6, 1, 9), datetime(2026, 6, 1, 9, tzinfo=Floating())):
        with pytest.raises(ValueError, match=rf"^{argument} must be timezone-aware$"):
            call(naive)


def proposed_naive(*, due_at: datetime | None = None, now: datetime | None = None) -> object:
    return check_due_at(
        due_at or utc(2026, 6, 9, 10),
        previous_send=utc(2026, 5, 1, 9),
        attempt=1,
        settings=followup_settings(),
        contact_timezone=None,
        event=EventDates(),
        now=now or utc(2026, 6, 1, 9),
    )


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError, match=r"^attempts count from 1$"):
        decide(utc(2026, 6, 1, 9), zone="UTC", attempt=0)


def test_a_time_already_past_is_refused() -> None:
    violation = check_due_at(
        local("Europe/Berlin", 2026, 6, 4, 10),
        previous_send=local("Europe/Berlin", 2026, 6, 1, 9),
        attempt=1,
        settings=followup_settings(),
        contact_timezone="Europe/Berlin",
        event=EventDates(),
        now=local("Europe/Berlin", 2026, 6, 5, 9),
    )

    assert violation is not None
    assert violation.rule is TimingRule.IN_THE_PAST


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(datetime(2026, 6, 1, 9), zone="UTC")


# ------------------------------------------------------------------- boundary instants
# Each row: the hours (as data), the contact's zone, a candidate instant, and by hand the
# instant the follow-up is placed at, or Cancel. Berlin dates are June 2026 unless said:
# Monday 1, Friday 5, Monday 8, Tuesday 9, Wednesday 10, Thursday 11.

EVENT_THURSDAY = EventDates(starts_at=local("Europe/Berlin", 2026, 6, 11, 9))
NO_EVENT = EventDates()

BOUNDARIES = [
    # The window's edges: 08:00 is in, 18:00 is out
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 1, 8),
        local("Europe/Berlin", 2026, 6, 1, 8),
        NO_EVENT,
        id="opening-second",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 1, 7, 59, 59),
        local("Europe/Berlin", 2026, 6, 1, 8),
        NO_EVENT,
        id="a-second-before-opening",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 1, 17, 59, 59),
        local("Europe/Berlin", 2026, 6, 1, 17, 59, 59),
        NO_EVENT,
        id="last-open-second",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 1, 18),
        local("Europe/Berlin", 2026, 6, 2, 8),
        NO_EVENT,
        id="closing-second",
    ),
    # The weekend
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 5, 18),
        local("Europe/Berlin", 2026, 6, 8, 8),
        NO_EVENT,
        id="friday-closing-to-monday",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 6, 12),
        local("Europe/Berlin", 2026, 6, 8, 8),
        NO_EVENT,
        id="saturday-noon",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 7, 23, 59, 59),
        local("Europe/Berlin", 2026, 6, 8, 8),
        NO_EVENT,
        id="sunday-last-second",
    ),
    # The weekday and the hour are the contact's, not UTC's
    pytest.param(
        OFFICE_HOURS,
        "Pacific/Kiritimati",
        utc(2026, 6, 7, 20, 0),  # Sunday in UTC, Monday 10:00 there
        utc(2026, 6, 7, 20, 0),
        NO_EVENT,
        id="kiritimati-monday-on-a-utc-sunday",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Pacific/Kiritimati",
        utc(2026, 6, 5, 19, 0),  # Friday in UTC, Saturday 09:00 there
        utc(2026, 6, 7, 18, 0),  # Monday 08:00 there
        NO_EVENT,
        id="kiritimati-saturday-on-a-utc-friday",
    ),
    pytest.param(
        OFFICE_HOURS,
        "America/Los_Angeles",
        utc(2026, 6, 6, 0, 30),  # Saturday in UTC, Friday 17:30 PDT there
        utc(2026, 6, 6, 0, 30),
        NO_EVENT,
        id="los-angeles-friday-on-a-utc-saturday",
    ),
    # DST changes
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 3, 27, 18),  # Friday, CET
        utc(2026, 3, 30, 6, 0),  # Monday 08:00 CEST, after the spring change
        NO_EVENT,
        id="berlin-spring-weekend",
    ),
    pytest.param(
        OFFICE_HOURS,
        "America/New_York",
        utc(2026, 10, 30, 22, 0),  # Friday 18:00 EDT
        utc(2026, 11, 2, 13, 0),  # Monday 08:00 EST, after the autumn change
        NO_EVENT,
        id="new-york-autumn-weekend",
    ),
    pytest.param(
        OFFICE_HOURS,
        "America/New_York",
        utc(2026, 11, 1, 5, 30),  # Sunday 01:30 EDT, the hour shown twice
        utc(2026, 11, 2, 13, 0),
        NO_EVENT,
        id="new-york-repeated-hour",
    ),
    pytest.param(
        BERLIN_SUNDAY_NIGHT,
        "Europe/Berlin",
        utc(2026, 3, 28, 12),
        utc(2026, 3, 29, 1, 0),  # 02:30 is skipped: 03:00 CEST, the gap's end
        NO_EVENT,
        id="berlin-opening-in-the-spring-gap",
    ),
    pytest.param(
        BERLIN_SUNDAY_NIGHT,
        "Europe/Berlin",
        utc(2026, 10, 24, 12),
        utc(2026, 10, 25, 0, 30),  # the first 02:30 (CEST), not the second
        NO_EVENT,
        id="berlin-autumn-opening-first-pass",
    ),
    pytest.param(
        BERLIN_SUNDAY_NIGHT,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 10, 25, 2, 10, fold=1),  # 02:10 CET, second pass
        utc(2026, 10, 25, 1, 30),  # the second 02:30 (CET)
        NO_EVENT,
        id="berlin-autumn-opening-second-pass",
    ),
    # Sunday 01:30-02:45 on the night Berlin sets 03:00 CEST back to 02:00 CET: at 02:50
    # CEST the window has closed, and it opens again when the clock shows 02:00 CET.
    pytest.param(
        BERLIN_BEFORE_THE_CHANGE,
        "Europe/Berlin",
        utc(2026, 10, 25, 0, 50),  # 02:50 CEST
        utc(2026, 10, 25, 1, 0),  # 02:00 CET, the clock set back into the window
        NO_EVENT,
        id="berlin-autumn-clock-set-back-into-the-window",
    ),
    # The same night, a window of 01:30-01:55: setting the clock back to 02:00 does not
    # reach it, so the next opening is the following Sunday's.
    pytest.param(
        OpenHours(frozenset({"Sunday"}), 1 * 3600 + 30 * 60, 1 * 3600 + 55 * 60),
        "Europe/Berlin",
        utc(2026, 10, 25, 0, 50),
        utc(2026, 11, 1, 0, 30),  # Sunday 1 November, 01:30 CET
        NO_EVENT,
        id="berlin-autumn-clock-set-back-outside-the-window",
    ),
    # An event on Thursday 11 June: Wednesday is blacked out, so is every day after
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 9, 17, 59, 59),
        local("Europe/Berlin", 2026, 6, 9, 17, 59, 59),
        EVENT_THURSDAY,
        id="the-day-before-the-blackout-last-open-second",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 9, 18),
        Cancel(),
        EVENT_THURSDAY,
        id="the-day-before-the-blackout-closing",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 10, 8),
        Cancel(),
        EVENT_THURSDAY,
        id="the-blackout-day-opening",
    ),
    pytest.param(
        OFFICE_HOURS,
        "Europe/Berlin",
        local("Europe/Berlin", 2026, 6, 11, 10),
        Cancel(),
        EVENT_THURSDAY,
        id="the-day-after-the-blackout-day",
    ),
]


def refused(due_at: datetime, hours: OpenHours, zone: str, event: EventDates) -> bool:
    """Whether the API refuses `due_at` for a thread sent long before, one-day cadence."""
    violation = check_due_at(
        due_at,
        previous_send=due_at - timedelta(days=30),
        attempt=1,
        settings=followup_settings(cadence=[1], window=hours.send_window()),
        contact_timezone=zone,
        event=event,
        now=due_at - timedelta(days=1),
    )
    return violation is not None


def test_the_office_hours_are_the_default_send_window() -> None:
    assert OFFICE_HOURS.send_window() == OFFICE


@pytest.mark.parametrize(("hours", "zone", "candidate", "expected", "event"), BOUNDARIES)
def test_each_boundary_instant_is_placed_as_the_table_says(
    hours: OpenHours,
    zone: str,
    candidate: datetime,
    expected: datetime | Cancel,
    event: EventDates,
) -> None:
    placed_at = earliest_allowed(
        candidate, window=hours.send_window(), contact_timezone=zone, event=event
    )

    assert placed_at == expected
    # The API's check agrees: the candidate passes exactly when it is its own answer
    assert refused(candidate, hours, zone, event) == (expected != candidate)
    if isinstance(expected, datetime):
        assert not refused(expected, hours, zone, event)
        # And so does the oracle the properties below use
        assert hours.open_at(expected, ZoneInfo(zone))
        assert hours.open_at(candidate, ZoneInfo(zone)) == (expected == candidate)


# ------------------------------------------------------------------------- properties


@cache
def transitions(zone_key: str, year: int) -> tuple[datetime, ...]:
    """The instants in `year` at which the zone's UTC offset changes (to the minute)."""
    zone = ZoneInfo(zone_key)
    found = []
    day = utc(year, 1, 1, 12)
    while day.year == year:
        following = day + timedelta(days=1)
        if day.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            low, high = day, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high.replace(second=0, microsecond=0))
        day = following
    return tuple(found)


def wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None, fold=0)


def first_instant_showing(naive: datetime, zone: ZoneInfo) -> datetime:
    """Brute force: the first instant (to the minute) whose wall clock reads `naive` or later."""
    hour = naive.replace(tzinfo=UTC) - timedelta(hours=16)
    while wall(hour, zone) < naive:
        hour += timedelta(hours=1)
    minute = hour - timedelta(hours=1)
    while wall(minute, zone) < naive:
        minute += timedelta(minutes=1)
    return minute


def is_open(hours: OpenHours | None, instant: datetime, zone: ZoneInfo) -> bool:
    return hours is None or hours.open_at(instant, zone)


def openings(hours: OpenHours, start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Brute force: each local day's first instant showing the opening time, or the first
    after it when the clock skips it, from `start`'s local day to `end`'s."""
    days = (end.astimezone(zone).date() - start.astimezone(zone).date()).days
    first = start.astimezone(zone).date()
    return [
        first_instant_showing(
            datetime.combine(first + timedelta(days=n), time()) + timedelta(seconds=hours.opens),
            zone,
        )
        for n in range(days + 1)
    ]


@dataclass(frozen=True)
class Scenario:
    zone: str
    hours: OpenHours | None
    settings: FollowupSettings
    attempt: int
    previous_send: datetime
    now: datetime
    event: EventDates

    def decide(self, now: datetime | None = None) -> FollowupDue | Escalate | Cancel:
        return next_followup(
            previous_send=self.previous_send,
            attempt=self.attempt,
            settings=self.settings,
            contact_timezone=self.zone,
            event=self.event,
            now=now or self.now,
        )

    @property
    def candidate(self) -> datetime:
        days = self.settings.followup_cadence_days
        cadence = days[min(self.attempt, len(days)) - 1]
        return max(self.previous_send + timedelta(days=cadence), self.now)

    @property
    def first_event_day(self) -> date | None:
        first = self.event.starts_at or self.event.ends_at
        return None if first is None else first.astimezone(ZoneInfo(self.zone)).date()

    @property
    def blackout_from(self) -> datetime | None:
        day = self.first_event_day
        if day is None:
            return None
        midnight = datetime.combine(day - timedelta(days=1), time(0))
        return first_instant_showing(midnight, ZoneInfo(self.zone))

    @property
    def ended_at(self) -> datetime | None:
        day = self.first_event_day
        if day is None:
            return None
        if self.event.ends_at is not None:
            return self.event.ends_at
        return first_instant_showing(
            datetime.combine(day + timedelta(days=1), time(0)), ZoneInfo(self.zone)
        )


@st.composite
def open_hours(draw: st.DrawFn) -> OpenHours | None:
    """Drawn as data first; the product's SendWindow is made from it, never the reverse."""
    if draw(st.integers(0, 4)) == 0:
        return None
    minutes = st.integers(0, 24 * 60 - 1)
    opens, closes = sorted(draw(st.lists(minutes, min_size=2, max_size=2, unique=True)))
    days = draw(st.sets(st.sampled_from(DAY_NAMES), min_size=1))
    return OpenHours(frozenset(days), opens * 60, closes * 60)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    cadence = draw(st.lists(st.integers(1, 30), min_size=1, max_size=4))
    attempt = draw(st.integers(1, 5))
    days = cadence[min(attempt, len(cadence)) - 1]
    changes = transitions(zone, draw(st.integers(1995, 2036)))
    if changes and draw(st.booleans()):
        # Aim the cadence at a DST change, give or take a day and a half.
        anchor = draw(st.sampled_from(changes)) + timedelta(minutes=draw(st.integers(-2160, 2160)))
        previous_send = anchor - timedelta(days=days)
    else:
        previous_send = draw(
            st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2036, 12, 31))
        ).replace(tzinfo=UTC)
    now = previous_send + timedelta(minutes=draw(st.integers(0, (days + 10) * 24 * 60)))
    event = EventDates()
    if draw(st.booleans()):
        starts = previous_send + timedelta(minutes=draw(st.integers(-5 * 1440, 60 * 1440)))
        length = draw(st.none() | st.integers(0, 5 * 1440))
        ends = None if length is None else starts + timedelta(minutes=length)
        event = EventDates(starts_at=starts, ends_at=ends)
    hours = draw(open_hours())
    return Scenario(
        zone=zone,
        hours=hours,
        settings=FollowupSettings(
            followup_cadence_days=cadence,
            max_followups=draw(st.integers(0, 5)),
            send_window=None if hours is None else hours.send_window(),
        ),
        attempt=attempt,
        previous_send=previous_send,
        now=now,
        event=event,
    )


PROPERTIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTIES
@given(scenarios())
def test_a_due_time_keeps_every_rule(scenario: Scenario) -> None:
    decision = scenario.decide()
    if isinstance(decision, Cancel):
        return
    zone = ZoneInfo(scenario.zone)
    at = decision.at

    # Never before the cadence, never in the past
    assert at >= scenario.candidate
    # Inside the window, in the contact's zone (weekday and wall time)
    assert is_open(scenario.hours, at, zone)
    # Never on the day before the event, during it, or after it
    blackout_from = scenario.blackout_from
    if blackout_from is not None:
        assert at < blackout_from
        assert scenario.first_event_day is not None
        assert at.astimezone(zone).date() < scenario.first_event_day - timedelta(days=1)
    # The earliest such time: a second earlier is before the candidate or not allowed
    earlier = at - timedelta(seconds=1)
    assert earlier < scenario.candidate or not is_open(scenario.hours, earlier, zone)
    # and nothing allowed was passed over: an open candidate is the answer, and no day's
    # opening between the two was open
    if is_open(scenario.hours, scenario.candidate, zone):
        assert at == scenario.candidate
    if scenario.hours is not None:
        for opening in openings(scenario.hours, scenario.candidate, at, zone):
            assert not (
                scenario.candidate <= opening < at and is_open(scenario.hours, opening, zone)
            )
    # Escalation exactly after the last attempt
    assert isinstance(decision, Escalate) == (scenario.attempt > scenario.settings.max_followups)


@PROPERTIES
@given(scenarios())
def test_a_decision_is_idempotent_and_its_time_passes_the_check(scenario: Scenario) -> None:
    decision = scenario.decide()
    assert scenario.decide() == decision
    if isinstance(decision, Cancel):
        return

    # Placing its own time again moves nothing, deciding at that moment gives the same
    assert (
        earliest_allowed(
            decision.at,
            window=scenario.settings.send_window,
            contact_timezone=scenario.zone,
            event=scenario.event,
        )
        == decision.at
    )
    assert scenario.decide(now=decision.at) == decision
    # And the API accepts it as a due time
    violation = check_due_at(
        decision.at,
        previous_send=scenario.previous_send,
        attempt=scenario.attempt,
        settings=scenario.settings,
        contact_timezone=scenario.zone,
        event=scenario.event,
        now=scenario.now,
    )
    assert violation is None


@PROPERTIES
@given(scenarios())
def test_a_follow_up_is_cancelled_only_when_the_event_leaves_no_time(scenario: Scenario) -> None:
    decision = scenario.decide()
    if not isinstance(decision, Cancel):
        return

    # There is an event, and it ended, or the first window time ignoring it is too late
    blackout_from, ended_at = scenario.blackout_from, scenario.ended_at
    assert blackout_from is not None
    assert ended_at is not None
    unconstrained = earliest_allowed(
        scenario.candidate,
        window=scenario.settings.send_window,
        contact_timezone=scenario.zone,
        event=EventDates(),
    )
    assert isinstance(unconstrained, datetime)
    assert scenario.candidate >= ended_at or unconstrained >= blackout_from
