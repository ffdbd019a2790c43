"""The queue-consumer base on moto SQS: what each outcome makes of its record.

A toy consumer (its record model, its use case answering what the body asks for) runs
under the handler every SQS function uses, so these are the rules all four consumers
share: acknowledged, retried after a delay or after the visibility timeout, parked.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError

from attendry.platform.handlers import sqs_batch_handler
from attendry.platform.queue import (
    Acknowledge,
    Outcome,
    Park,
    QueueConsumer,
    Retry,
)
from attendry.platform.sqs import SqsQueue
from tests.fixtures.api import LambdaContext

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

pytestmark = pytest.mark.integration

REGION = "us-east-1"


class Order(BaseModel):
    """The toy record model: what the use case is to answer."""

    answer: Literal["ack", "retry_in", "retry", "park", "database_down", "crash"]


class ToyConsumer(QueueConsumer[Order, str]):
    what: ClassVar[str] = "Toy message"

    def __init__(self, *, queue: SqsQueue, dead_letters: SqsQueue) -> None:
        super().__init__(queue=queue, dead_letters=dead_letters)
        self.database_down_calls = 0

    def parse(self, record: SQSRecord) -> Order:
        return Order.model_validate_json(record.body)

    def handle(self, message: Order, record: SQSRecord) -> Outcome[str]:
        match message.answer:
            case "ack":
                return Acknowledge("done")
            case "retry_in":
                return Retry("not yet", after_s=600)
            case "retry":
                return Retry("again")
            case "park":
                return Park("never")
            case "database_down":
                raise OperationalError("SELECT 1", {}, Exception("connection refused"))
            case "crash":
                raise KeyError("bug")

    def database_down(self, error: Exception) -> None:
        self.database_down_calls += 1


@dataclass
class Aws:
    client: "SQSClient"
    url: str
    arn: str
    dlq_url: str

    def send(self, *bodies: str) -> dict[str, Any]:
        """Each body sent, then received: the event the event source mapping would build."""
        for body in bodies:
            self.client.send_message(QueueUrl=self.url, MessageBody=body)
        messages: list[Any] = []
        while len(messages) < len(bodies):
            batch = self.client.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=10, AttributeNames=["All"]
            ).get("Messages", [])
            assert batch, "the messages sent did not arrive"
            messages += batch
        return {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }

    def visible(self, url: str | None = None) -> list[Any]:
        return list(
            self.client.receive_message(
                QueueUrl=url or self.url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
        )


@pytest.fixture
def aws(moto_endpoint: str) -> Aws:
    """A queue whose messages come back at once (visibility timeout 0), and its DLQ."""
    client = boto3.client(
        "sqs",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    suffix = uuid.uuid4().hex[:8]
    dlq_url = client.create_queue(QueueName=f"toy-dlq-{suffix}")["QueueUrl"]
    url = client.create_queue(QueueName=f"toy-{suffix}", Attributes={"VisibilityTimeout": "0"})[
        "QueueUrl"
    ]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Aws(client, url, arn, dlq_url)


@pytest.fixture
def consumer(aws: Aws) -> ToyConsumer:
    return ToyConsumer(
        queue=SqsQueue(aws.url, aws.client), dead_letters=SqsQueue(aws.dlq_url, aws.client)
    )


def run(consumer: ToyConsumer, event: dict[str, Any], *, raise_on_all: bool = False) -> Any:
    handler = sqs_batch_handler(lambda: consumer, raise_on_entire_batch_failure=raise_on_all)
    return handler(event, LambdaContext())  # type: ignore[arg-type]


def failed(response: Any) -> list[str]:
    return [item["itemIdentifier"] for item in response["batchItemFailures"]]


def order(answer: str) -> str:
    return json.dumps({"answer": answer})


def test_an_acknowledged_record_is_not_reported_and_returns_its_result(
    aws: Aws, consumer: ToyConsumer
) -> None:
    event = aws.send(order("ack"))

    assert failed(run(consumer, event)) == []
    assert consumer(SQSRecord(event["Records"][0])) == "done"
    assert aws.visible(aws.dlq_url) == []


def test_a_retry_after_a_delay_hides_the_message_and_reports_it_failed(
    aws: Aws, consumer: ToyConsumer
) -> None:
    event = aws.send(order("retry_in"), order("ack"))
    retried = event["Records"][0]["messageId"]

    assert failed(run(consumer, event)) == [retried]
    # The queue's own visibility timeout is 0: only the retry's delay keeps it hidden.
    assert [m["MessageId"] for m in aws.visible()] == [event["Records"][1]["messageId"]]


def test_a_retry_without_delay_leaves_the_message_to_its_visibility_timeout(
    aws: Aws, consumer: ToyConsumer
) -> None:
    event = aws.send(order("retry"))
    retried = event["Records"][0]["messageId"]

    assert failed(run(consumer, event)) == [retried]
    assert [m["MessageId"] for m in aws.visible()] == [retried]
    assert aws.visible(aws.dlq_url) == []


def test_a_parked_record_goes_to_the_dead_letter_queue_with_its_reason_and_is_acknowledged(
    aws: Aws, consumer: ToyConsumer, caplog: pytest.LogCaptureFixture
) -> None:
    event = aws.send(order("park"))
    record = event["Records"][0]

    assert failed(run(consumer, event)) == []
    [parked] = aws.visible(aws.dlq_url)
    assert parked["Body"] == order("park")
    attributes = {k: v["StringValue"] for k, v in parked["MessageAttributes"].items()}
    assert attributes == {
        "reason": "never",
        "source_message_id": record["messageId"],
        "source_queue_arn": aws.arn,
    }
    assert "Toy message parked on the dead-letter queue" in caplog.messages


@pytest.mark.parametrize("body", ["not json", json.dumps({"answer": "maybe"}), "{}"])
def test_a_body_the_record_model_refuses_is_parked_with_the_validation_error(
    aws: Aws, consumer: ToyConsumer, body: str
) -> None:
    event = aws.send(body)

    assert failed(run(consumer, event)) == []
    [parked] = aws.visible(aws.dlq_url)
    assert parked["Body"] == body
    assert "validation error for Order" in parked["MessageAttributes"]["reason"]["StringValue"]


def test_with_the_database_down_the_record_comes_back_and_the_consumer_is_told(
    aws: Aws, consumer: ToyConsumer, caplog: pytest.LogCaptureFixture
) -> None:
    event = aws.send(order("database_down"))

    assert failed(run(consumer, event)) == [event["Records"][0]["messageId"]]
    assert consumer.database_down_calls == 1
    assert aws.visible(aws.dlq_url) == []
    # A planned retry: warned about, never logged as a failure with its trace.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_an_unexpected_error_is_logged_and_reported_failed(
    aws: Aws, consumer: ToyConsumer, caplog: pytest.LogCaptureFixture
) -> None:
    event = aws.send(order("crash"), order("ack"))

    assert failed(run(consumer, event)) == [event["Records"][0]["messageId"]]
    assert "Queue message failed" in caplog.messages


def test_a_batch_failing_entirely_raises_only_where_the_function_asks_for_it(
    aws: Aws, consumer: ToyConsumer
) -> None:
    event = aws.send(order("retry"))

    assert len(failed(run(consumer, event, raise_on_all=False))) == 1
    with pytest.raises(BatchProcessingError):
        run(consumer, aws.send(order("retry")), raise_on_all=True)
