"""The agent-task function end to end: moto SQS, real PostgreSQL, offline or fake Gemini."""

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from attendry.db.engine import session_scope
from attendry.db.enums import TaskStatus
from attendry.db.models import AgentTask, LlmUsage, Notification, Opportunity, OutreachDraft
from tests.fixtures.agent_tasks import (
    MAX_RECEIVE_COUNT,
    Handler,
    Queues,
    World,
    enqueue,
    forget_cached_settings,
    make_world,
    queue_task,
)
from tests.fixtures.fake_gemini import FakeGemini, answer, error

GEMINI_DRAFT = {
    "subject": "DataConf Europe: a coffee in Berlin?",
    "text_body": "Hi Ada,\n\nI would love to hear how your team runs stream processing.\n\nSam",
}


@pytest.fixture
def world(worker_env: pytest.MonkeyPatch) -> World:
    return make_world(f"user-{uuid.uuid4()}")


@pytest.fixture
def gemini(worker_env: pytest.MonkeyPatch) -> Iterator[FakeGemini]:
    """The worker drafting with the real google-genai client against a fake Gemini."""
    with FakeGemini() as fake:
        worker_env.setenv("GEMINI_API_KEY", "test-key")
        worker_env.setenv("GEMINI_BASE_URL", fake.base_url)
        worker_env.setenv("GEMINI_MAX_ATTEMPTS", "1")
        forget_cached_settings()
        yield fake


def task(task_id: uuid.UUID) -> AgentTask:
    with session_scope() as session:
        row = session.get(AgentTask, task_id)
        assert row is not None
        return row


def drafts_of(task_id: uuid.UUID) -> list[OutreachDraft]:
    with session_scope() as session:
        return list(session.scalars(select(OutreachDraft).where(OutreachDraft.task_id == task_id)))


def notifications(user_id: str, kind: str) -> list[Notification]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Notification).where(
                    Notification.user_id == user_id, Notification.kind == kind
                )
            )
        )


def usage_rows(task_id: uuid.UUID) -> list[LlmUsage]:
    with session_scope() as session:
        return list(session.scalars(select(LlmUsage).where(LlmUsage.task_id == task_id)))


def add_usage(user_id: str, *, count: int, cost: Decimal, model: str = "gemini-2.5-flash") -> None:
    with session_scope() as session:
        session.add_all(
            LlmUsage(user_id=user_id, model=model, input_tokens=1, output_tokens=1, cost_usd=cost)
            for _ in range(count)
        )


def deliver(queues: Queues, agent_task_handler: Handler) -> tuple[dict[str, object], str]:
    """Receive the one visible message and hand it to the function, as the ESM would."""
    messages = queues.receive()
    assert len(messages) == 1
    return agent_task_handler(queues.sqs_event(messages)), messages[0]["MessageId"]


