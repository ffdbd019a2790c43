"""GET /followups, cancel, PATCH due_at under the timing rules, and an agent's messages."""

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import FollowupStatus
from attendry.messaging.service import send_agent_message
from tests.fixtures.api import ApiResponse
from tests.fixtures.followup_threads import Thread

pytestmark = pytest.mark.integration

CallApi = Callable[..., ApiResponse]
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: datetime, hour: int, minute: int = 0) -> str:
    return datetime.combine(day.date(), time(hour, minute), tzinfo=BERLIN).isoformat()


def test_the_schedule_lists_only_the_users_own_follow_ups_filtered_and_paged(
    session: Session, threads: Callable[..., Thread], call_api: CallApi
) -> None:
    # Given a user's thread with two follow-ups, and another user's thread
    mine = threads()
    first = mine.schedule(session)
    mine.schedule(session, attempt=2, status=FollowupStatus.CANCELLED)
    other = threads()
    other.schedule(session)

    # When the user lists their follow-ups, one per page
    page_1 = call_api("GET", "/followups", user=mine.user_id, query={"limit": "1"})
    page_2 = call_api(
        "GET",
        "/followups",
        user=mine.user_id,
        query={"limit": "1", "cursor": page_1.json()["next_cursor"]},
    )

    # Then they see their two, newest first, and nobody else's
    assert page_1.status == 200
    ids = [page_1.json()["items"][0]["id"], page_2.json()["items"][0]["id"]]
    assert ids[1] == str(first.id)
    assert page_2.json()["next_cursor"] is None
    scheduled = call_api(
        "GET", "/followups", user=mine.user_id, query={"status": "scheduled"}
    ).json()["items"]
    assert [item["id"] for item in scheduled] == [str(first.id)]
    assert scheduled[0]["attempt"] == 1
    assert scheduled[0]["sent_id"] == str(mine.original.id)
    by_contact = call_api(
        "GET", "/followups", user=mine.user_id, query={"contact_id": str(other.contact.id)}
    ).json()["items"]
    assert by_contact == []
    by_agent = call_api(
        "GET", "/followups", user=mine.user_id, query={"agent_id": str(mine.followup_agent.id)}
    ).json()["items"]
    assert len(by_agent) == 2


def test_cancelling_a_scheduled_follow_up_and_only_a_scheduled_one(
    session: Session, threads: Callable[..., Thread], call_api: CallApi
) -> None:
    thread = threads()
    row = thread.schedule(session)
    path = f"/followups/{row.id}/cancel"

    cancelled = call_api("POST", path, user=thread.user_id)
    again = call_api("POST", path, user=thread.user_id)
    strangers = call_api("POST", path, user=f"user-{row.id}")

    assert cancelled.status == 200
    assert (cancelled.json()["status"], cancelled.json()["reason"]) == (
        "cancelled",
        "cancelled_by_user",
    )
    assert again.status == 409
    assert again.json()["error"]["code"] == "invalid_followup_state"
    assert strangers.status == 404


@pytest.mark.parametrize(
    ("day", "hour", "rule"),
    [
        (2, 10, "before_cadence"),
        (4, 7, "outside_send_window"),
        (4, 18, "outside_send_window"),
        (5, 10, "weekend"),
        (29, 10, "event_blackout"),
        (32, 10, "event_passed"),
    ],
)
def test_a_due_time_the_rules_forbid_is_refused_with_the_rule_named(
    day: int,
    hour: int,
    rule: str,
    session: Session,
    threads: Callable[..., Thread],
    call_api: CallApi,
) -> None:
    # Given a thread sent on a Monday, its event 30 days later (a Wednesday)
    thread = threads()
    row = thread.schedule(session)
    proposed = berlin(thread.original_sent_at + timedelta(days=day), hour)

    response = call_api(
        "PATCH", f"/followups/{row.id}", user=thread.user_id, body={"due_at": proposed}
    )

    assert response.status == 422
    error = response.json()["error"]
    assert error["code"] == rule
    assert error["details"][0]["field"] == "body.due_at"
    assert error["details"][0]["type"] == rule


def test_a_due_time_the_rules_allow_moves_the_follow_up(
    session: Session, threads: Callable[..., Thread], call_api: CallApi
) -> None:
    thread = threads()
    row = thread.schedule(session)
    friday_noon = berlin(thread.original_sent_at + timedelta(days=4), 12)

    response = call_api(
        "PATCH", f"/followups/{row.id}", user=thread.user_id, body={"due_at": friday_noon}
    )

    assert response.status == 200
    assert datetime.fromisoformat(response.json()["due_at"]) == datetime.fromisoformat(friday_noon)
    session.expire_all()
    assert thread.rows(session)[0].due_at == datetime.fromisoformat(friday_noon)


def test_a_due_time_needs_an_offset_and_a_scheduled_follow_up(
    session: Session, threads: Callable[..., Thread], call_api: CallApi
) -> None:
    thread = threads()
    row = thread.schedule(session)
    done = thread.schedule(session, attempt=2, status=FollowupStatus.DRAFTED)
    later = (thread.original_sent_at + timedelta(days=4, hours=3)).astimezone(UTC)

    naive = call_api(
        "PATCH",
        f"/followups/{row.id}",
        user=thread.user_id,
        body={"due_at": later.replace(tzinfo=None).isoformat()},
    )
    drafted = call_api(
        "PATCH", f"/followups/{done.id}", user=thread.user_id, body={"due_at": later.isoformat()}
    )

    assert naive.status == 422
    assert drafted.status == 409


def test_an_agent_lists_the_messages_it_sent_and_received(
    session: Session, threads: Callable[..., Thread], call_api: CallApi
) -> None:
    # Given the Outreach agent told the Follow-up agent of a send
    thread = threads()
    send_agent_message(
        session,
        user_id=thread.user_id,
        from_agent_id=thread.outreach_agent.id,
        to_agent_id=thread.followup_agent.id,
        message_type="outreach.sent",
        payload={"sent_id": str(thread.original.id)},
    )
    session.commit()

    sent = call_api("GET", f"/agents/{thread.outreach_agent.id}/messages", user=thread.user_id)
    received = call_api(
        "GET",
        f"/agents/{thread.followup_agent.id}/messages",
        user=thread.user_id,
        query={"direction": "received"},
    )
    strangers = call_api(
        "GET", f"/agents/{thread.followup_agent.id}/messages", user=f"user-{thread.contact.id}"
    )

    [outgoing] = sent.json()["items"]
    [incoming] = received.json()["items"]
    assert outgoing["id"] == incoming["id"]
    assert (outgoing["direction"], incoming["direction"]) == ("sent", "received")
    assert incoming["message_type"] == "outreach.sent"
    assert incoming["payload"] == {"sent_id": str(thread.original.id)}
    assert incoming["status"] == "pending"
    assert strangers.status == 404
