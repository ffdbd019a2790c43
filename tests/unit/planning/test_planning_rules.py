"""How the Planning agent scores an event and orders the speakers saved from it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attendry.planning.rules import (
    ContactFacts,
    EventFacts,
    assess,
    contact_rank,
    contact_reasons,
    shared_topics,
)

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)


def event(**changes: Any) -> EventFacts:
    values: dict[str, Any] = {
        "title": "DataConf Europe",
        "starts_at": NOW + timedelta(days=30),
        "ends_at": NOW + timedelta(days=31),
        "attendry_score": 0.9,
        "topics": ["streaming", "lakehouse"],
        "reachable": 3,
        "contacted": 0,
        "shared_topics": ["streaming"],
    }
    return EventFacts(**{**values, **changes})


def test_a_well_rated_event_a_month_ahead_with_speakers_to_write_to_scores_high() -> None:
    assessment = assess(event(), NOW)

    assert assessment.score == pytest.approx(0.4 * 0.9 + 0.3 * 1.0 + 0.3 * 1.0)
    assert assessment.actionable
    assert assessment.reasons == (
        "Attendry rates this event 0.90 of 1.",
        "It starts in 30 days: the right time to arrange meetings.",
        "3 speakers you saved from it can be written to.",
        "Its speakers cover its topics: streaming.",
    )


def test_an_event_that_is_over_scores_nothing_and_says_so() -> None:
    over = event(starts_at=NOW - timedelta(days=3), ends_at=NOW - timedelta(days=2))

    assessment = assess(over, NOW)

    assert (assessment.score, assessment.actionable, assessment.over) == (0.0, False, True)
    assert assessment.reasons == ("DataConf Europe is over (it ended 2026-11-25).",)


@pytest.mark.parametrize(
    ("days_ahead", "timing"),
    [
        (1, 0.1),  # too late to book meetings
        (2, 0.5),  # the ramp starts
        (7, 1.0),
        (60, 1.0),
        (120, 1.0 - 0.7 * 0.5),  # halfway down to far away
        (300, 0.3),
    ],
)
def test_timing_favours_the_weeks_before_an_event(days_ahead: int, timing: float) -> None:
    starts = NOW + timedelta(days=days_ahead)
    facts = event(starts_at=starts, ends_at=starts + timedelta(days=1), attendry_score=0.0)

    assessment = assess(facts, NOW)

    assert assessment.score == pytest.approx(0.3 * timing + 0.3 * 1.0)


def test_an_unrated_undated_event_counts_as_neutral_and_says_why() -> None:
    assessment = assess(event(attendry_score=None, starts_at=None, ends_at=None), NOW)

    assert assessment.score == pytest.approx(0.4 * 0.5 + 0.3 * 0.5 + 0.3 * 1.0)
    assert assessment.reasons[:2] == (
        "Attendry has not rated this event yet.",
        "The event has no date yet.",
    )


def test_without_anyone_to_write_to_an_event_is_not_actionable() -> None:
    assessment = assess(event(reachable=0, contacted=2, shared_topics=[]), NOW)

    assert not assessment.actionable
    assert assessment.score == pytest.approx(0.4 * 0.9 + 0.3 * 1.0)
    assert assessment.reasons[2:] == (
        "No saved speaker of this event can be written to yet.",
        "2 speakers from it already written to.",
    )


def test_one_speaker_fills_a_third_of_the_audience_part() -> None:
    assert assess(event(reachable=1), NOW).score == pytest.approx(0.36 + 0.3 + 0.1)


def test_speakers_sharing_the_events_topics_come_first_then_those_with_material() -> None:
    topics = ["Streaming", "lakehouse"]
    ada = ContactFacts(name="Ada", title=None, has_bio=False, topics=["streaming", "lakehouse"])
    bob = ContactFacts(name="Bob", title="CTO", has_bio=True, topics=["streaming"])
    cleo = ContactFacts(name="cleo", title="CTO", has_bio=False, topics=[])
    dan = ContactFacts(name="Dan", title=None, has_bio=False, topics=[])

    ordered = sorted([dan, cleo, bob, ada], key=lambda c: contact_rank(c, topics))

    assert [c.name for c in ordered] == ["Ada", "Bob", "cleo", "Dan"]
    assert contact_reasons(bob, topics) == (
        "Saved from this event.",
        "Shares its topics: Streaming.",
        "Has a title or bio to personalise the message from.",
    )
    assert contact_reasons(dan, topics) == ("Saved from this event.",)


def test_shared_topics_keep_the_events_order_and_ignore_case() -> None:
    assert shared_topics(["B", "a", "c"], ["A", "b"]) == ["B", "a"]


def test_an_event_is_recommended_at_the_agents_threshold_with_someone_to_write_to() -> None:
    assessment = assess(event(), NOW)  # 0.96

    assert assessment.recommended(0.96)
    assert not assessment.recommended(0.97)
    assert not assess(event(reachable=0), NOW).recommended(0.1)


def test_an_event_known_only_by_its_start_is_over_once_that_has_passed() -> None:
    assessment = assess(event(starts_at=NOW - timedelta(days=1), ends_at=None), NOW)

    assert assessment.over
    assert assessment.reasons == ("DataConf Europe is over (it ended 2026-11-26).",)


def test_an_event_is_over_only_once_its_end_has_passed() -> None:
    assert not assess(event(ends_at=NOW), NOW).over
    assert assess(event(ends_at=NOW - timedelta(microseconds=1)), NOW).over


def test_the_score_is_rounded_to_three_places() -> None:
    assert assess(event(attendry_score=0.1234), NOW).score == 0.649


def test_one_speaker_is_enough_to_act_and_is_counted_in_the_singular() -> None:
    assessment = assess(event(reachable=1, contacted=1, shared_topics=[]), NOW)

    assert assessment.actionable
    assert assessment.reasons[2:] == (
        "1 speaker you saved from it can be written to.",
        "1 speaker from it already written to.",
    )


@pytest.mark.parametrize(
    ("ahead", "timing", "reason"),
    [
        pytest.param(
            timedelta(0),
            0.1,
            "The event is under way: meetings there are hard to book now.",
            id="starting-now",
        ),
        pytest.param(
            timedelta(hours=12),
            0.1,
            "It starts within two days: too late to book most meetings.",
            id="in-twelve-hours",
        ),
        pytest.param(
            timedelta(days=4, hours=12),
            0.75,
            "It starts in 4 days: meetings can still be booked.",
            id="halfway-up-the-ramp",
        ),
        pytest.param(
            timedelta(days=7),
            1.0,
            "It starts in 7 days: the right time to arrange meetings.",
            id="ramp-ends",
        ),
        pytest.param(
            timedelta(days=60),
            1.0,
            "It starts in 60 days: the right time to arrange meetings.",
            id="sweet-spot-ends",
        ),
        pytest.param(
            timedelta(days=180),
            0.3,
            "It starts in 180 days: most people do not plan that far ahead.",
            id="far-away",
        ),
    ],
)
def test_timing_at_the_edges_of_each_stretch(ahead: timedelta, timing: float, reason: str) -> None:
    # An event that has started is not over until it ends
    facts = event(starts_at=NOW + ahead, ends_at=NOW + ahead + timedelta(days=1))

    assessment = assess(facts, NOW)

    assert assessment.reasons[1] == reason
    assert assessment.score == pytest.approx(0.4 * 0.9 + 0.3 * timing + 0.3 * 1.0, abs=1e-3)


def test_several_shared_topics_are_listed_with_commas() -> None:
    topics = ["streaming", "lakehouse"]
    speaker = ContactFacts(name="Ada", title="CTO", has_bio=False, topics=topics)

    assessment = assess(event(shared_topics=topics), NOW)

    assert assessment.reasons[-1] == "Its speakers cover its topics: streaming, lakehouse."
    assert contact_reasons(speaker, topics) == (
        "Saved from this event.",
        "Shares its topics: streaming, lakehouse.",
        "Has a title or bio to personalise the message from.",
    )
