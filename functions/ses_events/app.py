"""SesEvents SQS consumer: applies SES events (SNS envelopes) to sent messages, partially."""

from attendry.core.clock import system_clock
from attendry.delivery.consumer import SesEventsConsumer
from attendry.delivery.service import SesEventPolicies
from attendry.delivery.settings import SesEventsQueueSettings
from attendry.platform.handlers import sqs_batch_handler
from attendry.platform.sqs import SqsQueue
from attendry.wiring import connect_features

connect_features()
settings = SesEventsQueueSettings()
policies = SesEventPolicies.from_environment()

# With the database away every record fails; that is still a partial response, and each
# record comes back after its visibility timeout.
lambda_handler = sqs_batch_handler(
    lambda: SesEventsConsumer(
        dead_letters=SqsQueue(settings.dead_letter_queue_url_value),
        policies=policies,
        clock=system_clock,
    ),
    raise_on_entire_batch_failure=False,
)
