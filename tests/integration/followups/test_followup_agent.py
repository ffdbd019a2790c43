"""The Follow-up agent end to end: told of a send, drafting in the thread, sending, escalating."""

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.enums import (
    DraftKind,
    DraftStatus,
    FollowupReason,
    FollowupStatus,
    MessageStatus,
    SuppressionReason,
    SuppressionScope,
    TaskStatus,
    TaskType,
)
from attendry.db.models import (
    AgentMessage,
    AgentTask,
    EmailSuppression,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
)
from attendry.drafting import LlmSettings, llm_settings
from attendry.drafting.gemini import GeminiDrafter
from attendry.email.settings import EmailSettings
from attendry.followups.service import MAX_FAILED_DRAFTS
from attendry.followups.sweep import SweepResult
from attendry.messaging.settings import agent_bus_settings
from attendry.outreach.service import approve_draft, reject_draft
from attendry.platform.eventbridge import default_events_client
from attendry.platform.sqs import SqsQueue
from attendry.tasks.runner import Outcome, RunResult, TaskRunner
from attendry.tasks.runtime import AgentRuntime
from attendry.tasks.settings import TaskSettings
from attendry.usage.settings import LlmLimitSettings
from attendry.wiring import TASK_HANDLERS
from tests.fixtures.aws import Aws
from tests.fixtures.fake_gemini import FakeGemini
from tests.fixtures.followup_threads import Thread, queued_task_ids
from tests.fixtures.paths import ROOT

pytestmark = pytest.mark.integration

Sweep = Callable[..., SweepResult]
RunTask = Callable[[uuid.UUID], RunResult]
SendQueued = Callable[..., dict[str, Any]]


