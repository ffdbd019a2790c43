"""Received mail as the user reads it: the replies list and one reply, and a contact's thread."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import InboundMatch
from attendry.db.models import InboundEmail, OutreachSent
from attendry.db.models.inbound import InboundKind
from tests.fixtures.api import CallApi
from tests.fixtures.outreach import Outreach, sent_message

pytestmark = pytest.mark.integration

REPLIES = "/replies"


def received(
    session: Session,
    outreach: Outreach,
    sent: OutreachSent | None,
    *,
    kind: InboundKind = InboundKind.REPLY,
    at: datetime | None = None,
    words: str = "Happy to talk next week.",
    from_contact: bool = True,
) -> InboundEmail:
    """An email the InboundMail function stored for the user: answering `sent`, or no
    message of theirs (matched to the user, its sent message since deleted)."""
    row = InboundEmail(
        user_id=outreach.user_id,
        sent_id=sent.id if sent else None,
        contact_id=outreach.contact.id if from_contact else None,
        from_address=outreach.contact.email,
        from_name="Ada Lovelace",
        to_addresses=["reply@mail.example"],
        subject="Re: Your keynote at DataConf",
        text_body=f"{words}\n\n> Hi Ada,\n> I loved your talk.",
        reply_text=words,
        message_id=f"<{uuid.uuid4()}@fjord.example>",
        in_reply_to=[sent.rfc822_message_id] if sent and sent.rfc822_message_id else [],
        classification=kind,
        classification_reason=f"test: {kind.value}",
        s3_bucket="inbound",
        s3_key=f"inbound/{uuid.uuid4()}",
        received_at=at or datetime.now(UTC),
        matched_by=InboundMatch.REPLY_ADDRESS,
    )
    session.add(row)
    session.commit()
    return row


def listed(call_api: CallApi, user: str, **query: str) -> list[str]:
    response = call_api("GET", REPLIES, user=user, query=query)
    assert response.status == 200, response.body
    return [item["id"] for item in response.json()["items"]]


def test_the_list_filters_by_classification_contact_agent_and_matched_and_pages(
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    outreach: Outreach,
    session: Session,
    user: str,
) -> None:
    # Given replies to two agents' messages, an out-of-office, and mail answering nothing
    other = make_outreach(user)
    sent = sent_message(session, outreach)
    reply = received(session, outreach, sent)
    away = received(session, outreach, sent, kind=InboundKind.AUTO_REPLY)
    unmatched = received(session, outreach, None, kind=InboundKind.OTHER)
    elsewhere = received(session, other, sent_message(session, other))

    # When the user lists them, each filter on its own, and two at a time
    everything = listed(call_api, user)
    first = call_api("GET", REPLIES, user=user, query={"limit": "2"}).json()
    second = call_api(
        "GET", REPLIES, user=user, query={"limit": "2", "cursor": first["next_cursor"]}
    ).json()

    # Then each filter keeps exactly its mail, newest first, and the pages cover all once
    ids = [str(r.id) for r in (elsewhere, unmatched, away, reply)]
    assert everything == ids
    assert listed(call_api, user, classification="reply") == [str(elsewhere.id), str(reply.id)]
    assert listed(call_api, user, classification="auto_reply") == [str(away.id)]
    assert listed(call_api, user, contact_id=str(other.contact.id)) == [str(elsewhere.id)]
    assert listed(call_api, user, agent_id=str(outreach.agent.id)) == [str(away.id), str(reply.id)]
    assert listed(call_api, user, matched="false") == [str(unmatched.id)]
    assert listed(call_api, user, matched="true") == [
        str(elsewhere.id),
        str(away.id),
        str(reply.id),
    ]
    assert [i["id"] for i in first["items"] + second["items"]] == ids
    assert second["next_cursor"] is None


def test_the_list_shows_unmatched_mail_as_unmatched(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    unmatched = received(session, outreach, None, kind=InboundKind.OTHER)

    [item] = call_api("GET", REPLIES, user=user).json()["items"]

    assert item["id"] == str(unmatched.id)
    assert item["matched"] is False
    assert item["sent_id"] is None
    assert item["classification"] == "other"


def test_mail_from_no_known_contact_reads_with_an_empty_thread(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    stranger = received(session, outreach, None, kind=InboundKind.OTHER, from_contact=False)

    response = call_api("GET", f"{REPLIES}/{stranger.id}", user=user)

    assert response.status == 200, response.body
    body = response.json()
    assert body["contact_id"] is None
    assert body["thread"] == []


def test_a_reply_reads_in_full_for_its_owner_and_is_404_and_unlisted_for_anyone_else(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    sent = sent_message(session, outreach)
    reply = received(session, outreach, sent, words="Yes, Tuesday works.")
    stranger = f"user-{uuid.uuid4()}"

    mine = call_api("GET", f"{REPLIES}/{reply.id}", user=user)
    theirs = call_api("GET", f"{REPLIES}/{reply.id}", user=stranger)
    their_list = call_api("GET", REPLIES, user=stranger).json()

    assert mine.status == 200, mine.body
    body = mine.json()
    assert body["reply_text"] == "Yes, Tuesday works."
    assert body["text_body"].startswith("Yes, Tuesday works.\n\n> Hi Ada,")
    assert (body["classification"], body["classification_reason"]) == ("reply", "test: reply")
    assert (body["matched"], body["sent_id"]) == (True, str(sent.id))
    assert body["contact_id"] == str(outreach.contact.id)
    assert body["in_reply_to"] == [sent.rfc822_message_id]
    assert [(m["id"], m["direction"]) for m in body["thread"]] == [
        (str(sent.id), "sent"),
        (str(reply.id), "received"),
    ]
    assert theirs.status == 404
    assert theirs.json()["error"]["code"] == "not_found"
    assert their_list["items"] == []


def test_the_thread_is_every_message_both_ways_in_time_order(
    call_api: CallApi,
    make_outreach: Callable[..., Outreach],
    outreach: Outreach,
    session: Session,
    user: str,
) -> None:
    # Given a first message, an out-of-office, a follow-up and the contact's answer,
    # and mail of another contact of the user's
    now = datetime.now(UTC)
    first = sent_message(session, outreach, sent_at=now - timedelta(days=5))
    away = received(
        session, outreach, first, kind=InboundKind.AUTO_REPLY, at=now - timedelta(days=4)
    )
    second = sent_message(session, outreach, sent_at=now - timedelta(days=2))
    answer = received(session, outreach, second, at=now - timedelta(days=1), words="Sure!")
    other = make_outreach(user)
    received(session, other, sent_message(session, other))

    thread = call_api("GET", f"/contacts/{outreach.contact.id}/thread", user=user)

    assert thread.status == 200, thread.body
    items = thread.json()["items"]
    assert [(i["id"], i["direction"]) for i in items] == [
        (str(first.id), "sent"),
        (str(away.id), "received"),
        (str(second.id), "sent"),
        (str(answer.id), "received"),
    ]
    assert [i["classification"] for i in items] == [None, "auto_reply", None, "reply"]
    assert items[1]["text"] == "Happy to talk next week."
    assert items[3]["text"] == "Sure!"
    assert items[0]["text"] == first.message_body
    assert items[0]["subject"] == "Your keynote at DataConf"
    assert datetime.fromisoformat(items[0]["at"]) == first.sent_at


def test_another_users_contact_has_no_thread(
    call_api: CallApi, outreach: Outreach, session: Session, user: str
) -> None:
    received(session, outreach, sent_message(session, outreach))

    theirs = call_api("GET", f"/contacts/{outreach.contact.id}/thread", user=f"user-{uuid.uuid4()}")

    assert theirs.status == 404
    assert theirs.json()["error"]["code"] == "not_found"
