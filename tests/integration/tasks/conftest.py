"""AgentTasks queues on moto, the worker's environment, and rows to run tasks against.

moto runs as a server on loopback (what local mode uses too) and every test gets its own
pair of queues, so messages never leak between tests. The worker and the API read their
settings from the environment through cached factories; the `worker_env` fixture sets
the variables and forgets the cached values before and after each test.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import AgentStatus, AgentType, TaskStatus, TaskType
from attendry.db.models import Agent, AgentTask, Contact, Opportunity
from attendry.drafting import llm_settings
from attendry.platform.sqs import SqsQueue, default_sqs_client
from attendry.tasks.service import enqueue_task
from attendry.tasks.settings import task_settings
from attendry.usage.settings import llm_limit_settings
from tests.fixtures.functions import load_function
from tests.integration.api.conftest import alice, api_handler, bob, call_api  # noqa: F401

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import MessageTypeDef

REGION = "us-east-1"
MAX_RECEIVE_COUNT = 5


@pytest.fixture
def aws_endpoint(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """boto3 pointed at the moto server for one test (others may bring their own)."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    default_sqs_client.cache_clear()
    yield moto_endpoint
    default_sqs_client.cache_clear()


@dataclass(frozen=True)
class Queues:
    client: "SQSClient"
    url: str
    arn: str
    dlq_url: str

    def receive(self, url: str | None = None) -> list["MessageTypeDef"]:
        """Whatever is visible now, without waiting (moto answers at once)."""
        response = self.client.receive_message(
            QueueUrl=url or self.url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return response.get("Messages", [])

    def drain(self) -> list[str]:
        """The task ids of every message on the queue, each hidden once read."""
        ids: list[str] = []
        while batch := self.client.receive_message(
            QueueUrl=self.url, MaxNumberOfMessages=10, VisibilityTimeout=600
        ).get("Messages", []):
            ids += [json.loads(m["Body"])["task_id"] for m in batch]
        return ids

    def receive_dead_letters(self) -> list["MessageTypeDef"]:
        return self.receive(self.dlq_url)

    def show_again(self, message: "MessageTypeDef") -> None:
        """As if its visibility timeout had passed."""
        self.client.change_message_visibility(
            QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )

    def sqs_event(self, messages: list["MessageTypeDef"]) -> dict[str, Any]:
        """The Lambda event the SQS event source mapping would build from these messages."""
        return {"Records": [self._record(m) for m in messages]}

    def _record(self, message: "MessageTypeDef") -> dict[str, Any]:
        attributes = {
            name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
            for name, value in message.get("MessageAttributes", {}).items()
            if "StringValue" in value
        }
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": attributes,
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self.arn,
            "awsRegion": REGION,
        }


