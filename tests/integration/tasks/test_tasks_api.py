"""Assigning and reading tasks through the API function, with the queue on moto."""

import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import update

from attendry.db.engine import session_scope
from attendry.db.models import AgentTask, LlmUsage
from attendry.tasks.schemas import DraftOutreachInput, DraftOutreachTask
from attendry.tasks.service import assign_task
from tests.fixtures.agent_tasks import (
    Handler,
    Queues,
    World,
    forget_cached_settings,
    make_world,
    scheduled_event,
)
from tests.fixtures.api import ApiResponse

Call = Callable[..., ApiResponse]


@pytest.fixture
def world(worker_env: pytest.MonkeyPatch, alice: str) -> World:
    return make_world(alice)


def body(world: World, **input_changes: Any) -> dict[str, Any]:
    return {
        "task_type": "draft_outreach",
        "input": {"contact_id": str(world.contact_id), **input_changes},
    }


def assign(call_api: Call, world: World, payload: dict[str, Any], **kwargs: Any) -> ApiResponse:
    return call_api(
        "POST", f"/agents/{world.agent_id}/tasks", user=world.user_id, body=payload, **kwargs
    )


def queued_task_ids(queues: Queues) -> list[str]:
    return queues.drain()


def test_assigning_a_task_stores_it_queued_and_enqueues_it(
    call_api: Call, world: World, queues: Queues
) -> None:
    # When the user assigns a draft_outreach task
    response = assign(call_api, world, body(world, instructions="Keep it short."))

    # Then it is accepted, queued, with the defaults filled in and the contact's event
    assert response.status == 202, response.body
    task = response.json()
    assert task["status"] == "queued"
    assert task["task_type"] == "draft_outreach"
    assert task["attempts"] == 0
    assert task["error_code"] is None
    assert task["opportunity_id"] == str(world.opportunity_id)
    assert task["input"] == {
        "contact_id": str(world.contact_id),
        "opportunity_id": None,
        "channel": "email",
        "instructions": "Keep it short.",
    }
    # And exactly one message carries it on the AgentTasks queue
    assert queued_task_ids(queues) == [task["id"]]


def test_a_repeat_with_the_same_idempotency_key_returns_the_same_task_once(
    call_api: Call, world: World, queues: Queues
) -> None:
    # Given a task assigned with an Idempotency-Key
    headers = {"idempotency-key": "assign-ada-1"}
    first = assign(call_api, world, body(world), headers=headers)

    # When the same request is sent again (defaults spelled out this time)
    again = assign(call_api, world, body(world, channel="email"), headers=headers)

    # Then it answers 202 with the same task, and nothing more was enqueued
    assert (first.status, again.status) == (202, 202)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["idempotency_key"] == "assign-ada-1"
    assert queued_task_ids(queues) == [first.json()["id"]]


def test_the_same_idempotency_key_with_another_body_is_a_conflict(
    call_api: Call, world: World, queues: Queues
) -> None:
    headers = {"idempotency-key": "assign-ada-2"}
    assert assign(call_api, world, body(world), headers=headers).status == 202

    response = assign(call_api, world, body(world, instructions="Different."), headers=headers)

    assert response.status == 409
    assert response.json()["error"]["code"] == "conflict"
    assert len(queued_task_ids(queues)) == 1


def test_concurrent_requests_with_one_key_create_one_task(world: World, queues: Queues) -> None:
    # Given eight identical requests racing with the same key
    request = DraftOutreachTask(
        task_type="draft_outreach", input=DraftOutreachInput(contact_id=world.contact_id)
    )

    def send(_: int) -> uuid.UUID:
        task = assign_task(world.user_id, world.agent_id, request, idempotency_key="race")
        return task.id

    # When they run at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(send, range(8)))

    # Then they all got the one task, enqueued once
    assert len(ids) == 1
    assert queued_task_ids(queues) == [str(ids.pop())]


def test_a_contact_of_another_user_is_invalid_input(
    call_api: Call, world: World, bob: str, queues: Queues
) -> None:
    # Given Bob's contact
    theirs = make_world(bob)

    # When Alice assigns a task for it (or for Bob's event)
    response = assign(call_api, world, body(theirs))
    event = assign(call_api, world, body(world, opportunity_id=str(theirs.opportunity_id)))

    # Then both are 422 naming the field, and nothing is queued
    assert response.status == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["body.input.contact_id"]
    assert event.status == 422
    assert [d["field"] for d in event.json()["error"]["details"]] == ["body.input.opportunity_id"]
    assert queued_task_ids(queues) == []


def test_a_paused_agent_or_one_of_another_type_refuses_tasks(
    call_api: Call, world: World, queues: Queues
) -> None:
    # Given a paused agent and a follow-up agent
    paused = call_api(
        "PATCH", f"/agents/{world.agent_id}", user=world.user_id, body={"status": "paused"}
    )
    assert paused.status == 200
    followup = call_api(
        "POST", "/agents", user=world.user_id, body={"agent_type": "followup", "name": "Chaser"}
    ).json()

    # When tasks are assigned to them
    to_paused = assign(call_api, world, body(world))
    to_followup = call_api(
        "POST", f"/agents/{followup['id']}/tasks", user=world.user_id, body=body(world)
    )

    # Then both are 409 with the reason
    assert to_paused.status == 409
    assert "paused" in to_paused.json()["error"]["message"]
    assert to_paused.json()["error"]["details"][0]["type"] == "agent_paused"
    assert to_followup.status == 409
    assert to_followup.json()["error"]["details"][0]["type"] == "wrong_agent_type"
    assert queued_task_ids(queues) == []


