"""SQS, thinly: send a JSON message, park one on a dead-letter queue, delay a redelivery.

It knows queues and nothing of tasks. The boto3 client is built on first use and cached
per process: boto3 costs ~200 ms to import, and it reads AWS_ENDPOINT_URL by itself, so
local mode and tests reach moto through the environment alone. Tests may pass a client.
"""

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageAttributeValueTypeDef

MAX_VISIBILITY_TIMEOUT_S = 43_200
"""SQS's ceiling: a message may be hidden for at most 12 hours from when it was received."""


@lru_cache(maxsize=1)
def default_sqs_client() -> "SQSClient":
    import boto3

    return boto3.client("sqs")


def _string_attributes(
    attributes: Mapping[str, str] | None,
) -> "dict[str, MessageAttributeValueTypeDef]":
    # SQS refuses empty attribute values, so a blank one is dropped rather than failing the send.
    return {
        name: {"DataType": "String", "StringValue": value}
        for name, value in (attributes or {}).items()
        if value
    }


class SqsQueue:
    """One queue, by URL (what `!Ref Queue` gives a function)."""

    def __init__(self, url: str, client: "SQSClient | None" = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> "SQSClient":
        if self._client is None:
            self._client = default_sqs_client()
        return self._client

    def send_json(
        self, body: Mapping[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> str:
        """Send `body` as compact JSON; the message id SQS gave it."""
        return self.send_text(json.dumps(body, separators=(",", ":")), attributes=attributes)

    def send_text(self, body: str, *, attributes: Mapping[str, str] | None = None) -> str:
        response = self.client.send_message(
            QueueUrl=self.url,
            MessageBody=body,
            MessageAttributes=_string_attributes(attributes),
        )
        return response["MessageId"]

    def change_visibility(self, receipt_handle: str, timeout_s: int) -> None:
        """Hide a received message for `timeout_s` more seconds (0 makes it visible now)."""
        self.client.change_message_visibility(
            QueueUrl=self.url,
            ReceiptHandle=receipt_handle,
            VisibilityTimeout=max(0, min(timeout_s, MAX_VISIBILITY_TIMEOUT_S)),
        )
