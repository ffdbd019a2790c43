"""SES's delivery feedback, end to end through the real template and the local SES.

An approved draft goes out through the Sender to the local SES; the SES simulator
publishes what SES would for that mailbox-simulator address to the configuration set's
topic; SNS -> SQS -> the SES-events function applies it: the sent row's status, the
suppression, and with it the next approval's refusal.
"""

import uuid
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.enums import SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression, OutreachDraft, SesEvent
from attendry_local.runtime import LocalRuntime
from tests.fixtures.local_runtime import Response, http, wait_until
from tests.fixtures.ses import ses_event

pytestmark = pytest.mark.integration


class User:
    """One user of the local API, with an outreach agent."""

    def __init__(self, system: LocalRuntime) -> None:
        self.system = system
        self.id = f"user-{uuid.uuid4()}"
        self.token = system.make_token(self.id)
        self.agent = self.call("POST", "/agents", {"agent_type": "outreach", "name": "Outreach"})
        self.contacts: dict[str, str] = {}

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.request(method, path, body)
        assert response.status < 300, (path, response.status, response.body)
        return response.json()

    def request(self, method: str, path: str, body: Any = None) -> Response:
        return http(
            method,
            self.system.api_url + path,
            headers={"authorization": f"Bearer {self.token}"},
            json_body=body,
        )

    def draft_to(self, session: Session, address: str) -> str:
        """A draft waiting for approval (as the Outreach agent leaves one)."""
        if address not in self.contacts:
            contact = self.call("POST", "/contacts", {"name": "Jonas Berg", "email": address})
            self.contacts[address] = contact["id"]
        draft = OutreachDraft(
            user_id=self.id,
            agent_id=uuid.UUID(self.agent["id"]),
            contact_id=uuid.UUID(self.contacts[address]),
            subject="Data Engineering Summit",
            message_body="Hi Jonas,\n\nShall we meet at the summit?\n\nMaya",
            recipient_email=address,
        )
        session.add(draft)
        session.commit()
        return str(draft.id)

    def sent_row(
        self, draft_id: str, status: str, *, recorded: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The draft's sent row once its delivery status is `status` and the `recorded`
        facts are all set (bounded wait): SES's events arrive in any order, so the status
        can reach `complained` before the Delivery event's time is recorded."""

        def settled() -> dict[str, Any] | None:
            rows = self.call("GET", f"/agents/outreach/sent?agent_id={self.agent['id']}")["items"]
            row = next((r for r in rows if r["draft_id"] == draft_id), None)
            if row is None or row["delivery_status"] != status:
                return None
            if any(row[fact] is None for fact in recorded):
                return None
            return dict(row)

        return wait_until(settled, timeout_s=60)


def global_suppression(session: Session, address: str) -> EmailSuppression | None:
    session.expire_all()
    return session.scalars(
        select(EmailSuppression).where(
            EmailSuppression.address == address, EmailSuppression.scope == SuppressionScope.GLOBAL
        )
    ).first()


def test_a_bounce_suppresses_the_address_and_the_next_approval_is_refused(
    system: LocalRuntime, db_session: Session
) -> None:
    # Given an email approved to SES's bounce simulator
    user = User(system)
    address = "bounce@simulator.amazonses.com"
    first = user.draft_to(db_session, address)
    assert user.request("POST", f"/agents/outreach/drafts/{first}/approve").status == 202

    # When SES's events come back through SNS and SQS, the email bounces
    sent = user.sent_row(first, "bounced")

    # Then for good, with SES's diagnostic
    assert (sent["bounce_type"], sent["bounce_subtype"]) == ("Permanent", "General")
    assert sent["bounce_diagnostic"] == "smtp; 550 5.1.1 user unknown"
    assert sent["ses_message_id"]
    assert sent["bounced_at"] is not None

    # And the address is suppressed for everyone, and the user was told
    suppressed = global_suppression(db_session, address)
    assert suppressed is not None
    assert suppressed.reason is SuppressionReason.BOUNCE
    kinds = [n["kind"] for n in user.call("GET", "/notifications")["items"]]
    assert "email.bounced" in kinds

    # And the next approval to that address is refused
    second = user.draft_to(db_session, address)
    refused = user.request("POST", f"/agents/outreach/drafts/{second}/approve")
    assert refused.status == 409
    assert refused.json()["error"]["code"] == "recipient_suppressed"


@pytest.mark.parametrize(
    ("local_part", "status", "suppression"),
    [
        pytest.param("success", "delivered", None, id="success"),
        pytest.param("complaint", "complained", SuppressionReason.COMPLAINT, id="complaint"),
        pytest.param("suppressionlist", "bounced", SuppressionReason.BOUNCE, id="suppression-list"),
    ],
)
def test_the_mailbox_simulator_addresses(
    system: LocalRuntime,
    db_session: Session,
    local_part: str,
    status: str,
    suppression: SuppressionReason | None,
) -> None:
    # A label keeps each run's address apart, as SES's simulator allows
    user = User(system)
    address = f"{local_part}+{uuid.uuid4().hex[:8]}@simulator.amazonses.com"
    draft = user.draft_to(db_session, address)
    user.call("POST", f"/agents/outreach/drafts/{draft}/approve")

    # (a complaint comes after a delivery: both are recorded, in whichever order they come)
    recorded = ("delivered_at", "complained_at") if local_part == "complaint" else ()
    sent = user.sent_row(draft, status, recorded=recorded)

    found = global_suppression(db_session, address)
    assert (found.reason if found else None) is suppression
    if local_part == "suppressionlist":
        assert sent["bounce_subtype"] == "Suppressed"


def test_a_record_copied_from_aws_goes_through_the_set_its_email_was_sent_with(
    system: LocalRuntime, db_session: Session
) -> None:
    # Given an email delivered
    user = User(system)
    draft = user.draft_to(db_session, f"reader-{uuid.uuid4().hex[:8]}@example.com")
    user.call("POST", f"/agents/outreach/drafts/{draft}/approve")
    sent = user.sent_row(draft, "delivered")

    # When AWS's documented Open record is posted with only its message id made this email's
    # (its tags still name AWS's example set, "ConfigSet")
    event = ses_event("open", message_id=sent["ses_message_id"])
    assert event["mail"]["tags"]["ses:configuration-set"] == ["ConfigSet"]
    posted = http("POST", f"{system.api_url}/_local/ses/events", json_body=event)

    # Then SES's way: published through the email's own set, to its topic, and applied
    outreach_set = system.stack.resource("OutreachConfigurationSet").name
    assert posted.status == 202, posted.body
    assert posted.json()["configuration_set"] == outreach_set
    [published] = posted.json()["published"]
    assert published["topic_arn"] == system.stack.resource("SesEventsTopic").arn
    opened = wait_until(
        lambda: user.call("GET", f"/agents/outreach/sent/{sent['id']}")["opened_at"]
    )
    assert opened.startswith("2017-08-09T22:00:19")

    # And the record that travelled names that set, as every record SES publishes does
    stored = wait_until(lambda: stored_record(db_session, sent["ses_message_id"], "Open"))
    assert stored["mail"]["tags"]["ses:configuration-set"] == [outreach_set]


def test_a_record_of_another_message_goes_through_the_set_its_tag_names(
    system: LocalRuntime, db_session: Session
) -> None:
    # Given a record of a message the local SES never accepted, tagged with the template's set
    message_id = f"0100019a-{uuid.uuid4()}-000000"
    event = ses_event("delivery", message_id=message_id)
    outreach_set = system.stack.resource("OutreachConfigurationSet").name
    event["mail"]["tags"]["ses:configuration-set"] = [outreach_set]

    # When it is posted
    posted = http("POST", f"{system.api_url}/_local/ses/events", json_body=event)

    # Then it is published through that set and kept as an event of an unknown message
    assert posted.status == 202, posted.body
    assert posted.json()["configuration_set"] == outreach_set
    assert wait_until(lambda: stored_record(db_session, message_id, "Delivery")) == event


@pytest.mark.parametrize(
    "tags",
    [
        pytest.param({"ses:configuration-set": ["ConfigSet"]}, id="unknown-set"),
        pytest.param({}, id="no-set"),
    ],
)
def test_a_record_naming_neither_a_known_message_nor_a_known_set_is_refused(
    system: LocalRuntime, tags: dict[str, list[str]]
) -> None:
    event = ses_event("delivery", message_id=f"0100019a-{uuid.uuid4()}-000000")
    event["mail"]["tags"] = tags

    posted = http("POST", f"{system.api_url}/_local/ses/events", json_body=event)

    assert posted.status == 422
    message = posted.json()["message"]
    assert "is no email the local SES accepted" in message
    assert system.stack.resource("OutreachConfigurationSet").name in message


def stored_record(session: Session, ses_message_id: str, event_type: str) -> Any:
    """The record the SES-events function kept for that message and type, once it has."""
    session.expire_all()
    row = session.scalars(
        select(SesEvent).where(
            SesEvent.ses_message_id == ses_message_id, SesEvent.event_type == event_type
        )
    ).first()
    session.rollback()
    return row.payload if row is not None else None


def test_a_posted_record_without_an_event_type_is_refused(system: LocalRuntime) -> None:
    posted = http("POST", f"{system.api_url}/_local/ses/events", json_body={"mail": {}})

    assert posted.status == 400
