"""No route lets outside text become a header of the email SES is handed.

The issue's attack: `PATCH` a draft's subject to an RFC 2047 encoded-word whose decoded
form is `Hi\\r\\nBcc: evil@attacker.example`; the same in a contact's name (To) and the
agent's sender name or name (From). Each route refuses it with 422 naming the field; a
row written before the checks existed is refused at approval, and one already approved
fails at the Sender without reaching SES. Text that only looks like an encoded-word is
sent, and reaches the contact as the literal text. Judged on the raw MIME moto accepted.
"""

import json
import urllib.request
import uuid
from email import message_from_bytes, policy
from typing import Any

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import DraftStatus
from attendry.db.models import Agent, Contact
from tests.fixtures.api import CallApi, LambdaContext
from tests.fixtures.aws import Aws, sqs_event
from tests.fixtures.functions import load_function
from tests.fixtures.mail_headers import PLAIN_EMAIL_HEADERS, assert_reads_back, header_names
from tests.fixtures.outreach import DRAFTS, Outreach

pytestmark = pytest.mark.integration

INJECTIONS = [
    "=?utf-8?b?SGkNCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?=",
    "=?utf-8?q?Hi=0D=0ABcc:_evil@attacker.example?=",
    "Hi \u202egnp.exe",
    "Hi\u200bthere",
]


def raw_emails(aws: Aws, recipient: str) -> list[bytes]:
    """The raw MIME of every email moto's SES accepted for `recipient`, as SES got it."""
    with urllib.request.urlopen(f"{aws.endpoint}/moto-api/data.json") as response:  # noqa: S310
        data: dict[str, Any] = json.load(response)
    raws = [item["raw_data"].encode() for item in data.get("ses", {}).get("RawMessage", [])]
    return [raw for raw in raws if recipient.encode() in raw.split(b"\r\n\r\n", 1)[0]]


def send_queued(aws: Aws) -> dict[str, Any]:
    handler = load_function("email_sender").lambda_handler
    response: dict[str, Any] = handler(sqs_event(aws, aws.receive()), LambdaContext())
    return response


def error_fields(response: Any) -> list[str]:
    return [detail["field"] for detail in response.json()["error"]["details"]]


@pytest.mark.parametrize("subject", INJECTIONS)
def test_editing_a_subject_refuses_an_injection_naming_the_field(
    call_api: CallApi, outreach: Outreach, session: Session, user: str, subject: str
) -> None:
    draft = outreach.draft(session)

    response = call_api("PATCH", f"{DRAFTS}/{draft.id}", user=user, body={"subject": subject})

    assert response.status == 422
    assert error_fields(response) == ["body.subject"]
    session.refresh(draft)
    assert draft.subject == "Your keynote at DataConf"


@pytest.mark.parametrize("name", INJECTIONS)
def test_a_contact_name_that_would_break_the_to_header_is_refused(
    call_api: CallApi, user: str, name: str
) -> None:
    body = {"name": name, "email": f"ada-{uuid.uuid4().hex[:8]}@example.com"}

    response = call_api("POST", "/contacts", user=user, body=body)

    assert response.status == 422
    assert error_fields(response) == ["body.name"]
    assert call_api("GET", "/contacts", user=user).json()["items"] == []


@pytest.mark.parametrize("name", INJECTIONS)
def test_an_agent_name_or_sender_name_that_would_break_the_from_header_is_refused(
    call_api: CallApi, user: str, name: str
) -> None:
    as_name = call_api("POST", "/agents", user=user, body={"agent_type": "outreach", "name": name})
    as_sender = call_api(
        "POST",
        "/agents",
        user=user,
        body={"agent_type": "outreach", "name": "Outreach", "settings": {"sender_name": name}},
    )

    assert as_name.status == 422
    assert error_fields(as_name) == ["body.name"]
    assert as_sender.status == 422
    assert error_fields(as_sender) == ["body.settings.sender_name"]
    assert call_api("GET", "/agents", user=user).json()["items"] == []


