"""Scheduled re-drive: queues again the approved email drafts that no message carries."""

from datetime import datetime

from attendry.outreach.service import redrive_approved_drafts
from attendry.platform.handlers import scheduled_handler
from attendry.platform.sqs import SqsQueue
from attendry.sending.settings import SendRedriveSettings
from attendry.wiring import connect_features

connect_features()
settings = SendRedriveSettings()
queue = SqsQueue(settings.email_send_queue_url)


def redrive(now: datetime) -> dict[str, int]:
    return {"enqueued": redrive_approved_drafts(now, queue=queue, settings=settings)}


lambda_handler = scheduled_handler(redrive)
