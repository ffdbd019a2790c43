"""The drafts API: review, edit, approve and reject, with every refusal approval makes."""

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import DeliveryStatus, DraftStatus, SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression, OutreachDraft, OutreachSent, UserSendingState
from tests.fixtures.api import CallApi
from tests.fixtures.aws import Aws
from tests.fixtures.outreach import DRAFTS, Outreach

pytestmark = pytest.mark.integration


def test_list_filters_by_status_agent_and_contact_and_pages(
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    outreach: Outreach,
    session: Session,
    user: str,
) -> None:
    # Given two agents' drafts in several states
    other_agent = make_outreach(user)
    pending = outreach.draft(session)
    rejected = outreach.draft(session, status=DraftStatus.REJECTED)
    elsewhere = other_agent.draft(session)

    # When the user lists them with each filter
    everything = call_api("GET", DRAFTS, user=user).json()
    only_pending = call_api("GET", DRAFTS, user=user, query={"status": "pending_approval"}).json()
    by_agent = call_api("GET", DRAFTS, user=user, query={"agent_id": str(outreach.agent.id)})
    by_contact = call_api(
        "GET", DRAFTS, user=user, query={"contact_id": str(other_agent.contact.id)}
    ).json()
    first_page = call_api("GET", DRAFTS, user=user, query={"limit": "2"}).json()
    second_page = call_api(
        "GET", DRAFTS, user=user, query={"limit": "2", "cursor": first_page["next_cursor"]}
    ).json()

    # Then each filter keeps exactly its drafts, newest first, and pages cover them all once
    ids = [str(d.id) for d in (elsewhere, rejected, pending)]
    assert [d["id"] for d in everything["items"]] == ids
    assert {d["id"] for d in only_pending["items"]} == {str(pending.id), str(elsewhere.id)}
    assert {d["id"] for d in by_agent.json()["items"]} == {str(pending.id), str(rejected.id)}
    assert [d["id"] for d in by_contact["items"]] == [str(elsewhere.id)]
    assert [d["id"] for d in first_page["items"] + second_page["items"]] == ids
    assert second_page["next_cursor"] is None


def test_read_shows_the_draft_and_another_users_draft_is_404(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)
    stranger = f"user-{uuid.uuid4()}"

    mine = call_api("GET", f"{DRAFTS}/{draft.id}", user=user)
    theirs = [
        call_api("GET", f"{DRAFTS}/{draft.id}", user=stranger),
        call_api("PATCH", f"{DRAFTS}/{draft.id}", user=stranger, body={"subject": "Hi"}),
        call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=stranger),
        call_api("POST", f"{DRAFTS}/{draft.id}/reject", user=stranger, body={"reason": "no"}),
    ]

    assert mine.status == 200
    assert mine.json()["subject"] == "Your keynote at DataConf"
    assert mine.json()["status"] == "pending_approval"
    assert [response.status for response in theirs] == [404, 404, 404, 404]


def test_edit_changes_the_text_and_marks_it_edited(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session, html_body="<p>Hi</p>")

    response = call_api(
        "PATCH",
        f"{DRAFTS}/{draft.id}",
        user=user,
        body={
            "subject": "A shorter subject",
            "message_body": "Hi Ada, short note.",
            "html_body": None,
        },
    )

    assert response.status == 200
    body = response.json()
    assert body["subject"] == "A shorter subject"
    assert body["message_body"] == "Hi Ada, short note."
    assert body["html_body"] is None
    assert body["edited_by_user"] is True


@pytest.mark.parametrize("subject", ["Hello\r\nBcc: victim@example.com", "Hi\nthere", "Hi\rthere"])
def test_edit_refuses_a_line_break_in_the_subject_naming_the_field(
    call_api: CallApi, outreach: Outreach, session: Session, user: str, subject: str
) -> None:
    draft = outreach.draft(session)

    response = call_api("PATCH", f"{DRAFTS}/{draft.id}", user=user, body={"subject": subject})

    assert response.status == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["body.subject"]
    session.refresh(draft)
    assert draft.subject == "Your keynote at DataConf"


@pytest.mark.parametrize("status", [DraftStatus.APPROVED, DraftStatus.SENT, DraftStatus.REJECTED])
def test_only_a_pending_draft_can_be_edited(
    call_api: CallApi, outreach: Outreach, session: Session, user: str, status: DraftStatus
) -> None:
    draft = outreach.draft(session, status=status)

    response = call_api("PATCH", f"{DRAFTS}/{draft.id}", user=user, body={"subject": "Changed"})

    assert response.status == 409
    assert response.json()["error"]["code"] == "invalid_draft_state"


