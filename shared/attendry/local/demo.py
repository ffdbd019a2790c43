"""`make demo`: one outreach walked through the public HTTP API, as a user would do it.

Everything goes through the same routes a client uses (plus the `/_local/` ones for a
token and the outbox), so the demo fails loudly whenever the product does.
"""

import json
import textwrap
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

WAIT_SECONDS = 60
SHOWN_HEADERS = (
    "From",
    "To",
    "Subject",
    "Reply-To",
    "Message-ID",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
)


class DemoError(Exception):
    """A step did not do what it should; the message says which and what came back."""


class Client:
    """A tiny JSON client for the local API."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.token: str | None = None

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(  # noqa: S310 - the local API on loopback
            self.base_url + path, data=data, method=method
        )
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        if status != expect:
            raise DemoError(f"{method} {path} answered {status}: {payload.decode()[:500]}")
        return json.loads(payload) if payload else None


def _wait_for(
    what: str, probe: Callable[[], Any], stopping: threading.Event, seconds: float = WAIT_SECONDS
) -> Any:
    """Poll `probe` until it returns something truthy; the pipeline is asynchronous."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stopping.is_set():
        result = probe()
        if result:
            return result
        stopping.wait(0.25)
    raise DemoError(f"gave up waiting for {what} after {seconds:.0f} s")


def _step(title: str) -> None:
    print(f"\n== {title}", flush=True)


def _show(label: str, value: object) -> None:
    print(f"   {label:<23}{value}", flush=True)


def _block(text: str) -> None:
    print(textwrap.indent(text.rstrip(), "   | ", predicate=lambda _: True), flush=True)


def walk_through(api_url: str, stopping: threading.Event) -> bool:
    """Run the demo against a started local system; True when every step did its job."""
    try:
        _walk(Client(api_url), stopping)
    except DemoError as error:
        print(f"\nDemo failed: {error}", flush=True)
        return False
    print("\nDemo complete: one email drafted, approved, sent and recorded.", flush=True)
    return True


def _walk(client: Client, stopping: threading.Event) -> None:
    user = f"demo-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    _step(f"Signing in as {user} (a local token from POST /_local/token)")
    client.token = client.call("POST", "/_local/token", {"sub": user})["token"]

    _step("Creating an Outreach agent")
    agent = client.call(
        "POST",
        "/agents",
        {
            "agent_type": "outreach",
            "name": "Conference outreach",
            "settings": {
                "tone": "friendly",
                "sender_name": "Maya Chen",
                "signature": "Maya Chen\nPartnerships, Northwind Analytics",
            },
        },
        expect=201,
    )
    _show("agent", f"{agent['name']} ({agent['id']})")
    _show("approval", "required" if agent["settings"]["requires_approval"] else "not required")

    _step("Saving an event and a speaker to meet there")
    starts = (datetime.now(UTC) + timedelta(days=45)).replace(hour=9, minute=0, second=0)
    event = client.call(
        "POST",
        "/opportunities",
        {
            "title": "Data Engineering Summit",
            "location": "Amsterdam",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(days=1, hours=8)).isoformat(),
            "topics": ["data platforms", "streaming"],
            "url": "https://data-engineering-summit.example/2027",
        },
        expect=201,
    )
    contact = client.call(
        "POST",
        "/contacts",
        {
            "name": "Jonas Berg",
            "email": "success@simulator.amazonses.com",
            "title": "Head of Data Platform",
            "company": "Fjord Logistics",
            "topics": ["streaming", "data quality"],
            "timezone": "Europe/Amsterdam",
            "opportunity_id": event["id"],
        },
        expect=201,
    )
    _show("event", f"{event['title']}, {event['location']}, {starts:%d %B %Y}")
    _show("contact", f"{contact['name']}, {contact['title']} at {contact['company']}")

    _step("Asking the agent for a first email (POST /agents/{id}/tasks)")
    task = client.call(
        "POST",
        f"/agents/{agent['id']}/tasks",
        {
            "task_type": "draft_outreach",
            "input": {"contact_id": contact["id"], "opportunity_id": event["id"]},
        },
        expect=202,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    _show("task", f"{task['id']} {task['status']}")

    def task_done() -> Any:
        current = client.call("GET", f"/tasks/{task['id']}")
        if current["status"] == "failed":
            raise DemoError(f"the task failed: {current.get('error')}")
        return current if current["status"] == "completed" else None

    done = _wait_for("the agent to finish the task", task_done, stopping)
    _show("task", f"{done['id']} {done['status']}")

    drafts = client.call("GET", f"/agents/outreach/drafts?agent_id={agent['id']}")["items"]
    if not drafts:
        raise DemoError("the task completed but left no draft")
    draft = drafts[0]
    _step("The draft, waiting for approval")
    _show("to", draft["recipient_email"])
    _show("subject", draft["subject"])
    _show("written by", draft["generator"].get("name", draft["generator"]))
    _block(draft["message_body"])

    _step("Approving it (POST /agents/outreach/drafts/{id}/approve)")
    approved = client.call("POST", f"/agents/outreach/drafts/{draft['id']}/approve", expect=202)
    _show("draft", approved["status"])

    def sent_row() -> Any:
        rows = client.call("GET", f"/agents/outreach/sent?agent_id={agent['id']}")["items"]
        return rows[0] if rows and rows[0]["delivery_status"] != "sending" else None

    sent = _wait_for("the sender to hand the email to SES", sent_row, stopping)

    _step("The email as SES accepted it (GET /_local/outbox)")
    outbox = client.call("GET", "/_local/outbox")
    mail = next(
        (m for m in outbox["emails"] if m.get("ses_message_id") == sent["ses_message_id"]),
        None,
    )
    if mail is None:
        raise DemoError(f"SES message {sent['ses_message_id']} is not in the outbox")
    headers = {name.lower(): value for name, value in mail["headers"]}
    for name in SHOWN_HEADERS:
        _show(name, headers.get(name.lower(), "-"))
    _show("parts", ", ".join(p for p in ("text", "html") if mail.get(p)))

    _step("Delivery status (GET /agents/outreach/sent/{id})")
    final = client.call("GET", f"/agents/outreach/sent/{sent['id']}")
    _show("status", final["delivery_status"])
    _show("sent at", final["sent_at"])
    _show("SES message id", final["ses_message_id"])
