"""The EventBridge adapter: one event per call, and a refused entry is an error, not a 200."""

import json
from typing import Any

import pytest

from attendry.platform.eventbridge import EventBus, EventNotPublishedError


class FakeEvents:
    def __init__(self, response: dict[str, Any]) -> None:
        self.response = response
        self.calls: list[dict[str, Any]] = []

    def put_events(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        return self.response


def test_an_event_goes_to_the_named_bus_as_compact_json() -> None:
    client = FakeEvents({"FailedEntryCount": 0, "Entries": [{"EventId": "e-1"}]})

    event_id = EventBus("agents", client).put(  # type: ignore[arg-type]
        source="attendry.agents", detail_type="outreach.sent", detail={"task_id": "t-1"}
    )

    assert event_id == "e-1"
    [entry] = client.calls[0]["Entries"]
    assert entry == {
        "EventBusName": "agents",
        "Source": "attendry.agents",
        "DetailType": "outreach.sent",
        "Detail": json.dumps({"task_id": "t-1"}, separators=(",", ":")),
    }


def test_a_refused_entry_raises_with_the_reason() -> None:
    client = FakeEvents(
        {
            "FailedEntryCount": 1,
            "Entries": [{"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"}],
        }
    )

    with pytest.raises(EventNotPublishedError, match="ThrottlingException slow down"):
        EventBus("agents", client).put(  # type: ignore[arg-type]
            source="attendry.agents", detail_type="followup.escalated", detail={}
        )