def test_approve_answers_202_and_queues_the_draft_for_the_sender(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 202
    assert response.json()["status"] == "approved"
    assert response.json()["approved_at"] is not None
    messages = aws.receive()
    assert [json.loads(m["Body"]) for m in messages] == [{"draft_id": str(draft.id)}]


def test_reject_keeps_the_reason(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)

    response = call_api(
        "POST", f"{DRAFTS}/{draft.id}/reject", user=user, body={"reason": "Wrong event"}
    )

    assert response.status == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Wrong event"
    assert aws.receive() == []


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (DraftStatus.REJECTED, "approve"),
        (DraftStatus.APPROVED, "approve"),
        (DraftStatus.SENT, "approve"),
        (DraftStatus.FAILED, "approve"),
        (DraftStatus.SENT, "reject"),
        (DraftStatus.APPROVED, "reject"),
        (DraftStatus.REJECTED, "reject"),
    ],
)
def test_illegal_state_changes_are_409(
    aws: Aws,
    call_api: CallApi,
    outreach: Outreach,
    session: Session,
    user: str,
    status: DraftStatus,
    action: str,
) -> None:
    draft = outreach.draft(session, status=status)
    body = {"reason": "no"} if action == "reject" else None

    response = call_api("POST", f"{DRAFTS}/{draft.id}/{action}", user=user, body=body)

    assert response.status == 409
    assert response.json()["error"]["code"] == "invalid_draft_state"
    session.refresh(draft)
    assert draft.status == status
    assert aws.receive() == []


def _suppress(session: Session, address: str, scope: SuppressionScope, user_id: str | None) -> None:
    session.add(
        EmailSuppression(
            address=address.lower(),
            reason=SuppressionReason.BOUNCE,
            scope=scope,
            user_id=user_id,
        )
    )
    session.commit()


@pytest.mark.parametrize("scope", [SuppressionScope.GLOBAL, SuppressionScope.USER])
def test_approval_refuses_a_suppressed_address(
    aws: Aws,
    call_api: CallApi,
    outreach: Outreach,
    session: Session,
    user: str,
    scope: SuppressionScope,
) -> None:
    draft = outreach.draft(session)
    address = str(outreach.contact.email).upper()
    _suppress(session, address, scope, user if scope == SuppressionScope.USER else None)

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 409
    assert response.json()["error"]["code"] == "recipient_suppressed"
    session.refresh(draft)
    assert draft.status == DraftStatus.PENDING_APPROVAL
    assert aws.receive() == []


def test_an_address_suppressed_for_everyone_and_for_the_user_is_refused_for_everyone(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    # The global reason is the one the user cannot lift, so it is the one named
    draft = outreach.draft(session)
    address = str(outreach.contact.email).lower()
    session.add(
        EmailSuppression(
            address=address,
            reason=SuppressionReason.UNSUBSCRIBE,
            scope=SuppressionScope.USER,
            user_id=user,
        )
    )
    session.commit()
    _suppress(session, address, SuppressionScope.GLOBAL, None)

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 409
    assert response.json()["error"]["message"] == (
        f"{address} is suppressed for everyone (bounce); no email will be sent to it."
    )


def test_another_users_suppression_does_not_refuse_approval(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)
    _suppress(session, str(outreach.contact.email), SuppressionScope.USER, f"user-{uuid.uuid4()}")

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 202


def test_approval_refuses_while_the_users_sending_is_paused(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)
    session.add(
        UserSendingState(
            user_id=user, paused=True, reason="bounce rate 7%", paused_at=datetime.now(UTC)
        )
    )
    session.commit()

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 409
    error = response.json()["error"]
    assert error["code"] == "sending_paused"
    assert "bounce rate 7%" in error["message"]
    assert aws.receive() == []


def test_approval_refuses_over_the_agents_daily_send_cap(
    aws: Aws,
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    session: Session,
    user: str,
) -> None:
    # Given an agent capped at 2 a day, with one email sent today and one approved draft
    outreach = make_outreach(user, settings={"daily_send_cap": 2})
    sent_draft = outreach.draft(session, status=DraftStatus.SENT)
    session.add(
        OutreachSent(
            user_id=user,
            draft_id=sent_draft.id,
            agent_id=outreach.agent.id,
            contact_id=outreach.contact.id,
            recipient_email=outreach.contact.email,
            message_body="sent",
            delivery_status=DeliveryStatus.SENT,
            idempotency_key=str(sent_draft.id),
        )
    )
    session.commit()
    outreach.draft(session, status=DraftStatus.APPROVED)
    draft = outreach.draft(session)

    # When a third draft is approved
    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    # Then it is refused, and a failed send does not count against the cap
    assert response.status == 409
    assert response.json()["error"]["code"] == "daily_send_cap_reached"
    session.execute(
        OutreachSent.__table__.update()
        .where(OutreachSent.draft_id == sent_draft.id)
        .values(delivery_status=DeliveryStatus.FAILED)
    )
    session.commit()
    assert call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user).status == 202


