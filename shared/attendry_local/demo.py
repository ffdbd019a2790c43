"""`make demo`: one outreach and its follow-up walked through the public HTTP API, as a user would.

Everything goes through the same routes a client uses (plus the `/_local/` ones for a
token, the outbox and firing the follow-up sweep at a chosen time, which walks days of
follow-up schedule in seconds), so the demo fails loudly whenever the product does.
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
from zoneinfo import ZoneInfo

WAIT_SECONDS = 60
SWEEP_SCHEDULE = "FollowupSweepSchedule"
UNDELIVERED = frozenset({"bounced", "complained", "rejected", "failed"})
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
    print(
        "\nDemo complete: one email drafted, approved, sent and delivered; a follow-up sent "
        "in its thread, and the next one stopped by the contact's reply.",
        flush=True,
    )
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

    _step("Creating a Follow-up agent (it hears of every first email the Outreach agent sends)")
    followup_agent = client.call(
        "POST",
        "/agents",
        {
            "agent_type": "followup",
            "name": "Conference follow-ups",
            "settings": {
                "tone": "friendly",
                "sender_name": "Maya Chen",
                "signature": "Maya Chen\nPartnerships, Northwind Analytics",
                "followup_cadence_days": [3, 7],
                "max_followups": 2,
            },
        },
        expect=201,
    )
    _show("agent", f"{followup_agent['name']} ({followup_agent['id']})")
    _show("cadence", "3 then 7 days, at most 2 follow-ups, Mon-Fri 08:00-18:00 contact time")

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

    _step("What the Planning agent recommends (GET /opportunities/{id}/recommendations)")
    plan = client.call("GET", f"/opportunities/{event['id']}/recommendations")
    verdict = "delegate" if plan["recommended"] else "not yet"
    _show("score", f"{plan['score']:.2f} of 1: {verdict}")
    for reason in plan["reasons"]:
        _show("because", reason)
    for recommended in plan["contacts"]:
        _show("write to", f"{recommended['name']}: {' '.join(recommended['reasons'])}")

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

    _step("Delivery status from SES's events (GET /agents/outreach/sent/{id})")

    def delivered() -> Any:
        current = client.call("GET", f"/agents/outreach/sent/{sent['id']}")
        if current["delivery_status"] in UNDELIVERED:
            raise DemoError(f"the email was not delivered: {current['delivery_status']}")
        return current if current["delivery_status"] == "delivered" else None

    final = _wait_for("SES's Delivery event", delivered, stopping)
    _show("status", final["delivery_status"])
    _show("sent at", final["sent_at"])
    _show("delivered at", final["delivered_at"])
    _show("SES message id", final["ses_message_id"])

    _follow_up(client, stopping, followup_agent, contact, final)


def _local_time(moment: str, zone: str | None) -> str:
    shown = datetime.fromisoformat(moment).astimezone(ZoneInfo(zone or "UTC"))
    return f"{shown:%a %d %b %Y %H:%M} {zone or 'UTC'}"


def _fire_sweep(client: Client, due_at: str) -> dict[str, Any]:
    """Run the follow-up sweep as EventBridge would, a minute after `due_at`."""
    at = datetime.fromisoformat(due_at) + timedelta(minutes=1)
    fired = client.call(
        "POST", f"/_local/schedules/{SWEEP_SCHEDULE}/fire", {"time": at.isoformat()}
    )
    _show("fired for", fired["time"])
    result: dict[str, Any] = fired["targets"][0].get("result") or {}
    _show("sweep", ", ".join(f"{k} {v}" for k, v in result.items()) or "nothing due")
    return result


def _follow_up(
    client: Client,
    stopping: threading.Event,
    followup_agent: dict[str, Any],
    contact: dict[str, Any],
    first: dict[str, Any],
) -> None:
    """The Follow-up agent's part: plan, fire the sweep at the due time, draft in the
    thread, send, and stop on the contact's reply."""
    zone = contact.get("timezone")
    _step("The Follow-up agent heard of the send and planned follow-up 1 (GET /followups)")

    def planned() -> Any:
        rows = client.call("GET", f"/followups?contact_id={contact['id']}")["items"]
        return rows[0] if rows else None

    row = _wait_for("the Follow-up agent to plan follow-up 1", planned, stopping)
    received = client.call("GET", f"/agents/{followup_agent['id']}/messages?direction=received")[
        "items"
    ]
    if received:
        _show("message", f"{received[0]['message_type']} ({received[0]['status']})")
    _show("follow-up 1", f"{row['status']}, due {_local_time(row['due_at'], zone)}")

    _step(f"Firing the follow-up sweep at that time (POST /_local/schedules/{SWEEP_SCHEDULE}/fire)")
    _fire_sweep(client, row["due_at"])

    def drafted() -> Any:
        drafts = client.call("GET", f"/agents/outreach/drafts?agent_id={followup_agent['id']}")[
            "items"
        ]
        return drafts[0] if drafts else None

    draft = _wait_for("the follow-up draft", drafted, stopping)
    _step("The follow-up draft, in the same thread, waiting for approval")
    _show("subject", draft["subject"])
    _show("step", f"follow-up {draft['sequence_step']} ({draft['kind']})")
    _block(draft["message_body"])

    _step("Approving it: it goes out as a reply to the first email")
    client.call("POST", f"/agents/outreach/drafts/{draft['id']}/approve", expect=202)

    def followup_sent() -> Any:
        rows = client.call("GET", f"/agents/outreach/sent?agent_id={followup_agent['id']}")["items"]
        return rows[0] if rows and rows[0]["delivery_status"] != "sending" else None

    sent = _wait_for("the follow-up to reach SES", followup_sent, stopping)
    mail = next(
        (
            m
            for m in client.call("GET", "/_local/outbox")["emails"]
            if m.get("ses_message_id") == sent["ses_message_id"]
        ),
        None,
    )
    if mail is None:
        raise DemoError(f"SES message {sent['ses_message_id']} is not in the outbox")
    headers = {name.lower(): value for name, value in mail["headers"]}
    _show("Subject", headers.get("subject", "-"))
    _show("In-Reply-To", headers.get("in-reply-to", "-"))
    _show("References", headers.get("references", "-"))
    if headers.get("in-reply-to") != first["rfc822_message_id"]:
        raise DemoError("the follow-up does not answer the first email's Message-ID")

    def next_planned() -> Any:
        rows = client.call("GET", f"/followups?contact_id={contact['id']}&status=scheduled")[
            "items"
        ]
        return rows[0] if rows else None

    second = _wait_for("follow-up 2 to be planned", next_planned, stopping)
    _show("follow-up 2", f"{second['status']}, due {_local_time(second['due_at'], zone)}")

    _step("The contact replies (POST /contacts/{id}/replied)")
    try:
        marked = client.call("POST", f"/contacts/{contact['id']}/replied")
    except DemoError as error:
        if "No such route" not in str(error):
            raise
        _show("skipped", "this build has no POST /contacts/{id}/replied yet")
        return
    _show("follow-ups stopped", marked["followups_cancelled"])

    _step("Firing the sweep when follow-up 2 would have been due: nothing more goes out")
    _fire_sweep(client, second["due_at"])
    rows = client.call("GET", f"/followups?contact_id={contact['id']}")["items"]
    for item in reversed(rows):
        reason = f" ({item['reason']})" if item["reason"] else ""
        _show(f"follow-up {item['attempt']}", f"{item['status']}{reason}")
    stopped = next(item for item in rows if item["id"] == second["id"])
    if (stopped["status"], stopped["reason"]) != ("cancelled", "replied"):
        raise DemoError(f"follow-up 2 did not stop on the reply: {stopped}")