@pytest.fixture
def agent_bus(aws: Aws, agent_tasks: SqsQueue, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """AgentBus and its routing rule, as template.yaml declares them, delivering to this
    test's AgentTasks queue."""
    template = cfn_yaml.load(str(ROOT / "template.yaml"))
    rule = json.loads(json.dumps(template["Resources"]["AgentMessagesToAgentTasksRule"]))
    properties = rule["Properties"]
    [target] = properties["Targets"]
    events = aws_events(aws)
    name = f"agent-bus-{uuid.uuid4().hex[:10]}"
    events.create_event_bus(Name=name)
    events.put_rule(
        Name=f"{name}-rule",
        EventBusName=name,
        EventPattern=json.dumps(properties["EventPattern"]),
        State=properties["State"],
    )
    queue_arn = aws.queue_arn(agent_tasks.url)
    events.put_targets(
        Rule=f"{name}-rule",
        EventBusName=name,
        Targets=[
            {"Id": target["Id"], "Arn": queue_arn, "InputTransformer": target["InputTransformer"]}
        ],
    )
    monkeypatch.setenv("AGENT_BUS_NAME", name)
    agent_bus_settings.cache_clear()
    default_events_client.cache_clear()
    yield name
    agent_bus_settings.cache_clear()
    default_events_client.cache_clear()


@pytest.fixture
def run_failing_task(aws: Aws) -> Iterator[RunTask]:
    """Run a task on its last attempt with Gemini answering 500 to every call: it fails."""
    settings = TaskSettings()
    with FakeGemini() as gemini:
        unused = SqsQueue("unused", aws.sqs)
        runner = TaskRunner(
            settings=settings,
            runtime=AgentRuntime(
                drafter=GeminiDrafter(
                    LlmSettings(
                        GEMINI_API_KEY="test-key",
                        GEMINI_BASE_URL=gemini.base_url,
                        GEMINI_MAX_ATTEMPTS=1,
                    )
                ),
                prices=llm_settings(),
                limits=LlmLimitSettings(),
                clock=system_clock,
            ),
            queue=unused,
            dead_letters=unused,
            handlers=TASK_HANDLERS,
        )
        yield lambda task_id: runner.run(task_id, receive_count=settings.max_receive_count)


def aws_events(aws: Aws) -> Any:
    from tests.fixtures.aws import aws_client

    return aws_client("events", aws.endpoint)


def new_initial_draft(session: Session, thread: Thread) -> OutreachDraft:
    draft = OutreachDraft(
        user_id=thread.user_id,
        agent_id=thread.outreach_agent.id,
        contact_id=thread.contact.id,
        opportunity_id=thread.event.id,
        kind=DraftKind.INITIAL,
        recipient_email=thread.contact.email,
        subject="Meeting at DataConf Europe?",
        message_body="Hi Ada,\n\nWould you have 20 minutes at DataConf?\n\nSam",
    )
    session.add(draft)
    session.commit()
    approve_draft(session, thread.user_id, draft.id, now=system_clock())
    session.commit()
    return draft


def sent_for(session: Session, draft_id: uuid.UUID) -> OutreachSent:
    session.expire_all()
    return session.scalars(select(OutreachSent).where(OutreachSent.draft_id == draft_id)).one()


def task_of(session: Session, task_id: uuid.UUID) -> AgentTask:
    session.expire_all()
    task = session.get(AgentTask, task_id)
    assert task is not None
    return task


def followup_draft(session: Session, row: FollowupSchedule) -> OutreachDraft:
    session.expire_all()
    return session.scalars(select(OutreachDraft).where(OutreachDraft.task_id == row.task_id)).one()


def drafted_when_due(
    session: Session, row: FollowupSchedule, sweep: Sweep, run_task: RunTask
) -> OutreachDraft:
    """Sweep once the follow-up is due and run the task that queues: the follow-up's draft."""
    sweep(row.due_at + timedelta(minutes=1))
    session.expire_all()
    assert row.task_id is not None
    run_task(row.task_id)
    return followup_draft(session, row)


def approved_when_due(
    session: Session, thread: Thread, sweep: Sweep, run_task: RunTask
) -> OutreachDraft:
    """The thread's first follow-up, drafted when due and approved by the user (uncommitted)."""
    draft = drafted_when_due(session, thread.schedule(session), sweep, run_task)
    approve_draft(session, thread.user_id, draft.id, now=system_clock())
    return draft


def test_a_sent_first_email_reaches_the_follow_up_agent_which_plans_attempt_one(
    session: Session,
    threads: Callable[..., Thread],
    agent_bus: str,
    agent_tasks: SqsQueue,
    send_queued: SendQueued,
    run_task: RunTask,
) -> None:
    # Given a user with a Follow-up agent, and a first email approved for a Berlin contact
    thread = threads()
    draft = new_initial_draft(session, thread)

    # When the Sender hands it to SES
    assert send_queued() == {"batchItemFailures": []}

    # Then the Outreach agent told the Follow-up agent, and the bus routed the message to
    # the AgentTasks queue as the Follow-up agent's handle_message task
    sent = sent_for(session, draft.id)
    [message] = session.scalars(
        select(AgentMessage).where(AgentMessage.user_id == thread.user_id)
    ).all()
    assert (message.from_agent_id, message.to_agent_id) == (
        thread.outreach_agent.id,
        thread.followup_agent.id,
    )
    assert message.message_type == "outreach.sent"
    assert message.payload["sent_id"] == str(sent.id)
    [task_id] = queued_task_ids(agent_tasks)
    task = task_of(session, uuid.UUID(task_id))
    assert task.task_type is TaskType.HANDLE_MESSAGE
    assert task.agent_id == thread.followup_agent.id

    # When the agent worker runs it (twice: SQS may deliver twice)
    assert run_task(task.id).outcome is Outcome.COMPLETED
    assert run_task(task.id).outcome is Outcome.SKIPPED

    # Then attempt 1 is scheduled three days after the send, in the contact's window
    session.expire_all()
    [row] = thread.rows(session)
    assert (row.sent_id, row.attempt, row.status) == (sent.id, 1, FollowupStatus.SCHEDULED)
    assert sent.sent_at is not None
    assert row.due_at >= sent.sent_at + timedelta(days=3)
    assert row.agent_id == thread.followup_agent.id
    session.refresh(message)
    assert message.status is MessageStatus.PROCESSED
    assert message.processed_at is not None


def test_a_user_without_a_follow_up_agent_gets_no_message_and_nothing_breaks(
    session: Session, threads: Callable[..., Thread], send_queued: SendQueued
) -> None:
    thread = threads()
    session.delete(thread.followup_agent)
    session.commit()
    draft = new_initial_draft(session, thread)

    assert send_queued() == {"batchItemFailures": []}

    assert sent_for(session, draft.id).ses_message_id is not None
    assert (
        session.scalars(select(AgentMessage).where(AgentMessage.user_id == thread.user_id)).all()
        == []
    )
    assert thread.tasks(session) == []


def test_a_follow_up_is_drafted_in_the_thread_and_waits_for_approval(
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
) -> None:
    # Given a due follow-up handed to the agent by the sweep
    thread = threads()
    row = thread.schedule(session)
    sweep(row.due_at + timedelta(minutes=1))
    [task] = thread.tasks(session)

    # When the agent runs the task
    assert run_task(task.id).outcome is Outcome.COMPLETED

    # Then a shorter email in the same thread waits for the user
    draft = followup_draft(session, thread.rows(session)[0])
    assert draft.kind is DraftKind.FOLLOWUP
    assert draft.sequence_step == 1
    assert draft.subject == "Re: Your keynote at DataConf"
    assert draft.status is DraftStatus.PENDING_APPROVAL
    assert draft.recipient_email == thread.contact.email
    assert draft.opportunity_id == thread.event.id
    assert "Ada" in draft.message_body
    assert draft.message_body != thread.original.message_body
    assert draft.generator["name"] == "offline"
    done = task_of(session, task.id)
    assert done.status is TaskStatus.COMPLETED
    assert done.output is not None
    assert done.output["draft_id"] == str(draft.id)
    assert thread.notifications(session, "draft.ready")


def test_an_agent_that_may_send_alone_approves_its_follow_up_at_once(
    session: Session,
    aws: Aws,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
) -> None:
    thread = threads(followup_settings={"requires_approval": False})
    row = thread.schedule(session)
    sweep(row.due_at + timedelta(minutes=1))
    [task] = thread.tasks(session)

    run_task(task.id)

    draft = followup_draft(session, thread.rows(session)[0])
    assert draft.status is DraftStatus.APPROVED
    queued = [json.loads(m["Body"])["draft_id"] for m in aws.receive(hide_for=60)]
    assert str(draft.id) in queued


def test_a_reply_between_the_sweep_and_the_drafting_stops_the_follow_up(
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
) -> None:
    # Given a follow-up handed to the agent
    thread = threads()
    row = thread.schedule(session)
    sweep(row.due_at + timedelta(minutes=1))
    [task] = thread.tasks(session)

    # When the contact answers before the agent runs
    thread.original.response_received_at = datetime.now(UTC)
    session.add(thread.original)
    session.commit()
    assert run_task(task.id).outcome is Outcome.COMPLETED

    # Then nothing is drafted and the follow-up says why it stopped
    [stopped] = thread.rows(session)
    assert (stopped.status, stopped.reason) == (FollowupStatus.CANCELLED, FollowupReason.REPLIED)
    assert (
        session.scalars(select(OutreachDraft).where(OutreachDraft.task_id == task.id)).all() == []
    )
    output = task_of(session, task.id).output
    assert output is not None
    assert output["reason"] == "replied"


def _draft_and_send(
    session: Session,
    thread: Thread,
    row: FollowupSchedule,
    sweep: Sweep,
    run_task: RunTask,
    send_queued: SendQueued,
) -> OutreachSent:
    draft = drafted_when_due(session, row, sweep, run_task)
    approve_draft(session, thread.user_id, draft.id, now=system_clock())
    session.commit()
    assert send_queued() == {"batchItemFailures": []}
    return sent_for(session, draft.id)


def test_sent_follow_ups_thread_on_the_message_ids_ses_gave_and_end_in_an_escalation(
    session: Session,
    aws: Aws,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
    send_queued: SendQueued,
) -> None:
    # Given an agent allowed two follow-ups, and attempt 1 due
    thread = threads(followup_settings={"max_followups": 2})
    first = thread.schedule(session)

    # When follow-up 1 is drafted, approved and sent
    sent_1 = _draft_and_send(session, thread, first, sweep, run_task, send_queued)

    # Then it answers the first email, by the Message-ID the contact received
    mails = aws.outbox(str(thread.contact.email))
    headers_1 = dict(mails[-1]["headers"])
    original_id = thread.original.rfc822_message_id
    assert headers_1["In-Reply-To"] == original_id
    assert headers_1["References"] == original_id
    assert headers_1["Subject"] == "Re: Your keynote at DataConf"
    # and attempt 2 is planned seven days after it
    rows = thread.rows(session)
    assert [(r.attempt, r.status) for r in rows] == [
        (1, FollowupStatus.SENT),
        (2, FollowupStatus.SCHEDULED),
    ]
    assert sent_1.sent_at is not None
    assert rows[1].due_at >= sent_1.sent_at + timedelta(days=7)

    # When follow-up 2 goes out too
    sent_2 = _draft_and_send(session, thread, rows[1], sweep, run_task, send_queued)

    # Then it answers follow-up 1 and references the whole thread, oldest first
    headers_2 = dict(aws.outbox(str(thread.contact.email))[-1]["headers"])
    assert headers_2["In-Reply-To"] == sent_1.rfc822_message_id
    assert headers_2["References"].split() == [original_id, sent_1.rfc822_message_id]
    assert sent_2.rfc822_message_id not in headers_2["References"]

    # When the contact stays silent until attempt 3 would be due
    rows = thread.rows(session)
    assert [(r.attempt, r.status) for r in rows][-1] == (3, FollowupStatus.SCHEDULED)
    sweep(rows[2].due_at + timedelta(minutes=1))

    # Then the user is told instead of a third email
    rows = thread.rows(session)
    assert (rows[2].status, rows[2].reason) == (
        FollowupStatus.ESCALATED,
        FollowupReason.MAX_FOLLOWUPS_REACHED,
    )
    assert len(aws.outbox(str(thread.contact.email))) == 2


def test_an_approved_follow_up_is_not_sent_once_the_contact_replied(
    session: Session,
    aws: Aws,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
    send_queued: SendQueued,
) -> None:
    # Given a follow-up drafted and approved
    thread = threads()
    draft = approved_when_due(session, thread, sweep, run_task)
    session.commit()

    # When the contact replies before the Sender gets to it
    thread.original.response_received_at = datetime.now(UTC)
    session.add(thread.original)
    session.commit()
    send_queued()

    # Then no email goes out, the draft failed with the reason, the follow-up stopped
    assert aws.outbox(str(thread.contact.email)) == []
    session.expire_all()
    failed = session.get(OutreachDraft, draft.id)
    assert failed is not None
    assert failed.status is DraftStatus.FAILED
    assert failed.meta["send_failure"]["code"] == "followup_stopped"
    [stopped] = thread.rows(session)
    assert (stopped.status, stopped.reason) == (FollowupStatus.CANCELLED, FollowupReason.REPLIED)


def test_rejecting_a_follow_up_draft_ends_its_thread(
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
) -> None:
    thread = threads()
    row = thread.schedule(session)
    draft = drafted_when_due(session, row, sweep, run_task)

    reject_draft(session, thread.user_id, draft.id, "Not this one")
    session.commit()

    [ended] = thread.rows(session)
    assert (ended.status, ended.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.CANCELLED_BY_USER,
    )


def test_a_follow_up_whose_draft_failed_is_due_again_a_day_later_then_drafted(
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
    run_failing_task: RunTask,
) -> None:
    # Given a due follow-up whose draft task fails for good
    thread = threads()
    row = thread.schedule(session)
    sweep(row.due_at + timedelta(minutes=1))
    [failed] = thread.tasks(session)
    assert run_failing_task(failed.id).outcome is Outcome.GAVE_UP

    # Then the follow-up is scheduled again a day after it was due, the user told why
    [retry] = thread.rows(session)
    assert retry.status is FollowupStatus.SCHEDULED
    assert retry.due_at == thread.original_sent_at + timedelta(days=3 + 1)
    assert retry.task_id == failed.id
    [told] = thread.notifications(session, "task.failed")
    assert told.payload["task_id"] == str(failed.id)
    assert told.payload["error_code"] == "llm_unavailable"

    # When a later sweep finds it due and the drafter works again
    draft = drafted_when_due(session, row, sweep, run_task)

    # Then a second task of its own wrote the follow-up, which waits for approval
    assert [task.status for task in thread.tasks(session)] == [
        TaskStatus.FAILED,
        TaskStatus.COMPLETED,
    ]
    assert draft.task_id != failed.id
    assert draft.status is DraftStatus.PENDING_APPROVAL
    assert thread.rows(session)[0].status is FollowupStatus.DRAFTED


def test_a_follow_up_whose_drafts_keep_failing_is_escalated_to_the_user(
    session: Session,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_failing_task: RunTask,
) -> None:
    thread = threads()
    row = thread.schedule(session)
    first_due = row.due_at

    # A week apart, so each sweep is in the contact's working hours and before the event
    for week in range(MAX_FAILED_DRAFTS):
        assert sweep(first_due + timedelta(weeks=week, minutes=1)).outcomes == {"drafted": 1}
        [task] = [t for t in thread.tasks(session) if t.status is TaskStatus.QUEUED]
        run_failing_task(task.id)

    [escalated] = thread.rows(session)
    assert (escalated.status, escalated.reason) == (
        FollowupStatus.ESCALATED,
        FollowupReason.DRAFT_FAILED,
    )
    [told] = thread.notifications(session, "followup.escalated")
    assert told.payload["followup_id"] == str(row.id)
    assert told.payload["reason"] == "draft_failed"
    assert told.payload["contact_name"] == "Ada Lovelace"
    assert len(thread.tasks(session)) == MAX_FAILED_DRAFTS


def test_a_follow_up_ses_refuses_hands_the_thread_to_the_user(
    session: Session,
    aws: Aws,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
    send_queued: SendQueued,
) -> None:
    # Given an approved follow-up
    thread = threads()
    approved_when_due(session, thread, sweep, run_task)
    session.commit()

    # When SES refuses it for good (a sender domain it has not verified)
    send_queued(EmailSettings(SENDER_DOMAIN=f"unverified-{uuid.uuid4().hex[:6]}.example"))

    # Then the schedule no longer waits on it: the thread is the user's now
    [ended] = thread.rows(session)
    assert (ended.status, ended.reason) == (FollowupStatus.ESCALATED, FollowupReason.SEND_FAILED)
    [told] = thread.notifications(session, "followup.escalated")
    assert told.payload["reason"] == "send_failed"
    assert thread.notifications(session, "email.failed")


def test_a_follow_up_to_an_address_suppressed_since_its_approval_stops_the_thread(
    session: Session,
    aws: Aws,
    threads: Callable[..., Thread],
    sweep: Sweep,
    run_task: RunTask,
    send_queued: SendQueued,
) -> None:
    thread = threads()
    approved_when_due(session, thread, sweep, run_task)
    session.add(
        EmailSuppression(
            address=str(thread.contact.email),
            reason=SuppressionReason.COMPLAINT,
            scope=SuppressionScope.GLOBAL,
        )
    )
    session.commit()

    send_queued()

    [stopped] = thread.rows(session)
    assert (stopped.status, stopped.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.COMPLAINED,
    )
    assert aws.outbox(str(thread.contact.email)) == []
