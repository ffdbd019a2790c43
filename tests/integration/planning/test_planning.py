"""The Planning agent: ranked events, a plan per event, delegation to the Outreach agent
and an event's activity through the API function (queue on moto), and its hourly pass."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from attendry.db.engine import session_scope
from attendry.db.enums import DeliveryStatus, DraftStatus, SuppressionReason, SuppressionScope
from attendry.db.models import EmailSuppression, Notification, OutreachDraft, OutreachSent
from tests.fixtures.agent_tasks import Handler, Queues, scheduled_event
from tests.fixtures.api import ApiResponse

Call = Callable[..., ApiResponse]


@dataclass
class Event:
    """One user's event and the speakers saved from it, each in another standing."""

    user_id: str
    agent_id: str
    opportunity_id: str
    topical: str  # email, shares the event's topics, has a bio
    plain: str  # email, nothing else
    no_email: str
    suppressed: str
    replied: str  # written to about this event, and answered


def iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def post(call_api: Call, user: str, path: str, body: dict[str, Any], expect: int = 201) -> Any:
    response = call_api("POST", path, user=user, body=body)
    assert response.status == expect, response.body
    return response.json()


def contact(call_api: Call, user: str, event_id: str, name: str, **fields: Any) -> str:
    body = {"name": name, "opportunity_id": event_id, **fields}
    return str(post(call_api, user, "/contacts", body)["id"])


def written_to_and_answered(user: str, agent_id: str, event_id: str, contact_id: str) -> None:
    with session_scope() as session:
        draft = OutreachDraft(
            user_id=user,
            agent_id=uuid.UUID(agent_id),
            contact_id=uuid.UUID(contact_id),
            opportunity_id=uuid.UUID(event_id),
            recipient_email="grace@example.com",
            subject="Meeting at DataConf?",
            message_body="Hi Grace, ...",
            status=DraftStatus.SENT,
        )
        session.add(draft)
        session.flush()
        session.add(
            OutreachSent(
                user_id=user,
                draft_id=draft.id,
                agent_id=draft.agent_id,
                contact_id=draft.contact_id,
                recipient_email="grace@example.com",
                subject=draft.subject,
                message_body=draft.message_body,
                sent_at=datetime.now(UTC) - timedelta(days=2),
                delivery_status=DeliveryStatus.DELIVERED,
                response_received_at=datetime.now(UTC) - timedelta(days=1),
                idempotency_key=str(draft.id),
            )
        )


@pytest.fixture
def event(call_api: Call, worker_env: pytest.MonkeyPatch, alice: str) -> Event:
    agent = post(call_api, alice, "/agents", {"agent_type": "outreach", "name": "Sam's outreach"})
    opportunity = post(
        call_api,
        alice,
        "/opportunities",
        {
            "title": "DataConf Europe",
            "starts_at": iso(30),
            "ends_at": iso(31),
            "topics": ["streaming", "lakehouse"],
            "score": 0.8,
        },
    )
    event_id = str(opportunity["id"])
    suppressed = f"gone-{uuid.uuid4().hex[:8]}@example.com"
    with session_scope() as session:
        session.add(
            EmailSuppression(
                address=suppressed,
                reason=SuppressionReason.COMPLAINT,
                scope=SuppressionScope.GLOBAL,
            )
        )
    made = Event(
        user_id=alice,
        agent_id=str(agent["id"]),
        opportunity_id=event_id,
        plain=contact(call_api, alice, event_id, "Bob Plain", email="bob@example.com"),
        topical=contact(
            call_api,
            alice,
            event_id,
            "Ada Lovelace",
            email="ada@example.com",
            topics=["Streaming"],
            bio="Builds stream processors.",
        ),
        no_email=contact(call_api, alice, event_id, "Nadia NoMail"),
        suppressed=contact(call_api, alice, event_id, "Sam Suppressed", email=suppressed),
        replied=contact(call_api, alice, event_id, "Grace Replied", email="grace@example.com"),
    )
    written_to_and_answered(alice, made.agent_id, event_id, made.replied)
    return made


def test_an_events_plan_names_the_agent_and_the_speakers_best_first_with_reasons(
    call_api: Call, event: Event
) -> None:
    response = call_api(
        "GET", f"/opportunities/{event.opportunity_id}/recommendations", user=event.user_id
    )

    assert response.status == 200, response.body
    plan = response.json()
    # 0.4 x 0.8 (Attendry) + 0.3 x 1 (a month ahead) + 0.3 x 2/3 (two to write to)
    assert plan["score"] == pytest.approx(0.82)
    assert plan["recommended"] is True
    assert plan["min_score"] == 0.6
    assert plan["reasons"] == [
        "Attendry rates this event 0.80 of 1.",
        "It starts in 29 days: the right time to arrange meetings.",
        "2 speakers you saved from it can be written to.",
        "1 speaker from it already written to.",
        "Its speakers cover its topics: streaming.",
    ]
    assert plan["agent"] == {"id": event.agent_id, "name": "Sam's outreach"}
    assert [c["contact_id"] for c in plan["contacts"]] == [event.topical, event.plain]
    assert plan["contacts"][0]["reasons"] == [
        "Saved from this event.",
        "Shares its topics: streaming.",
        "Has a title or bio to personalise the message from.",
    ]
    assert {c["contact_id"]: c["standing"] for c in plan["not_recommended"]} == {
        event.no_email: "no_email",
        event.suppressed: "suppressed",
        event.replied: "replied",
    }


