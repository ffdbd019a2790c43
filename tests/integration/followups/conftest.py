"""The follow-up tests' threads, sweep, agent runner and Sender, on real PostgreSQL and moto.

The threads themselves are made by tests/fixtures/followup_threads.py.
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from sqlalchemy import update
from sqlalchemy.orm import Session

from attendry.core.clock import system_clock
from attendry.db.enums import FollowupReason, FollowupStatus
from attendry.db.models import FollowupSchedule
from attendry.drafting import OfflineDrafter, llm_settings
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
from tests.fixtures.aws import Aws, sqs_event
from tests.fixtures.followup_threads import Thread, make_thread


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
