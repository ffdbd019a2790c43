"""Threads to follow up on, against real PostgreSQL and moto (SQS, SES v2, EventBridge).

A thread is written straight to the database as the Sender leaves it: an Outreach agent's
initial draft, sent and delivered, to a contact in Berlin about an event a month later,
and the user's Follow-up agent. Times are anchored on a Monday at least a week ahead, so
the real clock (which the agents read) is always before them and every rule is in play.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.enums import (
    AgentType,
    Channel,
    DeliveryStatus,
    DraftKind,
    DraftStatus,
    FollowupReason,
    FollowupStatus,
)
from attendry.db.models import (
    Agent,
    AgentTask,
    Contact,
    FollowupSchedule,
    Notification,
    Opportunity,
    OutreachDraft,
    OutreachSent,
)
from attendry.drafting import OfflineDrafter, llm_settings
from attendry.email.message import ses_message_id_header
from attendry.email.settings import EmailSettings, email_settings
from attendry.followups.settings import SweepSettings
from attendry.followups.sweep import SweepResult, sweep_followups
from attendry.followups.threads import ScheduledThreads
from attendry.platform.ses import SesClient
from attendry.platform.sqs import SqsQueue
from attendry.sending.consumer import SendMessageConsumer
from attendry.sending.service import Sender
from attendry.sending.settings import SendingSettings
from attendry.tasks.runner import RunResult, TaskRunner
from attendry.tasks.runtime import AgentRuntime
from attendry.tasks.settings import TaskSettings
from attendry.usage.settings import LlmLimitSettings
from attendry.wiring import TASK_HANDLERS
from tests.integration.email.conftest import REGION, Aws, sqs_event


def next_monday(hour: int = 9) -> datetime:
    """A Monday, `hour`:00 UTC, at least a week from now."""
    start = datetime.now(UTC).date() + timedelta(days=7)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    return datetime.combine(monday, time(hour), tzinfo=UTC)


@dataclass
class Thread:
    user_id: str
    outreach_agent: Agent
    followup_agent: Agent
    contact: Contact
    event: Opportunity
    draft: OutreachDraft
    original: OutreachSent

    def schedule(
        self,
        session: Session,
        *,
        attempt: int = 1,
        due_at: datetime | None = None,
        status: FollowupStatus = FollowupStatus.SCHEDULED,
    ) -> FollowupSchedule:
        row = FollowupSchedule(
            user_id=self.user_id,
            agent_id=self.followup_agent.id,
            sent_id=self.original.id,
            contact_id=self.contact.id,
            attempt=attempt,
            due_at=due_at or self.original_sent_at + timedelta(days=3),
            status=status,
        )
        session.add(row)
        session.commit()
        return row

    @property
    def original_sent_at(self) -> datetime:
        assert self.original.sent_at is not None
        return self.original.sent_at

    def rows(self, session: Session) -> list[FollowupSchedule]:
        session.expire_all()
        return list(
            session.scalars(
                select(FollowupSchedule)
                .where(FollowupSchedule.user_id == self.user_id)
                .order_by(FollowupSchedule.attempt)
            )
        )

    def notifications(self, session: Session, kind: str) -> list[Notification]:
        return list(
            session.scalars(
                select(Notification).where(
                    Notification.user_id == self.user_id, Notification.kind == kind
                )
            )
        )

    def tasks(self, session: Session) -> list[AgentTask]:
        session.expire_all()
        return list(
            session.scalars(
                select(AgentTask)
                .where(AgentTask.user_id == self.user_id)
                .order_by(AgentTask.created_at)
            )
        )


def ses_ids() -> tuple[str, str]:
    ses_id = f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000"
    return ses_id, ses_message_id_header(ses_id, REGION)


def make_thread(
    session: Session,
    *,
    followup_settings: dict[str, Any] | None = None,
    timezone: str | None = "Europe/Berlin",
    sent_at: datetime | None = None,
    event_in_days: int = 30,
    recipient: str | None = None,
) -> Thread:
    user_id = f"user-{uuid.uuid4()}"
    sent_at = sent_at or next_monday()
    outreach = Agent(
        user_id=user_id,
        agent_type=AgentType.OUTREACH,
        name="Outreach",
        settings={"sender_name": "Sam Lee", "signature": "Sam Lee\nAcme"},
    )
    followup = Agent(
        user_id=user_id,
        agent_type=AgentType.FOLLOWUP,
        name="Follow-ups",
        settings=followup_settings or {},
    )
    starts = sent_at + timedelta(days=event_in_days)
    event = Opportunity(
        user_id=user_id,
        title="DataConf Europe",
        location="Berlin",
        starts_at=starts,
        ends_at=starts + timedelta(days=1, hours=8),
        topics=["streaming"],
    )
    session.add_all([outreach, followup, event])
    session.flush()
    contact = Contact(
        user_id=user_id,
        name="Ada Lovelace",
        email=recipient or f"ada-{uuid.uuid4().hex[:10]}@example.com",
        title="Head of Data",
        company="Analytical Engines",
        timezone=timezone,
        opportunity_id=event.id,
    )
    session.add(contact)
    session.flush()
    draft = OutreachDraft(
        user_id=user_id,
        agent_id=outreach.id,
        contact_id=contact.id,
        opportunity_id=event.id,
        channel=Channel.EMAIL,
        kind=DraftKind.INITIAL,
        recipient_email=contact.email,
        subject="Your keynote at DataConf",
        message_body="Hi Ada,\n\nI loved your talk on streaming.\n\nSam",
        status=DraftStatus.SENT,
    )
    session.add(draft)
    session.flush()
    ses_id, message_id = ses_ids()
    original = OutreachSent(
        user_id=user_id,
        draft_id=draft.id,
        agent_id=outreach.id,
        contact_id=contact.id,
        recipient_email=contact.email,
        subject=draft.subject,
        message_body=draft.message_body,
        sent_at=sent_at,
        delivery_status=DeliveryStatus.DELIVERED,
        ses_message_id=ses_id,
        rfc822_message_id=message_id,
        idempotency_key=str(draft.id),
        meta={},
    )
    session.add(original)
    session.commit()
    return Thread(user_id, outreach, followup, contact, event, draft, original)


@pytest.fixture
def threads(session: Session) -> Iterator[Callable[..., Thread]]:
    """Make threads; their follow-ups still scheduled at the end are cancelled, so no later
    sweep in this process acts on them."""
    made: list[Thread] = []

    def make(**kwargs: Any) -> Thread:
        thread = make_thread(session, **kwargs)
        made.append(thread)
        return thread

    yield make
    session.rollback()
    session.execute(
        update(FollowupSchedule)
        .where(
            FollowupSchedule.user_id.in_([t.user_id for t in made]),
            FollowupSchedule.status == FollowupStatus.SCHEDULED,
        )
        .values(status=FollowupStatus.CANCELLED)
    )
    session.commit()


@pytest.fixture
def agent_tasks(aws: Aws) -> SqsQueue:
    """An AgentTasks queue of this test's own (moto)."""
    url = aws.sqs.create_queue(QueueName=f"agent-tasks-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    return SqsQueue(url, aws.sqs)


def queued_task_ids(queue: SqsQueue) -> list[str]:
    ids: list[str] = []
    while batch := queue.client.receive_message(
        QueueUrl=queue.url, MaxNumberOfMessages=10, VisibilityTimeout=600
    ).get("Messages", []):
        ids += [json.loads(message["Body"])["task_id"] for message in batch]
    return ids


@pytest.fixture
def sweep(session: Session, agent_tasks: SqsQueue) -> Callable[..., SweepResult]:
    """The sweep over every user, as in production: so that it sees only this test's rows,
    follow-ups an earlier test of this worker left scheduled are cancelled first (tests
    share a worker's database, and a sweep weeks ahead would otherwise draft them too)."""
    session.execute(
        update(FollowupSchedule)
        .where(FollowupSchedule.status == FollowupStatus.SCHEDULED)
        .values(status=FollowupStatus.CANCELLED, reason=FollowupReason.CANCELLED_BY_USER)
    )
    session.commit()

    def run(now: datetime, *, batch_size: int = 100, max_batches: int = 20) -> SweepResult:
        return sweep_followups(
            now,
            settings=SweepSettings(batch_size=batch_size, max_batches=max_batches),
            queue=agent_tasks,
        )

    return run


@pytest.fixture
def runner(aws: Aws) -> TaskRunner:
    """The agent worker's runner, offline drafter; its queues are never used by `run`."""
    unused = SqsQueue("unused", aws.sqs)
    return TaskRunner(
        settings=TaskSettings(),
        runtime=AgentRuntime(
            drafter=OfflineDrafter(),
            prices=llm_settings(),
            limits=LlmLimitSettings(),
            clock=system_clock,
        ),
        queue=unused,
        dead_letters=unused,
        handlers=TASK_HANDLERS,
    )


@pytest.fixture
def run_task(runner: TaskRunner) -> Callable[[uuid.UUID], RunResult]:
    return lambda task_id: runner.run(task_id, receive_count=1)


@pytest.fixture
def send_queued(aws: Aws) -> Callable[..., dict[str, Any]]:
    """Run the Sender (moto SES) over every EmailSend message now queued; `email` settings
    with a domain SES has not verified make SES refuse."""
    settings = SendingSettings(email_send_queue_url=aws.queue_url, email_send_dlq_url=aws.dlq_url)

    def send(email: EmailSettings | None = None) -> dict[str, Any]:
        consumer = SendMessageConsumer(
            sender=Sender(
                threads=ScheduledThreads(),
                ses=SesClient(aws.sesv2),
                settings=settings,
                email=email or email_settings(),
                clock=system_clock,
            ),
            queue=aws.queue,
            dead_letters=aws.dead_letters,
            settings=settings,
        )
        messages = aws.receive()
        processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
        response = process_partial_response(sqs_event(aws, messages), consumer, processor, None)
        for message in messages:
            aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return dict(response)

    return send
