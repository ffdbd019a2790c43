"""Schedules: EventBridge expressions, the local clock, and firing for a chosen moment."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attendry_local.functions import Invocation
from attendry_local.runtime import LocalRuntime
from attendry_local.schedules import (
    ScheduleClock,
    ScheduleExpressionError,
    ScheduleFirer,
    eventbridge_cron_to_croniter,
    next_fire_time,
    parse_expression,
)
from attendry_local.topology import ScheduleDef, ScheduleTarget
from tests.fixtures.local_runtime import http, wait_until

MOMENT = "2025-03-04T05:06:07Z"


def schedule(expression: str, timezone: str | None = None) -> ScheduleDef:
    return ScheduleDef(
        logical_id="Tick",
        names=("Tick",),
        expression=expression,
        timezone=timezone,
        enabled=True,
        source="events",
        arn="arn:aws:events:us-east-1:123456789012:rule/attendry-local-Tick",
        targets=(ScheduleTarget("function", "TickFunction", None),),
    )


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Expressions


@pytest.mark.parametrize(
    ("expression", "period"),
    [
        ("rate(1 minute)", timedelta(minutes=1)),
        ("rate(5 minutes)", timedelta(minutes=5)),
        ("rate(1 hour)", timedelta(hours=1)),
        ("rate(2 days)", timedelta(days=2)),
    ],
)
def test_a_rate_fires_one_period_after_the_last_time(expression: str, period: timedelta) -> None:
    after = at("2025-01-01T00:00:00")

    assert next_fire_time(schedule(expression), after) == after + period


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 hours)",
        "rate(5 weeks)",
        "cron(0 8 * * * *)",
        "cron(0 8 ? * ? *)",
        "cron(0 8 ? * MON-FRI)",
        "cron(99 8 ? * MON-FRI *)",
        "every day",
    ],
)
def test_an_expression_eventbridge_refuses_is_refused(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_expression(expression)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        # Friday 09:00 -> Monday 08:00
        ("cron(0 8 ? * MON-FRI *)", "2025-01-03T09:00:00", "2025-01-06T08:00:00"),
        # EventBridge counts weekdays from SUN=1: 2 is Monday
        ("cron(0 12 ? * 2 *)", "2025-01-01T00:00:00", "2025-01-06T12:00:00"),
        ("cron(0 12 ? * 1,7 *)", "2025-01-01T00:00:00", "2025-01-04T12:00:00"),
        # last Friday of the month, third Friday of the month
        ("cron(0 8 ? * 6L *)", "2025-01-01T00:00:00", "2025-01-31T08:00:00"),
        ("cron(0 8 ? * 6#3 *)", "2025-01-01T00:00:00", "2025-01-17T08:00:00"),
        # last day of the month, nearest weekday to the 15th (Sat 15 Feb -> Fri 14)
        ("cron(0 8 L * ? *)", "2025-02-01T00:00:00", "2025-02-28T08:00:00"),
        ("cron(0 8 15W * ? *)", "2025-02-01T00:00:00", "2025-02-14T08:00:00"),
        ("cron(0/15 * * * ? *)", "2025-01-01T10:07:00", "2025-01-01T10:15:00"),
        ("cron(0 0 1 1 ? 2030)", "2025-01-01T00:00:00", "2030-01-01T00:00:00"),
    ],
)
def test_eventbridge_cron_runs_on_croniter(expression: str, after: str, expected: str) -> None:
    assert next_fire_time(schedule(expression), at(after)) == at(expected)


def test_a_scheduler_timezone_moves_the_fire_time() -> None:
    paris = schedule("cron(0 8 * * ? *)", timezone="Europe/Paris")

    assert next_fire_time(paris, at("2025-01-01T00:00:00")) == at("2025-01-01T07:00:00")


def test_a_one_time_schedule_fires_once() -> None:
    once = schedule("at(2025-06-01T12:00:00)")

    assert next_fire_time(once, at("2025-01-01T00:00:00")) == at("2025-06-01T12:00:00")
    assert next_fire_time(once, at("2025-06-01T12:00:00")) is None


def test_the_cron_translation_is_what_croniter_expects() -> None:
    assert eventbridge_cron_to_croniter("0 8 ? * MON-FRI *") == "0 8 * * MON-FRI 0 *"
    assert eventbridge_cron_to_croniter("0 8 ? * 6L *") == "0 8 * * L5 0 *"


# The local clock


def test_the_clock_fires_a_rate_schedule_one_period_after_start() -> None:
    start = at("2025-01-01T00:00:00")
    moments = iter([start])
    fired: list[tuple[str, Any]] = []
    done = threading.Event()

    def invoke(logical_id: str, event: Any) -> Invocation:
        fired.append((logical_id, event))
        done.set()
        return Invocation("request", None)

    firer = ScheduleFirer(
        invoke=invoke,
        send_to_queue=lambda queue_id, body: "",
        account="123456789012",
        region="us-east-1",
    )
    clock = ScheduleClock(
        [schedule("rate(1 minute)")],
        firer,
        now=lambda: next(moments, start + timedelta(seconds=61)),
    )
    clock.start()
    try:
        wait_until(done.is_set)
    finally:
        clock.stop()

    (logical_id, event) = fired[0]
    assert logical_id == "TickFunction"
    assert event["time"] == "2025-01-01T00:01:00Z"


# Firing on demand through /_local/


def fire(runtime: LocalRuntime, name: str, body: Any) -> Any:
    return http("POST", f"{runtime.api_url}/_local/schedules/{name}/fire", json_body=body)


@pytest.mark.parametrize("name", ["Nightly", "ScheduledFunctionNightly", "nightly-pass"])
def test_firing_a_schedule_delivers_eventbridges_scheduled_event(
    runtime: LocalRuntime, name: str
) -> None:
    response = fire(runtime, name, {"time": MOMENT})

    assert response.status == 200
    body = response.json()
    assert body["schedule"] == "ScheduledFunctionNightly"
    (target,) = body["targets"]
    assert target["target"] == "ScheduledFunction"
    event = target["result"]["received"]
    assert event["time"] == MOMENT
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["resources"] == [
        "arn:aws:events:us-east-1:123456789012:rule/attendry-local-ScheduledFunctionNightly"
    ]
    assert event["detail"] == {}
    assert event["version"] == "0"
    assert event["id"]


def test_a_rule_input_replaces_the_event(runtime: LocalRuntime) -> None:
    (target,) = fire(runtime, "WithInput", {"time": MOMENT}).json()["targets"]

    assert target["result"] == {"received": {"kind": "fixed-input"}}


def test_a_scheduler_input_gets_the_scheduled_time(runtime: LocalRuntime) -> None:
    (target,) = fire(runtime, "Weekday", {"time": MOMENT}).json()["targets"]

    assert target["result"] == {"received": {"scheduled_for": MOMENT}}


def test_a_time_without_offset_is_utc(runtime: LocalRuntime) -> None:
    (target,) = fire(runtime, "Nightly", {"time": "2025-03-04T05:06:07"}).json()["targets"]

    assert target["result"]["received"]["time"] == MOMENT


def test_an_unknown_schedule_is_404(runtime: LocalRuntime) -> None:
    response = fire(runtime, "NoSuchSchedule", {"time": MOMENT})

    assert response.status == 404
    assert "NoSuchSchedule" in response.json()["message"]


@pytest.mark.parametrize("body", [{"time": "yesterday"}, {"time": 12}, b"{not json"])
def test_a_bad_time_is_400(runtime: LocalRuntime, body: Any) -> None:
    if isinstance(body, bytes):
        response = http(
            "POST",
            f"{runtime.api_url}/_local/schedules/Nightly/fire",
            headers={"content-type": "application/json"},
            body=body,
        )
    else:
        response = fire(runtime, "Nightly", body)

    assert response.status == 400
