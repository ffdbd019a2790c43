"""InboundMail SQS consumer: replies and mailto unsubscribes SES received, matched to threads."""

from attendry.email.settings import EmailSettings
from attendry.inbound.consumer import InboundMailConsumer
from attendry.inbound.settings import InboundSettings
from attendry.platform.handlers import sqs_batch_handler
from attendry.platform.sqs import SqsQueue
from attendry.wiring import connect_features

connect_features()
settings = InboundSettings()
email = EmailSettings()

lambda_handler = sqs_batch_handler(
    lambda: InboundMailConsumer(
        settings=settings, email=email, dead_letters=SqsQueue(settings.dead_letter_queue_url)
    ),
    raise_on_entire_batch_failure=True,
)
