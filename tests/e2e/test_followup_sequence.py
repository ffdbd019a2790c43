"""A whole follow-up sequence through the real template, walked by firing schedule times.

An agent that may send alone: the first email goes out, the Follow-up agent is told over
the agent bus, and each firing of `FollowupSweepSchedule` at a due time sends the next
follow-up in the thread, until the last attempt ends in an escalation to the user.
"""

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from attendry_local.demo import Client
from attendry_local.runtime import LocalRuntime

WAIT_SECONDS = 60


@pytest.fixture
def client(system: LocalRuntime) -> Client:
    client = Client(system.api_url)
    client.token = client.call("POST", "/_local/token", {"sub": f"seq-{uuid.uuid4()}"})["token"]
    return client


def wait(what: str, probe: Callable[[], Any]) -> Any:
    """Poll until `probe` returns something truthy: the pipeline is asynchronous."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if result := probe():
            return result
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def fire_sweep(client: Client, due_at: str) -> dict[str, Any]:
    at = datetime.fromisoformat(due_at) + timedelta(minutes=1)
    fired = client.call(
        "POST", "/_local/schedules/FollowupSweepSchedule/fire", {"time": at.isoformat()}
    )
    result: dict[str, Any] = fired["targets"][0]["result"]
    return result


def followups(client: Client, contact_id: str) -> list[dict[str, Any]]:
    rows = client.call("GET", f"/followups?contact_id={contact_id}")["items"]
    return sorted(rows, key=lambda row: row["attempt"])


def test_follow_ups_go_out_in_the_thread_until_the_user_gets_an_escalation(
    client: Client,
) -> None:
    # Given an Outreach agent and a Follow-up agent that both send without approval
    mail_settings = {"sender_name": "Maya Chen", "requires_approval": False}
    outreach = client.call(
        "POST",
        "/agents",
        {"agent_type": "outreach", "name": "Outreach", "settings": mail_settings},
        expect=201,
    )
    follow_up = client.call(
        "POST",
        "/agents",
        {
            "agent_type": "followup",
            "name": "Follow-ups",
            "settings": {**mail_settings, "followup_cadence_days": [2, 4], "max_followups": 2},
        },
        expect=201,
    )
    starts = datetime.now().astimezone() + timedelta(days=60)
    event = client.call(
        "POST",
        "/opportunities",
        {"title": "Stream Days", "starts_at": starts.isoformat()},
        expect=201,
    )
    address = f"grace-{uuid.uuid4().hex[:8]}@example.com"
    contact = client.call(
        "POST",
        "/contacts",
        {
            "name": "Grace Hopper",
            "email": address,
            "timezone": "America/New_York",
            "opportunity_id": event["id"],
        },
        expect=201,
    )

    # When the first email is drafted and sent on its own
    client.call(
        "POST",
        f"/agents/{outreach['id']}/tasks",
        {"task_type": "draft_outreach", "input": {"contact_id": contact["id"]}},
        expect=202,
    )

    def mails() -> list[dict[str, Any]]:
        emails: list[dict[str, Any]] = client.call("GET", f"/_local/outbox?to={address}")["emails"]
        return emails

    wait("the first email", lambda: mails())
    # Then the Follow-up agent, told over the bus, plans follow-up 1
    [first] = wait("follow-up 1 to be planned", lambda: followups(client, contact["id"]))
    assert first["status"] == "scheduled"

    # When the sweep fires at each due time, the next follow-up goes out in the thread
    for attempt in (1, 2):
        due = next(r for r in followups(client, contact["id"]) if r["attempt"] == attempt)
        assert fire_sweep(client, due["due_at"]).get("drafted") == 1
        sent = wait(f"follow-up {attempt} in the outbox", lambda n=attempt: mails()[n:])
        headers = dict(sent[0]["headers"])
        earlier = [dict(m["headers"])["Message-ID"] for m in mails()[:attempt]]
        assert headers["In-Reply-To"] == earlier[-1]
        assert headers["References"].split() == earlier
        assert headers["Subject"].startswith("Re: ")
        wait(
            f"attempt {attempt + 1} to be planned",
            lambda n=attempt: len(followups(client, contact["id"])) > n,
        )

    # When the contact stays silent past the last attempt
    escalation = followups(client, contact["id"])[2]
    assert fire_sweep(client, escalation["due_at"]).get("escalated") == 1

    # Then the user is told instead of a third follow-up
    rows = followups(client, contact["id"])
    assert [(r["attempt"], r["status"], r["reason"]) for r in rows] == [
        (1, "sent", None),
        (2, "sent", None),
        (3, "escalated", "max_followups_reached"),
    ]
    assert len(mails()) == 3
    notices = client.call("GET", "/notifications")["items"]
    assert any(n["kind"] == "followup.escalated" for n in notices)
    messages = client.call("GET", f"/agents/{follow_up['id']}/messages")["items"]
    kinds = {(m["message_type"], m["direction"], m["to_agent_id"]) for m in messages}
    assert ("followup.escalated", "sent", None) in kinds
    assert ("outreach.sent", "received", follow_up["id"]) in kinds
