"""The Sender's claim on a draft, case by case: what it finds decides whether SES is called.

`test_sender.py` drives whole sends through the queue; here each state a redelivery can
find (an outcome already on the row, an attempt still in its grace period, a draft that is
not to be sent) is written straight to the database, and the Sender's answer and the
rows it leaves are checked, with SES's outbox showing whether anything went out.
"""

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from attendry.db.enums import Channel, DeliveryStatus, DraftStatus
from attendry.db.models import OutreachDraft, OutreachSent
from attendry.email.settings import email_settings
from attendry.followups.threads import ScheduledThreads
from attendry.platform.ses import SesClient
from attendry.sending.outcomes import record_ses_acceptance
from attendry.sending.service import Sender, SendOutcome, SendResult
from attendry.sending.settings import SendingSettings
from tests.fixtures.aws import REGION, Aws
from tests.fixtures.outreach import Outreach
from tests.fixtures.sending import GRACE_S, Clock, approved, notifications

pytestmark = pytest.mark.integration


@pytest.fixture
def sender(aws: Aws, clock: Clock) -> Sender:
    settings = SendingSettings(
        email_send_queue_url=aws.queue_url,
        email_send_dlq_url=aws.dlq_url,
        reconcile_grace_s=GRACE_S,
    )
    return Sender(
        threads=ScheduledThreads(),
        ses=SesClient(aws.sesv2),
        settings=settings,
        email=email_settings(),
        clock=clock,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sending(session: Session, draft: OutreachDraft, **fields: object) -> OutreachSent:
    """The sent row a claim made for `draft`, with `fields` set; the draft `sending`."""
    draft.status = DraftStatus.SENDING
    values: dict[str, object] = {
        "user_id": draft.user_id,
        "draft_id": draft.id,
        "agent_id": draft.agent_id,
        "contact_id": draft.contact_id,
        "channel": Channel.EMAIL,
        "recipient_email": draft.recipient_email,
        "subject": draft.subject,
        "message_body": draft.message_body,
        "delivery_status": DeliveryStatus.SENDING,
        "idempotency_key": str(draft.id),
        "meta": {},
        **fields,
    }
    row = OutreachSent(**values)
    session.add(row)
    session.commit()
    return row


def ses_id() -> str:
    return f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000"


def outbox(aws: Aws, outreach: Outreach) -> int:
    return len(aws.outbox(str(outreach.contact.email)))


def test_a_redelivery_that_finds_ses_answer_on_the_row_settles_the_draft_and_sends_nothing(
    aws: Aws, outreach: Outreach, session: Session, sender: Sender, clock: Clock
) -> None:
    # Given a draft still `sending` whose row already holds SES's answer
    draft = approved(aws, outreach, session)
    accepted = ses_id()
    row = sending(
        session,
        draft,
        ses_message_id=accepted,
        rfc822_message_id=f"<{accepted}@email.amazonses.com>",
        sent_at=clock(),
        delivery_status=DeliveryStatus.DELIVERED,
    )

    result = sender.send_draft(draft.id)

    # Then nothing goes out; the draft is sent and the user told once, with the email's ids
    assert result == SendResult(SendOutcome.SETTLED, draft.id, row.id, reason="recorded")
    assert outbox(aws, outreach) == 0
    session.refresh(draft)
    assert draft.status is DraftStatus.SENT
    [told] = notifications(session, outreach.user_id, "email.sent")
    assert told.payload == {
        "draft_id": str(draft.id),
        "sent_id": str(row.id),
        "recipient": draft.recipient_email,
        "subject": draft.subject,
        "rfc822_message_id": f"<{accepted}@email.amazonses.com>",
    }


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        pytest.param(
            {"send_failure": {"code": "MessageRejected", "message": "Not verified."}},
            "MessageRejected",
            "Not verified.",
            id="with-its-reason",
        ),
        pytest.param({}, "failed", "The send failed.", id="without-a-reason"),
    ],
)
def test_a_redelivery_that_finds_a_failure_on_the_row_fails_the_draft_the_same_way(
    aws: Aws,
    outreach: Outreach,
    session: Session,
    sender: Sender,
    failure: dict[str, object],
    code: str,
    message: str,
) -> None:
    draft = approved(aws, outreach, session)
    row = sending(session, draft, delivery_status=DeliveryStatus.FAILED, meta=failure)

    result = sender.send_draft(draft.id)

    assert result == SendResult(SendOutcome.SETTLED, draft.id, row.id, reason="recorded")
    assert outbox(aws, outreach) == 0
    session.refresh(draft)
    assert draft.status is DraftStatus.FAILED
    assert draft.meta["send_failure"] == {"code": code, "message": message}
    [told] = notifications(session, outreach.user_id, "email.failed")
    assert (told.payload["code"], told.payload["message"]) == (code, message)


