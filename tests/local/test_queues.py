"""SQS event source mappings: batches, partial failures, and the way to the DLQ."""

import json
import logging
import uuid
from typing import Any

import pytest
from moto.sqs.models import sqs_backends

from attendry_local.aws import local_client
from attendry_local.functions import Invocation
from attendry_local.runtime import LocalRuntime
from attendry_local.sqs_poller import QueuePoller
from attendry_local.stack import DEFAULT_ACCOUNT_ID
from attendry_local.topology import QueueMapping
from tests.fixtures.local_runtime import QueueInbox, wait_until

# WorkQueue: VisibilityTimeout 1 s, redrive to WorkDeadLetterQueue after 3 receives.
MAX_RECEIVE_COUNT = 3


def send(runtime: LocalRuntime, queue_id: str, body: dict[str, Any]) -> str:
    sqs = local_client("sqs", runtime.aws_endpoint, "us-east-1")
    message = sqs.send_message(
        QueueUrl=runtime.stack.resource(queue_id).url,
        MessageBody=json.dumps(body),
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
    )
    return str(message["MessageId"])


def deliveries(results: QueueInbox, marker: str) -> list[dict[str, Any]]:
    """The SQS records BatchFunction received for messages carrying `marker`."""
    return [json.loads(body) for body in results.bodies_containing(marker)]


def dead_letters(runtime: LocalRuntime, marker: str) -> list[dict[str, Any]]:
    sqs = local_client("sqs", runtime.aws_endpoint, "us-east-1")
    url = runtime.stack.resource("WorkDeadLetterQueue").url
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [message for message in messages.get("Messages", []) if marker in message["Body"]]


def receive_counts(records: list[dict[str, Any]], message_id: str) -> list[str]:
    return [
        record["attributes"]["ApproximateReceiveCount"]
        for record in records
        if record["messageId"] == message_id
    ]


def test_the_function_receives_lambdas_sqs_event(
    runtime: LocalRuntime, results: QueueInbox
) -> None:
    marker = str(uuid.uuid4())
    message_id = send(runtime, "WorkQueue", {"marker": marker})

    (record,) = wait_until(lambda: deliveries(results, marker))

    assert record["messageId"] == message_id
    assert record["receiptHandle"]
    assert json.loads(record["body"]) == {"marker": marker}
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["messageAttributes"] == {
        "kind": {
            "stringValue": "test",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert record["md5OfBody"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == runtime.stack.resource("WorkQueue").arn
    assert record["awsRegion"] == "us-east-1"


def test_only_the_reported_failures_are_delivered_again_until_the_dlq(
    runtime: LocalRuntime, results: QueueInbox
) -> None:
    marker = str(uuid.uuid4())
    good = [send(runtime, "WorkQueue", {"marker": marker, "n": n}) for n in (1, 3)]
    failing = send(runtime, "WorkQueue", {"marker": marker, "n": 2, "fail": True})

    wait_until(lambda: dead_letters(runtime, marker), timeout_s=20)

    records = deliveries(results, marker)
    assert [receive_counts(records, message_id) for message_id in good] == [["1"], ["1"]]
    # Each delivery is recorded by its own invocation, so not always in receive order.
    assert sorted(receive_counts(records, failing)) == ["1", "2", "3"]
    (dead_letter,) = dead_letters(runtime, marker)
    assert dead_letter["MessageId"] == failing


def test_a_handler_error_leaves_the_message_for_redelivery_then_the_dlq(
    runtime: LocalRuntime, results: QueueInbox
) -> None:
    marker = str(uuid.uuid4())
    poison = send(runtime, "WorkQueue", {"marker": marker, "crash": True})

    wait_until(lambda: dead_letters(runtime, marker), timeout_s=20)

    assert len(receive_counts(deliveries(results, marker), poison)) == MAX_RECEIVE_COUNT


def test_an_invocation_cut_short_by_stopping_is_no_failure_and_its_messages_stay(
    runtime: LocalRuntime, caplog: pytest.LogCaptureFixture
) -> None:
    """Ctrl-C during an invocation: nothing is deleted, and nothing is logged as an error."""
    sqs = local_client("sqs", runtime.aws_endpoint, "us-east-1")
    url = sqs.create_queue(QueueName=f"stopping-{uuid.uuid4()}")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    mapping = QueueMapping(
        logical_id="StoppingMapping",
        function_id="SomeFunction",
        queue_id="StoppingQueue",
        queue_arn=sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ],
        queue_url=url,
        batch_size=10,
        report_batch_item_failures=True,
        maximum_concurrency=None,
    )
    poller: QueuePoller

    def invoke_while_stopping(function_id: str, event: Any) -> Invocation:
        poller.request_stop()
        return Invocation("request", None, {"errorType": "Runtime.ExitError"})

    poller = QueuePoller(mapping, sqs=sqs, invoke=invoke_while_stopping, region="us-east-1")
    with caplog.at_level(logging.INFO, logger="attendry_local.sqs_poller"):
        poller.poll_once()

    left = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]["ApproximateNumberOfMessagesNotVisible"]
    assert left == "1"
    assert [record.levelname for record in caplog.records] == ["INFO"]
    assert "stay on the queue" in caplog.records[0].getMessage()


def test_a_message_past_its_queues_retention_period_is_never_delivered(
    runtime: LocalRuntime,
) -> None:
    sqs = local_client("sqs", runtime.aws_endpoint, "us-east-1")
    name = f"retention-{uuid.uuid4()}"
    url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="expired")
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    # Time cannot pass in a test: the first message is made 61 s old where moto keeps it.
    (expired, _) = sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues[name]._messages
    expired.sent_timestamp -= 61_000

    bodies = [
        message["Body"]
        for _ in range(3)
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    ]

    assert bodies == ["fresh"]
