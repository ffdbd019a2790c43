"""The EmailSend queue's consumer: each record's draft sent, the outcome made ack or retry.

A body that is not a `SendRequest` can never succeed, so the base parks it on the
dead-letter queue at once (with the reason): the rest of the batch goes on.
"""

from typing import ClassVar
from uuid import UUID

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict

from attendry.core.observability import logger
from attendry.platform.queue import (
    Acknowledge,
    Outcome,
    QueueConsumer,
    Retry,
    backoff_s,
    receive_count,
)
from attendry.platform.sqs import SqsQueue
from attendry.sending.service import Sender, SendOutcome, SendResult
from attendry.sending.settings import SendingSettings


class SendRequest(BaseModel):
    """The EmailSend queue's message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draft_id: UUID


class SendMessageConsumer(QueueConsumer[SendRequest, SendResult]):
    what: ClassVar[str] = "Malformed EmailSend message"

    def __init__(
        self,
        *,
        sender: Sender,
        settings: SendingSettings,
        queue: SqsQueue,
        dead_letters: SqsQueue,
    ) -> None:
        super().__init__(queue=queue, dead_letters=dead_letters)
        self.sender = sender
        self.settings = settings

    def parse(self, record: SQSRecord) -> SendRequest:
        return SendRequest.model_validate_json(record.body)

    def handle(self, message: SendRequest, record: SQSRecord) -> Outcome[SendResult]:
        result = self.sender.send_draft(message.draft_id)
        logger.info(
            "Send outcome",
            extra={
                "draft_id": str(result.draft_id),
                "sent_id": str(result.sent_id) if result.sent_id else None,
                "outcome": result.outcome.value,
                "reason": result.reason,
            },
        )
        if result.outcome == SendOutcome.RETRY:
            delay = backoff_s(
                receive_count(record),
                base_s=self.settings.retry_base_delay_s,
                max_s=self.settings.retry_max_delay_s,
            )
            return Retry(f"SES did not take draft {result.draft_id}: {result.reason}", delay)
        if result.outcome == SendOutcome.AWAITING_RECONCILIATION:
            return Retry(
                f"Draft {result.draft_id} awaits SES's Send event",
                result.retry_after_s or self.settings.reconcile_grace_s,
            )
        return Acknowledge(result)
