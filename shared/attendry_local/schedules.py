"""EventBridge schedules on a local clock, and fired on demand for any moment.

Scheduled handlers take "now" from the event's `time`, so firing a schedule with a chosen
time replays that moment exactly. Expressions are EventBridge's: `rate(5 minutes)`,
`cron(0 8 ? * MON-FRI *)` (six fields, day-of-week 1-7 = SUN-SAT, `L`, `W` and `#`
included) and Scheduler's `at(2025-01-31T08:00:00)`; the cron arithmetic is croniter's.
"""

import json
import logging
import re
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from attendry_local.functions import Invocation
from attendry_local.topology import ScheduleDef, ScheduleTarget

log = logging.getLogger(__name__)

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")
_AT = re.compile(r"^at\((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_WEEKDAY_NUMBER = re.compile(r"(?<![#/\d])([1-7])(?!\d)")
_LAST_WEEKDAY = re.compile(r"^(\d)L$")
_CLOCK_MAX_SLEEP_S = 30.0


class ScheduleExpressionError(ValueError):
    """Not an expression EventBridge accepts (the message says why)."""


@dataclass(frozen=True)
class Rate:
    period: timedelta


@dataclass(frozen=True)
class Cron:
    croniter_expression: str
    timezone: ZoneInfo


@dataclass(frozen=True)
class At:
    moment: datetime


def parse_expression(expression: str, timezone: str | None = None) -> Rate | Cron | At:
    zone = ZoneInfo(timezone or "UTC")
    rate = _RATE.match(expression.strip())
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleExpressionError(
                f"{expression}: use '1 {unit.rstrip('s')}' or 'N {unit}s'"
            )
        return Rate(timedelta(seconds=value * _UNIT_SECONDS[unit.rstrip("s")]))
    cron = _CRON.match(expression.strip())
    if cron:
        return Cron(eventbridge_cron_to_croniter(cron.group(1)), zone)
    at = _AT.match(expression.strip())
    if at:
        return At(datetime.fromisoformat(at.group(1)).replace(tzinfo=zone))
    raise ScheduleExpressionError(f"{expression}: expected rate(...), cron(...) or at(...)")


def eventbridge_cron_to_croniter(fields: str) -> str:
    """`0 8 ? * MON-FRI *` -> croniter's `0 8 * * MON-FRI 0 *` (the 0 is croniter's seconds).

    EventBridge numbers weekdays 1-7 from Sunday and croniter 0-6, and writes "last
    Friday" as `6L` where croniter writes `L5`.
    """
    parts = fields.split()
    if len(parts) != 6:
        raise ScheduleExpressionError(f"cron({fields}): EventBridge cron has six fields")
    minute, hour, day_of_month, month, day_of_week, year = parts
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleExpressionError(
            f"cron({fields}): exactly one of day-of-month and day-of-week must be '?'"
        )
    weekdays = ",".join(_croniter_weekday(item) for item in day_of_week.split(","))
    expression = " ".join(
        [minute, hour, day_of_month.replace("?", "*"), month, weekdays, "0", year]
    )
    if not croniter.is_valid(expression):
        raise ScheduleExpressionError(f"cron({fields}): not a valid schedule")
    return expression


def _croniter_weekday(item: str) -> str:
    if item == "?":
        return "*"
    if item == "L":
        return "6"
    shifted = _WEEKDAY_NUMBER.sub(lambda found: str(int(found.group(1)) - 1), item)
    last = _LAST_WEEKDAY.match(shifted)
    return f"L{last.group(1)}" if last else shifted


def next_fire_time(schedule: ScheduleDef, after: datetime) -> datetime | None:
    """The first moment strictly after `after` at which the schedule fires, if any."""
    parsed = parse_expression(schedule.expression, schedule.timezone)
    if isinstance(parsed, Rate):
        return after + parsed.period
    if isinstance(parsed, At):
        return parsed.moment if parsed.moment > after else None
    following: datetime = croniter(
        parsed.croniter_expression, after.astimezone(parsed.timezone)
    ).get_next(datetime)
    return following.astimezone(UTC)


def scheduled_event(schedule: ScheduleDef, at: datetime, account: str, region: str) -> Any:
    """What EventBridge sends a rule's target when the rule has no Input of its own."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": format_event_time(at),
        "region": region,
        "resources": [schedule.arn],
        "detail": {},
    }


def target_payload(
    schedule: ScheduleDef, target: ScheduleTarget, at: datetime, account: str, region: str
) -> Any:
    if schedule.source == "scheduler":
        text = (target.input or "{}").replace(
            "<aws.scheduler.scheduled-time>", format_event_time(at)
        )
        text = text.replace("<aws.scheduler.schedule-arn>", schedule.arn)
        text = text.replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
        text = text.replace("<aws.scheduler.attempt-number>", "1")
        return _json_or_text(text)
    if target.input is not None:
        return _json_or_text(target.input)
    return scheduled_event(schedule, at, account, region)


def format_event_time(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass(frozen=True)
class TargetOutcome:
    target: str
    kind: str
    result: Any = None
    error: dict[str, Any] | None = None

    def describe(self) -> dict[str, Any]:
        outcome: dict[str, Any] = {"target": self.target, "kind": self.kind}
        outcome.update({"error": self.error} if self.error else {"result": self.result})
        return outcome


class ScheduleFirer:
    """Delivers one firing of a schedule to each of its targets (functions, queues)."""

    def __init__(
        self,
        *,
        invoke: Callable[[str, Any], Invocation],
        send_to_queue: Callable[[str, str], str],
        account: str,
        region: str,
    ) -> None:
        self._invoke = invoke
        self._send_to_queue = send_to_queue
        self._account = account
        self._region = region

    def fire(self, schedule: ScheduleDef, at: datetime) -> list[TargetOutcome]:
        outcomes = []
        for target in schedule.targets:
            payload = target_payload(schedule, target, at, self._account, self._region)
            if target.kind == "function":
                invocation = self._invoke(target.logical_id, payload)
                if invocation.failed:
                    log.error(
                        "%s -> %s failed: %s",
                        schedule.logical_id,
                        target.logical_id,
                        invocation.error,
                    )
                outcomes.append(
                    TargetOutcome(
                        target.logical_id, target.kind, invocation.payload, invocation.error
                    )
                )
            else:
                body = payload if isinstance(payload, str) else json.dumps(payload)
                message_id = self._send_to_queue(target.logical_id, body)
                outcomes.append(
                    TargetOutcome(target.logical_id, target.kind, {"MessageId": message_id})
                )
        return outcomes


class ScheduleClock:
    """Fires every enabled schedule when its time comes, until stopped."""

    def __init__(
        self,
        schedules: list[ScheduleDef],
        firer: ScheduleFirer,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._schedules = [schedule for schedule in schedules if schedule.enabled]
        self._firer = firer
        self._now = now
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="schedule")

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="schedule-clock")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._executor.shutdown(wait=True, cancel_futures=True)

    def _run(self) -> None:
        started = self._now()
        upcoming = {
            schedule.logical_id: next_fire_time(schedule, started) for schedule in self._schedules
        }
        while not self._stop.is_set():
            now = self._now()
            for schedule in self._schedules:
                due = upcoming[schedule.logical_id]
                if due is not None and due <= now:
                    self._executor.submit(self._fire, schedule, due)
                    upcoming[schedule.logical_id] = next_fire_time(schedule, max(due, now))
            pending = [moment for moment in upcoming.values() if moment is not None]
            wait_s = min(
                [(moment - now).total_seconds() for moment in pending] + [_CLOCK_MAX_SLEEP_S]
            )
            self._stop.wait(max(wait_s, 0.05))

    def _fire(self, schedule: ScheduleDef, at: datetime) -> None:
        log.info("schedule %s fired for %s", schedule.logical_id, format_event_time(at))
        try:
            self._firer.fire(schedule, at)
        except Exception:
            log.exception("schedule %s could not be delivered", schedule.logical_id)
