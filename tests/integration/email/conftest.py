"""Email sending against real PostgreSQL and moto (SQS, SES v2) on loopback.

One moto server per test process; each test gets queues of its own and a recipient of
its own, so tests never see each other's messages or emails. The code under test reaches
moto through AWS_ENDPOINT_URL, as in local mode, with its cached clients and settings
cleared around each test so they are built against this test's environment.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from mypy_boto3_sesv2 import SESV2Client
from mypy_boto3_sqs import SQSClient
from sqlalchemy.orm import Session

from attendry.db.engine import get_engine
from attendry.db.enums import AgentType, Channel, DraftStatus
from attendry.db.models import Agent, Contact, OutreachDraft
from attendry.email.settings import email_settings
from attendry.platform.ses import default_sesv2_client
from attendry.platform.sqs import SqsQueue, default_sqs_client
from attendry.services.sending import default_consumer
from attendry.services.sending_settings import sending_settings
from attendry_local.outbox import list_outbox
from tests.integration.api.conftest import ApiResponse, LambdaContext, _load_handler, http_event

REGION = "us-east-1"
SENDER_DOMAIN = "attendry.example"


def _clear_cached_collaborators() -> None:
    for cached in (
        default_sqs_client,
        default_sesv2_client,
        sending_settings,
        email_settings,
        default_consumer,
    ):
        cached.cache_clear()


def aws_client(service: str, endpoint: str, region: str = REGION) -> Any:
    return boto3.client(  # type: ignore[call-overload]
        service,
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@dataclass
class Aws:
    """This test's stand-in AWS: its EmailSend queue and DLQ, and clients to look inside."""

    endpoint: str
    sqs: SQSClient
    sesv2: SESV2Client
    queue_url: str
    dlq_url: str

    @property
    def queue(self) -> SqsQueue:
        return SqsQueue(self.queue_url, self.sqs)

    @property
    def dead_letters(self) -> SqsQueue:
        return SqsQueue(self.dlq_url, self.sqs)

    def receive(self, url: str | None = None, *, hide_for: int = 0) -> list[dict[str, Any]]:
        response = self.sqs.receive_message(
            QueueUrl=url or self.queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=hide_for,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(response.get("Messages", []))

    def outbox(self, recipient: str) -> list[dict[str, Any]]:
        return [email for email in list_outbox(self.endpoint) if recipient in email["to"]]

    def queue_arn(self, url: str | None = None) -> str:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url, AttributeNames=["QueueArn"]
        )
        return attributes["Attributes"]["QueueArn"]


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    sqs: SQSClient = aws_client("sqs", moto_endpoint)
    sesv2: SESV2Client = aws_client("sesv2", moto_endpoint)
    suffix = uuid.uuid4().hex[:12]
    dlq_url = sqs.create_queue(QueueName=f"email-send-dlq-{suffix}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    queue_url = sqs.create_queue(
        QueueName=f"email-send-{suffix}",
        Attributes={
            # 0: a message the consumer does not hide on purpose is visible again at once,
            # so a test sees exactly which messages were delayed.
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 5}
            ),
        },
    )["QueueUrl"]
    sesv2.create_email_identity(EmailIdentity=SENDER_DOMAIN)
    monkeypatch.setenv("EMAIL_SEND_QUEUE_URL", queue_url)
    monkeypatch.setenv("EMAIL_SEND_DLQ_URL", dlq_url)
    _clear_cached_collaborators()
    try:
        yield Aws(moto_endpoint, sqs, sesv2, queue_url, dlq_url)
    finally:
        _clear_cached_collaborators()


def sqs_event(aws: Aws, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The Lambda event an SQS event source mapping makes of received messages."""
    arn = aws.queue_arn()
    return {
        "Records": [
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn,
                "awsRegion": REGION,
            }
            for message in messages
        ]
    }


@dataclass
class Outreach:
    """One user's outreach agent and contact, and drafts made for them."""

    user_id: str
    agent: Agent
    contact: Contact

    def draft(
        self,
        session: Session,
        *,
        status: DraftStatus = DraftStatus.PENDING_APPROVAL,
        subject: str = "Your keynote at DataConf",
        recipient_email: str | None = None,
        **fields: Any,
    ) -> OutreachDraft:
        draft = OutreachDraft(
            user_id=self.user_id,
            agent_id=self.agent.id,
            contact_id=self.contact.id,
            channel=Channel.EMAIL,
            subject=subject,
            message_body="Hi Ada,\n\nI loved your talk on data contracts.\n\nBest,\nSam",
            recipient_email=recipient_email or self.contact.email,
            status=status,
            approved_at=datetime.now(UTC) if status == DraftStatus.APPROVED else None,
            **fields,
        )
        session.add(draft)
        session.commit()
        return draft


@pytest.fixture
def session(db_session: Session) -> Session:
    """The root conftest's session, under the name the email tests use."""
    return db_session


@pytest.fixture
def user(user_id: str) -> str:
    return user_id


@pytest.fixture
def outreach(make_outreach: Callable[..., Outreach], user: str) -> Outreach:
    return make_outreach(user)


@pytest.fixture
def make_outreach(database_url: str) -> Callable[..., Outreach]:
    def make(user_id: str, *, settings: dict[str, Any] | None = None) -> Outreach:
        with Session(get_engine(), expire_on_commit=False) as session:
            agent = Agent(
                user_id=user_id,
                agent_type=AgentType.OUTREACH,
                name=f"Outreach {uuid.uuid4().hex[:6]}",
                settings={"sender_name": "Sam Lee", **(settings or {})},
            )
            contact = Contact(
                user_id=user_id,
                name="Ada Lovelace",
                email=f"ada-{uuid.uuid4().hex[:10]}@example.com",
            )
            session.add_all([agent, contact])
            session.commit()
            return Outreach(user_id, agent, contact)

    return make


@pytest.fixture(scope="session")
def email_api_handler(database_url: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    return _load_handler()


@pytest.fixture
def call_api(
    email_api_handler: Callable[[dict[str, Any], Any], dict[str, Any]],
) -> Callable[..., ApiResponse]:
    def call(method: str, path: str, *, user: str | None, **kwargs: Any) -> ApiResponse:
        result = email_api_handler(http_event(method, path, user=user, **kwargs), LambdaContext())
        headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
        return ApiResponse(result["statusCode"], headers, result.get("body") or "")

    return call
