"""The InboundMail queue's consumer: SES's receipt notice in, the raw email read from S3.

SES's receipt rule stores each email in the inbound bucket (S3 action) and publishes a
notification to the InboundMail topic, which delivers it to the queue. The notice is the
"Received" notification of SES email receiving, with an `S3` action object naming
`bucketName` and `objectKey` (https://docs.aws.amazon.com/ses/latest/dg/receiving-email-notifications-contents.html,
examples in .../receiving-email-notifications-examples.html). The subscription delivers
it raw; an SNS envelope (`Type: Notification`, the notice as `Message`) is unwrapped too,
so either subscription setting works.

A notice that can never be processed (not JSON, not an S3 receipt, another bucket, an
object that is gone) is parked on the dead-letter queue with the reason; S3 or database
trouble fails the record so SQS delivers it again.
"""

import json
from typing import Any, ClassVar, Literal

from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.email.inbound import parse_inbound_email
from attendry.email.settings import EmailSettings
from attendry.inbound.service import InboundResult, StoredEmail, record_inbound
from attendry.inbound.settings import InboundSettings
from attendry.platform.queue import Acknowledge, Outcome, Park, QueueConsumer
from attendry.platform.s3 import S3ObjectMissingError, read_object
from attendry.platform.sqs import SqsQueue


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class S3ReceiptAction(_Model):
    type: Literal["S3"]
    bucket_name: str = Field(alias="bucketName", min_length=1)
    object_key: str = Field(alias="objectKey", min_length=1)
    topic_arn: str | None = Field(default=None, alias="topicArn")


class Receipt(_Model):
    timestamp: AwareDatetime
    recipients: list[str] = Field(default_factory=list)
    action: S3ReceiptAction


class ReceivedMail(_Model):
    message_id: str = Field(alias="messageId")


class ReceiptNotification(_Model):
    """The fields of SES's "Received" notification that the consumer relies on."""

    notification_type: Literal["Received"] = Field(alias="notificationType")
    receipt: Receipt
    mail: ReceivedMail


def parse_notification(body: str) -> ReceiptNotification:
    """The notice from a queue message body (raw, or inside an SNS envelope).

    Raises ValueError (ValidationError is one) when it is not an S3 receipt notice.
    """
    document: Any = json.loads(body)
    if (
        isinstance(document, dict)
        and document.get("Type") == "Notification"
        and isinstance(document.get("Message"), str)
    ):
        document = json.loads(document["Message"])
    return ReceiptNotification.model_validate(document)


class InboundMailConsumer(QueueConsumer[ReceiptNotification, InboundResult]):
    """One InboundMail record: parse the notice, read the email, record it."""

    what: ClassVar[str] = "Unprocessable inbound mail notice"

    def __init__(
        self,
        *,
        settings: InboundSettings,
        dead_letters: SqsQueue,
        email: EmailSettings,
        engine: Engine | None = None,
    ) -> None:
        super().__init__(dead_letters=dead_letters)
        self.settings = settings
        self.email = email
        self.engine = engine

    def parse(self, record: SQSRecord) -> ReceiptNotification:
        return parse_notification(record.body)

    def malformed_reason(self, error: Exception) -> str:
        return f"not an SES S3 receipt notification: {error}"

    def handle(self, message: ReceiptNotification, record: SQSRecord) -> Outcome[InboundResult]:
        action = message.receipt.action
        if action.bucket_name != self.settings.bucket:
            return Park(f"the email is in bucket {action.bucket_name!r}, not ours")
        try:
            raw = read_object(action.bucket_name, action.object_key)
        except S3ObjectMissingError as error:
            return Park(str(error))
        email = parse_inbound_email(
            raw,
            envelope_recipients=message.receipt.recipients,
            settings=self.email,
        )
        stored = StoredEmail(
            bucket=action.bucket_name,
            key=action.object_key,
            received_at=message.receipt.timestamp,
            recipients=tuple(message.receipt.recipients),
        )
        with session_scope(self.engine) as session:
            result = record_inbound(session, stored, email)
        logger.info(
            "Inbound email processed",
            extra={
                "ses_message_id": message.mail.message_id,
                "matched_by": result.matched_by.value if result.matched_by else None,
                "counted_as_reply": result.counted_as_reply,
                "duplicate": result.duplicate,
            },
        )
        return Acknowledge(result)