def test_recommendations_rank_the_users_events_and_leave_out_those_that_are_over(
    call_api: Call, event: Event, bob: str
) -> None:
    user = event.user_id
    far = post(call_api, user, "/opportunities", {"title": "Far Summit", "starts_at": iso(300)})
    post(call_api, user, "/opportunities", {"title": "Last Week", "starts_at": iso(-7)})

    first = call_api("GET", "/recommendations", user=user, query={"limit": "1"})
    second = call_api(
        "GET",
        "/recommendations",
        user=user,
        query={"limit": "1", "cursor": first.json()["next_cursor"]},
    )

    assert first.status == 200, first.body
    [best] = first.json()["items"]
    assert best["opportunity"]["id"] == event.opportunity_id
    assert (best["recommended"], best["reachable_contacts"]) == (True, 2)
    [other] = second.json()["items"]
    assert other["opportunity"]["id"] == far["id"]
    assert other["recommended"] is False  # no one to write to
    assert "No saved speaker of this event can be written to yet." in other["reasons"]
    assert second.json()["next_cursor"] is None
    assert call_api("GET", "/recommendations", user=bob).json() == {
        "items": [],
        "next_cursor": None,
    }
    bad = call_api("GET", "/recommendations", user=user, query={"cursor": "not-a-cursor"})
    assert bad.status == 422


def test_delegating_queues_a_draft_task_per_recommended_speaker_once(
    call_api: Call, event: Event, queues: Queues
) -> None:
    path = f"/opportunities/{event.opportunity_id}/delegate"

    response = call_api("POST", path, user=event.user_id)

    assert response.status == 202, response.body
    done = response.json()
    assert done["agent_id"] == event.agent_id
    tasks = done["tasks"]
    assert [t["input"]["contact_id"] for t in tasks] == [event.topical, event.plain]
    assert {(t["status"], t["task_type"], t["opportunity_id"]) for t in tasks} == {
        ("queued", "draft_outreach", event.opportunity_id)
    }
    assert sorted(queues.drain()) == sorted(t["id"] for t in tasks)
    assert {s["contact_id"] for s in done["skipped"]} == {
        event.no_email,
        event.suppressed,
        event.replied,
    }
    opportunity = call_api("GET", f"/opportunities/{event.opportunity_id}", user=event.user_id)
    assert opportunity.json()["status"] == "delegated"

    # Delegating again finds every speaker's message under way: nothing new
    again = call_api("POST", path, user=event.user_id)
    assert again.status == 409, again.body
    assert again.json()["error"]["code"] == "nothing_to_delegate"
    assert queues.drain() == []


def test_delegating_chosen_speakers_with_instructions(
    call_api: Call, event: Event, queues: Queues
) -> None:
    response = call_api(
        "POST",
        f"/opportunities/{event.opportunity_id}/delegate",
        user=event.user_id,
        body={"contact_ids": [event.plain, event.replied], "instructions": "Mention booth 12."},
    )

    assert response.status == 202, response.body
    [task] = response.json()["tasks"]
    assert task["input"]["contact_id"] == event.plain
    assert task["input"]["instructions"] == "Mention booth 12."
    [skipped] = response.json()["skipped"]
    assert (skipped["contact_id"], skipped["reason"]) == (event.replied, "Already replied to you.")
    assert queues.drain() == [task["id"]]


def test_delegation_refusals(call_api: Call, event: Event, bob: str, queues: Queues) -> None:
    path = f"/opportunities/{event.opportunity_id}/delegate"
    bobs_event = post(call_api, bob, "/opportunities", {"title": "Bob's", "starts_at": iso(20)})
    bobs_contact = contact(call_api, bob, str(bobs_event["id"]), "Bo", email="bo@example.com")

    not_yours = call_api("POST", path, user=event.user_id, body={"contact_ids": [bobs_contact]})
    other_users_event = call_api("POST", path, user=bob)
    no_agent = call_api("POST", f"/opportunities/{bobs_event['id']}/delegate", user=bob)
    unknown_field = call_api("POST", path, user=event.user_id, body={"contacts": []})
    past = post(call_api, event.user_id, "/opportunities", {"title": "Gone", "starts_at": iso(-3)})
    contact(call_api, event.user_id, str(past["id"]), "Late", email="late@example.com")
    over = call_api("POST", f"/opportunities/{past['id']}/delegate", user=event.user_id)

    assert not_yours.status == 422, not_yours.body
    assert not_yours.json()["error"]["details"][0]["field"] == "body.contact_ids"
    assert other_users_event.status == 404
    assert no_agent.status == 409
    assert no_agent.json()["error"]["code"] == "no_outreach_agent"
    assert unknown_field.status == 422
    assert over.status == 409, over.body
    assert over.json()["error"]["code"] == "event_over"
    assert over.json()["error"]["message"].startswith("Gone is over (it ended")
    assert queues.drain() == []


