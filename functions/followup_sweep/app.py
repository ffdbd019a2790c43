"""Scheduled follow-up sweep: drafts (or escalates, or stops) every follow-up now due."""

from datetime import datetime
from typing import Any

from attendry.followups.settings import SweepSettings
from attendry.followups.sweep import sweep_followups
from attendry.platform.handlers import scheduled_handler
from attendry.platform.sqs import SqsQueue
from attendry.tasks.settings import TaskQueueSettings
from attendry.wiring import connect_features

connect_features()
settings = SweepSettings()
tasks = SqsQueue(TaskQueueSettings().agent_tasks_queue_url)


def sweep(now: datetime) -> dict[str, Any]:
    done = sweep_followups(now, settings=settings, queue=tasks)
    return {"claimed": done.claimed, **done.outcomes}


lambda_handler = scheduled_handler(sweep)
