"""Scheduled re-drive: enqueues again the agent tasks that no queue message carries."""

from datetime import datetime

from attendry.platform.handlers import scheduled_handler
from attendry.platform.sqs import SqsQueue
from attendry.tasks.redrive import redrive_queued_tasks
from attendry.tasks.settings import TaskQueueSettings
from attendry.wiring import connect_features

connect_features()
settings = TaskQueueSettings()
queue = SqsQueue(settings.agent_tasks_queue_url)


def redrive(now: datetime) -> dict[str, int]:
    done = redrive_queued_tasks(now, settings=settings, queue=queue)
    return {"enqueued": done.enqueued, "abandoned": done.abandoned}


lambda_handler = scheduled_handler(redrive)