def test_a_malformed_body_is_422_and_an_unknown_agent_404(
    call_api: Call, world: World, queues: Queues
) -> None:
    bad_type = assign(call_api, world, {"task_type": "draft_followup", "input": {}})
    unknown = call_api(
        "POST", f"/agents/{uuid.uuid4()}/tasks", user=world.user_id, body=body(world)
    )

    assert bad_type.status == 422
    assert unknown.status == 404


def test_tasks_are_read_by_their_owner_and_listed_per_agent_page_by_page(
    call_api: Call, world: World, bob: str, queues: Queues
) -> None:
    # Given three tasks for the agent
    ids = [assign(call_api, world, body(world)).json()["id"] for _ in range(3)]

    # When they are read and listed two at a time
    one = call_api("GET", f"/tasks/{ids[0]}", user=world.user_id)
    hidden = call_api("GET", f"/tasks/{ids[0]}", user=bob)
    page = call_api(
        "GET", f"/agents/{world.agent_id}/tasks", user=world.user_id, query={"limit": "2"}
    ).json()
    rest = call_api(
        "GET",
        f"/agents/{world.agent_id}/tasks",
        user=world.user_id,
        query={"limit": "2", "cursor": page["next_cursor"]},
    ).json()
    queued_only = call_api(
        "GET", f"/agents/{world.agent_id}/tasks", user=world.user_id, query={"status": "failed"}
    ).json()
    others = call_api("GET", f"/agents/{world.agent_id}/tasks", user=bob)

    # Then the owner sees them newest first, others see nothing
    assert one.status == 200
    assert one.json()["id"] == ids[0]
    assert hidden.status == 404
    assert [t["id"] for t in page["items"] + rest["items"]] == ids[::-1]
    assert rest["next_cursor"] is None
    assert queued_only["items"] == []
    assert others.status == 404


def test_a_task_the_queue_refused_is_accepted_and_redriven_later(
    call_api: Call,
    world: World,
    queues: Queues,
    worker_env: pytest.MonkeyPatch,
    task_redrive_handler: Handler,
) -> None:
    # Given the queue cannot be reached when the task is assigned
    worker_env.setenv("AGENT_TASKS_QUEUE_URL", queues.url.replace("AgentTasksQueue", "Missing"))
    forget_cached_settings()
    response = assign(call_api, world, body(world))

    # Then the task is still accepted, committed and queued
    assert response.status == 202
    task_id = response.json()["id"]
    assert call_api("GET", f"/tasks/{task_id}", user=world.user_id).json()["status"] == "queued"

    # When the queue is back and the re-drive runs after the grace period
    worker_env.setenv("AGENT_TASKS_QUEUE_URL", queues.url)
    forget_cached_settings()
    task_redrive_handler(scheduled_event(datetime.now(UTC) + timedelta(minutes=3)))

    # Then the task is on the queue
    assert task_id in queued_task_ids(queues)


def test_usage_reports_this_month_against_the_budget(call_api: Call, world: World) -> None:
    # Given two LLM calls this month and one last month
    with session_scope() as session:
        session.add_all(
            [
                LlmUsage(
                    user_id=world.user_id,
                    model="gemini-2.5-flash",
                    input_tokens=1000,
                    output_tokens=200,
                    cost_usd=Decimal("0.0008"),
                ),
                LlmUsage(
                    user_id=world.user_id,
                    model="offline",
                    input_tokens=0,
                    output_tokens=0,
                    cost_usd=Decimal(0),
                ),
            ]
        )
        old = LlmUsage(
            user_id=world.user_id,
            model="gemini-2.5-flash",
            input_tokens=5,
            output_tokens=5,
            cost_usd=Decimal(5),
        )
        session.add(old)
        session.flush()
        session.execute(
            update(LlmUsage)
            .where(LlmUsage.id == old.id)
            .values(created_at=datetime.now(UTC).replace(day=1) - timedelta(days=2))
        )

    # When the user asks for their usage
    response = call_api("GET", "/usage", user=world.user_id)

    # Then this month's calls, tokens and cost count, and what is left of USD 20
    assert response.status == 200, response.body
    usage = response.json()
    assert usage["month"] == datetime.now(UTC).strftime("%Y-%m")
    assert (usage["calls"], usage["input_tokens"], usage["output_tokens"]) == (2, 1000, 200)
    assert usage["cost_usd"] == pytest.approx(0.0008)
    assert usage["budget_usd"] == 20
    assert usage["remaining_usd"] == pytest.approx(19.9992)
    assert usage["calls_per_minute_limit"] == 20


def test_a_failed_task_carries_its_error_code(call_api: Call, world: World) -> None:
    task_id = assign(call_api, world, body(world)).json()["id"]
    with session_scope() as session:
        session.execute(
            update(AgentTask)
            .where(AgentTask.id == uuid.UUID(task_id))
            .values(
                status="failed", error="Over budget.", output={"error_code": "llm_budget_exceeded"}
            )
        )

    task = call_api("GET", f"/tasks/{task_id}", user=world.user_id).json()

    assert (task["status"], task["error"], task["error_code"]) == (
        "failed",
        "Over budget.",
        "llm_budget_exceeded",
    )


def test_the_openapi_document_describes_the_task_routes(call_api: Call) -> None:
    document = call_api("GET", "/openapi.json", user=None).json()

    assign_route = document["paths"]["/agents/{agent_id}/tasks"]["post"]
    assert "202" in assign_route["responses"]
    assert {p["name"] for p in assign_route["parameters"]} >= {"agent_id", "idempotency-key"}
    assert {"/tasks/{task_id}", "/usage"} <= document["paths"].keys()