def test_draft_outreach_completes_with_a_personalised_offline_draft(
    world: World, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a queued draft_outreach task on the queue
    task_id = queue_task(world, instructions="Mention that we met at PyCon last year.")
    enqueue(queues, task_id)

    # When the function receives its message
    response, _ = deliver(queues, agent_task_handler)

    # Then the batch succeeds and the task is completed with its draft
    assert response == {"batchItemFailures": []}
    done = task(task_id)
    assert done.status is TaskStatus.COMPLETED
    assert done.attempts == 1
    assert done.error is None
    [draft] = drafts_of(task_id)
    assert done.output == {
        "draft_id": str(draft.id),
        "subject": draft.subject,
        "drafter": "offline",
        "draft_status": "pending_approval",
    }
    # And the draft is written for this contact and event, addressed from the contact row
    assert draft.status.value == "pending_approval"
    assert (draft.kind.value, draft.sequence_step) == ("initial", 0)
    assert draft.recipient_email == "ada@example.com"
    assert draft.opportunity_id == world.opportunity_id
    assert "Ada" in draft.message_body
    assert "DataConf Europe 2026" in f"{draft.subject} {draft.message_body}"
    assert "PyCon" in draft.message_body
    assert draft.generator["name"] == "offline"
    # And the call is counted, free, and the user is told
    [usage] = usage_rows(task_id)
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("offline", 0, 0)
    assert usage.cost_usd == 0
    [ready] = notifications(world.user_id, "draft.ready")
    assert ready.payload["draft_id"] == str(draft.id)


def test_a_duplicate_delivery_of_a_completed_task_does_nothing(
    world: World, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a task whose message was processed
    task_id = queue_task(world)
    enqueue(queues, task_id)
    messages = queues.receive()
    assert agent_task_handler(queues.sqs_event(messages)) == {"batchItemFailures": []}

    # When SQS delivers the same message again
    response = agent_task_handler(queues.sqs_event(messages))

    # Then it is acknowledged and nothing is done twice
    assert response == {"batchItemFailures": []}
    assert len(drafts_of(task_id)) == 1
    assert len(usage_rows(task_id)) == 1
    assert task(task_id).attempts == 1


def test_a_message_for_a_task_another_live_attempt_holds_is_acknowledged(
    world: World, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a task another attempt claimed a moment ago
    task_id = queue_task(world)
    with session_scope() as session:
        session.execute(
            update(AgentTask)
            .where(AgentTask.id == task_id)
            .values(status=TaskStatus.IN_PROGRESS, attempts=1, started_at=func.now())
        )
    enqueue(queues, task_id)

    # When a duplicate message arrives
    response, _ = deliver(queues, agent_task_handler)

    # Then it is acknowledged without running the agent
    assert response == {"batchItemFailures": []}
    assert task(task_id).status is TaskStatus.IN_PROGRESS
    assert drafts_of(task_id) == []


def test_a_contact_without_email_fails_the_task_clearly(
    worker_env: pytest.MonkeyPatch, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a task for a contact saved without an address
    world = make_world(f"user-{uuid.uuid4()}", email=None)
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When it runs
    response, _ = deliver(queues, agent_task_handler)

    # Then the task fails for good (the message is done) and says why
    assert response == {"batchItemFailures": []}
    failed = task(task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert "no email address" in failed.error
    assert failed.output == {"error_code": "contact_without_email"}
    assert drafts_of(task_id) == []
    assert len(notifications(world.user_id, "task.failed")) == 1


def test_malformed_messages_go_to_the_dlq_without_blocking_the_batch(
    world: World, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a batch with three bad messages and one good one
    unknown = uuid.uuid4()
    bodies = [
        "not json at all",
        json.dumps({"task_id": "nope"}),
        json.dumps({"task_id": str(unknown)}),
    ]
    for body in bodies:
        queues.client.send_message(QueueUrl=queues.url, MessageBody=body)
    task_id = queue_task(world)
    enqueue(queues, task_id)
    messages = queues.receive()
    assert len(messages) == 4

    # When the function handles the batch
    response = agent_task_handler(queues.sqs_event(messages))

    # Then no item is reported failed, the good task ran, and each bad one is parked with why
    assert response == {"batchItemFailures": []}
    assert task(task_id).status is TaskStatus.COMPLETED
    parked = {
        m["Body"]: m["MessageAttributes"]["reason"]["StringValue"]
        for m in queues.receive_dead_letters()
    }
    assert parked == {
        "not json at all": "the body is not JSON",
        json.dumps({"task_id": "nope"}): "no valid task_id",
        json.dumps({"task_id": str(unknown)}): f"unknown task {unknown}",
    }


def test_a_transient_llm_error_requeues_the_task_then_it_succeeds(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given Gemini answers 429 once, then a good draft
    gemini.script(error(429, "quota", retry_delay="2s"), answer(GEMINI_DRAFT))
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When the first delivery runs
    [message] = queues.receive()
    response = agent_task_handler(queues.sqs_event([message]))

    # Then the item is reported failed, the task waits in the queue, and the message is
    # hidden for the backoff (it is not visible again at once)
    assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    waiting = task(task_id)
    assert waiting.status is TaskStatus.QUEUED
    assert waiting.error is not None
    assert "rate limiting" in waiting.error
    assert waiting.scheduled_for is not None
    assert waiting.scheduled_for > datetime.now(UTC)
    assert queues.receive() == []

    # When the backoff has passed and SQS delivers it again
    queues.show_again(message)
    [again] = queues.receive()
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"
    response = agent_task_handler(queues.sqs_event([again]))

    # Then the task completes with Gemini's draft, billed once for the one answer
    assert response == {"batchItemFailures": []}
    done = task(task_id)
    assert (done.status, done.attempts) == (TaskStatus.COMPLETED, 2)
    [draft] = drafts_of(task_id)
    assert draft.generator["name"] == "gemini"
    assert draft.subject == GEMINI_DRAFT["subject"]
    assert draft.recipient_email == "ada@example.com"
    [usage] = usage_rows(task_id)
    assert (usage.model, usage.input_tokens, usage.output_tokens) == ("gemini-2.5-flash", 420, 180)
    assert usage.cost_usd > 0


def test_the_last_attempt_fails_the_task_and_the_message_reaches_the_dlq(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given Gemini answers 500 to every call
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When every one of the queue's deliveries runs
    for attempt in range(1, MAX_RECEIVE_COUNT + 1):
        [message] = queues.receive()
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        response = agent_task_handler(queues.sqs_event([message]))
        assert response == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
        queues.show_again(message)

    # Then the task failed with a readable error after the last one
    failed = task(task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.attempts == MAX_RECEIVE_COUNT
    assert failed.error is not None
    assert failed.error.startswith(
        f"Gave up after {MAX_RECEIVE_COUNT} attempts: Gemini is unavailable"
    )
    assert failed.output == {"error_code": "llm_unavailable"}
    # And SQS moves the message to the dead-letter queue on its next receive
    assert queues.receive() == []
    [dead] = queues.receive_dead_letters()
    assert json.loads(dead["Body"]) == {"task_id": str(task_id)}


def test_over_budget_the_task_fails_and_the_user_is_told_once(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a user who spent more than the monthly budget
    add_usage(world.user_id, count=1, cost=Decimal("25"))
    first, second = queue_task(world), queue_task(world)
    enqueue(queues, first)
    enqueue(queues, second)

    # When both tasks run
    response = agent_task_handler(queues.sqs_event(queues.receive()))

    # Then both fail with llm_budget_exceeded, Gemini is never called, one notification
    assert response == {"batchItemFailures": []}
    for task_id in (first, second):
        failed = task(task_id)
        assert failed.status is TaskStatus.FAILED
        assert failed.output == {"error_code": "llm_budget_exceeded"}
        assert failed.error is not None
        assert "budget" in failed.error
    assert gemini.requests == []
    [told] = notifications(world.user_id, "llm.budget_exceeded")
    assert told.payload["budget_usd"] == "20"


def test_over_the_call_rate_the_task_waits_and_the_user_is_told_once(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given a user who made their minute's LLM calls already
    add_usage(world.user_id, count=20, cost=Decimal("0.001"))
    first, second = queue_task(world), queue_task(world)
    enqueue(queues, first)
    enqueue(queues, second)
    messages = queues.receive()

    # When both tasks run
    response = agent_task_handler(queues.sqs_event(messages))

    # Then both are retried later, Gemini is not called, and one notification is sent
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
        m["MessageId"] for m in messages
    )
    for task_id in (first, second):
        assert task(task_id).status is TaskStatus.QUEUED
    assert gemini.requests == []
    assert len(notifications(world.user_id, "llm.rate_limited")) == 1
    assert queues.receive() == []


def test_an_agent_allowed_to_send_alone_gets_its_draft_approved(
    worker_env: pytest.MonkeyPatch, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given an outreach agent whose settings skip the user's approval
    world = make_world(f"user-{uuid.uuid4()}", agent_settings={"requires_approval": False})
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When its task runs
    response, _ = deliver(queues, agent_task_handler)

    # Then the draft is approved at once
    assert response == {"batchItemFailures": []}
    [draft] = drafts_of(task_id)
    assert draft.status.value == "approved"
    assert task(task_id).output["draft_status"] == "approved"  # type: ignore[index]


def test_a_gemini_drafting_is_counted_in_the_llm_spend_metrics(
    world: World,
    gemini: FakeGemini,
    queues: Queues,
    agent_task_handler: Handler,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given Gemini answers with a draft
    gemini.script(answer(GEMINI_DRAFT))
    task_id = queue_task(world)
    enqueue(queues, task_id)
    capsys.readouterr()

    # When the worker drafts it
    agent_task_handler(queues.sqs_event(queues.receive()))

    # Then the invocation publishes what it cost, in CloudWatch's embedded metric format
    published = [
        json.loads(line)
        for line in capsys.readouterr().out.splitlines()
        if line.startswith("{") and '"_aws"' in line
    ]
    [emf] = [p for p in published if "LlmCostUsd" in p]
    [directive] = emf["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Attendry"
    [usage] = usage_rows(task_id)
    # Powertools writes each metric's values as a list.
    assert emf["LlmCalls"] == [1.0]
    assert emf["LlmTokens"] == [float(usage.input_tokens + usage.output_tokens)]
    assert emf["LlmCostUsd"] == [pytest.approx(float(usage.cost_usd))]


def test_an_llm_subject_that_decodes_to_a_header_line_fails_the_task_with_the_reason(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given Gemini answers, every time, a subject that is an RFC 2047 encoded-word whose
    # decoded form is "Hi\r\nBcc: evil@attacker.example"
    injected = {**GEMINI_DRAFT, "subject": "=?utf-8?b?SGkNCkJjYzogZXZpbEBhdHRhY2tlci5leGFtcGxl?="}
    gemini.script(answer(injected), answer(injected))
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When the task runs
    response, _ = deliver(queues, agent_task_handler)

    # Then no draft exists, and the task failed for good saying which field and why
    assert response == {"batchItemFailures": []}
    assert len(gemini.requests) == 2
    failed = task(task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert "subject" in failed.error
    assert "encoded-word" in failed.error
    assert "line break or control character" in failed.error
    assert drafts_of(task_id) == []


def test_an_llm_subject_that_only_looks_like_an_encoded_word_is_kept_as_text(
    world: World, gemini: FakeGemini, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given Gemini answers a subject holding a harmless encoded-word
    subject = "=?utf-8?b?SGVsbG8=?= from DataConf"
    gemini.script(answer({**GEMINI_DRAFT, "subject": subject}))
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When the task runs
    deliver(queues, agent_task_handler)

    # Then the draft keeps the text exactly as written, for the user to see and judge
    [draft] = drafts_of(task_id)
    assert draft.subject == subject


def test_an_event_title_that_would_spoof_the_offline_subject_fails_the_task_clearly(
    world: World, queues: Queues, agent_task_handler: Handler
) -> None:
    # Given an event whose title carries a right-to-left override (the offline drafter
    # puts the event's title in the subject)
    with session_scope() as session:
        event = session.get(Opportunity, world.opportunity_id)
        assert event is not None
        event.title = "DataConf \u202egnp.exe"
    task_id = queue_task(world)
    enqueue(queues, task_id)

    # When the task runs
    response, _ = deliver(queues, agent_task_handler)

    # Then it fails for good with the reason, and no draft exists
    assert response == {"batchItemFailures": []}
    failed = task(task_id)
    assert failed.status is TaskStatus.FAILED
    assert failed.error is not None
    assert "subject" in failed.error
    assert "U+202E" in failed.error
    assert drafts_of(task_id) == []
