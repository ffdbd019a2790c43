"""The Sender: one email per approved draft, whatever SQS redelivers and wherever it crashes."""

import json
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.enums import (
    DeliveryStatus,
    DraftKind,
    DraftStatus,
    SuppressionReason,
    SuppressionScope,
    TaskType,
)
from attendry.db.models import (
    AgentTask,
    EmailSuppression,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
    UserSendingState,
)
from attendry.email.reply_address import parse_reply_address
from attendry.email.settings import EmailSettings, email_settings
from attendry.followups.threads import ScheduledThreads
from attendry.outreach.service import redrive_approved_drafts
from attendry.platform.ses import SesClient, SesOutcomeUnknownError, SesTransientError
from attendry.sending.consumer import SendMessageConsumer
from attendry.sending.outcomes import record_ses_acceptance
from attendry.sending.service import Sender
from attendry.sending.settings import SendingSettings
from tests.fixtures.api import LambdaContext
from tests.fixtures.aws import REGION, Aws, aws_client, sqs_event
from tests.fixtures.functions import load_function
from tests.fixtures.outreach import Outreach
from tests.fixtures.sending import GRACE_S, Clock, approved, notifications

pytestmark = pytest.mark.integration


class AnswerLost:
    """SES accepts the email, then the connection breaks before its answer arrives."""

    def __init__(self, ses: SesClient) -> None:
        self.ses = ses

    @property
    def region(self) -> str:
        return self.ses.region

    def send_raw(self, **kwargs: Any) -> str:
        self.ses.send_raw(**kwargs)
        raise SesOutcomeUnknownError("ReadTimeoutError", "Read timeout on endpoint URL")


class NeverArrived:
    """The request times out before SES got it; from the Sender's side it looks the same."""

    region = REGION

    def send_raw(self, **kwargs: Any) -> str:
        raise SesOutcomeUnknownError("ReadTimeoutError", "Read timeout on endpoint URL")


class Throttled:
    region = REGION

    def send_raw(self, **kwargs: Any) -> str:
        raise SesTransientError("TooManyRequestsException", "Maximum sending rate exceeded.")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ses(aws: Aws) -> SesClient:
    return SesClient(aws.sesv2)


@pytest.fixture
def settings(aws: Aws) -> SendingSettings:
    return SendingSettings(
        email_send_queue_url=aws.queue_url,
        email_send_dlq_url=aws.dlq_url,
        reconcile_grace_s=GRACE_S,
    )


@pytest.fixture
def consumer_with(
    aws: Aws, clock: Clock, settings: SendingSettings
) -> Callable[..., SendMessageConsumer]:
    def build(ses: Any, email: EmailSettings | None = None) -> SendMessageConsumer:
        sender = Sender(
            threads=ScheduledThreads(),
            ses=ses,
            settings=settings,
            email=email or email_settings(),
            clock=clock,
        )
        return SendMessageConsumer(
            sender=sender, queue=aws.queue, dead_letters=aws.dead_letters, settings=settings
        )

    return build