def test_only_the_agents_own_sends_count_against_its_cap(
    aws: Aws,
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    session: Session,
    user: str,
) -> None:
    # Given an agent capped at 1 a day, and a send and an approval today by the same user's
    # other agent and by another user's agent
    outreach = make_outreach(user, settings={"daily_send_cap": 1})
    other_agent = make_outreach(user, settings={"daily_send_cap": 1})
    other_user = make_outreach(f"other-{uuid.uuid4().hex[:8]}", settings={"daily_send_cap": 1})
    for elsewhere in (other_agent, other_user):
        sent_draft = elsewhere.draft(session, status=DraftStatus.SENT)
        session.add(
            OutreachSent(
                user_id=elsewhere.user_id,
                draft_id=sent_draft.id,
                agent_id=elsewhere.agent.id,
                contact_id=elsewhere.contact.id,
                recipient_email=elsewhere.contact.email,
                message_body="sent",
                delivery_status=DeliveryStatus.SENT,
                idempotency_key=str(sent_draft.id),
            )
        )
        elsewhere.draft(session, status=DraftStatus.APPROVED)
    session.commit()
    draft = outreach.draft(session)

    # When this agent's first draft of the day is approved, it is accepted
    assert call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user).status == 202
    # and its second is the one over the cap
    second = outreach.draft(session)
    refused = call_api("POST", f"{DRAFTS}/{second.id}/approve", user=user)
    assert refused.status == 409
    assert refused.json()["error"]["code"] == "daily_send_cap_reached"


def test_yesterdays_sends_do_not_count_against_todays_cap(
    aws: Aws,
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    session: Session,
    user: str,
) -> None:
    outreach = make_outreach(user, settings={"daily_send_cap": 1})
    old = outreach.draft(session, status=DraftStatus.SENT)
    session.add(
        OutreachSent(
            user_id=user,
            draft_id=old.id,
            agent_id=outreach.agent.id,
            recipient_email=outreach.contact.email,
            message_body="sent yesterday",
            delivery_status=DeliveryStatus.DELIVERED,
            idempotency_key=str(old.id),
            created_at=datetime.now(UTC) - timedelta(days=1, hours=1),
        )
    )
    session.commit()
    draft = outreach.draft(session)

    assert call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user).status == 202


@pytest.mark.parametrize("address", ["not-an-address", "ada@localhost", "ada@exämple.com", " "])
def test_approval_refuses_an_invalid_address_with_422(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str, address: str
) -> None:
    draft = outreach.draft(session)
    session.execute(
        OutreachDraft.__table__.update()
        .where(OutreachDraft.id == draft.id)
        .values(recipient_email=address)
    )
    session.commit()

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_recipient"
    assert [detail["field"] for detail in error["details"]] == ["recipient_email"]
    assert aws.receive() == []


def test_approval_takes_the_contacts_address_when_the_draft_has_none(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session)
    session.execute(
        OutreachDraft.__table__.update()
        .where(OutreachDraft.id == draft.id)
        .values(recipient_email=None)
    )
    session.commit()

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 202
    assert response.json()["recipient_email"] == outreach.contact.email


def test_sent_messages_list_and_read_for_their_owner_only(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    draft = outreach.draft(session, status=DraftStatus.SENT)
    sent = OutreachSent(
        user_id=user,
        draft_id=draft.id,
        agent_id=outreach.agent.id,
        contact_id=outreach.contact.id,
        recipient_email=outreach.contact.email,
        subject=draft.subject,
        message_body=draft.message_body,
        delivery_status=DeliveryStatus.DELIVERED,
        ses_message_id=f"0100018c-{uuid.uuid4()}-000000",
        sent_at=datetime.now(UTC),
        delivered_at=datetime.now(UTC),
        idempotency_key=str(draft.id),
    )
    session.add(sent)
    session.commit()

    listed = call_api(
        "GET", "/agents/outreach/sent", user=user, query={"delivery_status": "delivered"}
    )
    read = call_api("GET", f"/agents/outreach/sent/{sent.id}", user=user)
    stranger = call_api("GET", f"/agents/outreach/sent/{sent.id}", user=f"user-{uuid.uuid4()}")

    assert [item["id"] for item in listed.json()["items"]] == [str(sent.id)]
    assert read.status == 200
    assert read.json()["delivery_status"] == "delivered"
    assert read.json()["delivered_at"] is not None
    assert stranger.status == 404


def test_approval_refuses_a_subject_that_would_inject_headers(
    aws: Aws, call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    # Given a drafted subject with a line break (the drafter's text is never trusted)
    draft = outreach.draft(session, subject="Hello\r\nBcc: everyone@example.com")

    response = call_api("POST", f"{DRAFTS}/{draft.id}/approve", user=user)

    assert response.status == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["subject"]
    session.refresh(draft)
    assert draft.status == DraftStatus.PENDING_APPROVAL
    assert aws.receive() == []
