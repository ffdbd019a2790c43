"""Which bounces and complaints suppress an address: pure rules."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from attendry.suppression.rules import (
    TransientBouncePolicy,
    complaint_suppresses,
    is_hard_bounce,
    too_many_soft_bounces,
)

POLICY = TransientBouncePolicy(limit=3, window=timedelta(days=7))
T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)


def days(*offsets: float) -> list[datetime]:
    return [T0 + timedelta(days=offset) for offset in offsets]


@pytest.mark.parametrize(
    ("bounce_type", "hard"),
    [("Permanent", True), ("Transient", False), ("Undetermined", False)],
)
def test_only_a_permanent_bounce_suppresses_at_once(bounce_type: str, hard: bool) -> None:
    assert is_hard_bounce(bounce_type) is hard


@pytest.mark.parametrize(
    ("times", "suppress"),
    [
        pytest.param(days(0, 1), False, id="two"),
        pytest.param(days(0, 3, 6.9), True, id="three-in-7-days"),
        pytest.param(days(0, 3.5, 7), True, id="window-ends-included"),
        pytest.param(days(0, 4, 7.1), False, id="three-in-7.1-days"),
        pytest.param(days(6.9, 0, 3), True, id="any-order"),
        pytest.param(days(0, 10, 11, 20, 30), False, id="spread-out"),
        pytest.param(days(0, 10, 11, 12, 30), True, id="a-cluster-later"),
    ],
)
def test_repeated_soft_bounces_suppress_within_the_window(
    times: list[datetime], suppress: bool
) -> None:
    assert too_many_soft_bounces(times, POLICY) is suppress


@given(st.lists(st.integers(min_value=0, max_value=60 * 24 * 60), max_size=8))
def test_the_answer_does_not_depend_on_the_order(minutes: list[int]) -> None:
    times = [T0 + timedelta(minutes=m) for m in minutes]

    assert too_many_soft_bounces(times, POLICY) == too_many_soft_bounces(
        list(reversed(times)), POLICY
    )


@pytest.mark.parametrize(
    ("feedback_type", "suppress"),
    [("abuse", True), (None, True), ("fraud", True), ("not-spam", False), ("NOT-SPAM", False)],
)
def test_a_complaint_suppresses_unless_it_says_not_spam(
    feedback_type: str | None, suppress: bool
) -> None:
    assert complaint_suppresses(feedback_type) is suppress
