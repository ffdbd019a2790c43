"""The EmailSend queue's consumer: each record's draft sent, the outcome made ack, retry or DLQ."""

import random
from uuid import UUID

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel, ConfigDict, ValidationError

from attendry.core.observability import logger
from attendry.platform.queue import park_on_dead_letter_queue
from attendry.platform.sqs import SqsQueue
from attendry.sending.service import Sender, SendOutcome, SendResult
from attendry.sending.settings import SendingSettings, sending_settings


class SendRequest(BaseModel):
    """The EmailSend queue's message body."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    draft_id: UUID


class RetryLaterError(Exception):
    """Raised for a record to be reported failed; its visibility was already set."""


class SendMessageConsumer:
    """One EmailSend record: parse, send, and turn the outcome into ack, retry or DLQ.

    A body that is not a `SendRequest` can never succeed, so it is parked on the
    dead-letter queue at once (with the reason) and acknowledged: the rest of the batch
    goes on and the bad message does not come back five times first.
    """

    def __init__(
        self,
        *,
        sender: Sender,
        queue: SqsQueue | None = None,
        dead_letters: SqsQueue | None = None,
        settings: SendingSettings | None = None,
    ) -> None:
        self.sender = sender
        self._settings = settings
        self._queue = queue
        self._dead_letters = dead_letters

    @property
    def settings(self) -> SendingSettings:
        return self._settings or sending_settings()

    @property
    def queue(self) -> SqsQueue:
        if self._queue is None:
            self._queue = SqsQueue(self.settings.queue_url())
        return self._queue

    @property
    def dead_letters(self) -> SqsQueue:
        if self._dead_letters is None:
            self._dead_letters = SqsQueue(self.settings.dead_letter_queue_url())
        return self._dead_letters

    def __call__(self, record: SQSRecord) -> SendResult | None:
        try:
            request = SendRequest.model_validate_json(record.body)
        except (ValidationError, ValueError) as error:
            self._park(record, str(error))
            return None
        result = self.sender.send_draft(request.draft_id)
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
            self._hide(record, self._backoff(record))
            raise RetryLaterError(f"SES did not take draft {result.draft_id}: {result.reason}")
        if result.outcome == SendOutcome.AWAITING_RECONCILIATION:
            self._hide(record, result.retry_after_s or self.settings.reconcile_grace_s)
            raise RetryLaterError(f"Draft {result.draft_id} awaits SES's Send event")
        return result

    def _backoff(self, record: SQSRecord) -> int:
        receives = int(record.attributes.approximate_receive_count or 1)
        base = self.settings.retry_base_delay_s
        delay = min(self.settings.retry_max_delay_s, base << min(max(receives - 1, 0), 16))
        return delay + random.randint(0, base)

    def _hide(self, record: SQSRecord, seconds: int) -> None:
        try:
            self.queue.change_visibility(record.receipt_handle, seconds)
        except Exception:
            logger.exception("Could not delay the message; it returns after its visibility timeout")

    def _park(self, record: SQSRecord, reason: str) -> None:
        park_on_dead_letter_queue(
            self.dead_letters, record, reason, what="Malformed EmailSend message"
        )