def test_a_draft_that_is_not_to_be_sent_is_settled_saying_why(
    aws: Aws, outreach: Outreach, session: Session, sender: Sender
) -> None:
    rejected = outreach.draft(session, status=DraftStatus.REJECTED)
    linkedin = outreach.draft(session, status=DraftStatus.APPROVED)
    linkedin.channel = Channel.LINKEDIN
    session.commit()
    unknown = uuid.uuid4()

    results = [sender.send_draft(draft_id) for draft_id in (rejected.id, linkedin.id, unknown)]

    assert results == [
        SendResult(SendOutcome.SETTLED, rejected.id, reason="rejected"),
        SendResult(SendOutcome.SETTLED, linkedin.id, reason="not an email draft"),
        SendResult(SendOutcome.SETTLED, unknown, reason="unknown draft"),
    ]
    assert outbox(aws, outreach) == 0


def test_an_attempt_waits_for_ses_send_event_until_the_grace_period_ends_to_the_second(
    aws: Aws, outreach: Outreach, session: Session, sender: Sender, clock: Clock
) -> None:
    # Given an attempt whose outcome was lost, started one grace period less a second ago
    draft = approved(aws, outreach, session)
    started = clock() - timedelta(seconds=GRACE_S - 1)
    row = sending(
        session, draft, meta={"send_attempt": {"number": 1, "started_at": started.isoformat()}}
    )

    # When the message comes back: it waits one more second, then the email goes out
    waiting = sender.send_draft(draft.id)
    clock.advance(1)
    sent = sender.send_draft(draft.id)

    assert waiting == SendResult(
        SendOutcome.AWAITING_RECONCILIATION, draft.id, row.id, retry_after_s=1
    )
    assert sent == SendResult(SendOutcome.SENT, draft.id, row.id)
    assert outbox(aws, outreach) == 1


def test_recording_ses_answer_says_whether_it_changed_anything(
    aws: Aws, outreach: Outreach, session: Session, clock: Clock
) -> None:
    draft = approved(aws, outreach, session)
    row = sending(session, draft)
    accepted = ses_id()

    def record(sent: OutreachSent, answer: str | None = None) -> bool:
        return record_ses_acceptance(
            session, sent, ses_message_id=answer or ses_id(), region=REGION, accepted_at=clock()
        )

    # The first answer records it; the same answer again changes nothing
    assert record(row, accepted) is True
    assert (row.ses_message_id, row.delivery_status) == (accepted, DeliveryStatus.SENT)
    assert record(row, accepted) is False

    # A row SES's events took further, still without the id, gets it and keeps its status
    delivered = sending(session, outreach.draft(session), delivery_status=DeliveryStatus.DELIVERED)
    assert record(delivered) is True
    assert delivered.delivery_status is DeliveryStatus.DELIVERED

    # A row with the id but still `sending` moves on
    stuck = sending(session, outreach.draft(session), ses_message_id=ses_id())
    assert record(stuck) is True
    assert stuck.delivery_status is DeliveryStatus.SENT

    # Only the draft behind: the draft is brought level, and that is a change
    level = sending(
        session,
        outreach.draft(session),
        ses_message_id=ses_id(),
        delivery_status=DeliveryStatus.SENT,
        sent_at=clock(),
    )
    assert record(level) is True

    # A row without a draft (sent by hand) is recorded too
    orphan = sending(session, outreach.draft(session), draft_id=None)
    assert record(orphan) is True
