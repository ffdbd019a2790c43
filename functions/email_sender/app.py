"""EmailSend SQS consumer: sends each approved draft through SES, reporting partial failures."""

from attendry.core.clock import system_clock
from attendry.email.settings import EmailSettings
from attendry.followups.threads import ScheduledThreads
from attendry.platform.handlers import sqs_batch_handler
from attendry.platform.sqs import SqsQueue
from attendry.sending.consumer import SendMessageConsumer
from attendry.sending.service import Sender
from attendry.sending.settings import SenderSettings
from attendry.wiring import connect_features

connect_features()
settings = SenderSettings()
email = EmailSettings()

# A batch where every record failed is still a partial response: each retry (or wait for
# SES's Send event) is already scheduled through the message's visibility.
lambda_handler = sqs_batch_handler(
    lambda: SendMessageConsumer(
        sender=Sender(
            threads=ScheduledThreads(), settings=settings, email=email, clock=system_clock
        ),
        settings=settings,
        queue=SqsQueue(settings.email_send_queue_url),
        dead_letters=SqsQueue(settings.email_send_dlq_url),
    ),
    raise_on_entire_batch_failure=False,
)
