"""The SES-events function: SQS records in, partial batch failures out, poison parked."""

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from attendry.core.clock import system_clock
from attendry.db.enums import DeliveryStatus
from attendry.db.models import EmailSuppression, SesEvent
from attendry.delivery.consumer import SesEventsConsumer
from attendry.delivery.parsing import RAW_DELIVERY_KEY_PREFIX
from attendry.delivery.service import SesEventPolicies
from attendry.platform.queue import RetryLater, logging_failures
from attendry.platform.sqs import SqsQueue, default_sqs_client
from tests.fixtures.api import LambdaContext
from tests.fixtures.functions import lambda_handler_of
from tests.fixtures.sent_emails import MakeSent, notifications
from tests.fixtures.ses import load, sns_envelope

pytestmark = pytest.mark.integration

REGION = "us-east-1"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:SesEventsQueue"
TERMINATE_OTHER_SESSIONS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


@pytest.fixture
def sqs(moto_endpoint: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=moto_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def dlq_url(sqs: Any, moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = str(sqs.create_queue(QueueName=f"ses-events-dlq-{uuid.uuid4().hex[:10]}")["QueueUrl"])
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "SES_EVENTS_DLQ_URL": url,
    }.items():
        monkeypatch.setenv(name, value)
    caches = (default_sqs_client,)
    for cached in caches:
        cached.cache_clear()
    yield url
    for cached in caches:
        cached.cache_clear()


@pytest.fixture
def handler(dlq_url: str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A cold start of the function: it reads this test's environment."""
    return lambda_handler_of("ses_events")


def record(body: str, message_id: str | None = None) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"handle-{uuid.uuid4()}",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {},
        "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": REGION,
    }


def parked(sqs: Any, url: str) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
    )


def test_a_batch_with_malformed_records_applies_the_rest_and_parks_the_bad_ones(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    dlq_url: str,
    sqs: Any,
    make_sent: MakeSent,
    user_id: str,
    db_session: Session,
) -> None:
    # Given a batch: an enveloped Delivery, a raw (unenveloped) Open, a subscription
    # confirmation, a body that is not JSON, and an envelope whose Message is not an event
    email = make_sent(user_id)
    delivery_sns_id = f"sns-{uuid.uuid4()}"
    confirmation = json.loads(sns_envelope("You have chosen to subscribe."))
    confirmation["Type"] = "SubscriptionConfirmation"
    raw_open = record(json.dumps(email.event("open")))
    bad_json = record("{not json")
    bad_event = record(sns_envelope({"eventType": "Bounce", "mail": {"messageId": "m"}}))
    event = {
        "Records": [
            record(sns_envelope(email.event("delivery"), sns_message_id=delivery_sns_id)),
            raw_open,
            record(json.dumps(confirmation)),
            bad_json,
            bad_event,
        ]
    }

    # When the function handles it
    response = handler(event, LambdaContext(function_name="SesEventsFunction"))

    # Then no record is reported failed: the good ones applied, the bad ones parked
    assert response == {"batchItemFailures": []}
    sent = email.row(db_session)
    assert sent.delivery_status is DeliveryStatus.DELIVERED
    assert sent.opened_at is not None
    keys = set(
        db_session.scalars(
            select(SesEvent.sns_message_id).where(SesEvent.ses_message_id == email.ses_message_id)
        )
    )
    assert keys == {delivery_sns_id, RAW_DELIVERY_KEY_PREFIX + raw_open["messageId"]}
    dead = {
        m["MessageAttributes"]["source_message_id"]["StringValue"]: m for m in parked(sqs, dlq_url)
    }
    assert set(dead) == {bad_json["messageId"], bad_event["messageId"]}
    assert dead[bad_json["messageId"]]["Body"] == "{not json"
    assert dead[bad_json["messageId"]]["MessageAttributes"]["reason"]["StringValue"].startswith(
        "The body is not JSON"
    )
    reason = dead[bad_event["messageId"]]["MessageAttributes"]["reason"]["StringValue"]
    assert reason == "Not an SES event record: mail.timestamp: Field required"


def test_a_redelivered_record_changes_nothing(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    dlq_url: str,
    make_sent: MakeSent,
    user_id: str,
    db_session: Session,
) -> None:
    # Given a hard bounce record, applied: the email bounced, the user told, the address
    # suppressed
    email = make_sent(user_id)
    body = sns_envelope(email.event("bounce_permanent"))
    first = handler({"Records": [record(body)]}, LambdaContext())
    assert suppressed(db_session, email.recipient)

    # And the suppression lifted since (the mailbox works again)
    db_session.execute(delete(EmailSuppression).where(EmailSuppression.address == email.recipient))
    db_session.commit()

    # When SQS delivers the same record again (a bounce applied again would suppress again)
    again = handler({"Records": [record(body)]}, LambdaContext())

    # Then nothing changes: no suppression, one notice to the user, one stored event
    assert first == again == {"batchItemFailures": []}
    assert not suppressed(db_session, email.recipient)
    assert len(notifications(db_session, user_id, "email.bounced")) == 1
    assert email.row(db_session).delivery_status is DeliveryStatus.BOUNCED
    stored = db_session.scalars(
        select(SesEvent.id).where(SesEvent.ses_message_id == email.ses_message_id)
    ).all()
    assert len(stored) == 1


def suppressed(session: Session, address: str) -> bool:
    session.expire_all()
    query = select(EmailSuppression.id).where(EmailSuppression.address == address)
    return session.scalars(query).first() is not None


def test_with_the_database_away_every_record_comes_back(dlq_url: str, sqs: Any) -> None:
    # Given a consumer whose database cannot be reached
    unreachable = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none",
        poolclass=NullPool,
        connect_args={"connect_timeout": 1},
    )
    consumer = SesEventsConsumer(
        dead_letters=SqsQueue(dlq_url, sqs),
        engine=unreachable,
        clock=system_clock,
        policies=SesEventPolicies.from_environment(),
    )
    records = [record(sns_envelope(load("delivery"))) for _ in range(2)]

    # When a batch is processed
    response = process_partial_response(
        event={"Records": records},
        record_handler=logging_failures(consumer, planned=(RetryLater,)),
        processor=BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False),
        context=LambdaContext(),
    )

    # Then each record is reported failed (SQS delivers it again), and none is parked
    assert response == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}
    assert parked(sqs, dlq_url) == []


def test_a_lost_connection_fails_one_record_and_the_next_reconnects(
    dlq_url: str, make_sent: MakeSent, user_id: str, db_session: Session
) -> None:
    # Given an invocation whose shared connection the server drops after the first record
    emails = [make_sent(user_id) for _ in range(3)]
    records = [record(sns_envelope(email.event("delivery"))) for email in emails]
    consumer = SesEventsConsumer(
        dead_letters=SqsQueue(dlq_url),
        clock=system_clock,
        policies=SesEventPolicies.from_environment(),
    )
    handle = logging_failures(consumer, planned=(RetryLater,))
    outcomes = []
    with consumer.invocation():
        for index, item in enumerate(records):
            if index == 1:
                db_session.execute(TERMINATE_OTHER_SESSIONS)
                db_session.commit()
            try:
                handle(SQSRecord(item))
                outcomes.append("applied")
            except RetryLater:
                outcomes.append("comes back")

    # Then that record alone comes back, and the next one is applied on a new connection
    assert outcomes == ["applied", "comes back", "applied"]
    statuses = [email.row(db_session).delivery_status for email in emails]
    assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.SENT, DeliveryStatus.DELIVERED]
