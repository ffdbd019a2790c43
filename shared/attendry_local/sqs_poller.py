"""SQS event source mappings: what Lambda's poller does for a queue-triggered function.

Receive up to BatchSize messages, hand them to the function as Lambda's SQS event, then
delete what succeeded: everything when the function returns, all but the reported
`batchItemFailures` with ReportBatchItemFailures, nothing when it fails. What stays
becomes visible again after the queue's visibility timeout, and the queue's own redrive
policy (moto applies it on receive) moves it to the dead-letter queue after
maxReceiveCount receives — the path a poison message takes on AWS.
"""

import base64
import logging
import threading
from collections.abc import Callable
from typing import Any

from attendry_local.functions import Invocation
from attendry_local.topology import QueueMapping

log = logging.getLogger(__name__)

_RECEIVE_LIMIT = 10  # SQS returns at most ten messages per receive
_WAIT_TIME_S = 1  # long polls stay short so stopping is prompt
_ERROR_BACKOFF_S = 1.0


def lambda_sqs_record(
    message: dict[str, Any], mapping: QueueMapping, region: str
) -> dict[str, Any]:
    """One record of the SQS event, from one message as ReceiveMessage returns it."""
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": {
            name: _lambda_message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record.update(
        {"eventSource": "aws:sqs", "eventSourceARN": mapping.queue_arn, "awsRegion": region}
    )
    return record


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": value.get("StringListValues") or [],
        "binaryListValues": [
            base64.b64encode(item).decode() for item in value.get("BinaryListValues") or []
        ],
        "dataType": value.get("DataType", "String"),
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def succeeded_message_ids(
    mapping: QueueMapping, message_ids: list[str], invocation: Invocation
) -> list[str]:
    """The messages Lambda would delete after this invocation.

    With ReportBatchItemFailures, a response that names an unknown or empty id fails the
    whole batch, as Lambda treats it.
    """
    if invocation.failed:
        return []
    if not mapping.report_batch_item_failures:
        return message_ids
    payload = invocation.payload
    failures = payload.get("batchItemFailures") if isinstance(payload, dict) else None
    if not failures:
        return message_ids
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in message_ids:
            log.error(
                "%s: invalid batchItemFailures %r; whole batch fails", mapping.logical_id, failures
            )
            return []
        failed.add(identifier)
    return [message_id for message_id in message_ids if message_id not in failed]


class QueuePoller:
    """One event source mapping's polling thread."""

    def __init__(
        self,
        mapping: QueueMapping,
        *,
        sqs: Any,
        invoke: Callable[[str, Any], Invocation],
        region: str,
    ) -> None:
        self.mapping = mapping
        self._sqs = sqs
        self._invoke = invoke
        self._region = region
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs:{mapping.logical_id}")

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    return
                log.exception("%s: polling failed; retrying", self.mapping.logical_id)
                self._stop.wait(_ERROR_BACKOFF_S)

    def poll_once(self) -> None:
        messages = self._receive()
        if not messages or self._stop.is_set():
            return
        event = {
            "Records": [
                lambda_sqs_record(message, self.mapping, self._region) for message in messages
            ]
        }
        invocation = self._invoke(self.mapping.function_id, event)
        if invocation.failed and self._stop.is_set():
            # Stopping the runtime cuts short what its functions were doing; on AWS the
            # messages would be received again, so this is no failure to report.
            log.info(
                "%s: stopped during an invocation; its %d messages stay on the queue",
                self.mapping.function_id,
                len(messages),
            )
            return
        if invocation.failed:
            log.error(
                "%s failed on %d messages: %s",
                self.mapping.function_id,
                len(messages),
                invocation.error,
            )
        message_ids = [message["MessageId"] for message in messages]
        done = set(succeeded_message_ids(self.mapping, message_ids, invocation))
        entries = [
            {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
            for index, message in enumerate(messages)
            if message["MessageId"] in done
        ]
        for start in range(0, len(entries), _RECEIVE_LIMIT):
            self._sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url, Entries=entries[start : start + _RECEIVE_LIMIT]
            )

    def _receive(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        wait_s = _WAIT_TIME_S
        while len(messages) < self.mapping.batch_size:
            response = self._sqs.receive_message(
                QueueUrl=self.mapping.queue_url,
                MaxNumberOfMessages=min(_RECEIVE_LIMIT, self.mapping.batch_size - len(messages)),
                WaitTimeSeconds=wait_s,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = response.get("Messages") or []
            messages.extend(received)
            if len(received) < _RECEIVE_LIMIT:
                break
            wait_s = 0
        return messages