def test_changing_the_sender_name_to_an_injection_is_refused(
    call_api: CallApi, outreach: Outreach, user: str
) -> None:
    response = call_api(
        "PATCH",
        f"/agents/{outreach.agent.id}",
        user=user,
        body={"settings": {"sender_name": INJECTIONS[0]}},
    )

    assert response.status == 422
    assert error_fields(response) == ["body.settings.sender_name"]
    agent = call_api("GET", f"/agents/{outreach.agent.id}", user=user).json()
    assert agent["settings"]["sender_name"] == "Sam Lee"


@pytest.mark.parametrize(
    ("where", "field"),
    [("subject", "subject"), ("contact", "recipient_name"), ("sender", "sender_name")],
)
def test_rows_written_before_the_checks_are_refused_at_approval(
    aws: Aws,
    call_api: CallApi,
    outreach: Outreach,
    session: Session,
    user: str,
    where: str,
    field: str,
) -> None:
    # Given an injection stored before the routes checked it
    draft = outreach.draft(session, subject=INJECTIONS[0] if where == "subject" else "Hello")
    if where == "contact":
        contact = session.get(Contact, outreach.contact.id)
        assert contact is not None
        contact.name = INJECTIONS[0]
    if where == "sender":
        agent = session.get(Agent, outreach.agent.id)
        assert agent is not None
        agent.settings = {**agent.settings, "sender_name": INJECTIONS[0]}
    session.commit()

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 422
    assert error_fields(response) == [field]
    assert "encoded-word" in response.json()["error"]["message"]
    session.refresh(draft)
    assert draft.status == DraftStatus.PENDING_APPROVAL
    assert aws.receive() == []


def test_an_already_approved_injection_fails_at_the_sender_and_never_reaches_ses(
    aws: Aws, outreach: Outreach, session: Session
) -> None:
    # Given a draft approved before the checks, its subject an encoded-word injection
    draft = outreach.draft(session, status=DraftStatus.APPROVED, subject=INJECTIONS[1])
    aws.queue.send_text(json.dumps({"draft_id": str(draft.id)}))

    # When the Sender's function handles it
    response = send_queued(aws)

    # Then nothing reached SES and the draft failed, saying why
    assert response == {"batchItemFailures": []}
    assert raw_emails(aws, str(outreach.contact.email)) == []
    session.refresh(draft)
    assert draft.status == DraftStatus.FAILED
    assert "encoded-word" in draft.meta["send_failure"]["message"]


def test_text_that_looks_like_header_syntax_reaches_the_contact_literally(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    # Given a subject, a contact name and a sender name written like header syntax
    subject = "=?utf-8?b?SGVsbG8=?= Bcc: evil@attacker.example"
    contact_name = 'Ada "=?utf-8?q?x?=" <evil@attacker.example>, Lovelace'
    sender_name = "Sam =?utf-8?b?TGVl?= Grüße"
    contact = session.get(Contact, outreach.contact.id)
    agent = session.get(Agent, outreach.agent.id)
    assert contact is not None
    assert agent is not None
    contact.name = contact_name
    agent.settings = {**agent.settings, "sender_name": sender_name}
    session.commit()
    draft = outreach.draft(session)

    # When the user edits the subject to it, approves, and the Sender sends
    edited = call_api("PATCH", f"{DRAFTS}/{draft.id}", user=user, body={"subject": subject})
    approved = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)
    assert (edited.status, approved.status) == (200, 202)
    assert send_queued(aws) == {"batchItemFailures": []}

    # Then SES got one email whose headers are exactly ours, reading back the literal text
    [raw] = raw_emails(aws, str(outreach.contact.email))
    assert header_names(raw) == PLAIN_EMAIL_HEADERS
    assert b"attacker" not in raw.split(b"\r\n\r\n", 1)[0]
    assert_reads_back(
        raw, {"subject": subject, "recipient_name": contact_name, "sender_name": sender_name}
    )
    message = message_from_bytes(raw, policy=policy.default)
    assert [a.addr_spec for a in message["To"].addresses] == [outreach.contact.email]
    assert [a.addr_spec for a in message["From"].addresses] == ["outreach@attendry.example"]
