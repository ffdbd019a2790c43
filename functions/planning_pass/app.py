"""Scheduled Planning agent pass: delegates the recommended events of users who let it."""

from datetime import datetime

from attendry.planning.hourly_pass import planning_pass
from attendry.platform.handlers import scheduled_handler
from attendry.wiring import connect_features

connect_features()


def delegate(now: datetime) -> dict[str, int]:
    done = planning_pass(now)
    return {"users": done.users, "events": done.events, "tasks": done.tasks}


lambda_handler = scheduled_handler(delegate)