def test_an_events_activity_shows_its_tasks_drafts_sends_and_replies(
    call_api: Call, event: Event, queues: Queues, agent_task_handler: Handler
) -> None:
    call_api("POST", f"/opportunities/{event.opportunity_id}/delegate", user=event.user_id)
    agent_task_handler(queues.sqs_event(queues.receive()))

    response = call_api(
        "GET", f"/opportunities/{event.opportunity_id}/activity", user=event.user_id
    )

    assert response.status == 200, response.body
    activity = response.json()
    assert activity["counts"] == {"tasks": 2, "drafts": 3, "sent": 1, "replies": 1}
    assert {t["status"] for t in activity["tasks"]} == {"completed"}
    assert {d["contact_id"] for d in activity["drafts"]} == {
        event.topical,
        event.plain,
        event.replied,
    }
    [reply] = activity["replies"]
    assert reply["contact_id"] == event.replied
    assert reply["response_received_at"] is not None
    limited = call_api(
        "GET",
        f"/opportunities/{event.opportunity_id}/activity",
        user=event.user_id,
        query={"limit": "1"},
    ).json()
    assert (len(limited["tasks"]), len(limited["drafts"])) == (1, 1)
    assert limited["counts"]["drafts"] == 3
    missing = call_api("GET", f"/opportunities/{uuid.uuid4()}/activity", user=event.user_id)
    assert missing.status == 404


def test_the_openapi_document_describes_the_planning_routes(call_api: Call) -> None:
    paths = call_api("GET", "/openapi.json", user=None).json()["paths"]

    delegate = paths["/opportunities/{opportunity_id}/delegate"]["post"]
    assert "202" in delegate["responses"]
    assert "requestBody" in delegate
    assert {
        "/recommendations",
        "/opportunities/{opportunity_id}/recommendations",
        "/opportunities/{opportunity_id}/activity",
    } <= paths.keys()


def test_the_hourly_pass_delegates_recommended_events_for_users_who_let_it(
    call_api: Call, event: Event, queues: Queues, planning_pass_handler: Handler
) -> None:
    # Given a Planning agent allowed to delegate three tasks per run, and a second
    # recommended event with two speakers of its own
    user = event.user_id
    post(
        call_api,
        user,
        "/agents",
        {
            "agent_type": "planning",
            "name": "Planner",
            "settings": {"auto_delegate": True, "max_tasks_per_run": 3},
        },
    )
    second = post(
        call_api,
        user,
        "/opportunities",
        {"title": "Stream Days", "starts_at": iso(20), "topics": ["streaming"], "score": 0.6},
    )
    second_speakers = [
        contact(call_api, user, str(second["id"]), name, email=f"{name.lower()}@example.com")
        for name in ("Cy", "Di")
    ]

    # When the schedule fires
    planning_pass_handler(scheduled_event(datetime.now(UTC)))

    # Then the best event gets both its speakers, the next one the one task left
    tasks = call_api("GET", f"/agents/{event.agent_id}/tasks", user=user).json()["items"]
    by_event: dict[str, list[str]] = {}
    for task in tasks:
        by_event.setdefault(task["opportunity_id"], []).append(task["input"]["contact_id"])
    assert sorted(by_event[event.opportunity_id]) == sorted([event.topical, event.plain])
    [one] = by_event[str(second["id"])]
    assert one in second_speakers
    assert sorted(queues.drain()) == sorted(t["id"] for t in tasks)
    with session_scope() as session:
        told = session.scalars(
            select(Notification)
            .where(Notification.user_id == user, Notification.kind == "planning.delegated")
            .order_by(Notification.created_at)
        ).all()
        assert [n.payload["opportunity_id"] for n in told] == [
            event.opportunity_id,
            str(second["id"]),
        ]
        assert [n.payload["speakers_left"] for n in told] == [0, 1]
        assert told[0].payload["reasons"][0] == "Attendry rates this event 0.80 of 1."

    # And a second run leaves the delegated events to the user
    planning_pass_handler(scheduled_event(datetime.now(UTC) + timedelta(hours=1)))
    assert queues.drain() == []
    statuses = {
        call_api("GET", f"/opportunities/{o}", user=user).json()["status"]
        for o in (event.opportunity_id, second["id"])
    }
    assert statuses == {"delegated"}


def test_without_auto_delegate_the_pass_leaves_everything_to_the_user(
    call_api: Call, event: Event, queues: Queues, planning_pass_handler: Handler
) -> None:
    post(call_api, event.user_id, "/agents", {"agent_type": "planning", "name": "Planner"})

    planning_pass_handler(scheduled_event(datetime.now(UTC)))

    assert call_api("GET", f"/agents/{event.agent_id}/tasks", user=event.user_id).json() == {
        "items": [],
        "next_cursor": None,
    }
