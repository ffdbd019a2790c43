"""A reply and an unsubscribe, end to end, through the real template and the public HTTP API.

An email is drafted, approved and sent as a user would do it; the contact's reply then
arrives through `POST /_local/inbound`, which stores it in the template's inbound bucket
and publishes SES's receipt notice to the template's topic, so the InboundMail queue and
function take it exactly as deployed. Last, the contact follows the List-Unsubscribe
link with RFC 8058's one-click POST.
"""

import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from attendry_local.demo import Client
from attendry_local.runtime import LocalRuntime

WAIT_S = 60


def wait_for(what: str, probe: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = probe()
        if found:
            return found
        threading.Event().wait(0.25)
    raise AssertionError(f"gave up waiting for {what} after {WAIT_S} s")


def post_form(url: str, body: str) -> tuple[int, str, str]:
    request = urllib.request.Request(url, data=body.encode(), method="POST")  # noqa: S310
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def send_one_email(client: Client, contact_email: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Agent, event, contact, a drafted and approved email: its sent row and its headers."""
    agent = client.call(
        "POST",
        "/agents",
        {"agent_type": "outreach", "name": "Replies", "settings": {"sender_name": "Maya Chen"}},
        expect=201,
    )
    starts = datetime.now(UTC) + timedelta(days=40)
    event = client.call(
        "POST",
        "/opportunities",
        {"title": "Data Summit", "starts_at": starts.isoformat(), "topics": ["data"]},
        expect=201,
    )
    contact = client.call(
        "POST",
        "/contacts",
        {"name": "Jonas Berg", "email": contact_email, "opportunity_id": event["id"]},
        expect=201,
    )
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
    wait_for(
        "the draft",
        lambda: client.call("GET", f"/tasks/{task['id']}")["status"] == "completed",
    )
    [draft] = client.call("GET", f"/agents/outreach/drafts?agent_id={agent['id']}")["items"]
    client.call("POST", f"/agents/outreach/drafts/{draft['id']}/approve", expect=202)

    def sent_row() -> Any:
        rows = client.call("GET", f"/agents/outreach/sent?agent_id={agent['id']}")["items"]
        return rows[0] if rows and rows[0]["ses_message_id"] else None

    sent = wait_for("SES to accept the email", sent_row)
    outbox = client.call("GET", f"/_local/outbox?to={contact_email}")["emails"]
    [mail] = [m for m in outbox if m["ses_message_id"] == sent["ses_message_id"]]
    return sent, {name.lower(): value for name, value in mail["headers"]}


def test_a_reply_through_ses_inbound_marks_the_thread_answered(system: LocalRuntime) -> None:
    client = Client(system.api_url)
    client.token = system.make_token(f"replies-{uuid.uuid4().hex[:8]}")
    contact_email = f"jonas-{uuid.uuid4().hex[:8]}@example.com"
    sent, headers = send_one_email(client, contact_email)
    assert sent["response_received_at"] is None

    # When the contact replies in the thread, to the email's Reply-To
    delivered = client.call(
        "POST",
        "/_local/inbound",
        {
            "from": f"Jonas Berg <{contact_email}>",
            "to": headers["reply-to"],
            "subject": f"Re: {sent['subject']}",
            "text": "Hi Maya,\n\nHappy to meet in Amsterdam.\n\nJonas",
            "in_reply_to": headers["message-id"],
        },
        expect=202,
    )
    assert delivered["deliveries"][0]["object_key"].startswith("inbound/")

    # Then the function matched it and the sent message shows the reply
    answered = wait_for(
        "the reply to be recorded",
        lambda: client.call("GET", f"/agents/outreach/sent/{sent['id']}")["response_received_at"],
    )
    assert answered
    feed = client.call("GET", "/notifications")["items"]
    [reply] = [item for item in feed if item["kind"] == "reply.received"]
    assert reply["payload"]["sent_id"] == sent["id"]
    assert "Happy to meet" in reply["payload"]["snippet"]


def test_mail_for_a_domain_no_receipt_rule_takes_is_refused(system: LocalRuntime) -> None:
    client = Client(system.api_url)

    refused = client.call(
        "POST",
        "/_local/inbound",
        {"from": "a@example.com", "to": "someone@elsewhere.example", "text": "hi"},
        expect=422,
    )

    assert "reply.attendry.example" in refused["message"]


def test_one_click_unsubscribe_through_the_public_api_refuses_the_next_approval(
    system: LocalRuntime,
) -> None:
    client = Client(system.api_url)
    client.token = system.make_token(f"unsub-{uuid.uuid4().hex[:8]}")
    contact_email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    sent, headers = send_one_email(client, contact_email)
    url = headers["list-unsubscribe"].split(",")[0].strip().strip("<>")
    assert url.startswith(f"{system.api_url}/unsubscribe/")

    status, content_type, page = post_form(url, "List-Unsubscribe=One-Click")

    assert status == 200
    assert content_type.startswith("text/html")
    assert contact_email in page
    feed = client.call("GET", "/notifications")["items"]
    assert [item["payload"]["via"] for item in feed if item["kind"] == "contact.unsubscribed"] == [
        "one_click"
    ]
    # And the user's next email to the contact is refused at approval
    agent_id = sent["agent_id"]
    task = client.call(
        "POST",
        f"/agents/{agent_id}/tasks",
        {"task_type": "draft_outreach", "input": {"contact_id": sent["contact_id"]}},
        expect=202,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    wait_for(
        "the second draft",
        lambda: client.call("GET", f"/tasks/{task['id']}")["status"] == "completed",
    )
    [draft] = client.call(
        "GET", f"/agents/outreach/drafts?agent_id={agent_id}&status=pending_approval"
    )["items"]
    refused = client.call("POST", f"/agents/outreach/drafts/{draft['id']}/approve", expect=409)
    assert refused["error"]["code"] == "recipient_suppressed"
