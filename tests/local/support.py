"""Helpers for the local runtime's tests: HTTP calls, bounded polls, queue inboxes."""

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from attendry_local.aws import local_client
from attendry_local.runtime import LocalRuntime

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "local"
APP_TEMPLATE = FIXTURES / "app" / "template.yaml"
MINIMAL_TEMPLATE = FIXTURES / "minimal" / "template.yaml"
LEAK_CHECK_VARIABLE = "ATTENDRY_LOCAL_LEAK_CHECK"
FAKE_DATABASE_URL = "postgresql+psycopg://local@127.0.0.1:1/not-used"

T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], timeout_s: float = 60.0) -> T:
    """Poll `probe` until it returns something truthy; fail after `timeout_s`, which only
    bounds a failure: on a machine busy with other work a delivery can take many seconds."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Gave up after {timeout_s} s waiting for {probe}")
        time.sleep(0.05)


@dataclass
class Response:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def http(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    json_body: Any = None,
) -> Response:
    request_headers = dict(headers or {})
    if json_body is not None:
        body = json.dumps(json_body).encode()
        request_headers.setdefault("content-type", "application/json")
    request = urllib.request.Request(  # noqa: S310 - the runtime on loopback
        url, data=body, method=method, headers=request_headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return _response(response.status, response.headers.items(), response.read())
    except urllib.error.HTTPError as error:
        return _response(error.code, error.headers.items(), error.read())


def _response(status: int, items: list[tuple[str, str]], body: bytes) -> Response:
    headers: dict[str, list[str]] = {}
    for name, value in items:
        headers.setdefault(name.lower(), []).append(value)
    return Response(status, headers, body)


class QueueInbox:
    """Everything that reaches a queue, drained into a list that tests search."""

    def __init__(self, runtime: LocalRuntime, queue_id: str) -> None:
        self._sqs = local_client("sqs", runtime.aws_endpoint, "us-east-1")
        self._url = runtime.stack.resource(queue_id).url
        self.messages: list[dict[str, Any]] = []

    def drain(self) -> None:
        while True:
            received = self._sqs.receive_message(
                QueueUrl=self._url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not received:
                return
            self.messages.extend(received)
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(received)
                ],
            )

    def bodies_containing(self, marker: str) -> list[str]:
        self.drain()
        return [message["Body"] for message in self.messages if marker in message["Body"]]
