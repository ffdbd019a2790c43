"""EventBridge, thinly: put one event on a bus and fail loudly if it was not taken.

It knows buses and nothing of agents. PutEvents answers 200 even when it refused an
entry (the refusal is in `FailedEntryCount`), so that case is raised like any other
failure. The client is built on first use and cached per process, and reads
AWS_ENDPOINT_URL by itself, as the SQS adapter's does; tests may pass a client.
"""

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient


class EventNotPublishedError(Exception):
    """The bus did not take the event (its error code and message say why)."""


@lru_cache(maxsize=1)
def default_events_client() -> "EventBridgeClient":
    import boto3

    return boto3.client("events")


class EventBus:
    """One bus, by name (what `!Ref Bus` gives a function)."""

    def __init__(self, name: str, client: "EventBridgeClient | None" = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> "EventBridgeClient":
        if self._client is None:
            self._client = default_events_client()
        return self._client

    def put(self, *, source: str, detail_type: str, detail: Mapping[str, Any]) -> str:
        """Publish one event; its EventBridge id."""
        response = self.client.put_events(
            Entries=[
                {
                    "EventBusName": self.name,
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": json.dumps(detail, separators=(",", ":")),
                }
            ]
        )
        entry = response["Entries"][0] if response.get("Entries") else {}
        if response.get("FailedEntryCount") or "EventId" not in entry:
            code, message = entry.get("ErrorCode"), entry.get("ErrorMessage")
            raise EventNotPublishedError(f"{self.name} refused the event: {code} {message}")
        return entry["EventId"]