def run_batch(
    aws: Aws, consumer: SendMessageConsumer, messages: list[dict[str, Any]]
) -> dict[str, Any]:
    """Process like the event source mapping: then delete what was not reported failed."""
    processor = BatchProcessor(EventType.SQS, raise_on_entire_batch_failure=False)
    response = process_partial_response(sqs_event(aws, messages), consumer, processor, None)
    failed = {item["itemIdentifier"] for item in response["batchItemFailures"]}
    for message in messages:
        if message["MessageId"] not in failed:
            aws.sqs.delete_message(QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"])
    return dict(response)


def make_visible(aws: Aws, messages: list[dict[str, Any]]) -> None:
    """Time passes until SQS shows the hidden messages again."""
    for message in messages:
        aws.sqs.change_message_visibility(
            QueueUrl=aws.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
        )


def sent_row(session: Session, draft: OutreachDraft) -> OutreachSent:
    session.expire_all()
    return session.scalars(
        select(OutreachSent).where(OutreachSent.idempotency_key == str(draft.id))
    ).one()


def queued(aws: Aws) -> list[dict[str, Any]]:
    """Every message on the queue now, each hidden for a minute so the drain ends."""
    messages = []
    while batch := aws.receive(hide_for=60):
        messages.extend(batch)
    return messages


def queued_drafts(aws: Aws) -> list[str]:
    return [json.loads(message["Body"])["draft_id"] for message in queued(aws)]


def test_an_approved_draft_is_sent_once_with_every_header_the_spec_requires(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given an approved draft with an HTML part, queued by the approval
    draft = approved(aws, outreach, session, html_body="<p>Hi Ada</p>")
    messages = aws.receive()

    # When the Sender handles its message
    response = run_batch(aws, consumer_with(ses), messages)

    # Then SES got exactly one email, and the sent row knows SES's ids for it
    assert response == {"batchItemFailures": []}
    recipient = str(outreach.contact.email)
    [email] = aws.outbox(recipient)
    row = sent_row(session, draft)
    assert row.ses_message_id == email["ses_message_id"]
    assert row.rfc822_message_id == f"<{email['ses_message_id']}@email.amazonses.com>"
    assert row.delivery_status == DeliveryStatus.SENT
    assert row.sent_at is not None
    assert row.recipient_email == recipient
    session.refresh(draft)
    assert draft.status == DraftStatus.SENT
    [notice] = notifications(session, outreach.user_id, "email.sent")
    assert notice.payload["sent_id"] == str(row.id)

    # And the raw email carries every header the spec asks for, on one line each
    headers = dict(email["headers"])
    unsubscribe = headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<http://127.0.0.1:3000/unsubscribe/")
    assert "<mailto:unsubscribe+" in unsubscribe
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parse_reply_address(headers["Reply-To"], settings=email_settings()) == row.id
    assert headers["From"] == "Sam Lee <outreach@attendry.example>"
    assert headers["To"] == f"Ada Lovelace <{recipient}>"
    assert headers["Subject"] == "Your keynote at DataConf"
    assert all("\r" not in v and "\n" not in v for _, v in email["headers"])
    assert email["text"].startswith("Hi Ada,\n\nI loved your talk on data contracts.")
    assert "<p>Hi Ada</p>" in email["html"]


def test_the_same_message_delivered_again_sends_nothing(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    draft = approved(aws, outreach, session)
    messages = aws.receive()
    consumer = consumer_with(ses)

    first = process_partial_response(
        sqs_event(aws, messages), consumer, BatchProcessor(EventType.SQS), None
    )
    again = process_partial_response(
        sqs_event(aws, messages), consumer, BatchProcessor(EventType.SQS), None
    )

    assert first == again == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1
    assert len(notifications(session, outreach.user_id, "email.sent")) == 1
    assert sent_row(session, draft).delivery_status == DeliveryStatus.SENT


def test_two_messages_for_one_draft_in_one_batch_send_once(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    draft = approved(aws, outreach, session)
    aws.queue.send_json({"draft_id": str(draft.id)})

    response = run_batch(aws, consumer_with(ses), aws.receive())

    assert response == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1


def test_two_senders_racing_for_one_draft_send_it_once(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    clock: Clock,
    settings: SendingSettings,
) -> None:
    # Given one approved draft and two Sender instances (two concurrent Lambda invocations)
    draft = approved(aws, outreach, session)
    senders = [
        Sender(
            threads=ScheduledThreads(),
            ses=ses,
            settings=settings,
            email=email_settings(),
            clock=clock,
        )
        for _ in range(2)
    ]

    # When both send it at the same moment
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda sender: sender.send_draft(draft.id), senders))

    # Then one sent it and the other saw it claimed or already sent
    outcomes = sorted(result.outcome.value for result in results)
    assert outcomes in (["awaiting_reconciliation", "sent"], ["sent", "settled"])
    assert len(aws.outbox(str(outreach.contact.email))) == 1


def test_a_crash_after_ses_accepted_never_sends_again_within_the_grace_period(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    clock: Clock,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given SES accepted the email but its answer was lost
    draft = approved(aws, outreach, session)
    messages = aws.receive()
    first = run_batch(aws, consumer_with(AnswerLost(ses)), messages)
    assert first == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    row = sent_row(session, draft)
    assert row.delivery_status == DeliveryStatus.SENDING
    assert row.ses_message_id is None
    # The message was hidden for the grace period, not returned at once
    assert aws.receive() == []

    # When it is delivered again before the grace period ends
    make_visible(aws, messages)
    clock.advance(GRACE_S - 60)
    redelivered = aws.receive()
    second = run_batch(aws, consumer_with(ses), redelivered)

    # Then SES is not called: still one email, and the item waits again
    assert second == {"batchItemFailures": [{"itemIdentifier": redelivered[0]["MessageId"]}]}
    assert len(aws.outbox(str(outreach.contact.email))) == 1
    assert aws.receive() == []
    session.refresh(draft)
    assert draft.status == DraftStatus.SENDING


def test_the_send_event_settles_a_lost_outcome_without_a_second_email(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    clock: Clock,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given SES accepted the email and the Sender never learned its id
    draft = approved(aws, outreach, session)
    messages = aws.receive()
    run_batch(aws, consumer_with(AnswerLost(ses)), messages)
    [email] = aws.outbox(str(outreach.contact.email))

    # When SES's Send event (found by its sent_id tag) records the message id
    row = sent_row(session, draft)
    assert record_ses_acceptance(
        session, row, ses_message_id=email["ses_message_id"], region=REGION, accepted_at=clock()
    )
    session.commit()

    # Then the redelivered message only settles, even after the grace period
    make_visible(aws, messages)
    clock.advance(GRACE_S + 1)
    response = run_batch(aws, consumer_with(ses), aws.receive())
    assert response == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1
    session.refresh(draft)
    assert draft.status == DraftStatus.SENT
    assert len(notifications(session, outreach.user_id, "email.sent")) == 1


def test_after_the_grace_period_without_a_send_event_the_email_goes_out_once(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    clock: Clock,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given an attempt whose request never reached SES (outcome unknown to the Sender)
    draft = approved(aws, outreach, session)
    messages = aws.receive()
    first = run_batch(aws, consumer_with(NeverArrived()), messages)
    assert first == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert aws.outbox(str(outreach.contact.email)) == []

    # When it is delivered again once the grace period has passed with no Send event
    make_visible(aws, messages)
    clock.advance(GRACE_S + 1)
    response = run_batch(aws, consumer_with(ses), aws.receive())

    # Then it is sent, once, on the same sent row
    assert response == {"batchItemFailures": []}
    [email] = aws.outbox(str(outreach.contact.email))
    row = sent_row(session, draft)
    assert row.ses_message_id == email["ses_message_id"]
    assert row.meta["send_attempt"]["number"] == 2
    assert (
        parse_reply_address(dict(email["headers"])["Reply-To"], settings=email_settings()) == row.id
    )


def test_a_throttled_send_is_retried_with_backoff_and_without_waiting_for_an_event(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    draft = approved(aws, outreach, session)
    messages = aws.receive()

    first = run_batch(aws, consumer_with(Throttled()), messages)

    assert first == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert aws.receive() == []
    assert "send_attempt" not in sent_row(session, draft).meta
    make_visible(aws, messages)
    assert run_batch(aws, consumer_with(ses), aws.receive()) == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1


def test_a_permanent_ses_refusal_fails_the_draft_and_tells_the_user(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given a sender domain SES has not verified
    draft = approved(aws, outreach, session)
    unverified = EmailSettings(SENDER_DOMAIN=f"unverified-{uuid.uuid4().hex[:6]}.example")

    response = run_batch(aws, consumer_with(ses, unverified), aws.receive())

    assert response == {"batchItemFailures": []}
    session.refresh(draft)
    assert draft.status == DraftStatus.FAILED
    assert draft.meta["send_failure"]["code"] == "MessageRejected"
    row = sent_row(session, draft)
    assert row.delivery_status == DeliveryStatus.FAILED
    assert row.meta["send_failure"]["code"] == "MessageRejected"
    [notice] = notifications(session, outreach.user_id, "email.failed")
    assert notice.payload["code"] == "MessageRejected"


def test_an_address_suppressed_after_approval_fails_the_draft_without_calling_ses(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    draft = approved(aws, outreach, session)
    session.add(
        EmailSuppression(
            address=str(outreach.contact.email),
            reason=SuppressionReason.COMPLAINT,
            scope=SuppressionScope.GLOBAL,
        )
    )
    session.commit()

    response = run_batch(aws, consumer_with(ses), aws.receive())

    assert response == {"batchItemFailures": []}
    assert aws.outbox(str(outreach.contact.email)) == []
    session.refresh(draft)
    assert draft.status == DraftStatus.FAILED
    assert draft.meta["send_failure"]["code"] == "recipient_suppressed"
    assert "complaint" in draft.meta["send_failure"]["message"]
    [notice] = notifications(session, outreach.user_id, "email.failed")
    assert notice.payload["code"] == "recipient_suppressed"


def test_paused_sending_holds_the_draft_until_a_resume_and_the_redrive(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    clock: Clock,
    settings: SendingSettings,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given a user whose sending was paused after approving a draft
    draft = approved(aws, outreach, session)
    state = UserSendingState(user_id=outreach.user_id, paused=True, reason="bounce rate")
    session.add(state)
    session.commit()

    # When the Sender handles it: nothing is sent, and the draft waits
    assert run_batch(aws, consumer_with(ses), aws.receive()) == {"batchItemFailures": []}
    assert aws.outbox(str(outreach.contact.email)) == []
    session.refresh(draft)
    assert draft.status == DraftStatus.APPROVED
    later = clock() + timedelta(seconds=settings.redrive_after_s + 1)
    redrive_approved_drafts(later, queue=aws.queue, settings=settings)
    assert str(draft.id) not in queued_drafts(aws)

    # When sending resumes, the re-drive queues it and it goes out
    state.paused = False
    session.commit()
    redrive_approved_drafts(later, queue=aws.queue, settings=settings)
    messages = [m for m in queued(aws) if json.loads(m["Body"]) == {"draft_id": str(draft.id)}]
    assert len(messages) == 1
    assert run_batch(aws, consumer_with(ses), messages) == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1


def test_malformed_messages_go_to_the_dlq_without_blocking_the_batch(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given a batch with two malformed messages around a good one
    aws.queue.send_text("not json at all")
    draft = approved(aws, outreach, session)
    aws.queue.send_text(json.dumps({"draft_id": "not-a-uuid"}))
    messages = aws.receive()
    assert len(messages) == 3

    # When it is processed
    response = run_batch(aws, consumer_with(ses), messages)

    # Then no item is retried, the good one is sent, the bad ones wait on the DLQ with a reason
    assert response == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1
    session.refresh(draft)
    assert draft.status == DraftStatus.SENT
    parked = aws.receive(aws.dlq_url)
    assert sorted(m["Body"] for m in parked) == sorted(
        ["not json at all", json.dumps({"draft_id": "not-a-uuid"})]
    )
    assert all(m["MessageAttributes"]["reason"]["StringValue"] for m in parked)


def test_only_the_waiting_item_of_a_mixed_batch_is_reported_failed(
    aws: Aws,
    make_outreach: Callable[..., Outreach],
    session: Session,
    ses: SesClient,
    user: str,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given one draft whose first attempt's outcome was lost, and a fresh one
    waiting = make_outreach(user)
    stuck = approved(aws, waiting, session)
    lost = aws.receive()
    run_batch(aws, consumer_with(NeverArrived()), lost)
    fresh = make_outreach(user)
    approved(aws, fresh, session)
    make_visible(aws, lost)

    # When both arrive in one batch
    messages = aws.receive()
    response = run_batch(aws, consumer_with(ses), messages)

    # Then exactly the waiting one is reported failed
    by_draft = {json.loads(m["Body"])["draft_id"]: m["MessageId"] for m in messages}
    assert response == {"batchItemFailures": [{"itemIdentifier": by_draft[str(stuck.id)]}]}
    assert aws.outbox(str(waiting.contact.email)) == []
    assert len(aws.outbox(str(fresh.contact.email))) == 1


def test_a_follow_up_replies_in_the_thread_of_the_first_email(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    ses: SesClient,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    # Given a first email sent, and a follow-up drafted by its schedule's task
    first = approved(aws, outreach, session)
    run_batch(aws, consumer_with(ses), aws.receive())
    original = sent_row(session, first)
    task = AgentTask(
        user_id=outreach.user_id, agent_id=outreach.agent.id, task_type=TaskType.DRAFT_FOLLOWUP
    )
    session.add(task)
    session.flush()
    session.add(
        FollowupSchedule(
            user_id=outreach.user_id,
            agent_id=outreach.agent.id,
            sent_id=original.id,
            contact_id=outreach.contact.id,
            task_id=task.id,
            attempt=1,
            due_at=datetime.now(UTC),
        )
    )
    session.commit()
    follow_up = approved(
        aws,
        outreach,
        session,
        subject="Re: Your keynote at DataConf",
        kind=DraftKind.FOLLOWUP,
        sequence_step=1,
        task_id=task.id,
    )

    # When it is sent
    run_batch(aws, consumer_with(ses), aws.receive())

    # Then it names SES's Message-ID of the first email
    emails = aws.outbox(str(outreach.contact.email))
    headers = dict(emails[-1]["headers"])
    assert headers["In-Reply-To"] == original.rfc822_message_id
    assert headers["References"] == original.rfc822_message_id
    assert sent_row(session, follow_up).delivery_status == DeliveryStatus.SENT


def test_the_message_id_host_follows_the_sending_region(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    consumer_with: Callable[..., SendMessageConsumer],
) -> None:
    eu_ses = aws_client("sesv2", aws.endpoint, "eu-west-1")
    eu_ses.create_email_identity(EmailIdentity="attendry.example")
    draft = approved(aws, outreach, session)

    run_batch(aws, consumer_with(SesClient(eu_ses)), aws.receive())

    row = sent_row(session, draft)
    assert row.rfc822_message_id == f"<{row.ses_message_id}@eu-west-1.amazonses.com>"


def test_the_redrive_queues_approved_drafts_that_lost_their_message_once_per_grace(
    aws: Aws, outreach: Outreach, session: Session, clock: Clock, settings: SendingSettings
) -> None:
    # Given an approved draft whose message never reached the queue
    draft = outreach.draft(session, status=DraftStatus.APPROVED)
    recent = outreach.draft(session, status=DraftStatus.APPROVED)
    session.execute(
        OutreachDraft.__table__.update()
        .where(OutreachDraft.id == draft.id)
        .values(updated_at=clock() - timedelta(seconds=settings.redrive_after_s + 5))
    )
    session.commit()

    # When the re-drive runs twice in a row (other tests' drafts may be queued too: it
    # serves every user)
    redrive_approved_drafts(clock(), queue=aws.queue, settings=settings)
    first = queued_drafts(aws)
    redrive_approved_drafts(clock(), queue=aws.queue, settings=settings)
    second = queued_drafts(aws)

    # Then only the old draft is queued, and only by the first pass
    assert str(draft.id) in first
    assert str(recent.id) not in first
    assert str(draft.id) not in second


def test_the_function_handler_sends_through_the_environment_it_is_given(
    aws: Aws, outreach: Outreach, session: Session
) -> None:
    # Given the deployed wiring: queue URLs and AWS endpoint from the environment only
    module = load_function("email_sender")
    draft = approved(aws, outreach, session)
    aws.queue.send_text("{}")
    messages = aws.receive()

    # When the Lambda handler gets the batch
    response = module.lambda_handler(sqs_event(aws, messages), LambdaContext())

    # Then the draft is sent and the empty message parked
    assert response == {"batchItemFailures": []}
    assert len(aws.outbox(str(outreach.contact.email))) == 1
    session.refresh(draft)
    assert draft.status == DraftStatus.SENT
    assert [m["Body"] for m in aws.receive(aws.dlq_url)] == ["{}"]