@pytest.fixture
def queues(aws_endpoint: str) -> Queues:
    """A fresh AgentTasks queue and DLQ, shaped like the template's (visible at once)."""
    client = boto3.client("sqs")
    suffix = uuid.uuid4().hex[:8]
    dlq_url = client.create_queue(QueueName=f"AgentTasksDeadLetterQueue-{suffix}")["QueueUrl"]
    dlq_arn = client.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVE_COUNT)}
    url = client.create_queue(
        QueueName=f"AgentTasksQueue-{suffix}",
        Attributes={"VisibilityTimeout": "0", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return Queues(client=client, url=url, arn=arn, dlq_url=dlq_url)


def forget_cached_settings() -> None:
    for factory in (task_settings, llm_limit_settings, llm_settings):
        factory.cache_clear()


@pytest.fixture
def worker_env(
    database_url: str, queues: Queues, monkeypatch: pytest.MonkeyPatch
) -> Iterator[pytest.MonkeyPatch]:
    """The environment the template gives the agent-task function, offline drafter."""
    monkeypatch.setenv("AGENT_TASKS_QUEUE_URL", queues.url)
    monkeypatch.setenv("AGENT_TASKS_DLQ_URL", queues.dlq_url)
    monkeypatch.setenv("MAX_RECEIVE_COUNT", str(MAX_RECEIVE_COUNT))
    for name in ("GEMINI_API_KEY", "GEMINI_API_KEY_SECRET_ARN", "LLM_MONTHLY_BUDGET_USD"):
        monkeypatch.delenv(name, raising=False)
    forget_cached_settings()
    yield monkeypatch
    forget_cached_settings()


@dataclass
class LambdaContext:
    function_name: str = "AgentTaskFunction"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:AgentTaskFunction"
    aws_request_id: str = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 120_000


Handler = Callable[[dict[str, Any]], Any]


@pytest.fixture
def agent_task_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """The function as a fresh cold start: its settings are read from this test's environment."""
    module = load_function("agent_tasks")
    return lambda event: module.lambda_handler(event, LambdaContext())


@pytest.fixture
def task_redrive_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """A fresh cold start: its settings (the queue among them) are this test's."""
    module = load_function("task_redrive")
    return lambda event: module.lambda_handler(
        event, LambdaContext(function_name="TaskRedriveFunction")
    )


@pytest.fixture
def planning_pass_handler(database_url: str, worker_env: pytest.MonkeyPatch) -> Handler:
    """A fresh cold start: its settings (the queue among them) are this test's."""
    module = load_function("planning_pass")
    return lambda event: module.lambda_handler(
        event, LambdaContext(function_name="PlanningPassFunction")
    )


def scheduled_event(at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/TaskRedriveSchedule"],
        "detail": {},
    }


@dataclass(frozen=True)
class World:
    """One user's outreach agent, an event and a contact saved from it."""

    user_id: str
    agent_id: uuid.UUID
    opportunity_id: uuid.UUID
    contact_id: uuid.UUID


def make_world(
    user_id: str,
    *,
    email: str | None = "ada@example.com",
    agent_settings: dict[str, Any] | None = None,
    agent_status: AgentStatus = AgentStatus.ACTIVE,
) -> World:
    with session_scope() as session:
        agent = Agent(
            user_id=user_id,
            agent_type=AgentType.OUTREACH,
            name="Outreach",
            status=agent_status,
            settings={"tone": "friendly", "sender_name": "Sam Lee", **(agent_settings or {})},
        )
        event = Opportunity(
            user_id=user_id,
            title="DataConf Europe 2026",
            location="Berlin",
            starts_at=datetime.now(UTC) + timedelta(days=40),
            topics=["data engineering", "streaming"],
        )
        session.add_all([agent, event])
        session.flush()
        contact = Contact(
            user_id=user_id,
            name="Ada Lovelace",
            email=email,
            title="Head of Data",
            company="Analytical Engines Ltd",
            topics=["stream processing"],
            opportunity_id=event.id,
        )
        session.add(contact)
        session.flush()
        return World(user_id, agent.id, event.id, contact.id)


def queue_task(world: World, *, instructions: str | None = None) -> uuid.UUID:
    """A task as the API stores it (queued, not yet enqueued)."""
    with session_scope() as session:
        task = AgentTask(
            user_id=world.user_id,
            agent_id=world.agent_id,
            opportunity_id=world.opportunity_id,
            task_type=TaskType.DRAFT_OUTREACH,
            status=TaskStatus.QUEUED,
            input={
                "contact_id": str(world.contact_id),
                "opportunity_id": None,
                "channel": "email",
                "instructions": instructions,
            },
        )
        session.add(task)
        session.flush()
        return task.id


def enqueue(queues: Queues, task_id: uuid.UUID) -> None:
    """Enqueue as the API does, with the request's correlation id on the message."""
    logger.set_correlation_id(f"request-{task_id}")
    try:
        assert enqueue_task(task_id, SqsQueue(queues.url, client=queues.client))
    finally:
        logger.set_correlation_id(None)
