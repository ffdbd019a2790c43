"""Replies through the InboundMail function: matched, stored, counted once, follow-ups stopped."""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from mypy_boto3_s3 import S3Client
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.enums import FollowupReason, FollowupStatus, InboundMatch, SuppressionScope
from attendry.db.models import (
    Contact,
    EmailSuppression,
    InboundEmail,
    OutreachSent,
)
from attendry.db.models.inbound import InboundKind
from attendry.email.reply_address import make_reply_address, make_unsubscribe_mailto_address
from attendry.email.settings import email_settings
from attendry.inbound.consumer import InboundMailConsumer
from attendry.inbound.service import REPLY_RECEIVED
from attendry.inbound.settings import InboundSettings
from attendry.platform.s3 import default_s3_client
from attendry.suppression.unsubscribe import CONTACT_UNSUBSCRIBED
from tests.fixtures.api import ApiResponse, LambdaContext
from tests.fixtures.aws import Aws, aws_client, sqs_event
from tests.fixtures.functions import lambda_handler_of
from tests.fixtures.outreach import Outreach, followup, notifications, sent_message
from tests.fixtures.ses_inbound import (
    KEY_PREFIX,
    receipt_notice,
    reply_email,
    ses_message_id,
    sns_envelope,
)

pytestmark = pytest.mark.integration

CallApi = Callable[..., ApiResponse]
CONTACT = "jonas@fjord.example"


@pytest.fixture
def sent(session: Session, outreach: Outreach) -> OutreachSent:
    return sent_message(session, outreach)


@dataclass
class Inbox:
    """This test's inbound bucket and queue, and the way SES would fill them."""

    aws: Aws
    s3: S3Client
    bucket: str

    def receive(
        self,
        raw: bytes,
        recipients: list[str],
        *,
        received_at: datetime | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Store the email as the S3 action would; the notice SES would publish."""
        key = key or f"{KEY_PREFIX}{ses_message_id()}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=raw)
        return receipt_notice(
            bucket=self.bucket, key=key, recipients=recipients, received_at=received_at
        )

    def event(self, *bodies: str) -> dict[str, Any]:
        """The Lambda event of InboundMail queue messages carrying `bodies`."""
        for body in bodies:
            self.aws.sqs.send_message(QueueUrl=self.aws.queue_url, MessageBody=body)
        received: list[dict[str, Any]] = []
        while len(received) < len(bodies):
            batch = self.aws.receive(hide_for=30)
            assert batch, "the queued notices did not come back"
            received.extend(batch)
        return sqs_event(self.aws, received)


@pytest.fixture
def inbox(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    s3: S3Client = aws_client("s3", aws.endpoint)
    bucket = f"inbound-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    monkeypatch.setenv("INBOUND_MAIL_BUCKET", bucket)
    monkeypatch.setenv("INBOUND_MAIL_DLQ_URL", aws.dlq_url)
    default_s3_client.cache_clear()
    try:
        yield Inbox(aws, s3, bucket)
    finally:
        default_s3_client.cache_clear()


@pytest.fixture
def handler(inbox: Inbox) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A cold start of the function: it reads this test's environment."""
    return lambda_handler_of("inbound_mail")


def consumer(inbox: Inbox) -> InboundMailConsumer:
    return InboundMailConsumer(
        settings=InboundSettings(INBOUND_MAIL_BUCKET=inbox.bucket, INBOUND_MAIL_DLQ_URL="unused"),
        dead_letters=inbox.aws.dead_letters,
        email=email_settings(),
    )


def deliver(inbox: Inbox, notice: dict[str, Any]) -> Any:
    """One notice through the consumer, as its queue record."""
    record = inbox.event(json.dumps(notice))["Records"][0]
    return consumer(inbox)(SQSRecord(record))


def stored(session: Session, bucket: str) -> list[InboundEmail]:
    session.expire_all()
    stmt = select(InboundEmail).where(InboundEmail.s3_bucket == bucket)
    return list(session.scalars(stmt.order_by(InboundEmail.received_at)))


def test_a_reply_to_the_reply_address_is_matched_counted_and_stops_the_followups(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    inbox: Inbox,
    outreach: Outreach,
    session: Session,
    sent: OutreachSent,
) -> None:
    # Given two scheduled follow-ups of the thread and another contact's
    first = followup(session, outreach, sent, attempt=1)
    second = followup(session, outreach, sent, attempt=2)
    someone_else = Contact(user_id=outreach.user_id, name="Eve", email="eve@example.org")
    session.add(someone_else)
    session.commit()
    other_thread = sent_message(session, outreach, recipient="eve@example.org")
    other_thread.contact_id = someone_else.id
    session.commit()
    unrelated = followup(session, outreach, other_thread)
    reply_to = make_reply_address(sent.id, settings=email_settings())
    received_at = datetime(2026, 11, 27, 9, 12, 33, 936000, tzinfo=UTC)
    raw = reply_email(sender=f"Jonas Berg <{CONTACT}>", to=[reply_to])

    # When SES's notice reaches the function
    notice = inbox.receive(raw, [reply_to], received_at=received_at)
    result = handler(inbox.event(json.dumps(notice)), LambdaContext())

    # Then it is stored, matched by the Reply-To token
    assert result == {"batchItemFailures": []}
    [row] = stored(session, inbox.bucket)
    assert (row.user_id, row.sent_id, row.contact_id) == (
        outreach.user_id,
        sent.id,
        sent.contact_id,
    )
    assert row.matched_by == InboundMatch.REPLY_ADDRESS
    assert row.from_address == CONTACT
    assert row.reply_text == "Hi Sam,\n\nYes, happy to meet at DataConf.\n\nJonas"
    assert row.received_at == received_at
    assert (row.classification, row.classification_reason) == (
        InboundKind.REPLY,
        "no automatic-mail signal",
    )
    # And the thread is answered as of SES's receipt time
    session.refresh(sent)
    assert sent.response_received_at == received_at
    # And the contact's scheduled follow-ups stopped, no one else's
    for row_ in (first, second, unrelated):
        session.refresh(row_)
    assert {(f.status, f.reason) for f in (first, second)} == {
        (FollowupStatus.CANCELLED, FollowupReason.REPLIED)
    }
    assert unrelated.status == FollowupStatus.SCHEDULED
    # And the user is told
    [notice_row] = notifications(session, outreach.user_id, REPLY_RECEIVED)
    assert notice_row.payload["sent_id"] == str(sent.id)
    assert notice_row.payload["snippet"].startswith("Hi Sam,")
    assert notice_row.payload["first_reply"] is True
    assert notice_row.payload["followups_cancelled"] == 2


def test_a_reply_naming_the_ses_message_id_in_in_reply_to_is_matched(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    # Given a reply to the From address in the thread, from another account of the contact
    raw = reply_email(
        sender="jonas.private@mail.example",
        to=["outreach@attendry.example"],
        in_reply_to=str(sent.rfc822_message_id),
    )

    result = deliver(inbox, inbox.receive(raw, ["outreach@reply.attendry.example"]))

    assert result.matched_by == InboundMatch.MESSAGE_ID
    assert result.counted_as_reply
    [row] = stored(session, inbox.bucket)
    assert row.sent_id == sent.id
    assert row.in_reply_to == [sent.rfc822_message_id]
    session.refresh(sent)
    assert sent.response_received_at is not None


def test_references_match_whatever_region_host_ses_used(
    inbox: Inbox, session: Session, sent: OutreachSent
) -> None:
    other_host = str(sent.rfc822_message_id).replace(
        "email.amazonses.com", "eu-west-1.amazonses.com"
    )
    raw = reply_email(
        sender=CONTACT, to=["x@example.org"], references=["<a@b.example>", other_host]
    )

    result = deliver(inbox, inbox.receive(raw, ["x@reply.attendry.example"]))

    assert (result.matched_by, result.sent_id) == (InboundMatch.MESSAGE_ID, sent.id)


def test_an_auto_reply_is_recorded_but_does_not_count(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    scheduled = followup(session, outreach, sent)
    reply_to = make_reply_address(sent.id, settings=email_settings())
    raw = reply_email(
        sender=CONTACT,
        to=[reply_to],
        subject="Automatic reply: Your keynote at DataConf",
        text="I am out of the office until Monday.",
        extra_headers={"Auto-Submitted": "auto-replied"},
    )

    result = deliver(inbox, inbox.receive(raw, [reply_to]))

    assert result.matched_by == InboundMatch.REPLY_ADDRESS
    assert not result.counted_as_reply
    [row] = stored(session, inbox.bucket)
    assert (row.classification, row.classification_reason) == (
        InboundKind.AUTO_REPLY,
        "header Auto-Submitted: auto-replied",
    )
    assert row.sent_id == sent.id
    session.refresh(sent)
    session.refresh(scheduled)
    assert sent.response_received_at is None
    assert scheduled.status == FollowupStatus.SCHEDULED
    assert notifications(session, outreach.user_id, REPLY_RECEIVED) == []


def test_mail_that_matches_no_thread_is_kept_without_an_owner(
    inbox: Inbox, session: Session
) -> None:
    raw = reply_email(
        sender="stranger@example.org",
        to=["hello@reply.attendry.example"],
        in_reply_to="<not-ours@mail.example>",
    )

    result = deliver(inbox, inbox.receive(raw, ["hello@reply.attendry.example"]))

    assert result.matched_by is None
    [row] = stored(session, inbox.bucket)
    assert (row.user_id, row.sent_id, row.matched_by) == (None, None, None)
    assert row.from_address == "stranger@example.org"
    assert row.in_reply_to == ["<not-ours@mail.example>"]


def test_a_forged_reply_address_matches_nothing(
    inbox: Inbox, session: Session, sent: OutreachSent
) -> None:
    genuine = make_reply_address(sent.id, settings=email_settings())
    local, _, domain = genuine.partition("@")
    forged = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    raw = reply_email(sender=CONTACT, to=[forged])

    result = deliver(inbox, inbox.receive(raw, [forged]))

    assert result.matched_by is None
    session.refresh(sent)
    assert sent.response_received_at is None


def test_only_the_first_reply_sets_response_received_at(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    reply_to = make_reply_address(sent.id, settings=email_settings())
    early = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    late = early + timedelta(hours=3)

    deliver(
        inbox,
        inbox.receive(reply_email(sender=CONTACT, to=[reply_to]), [reply_to], received_at=early),
    )
    second = deliver(
        inbox,
        inbox.receive(
            reply_email(sender=CONTACT, to=[reply_to], text="One more thing."),
            [reply_to],
            received_at=late,
        ),
    )

    session.refresh(sent)
    assert sent.response_received_at == early
    assert second.counted_as_reply
    assert not second.first_reply
    assert len(stored(session, inbox.bucket)) == 2
    assert [
        n.payload["first_reply"] for n in notifications(session, outreach.user_id, REPLY_RECEIVED)
    ] == [True, False]


def test_the_same_notice_twice_changes_nothing(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    reply_to = make_reply_address(sent.id, settings=email_settings())
    notice = inbox.receive(reply_email(sender=CONTACT, to=[reply_to]), [reply_to])

    first = deliver(inbox, notice)
    again = deliver(inbox, notice)

    assert not first.duplicate
    assert again.duplicate
    assert len(stored(session, inbox.bucket)) == 1
    assert len(notifications(session, outreach.user_id, REPLY_RECEIVED)) == 1


def test_mail_to_the_unsubscribe_mailto_address_unsubscribes_for_that_user(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    scheduled = followup(session, outreach, sent)
    mailto = make_unsubscribe_mailto_address(sent.id, settings=email_settings())
    raw = reply_email(sender=CONTACT, to=[mailto], subject="unsubscribe", text="")

    result = deliver(inbox, inbox.receive(raw, [mailto]))

    assert result.matched_by == InboundMatch.UNSUBSCRIBE_ADDRESS
    assert result.unsubscribed
    assert not result.counted_as_reply
    session.expire_all()
    [suppression] = session.scalars(
        select(EmailSuppression).where(EmailSuppression.address == str(sent.recipient_email))
    ).all()
    assert (suppression.scope, suppression.user_id) == (SuppressionScope.USER, outreach.user_id)
    session.refresh(scheduled)
    assert (scheduled.status, scheduled.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.UNSUBSCRIBED,
    )
    [notice] = notifications(session, outreach.user_id, CONTACT_UNSUBSCRIBED)
    assert notice.payload["via"] == "mailto"
    session.refresh(sent)
    assert sent.response_received_at is None


def test_a_batch_with_bad_notices_parks_them_and_processes_the_rest(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]],
    inbox: Inbox,
    session: Session,
    sent: OutreachSent,
) -> None:
    reply_to = make_reply_address(sent.id, settings=email_settings())
    good = inbox.receive(reply_email(sender=CONTACT, to=[reply_to]), [reply_to])
    wrapped = sns_envelope(
        inbox.receive(reply_email(sender=CONTACT, to=[reply_to], text="Again"), [reply_to])
    )
    elsewhere = receipt_notice(
        bucket="someone-elses-bucket", key="inbound/x", recipients=[reply_to]
    )
    gone = receipt_notice(bucket=inbox.bucket, key="inbound/never-stored", recipients=[reply_to])
    bodies = [
        json.dumps(good),
        json.dumps(wrapped),
        "not json at all",
        json.dumps({"notificationType": "Received", "receipt": {"action": {"type": "SNS"}}}),
        json.dumps(elsewhere),
        json.dumps(gone),
    ]

    result = handler(inbox.event(*bodies), LambdaContext())

    # Then nothing is retried: the good ones are stored, the bad ones parked with a reason
    assert result == {"batchItemFailures": []}
    assert len(stored(session, inbox.bucket)) == 2
    parked = inbox.aws.receive(inbox.aws.dlq_url)
    assert sorted(message["Body"] for message in parked) == sorted(bodies[2:])
    reasons = [message["MessageAttributes"]["reason"]["StringValue"] for message in parked]
    assert all(reasons)
    assert any("not ours" in reason for reason in reasons)
    assert any("does not exist" in reason for reason in reasons)


def test_marking_a_reply_by_hand_answers_the_latest_message_once(
    call_api: CallApi, outreach: Outreach, session: Session
) -> None:
    # Given two messages to the contact, the newer with a scheduled follow-up
    older = sent_message(session, outreach, sent_at=datetime.now(UTC) - timedelta(days=9))
    newer = sent_message(session, outreach, sent_at=datetime.now(UTC) - timedelta(days=2))
    scheduled = followup(session, outreach, newer)
    path = f"/contacts/{outreach.contact.id}/replied"

    # When the user marks the contact as having replied, twice
    first = call_api("POST", path, user=outreach.user_id)
    again = call_api("POST", path, user=outreach.user_id)

    # Then the newest message is answered once and the follow-up stopped
    assert first.status == 200
    body = first.json()
    assert body["sent_id"] == str(newer.id)
    assert body["already_recorded"] is False
    assert body["followups_cancelled"] == 1
    assert again.status == 200
    assert again.json()["already_recorded"] is True
    assert again.json()["response_received_at"] == body["response_received_at"]
    session.refresh(newer)
    session.refresh(older)
    session.refresh(scheduled)
    assert newer.response_received_at is not None
    assert older.response_received_at is None
    assert (scheduled.status, scheduled.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.REPLIED,
    )


def test_marking_another_users_contact_is_404(
    call_api: CallApi, make_outreach: Callable[..., Outreach], outreach: Outreach
) -> None:
    stranger = make_outreach(f"user-{uuid.uuid4()}")

    response = call_api("POST", f"/contacts/{outreach.contact.id}/replied", user=stranger.user_id)
    unknown = call_api("POST", f"/contacts/{uuid.uuid4()}/replied", user=outreach.user_id)

    assert (response.status, unknown.status) == (404, 404)


def test_marking_a_contact_nothing_was_sent_to_only_stops_followups(
    call_api: CallApi, outreach: Outreach, session: Session
) -> None:
    # Given a thread to Ada's address, with a follow-up scheduled, under an earlier record
    # of hers that now holds another address; Ada saved again under the first one; and a
    # follow-up to someone else
    address = outreach.contact.email
    assert address is not None
    thread = sent_message(session, outreach)
    scheduled = followup(session, outreach, thread)
    outreach.contact.email = "ada.new@example.com"
    session.merge(outreach.contact)
    session.commit()
    saved = call_api(
        "POST", "/contacts", user=outreach.user_id, body={"name": "Ada", "email": address}
    )
    assert saved.status == 201, saved.body
    twin = saved.json()["id"]
    other = Contact(user_id=outreach.user_id, name="Grace", email="grace@example.com")
    session.add(other)
    session.commit()
    others = followup(session, outreach, sent_message(session, outreach, recipient=other.email))

    # When the second record, which nothing was sent to, is marked replied
    response = call_api("POST", f"/contacts/{twin}/replied", user=outreach.user_id)

    # Then no message is marked answered, and only the follow-up to that address stops
    assert response.status == 200, response.body
    assert response.json() == {
        "contact_id": twin,
        "sent_id": None,
        "response_received_at": None,
        "already_recorded": False,
        "followups_cancelled": 1,
    }
    session.expire_all()
    assert (scheduled.status, scheduled.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.REPLIED,
    )
    assert thread.response_received_at is None
    assert (others.status, others.reason) == (FollowupStatus.SCHEDULED, None)


def test_a_nul_character_in_the_mail_does_not_fail_it_forever(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent
) -> None:
    reply_to = make_reply_address(sent.id, settings=email_settings())
    raw = reply_email(sender=CONTACT, to=[reply_to], subject="Re: x", text="Yes\x00 please")

    result = deliver(inbox, inbox.receive(raw, [reply_to]))

    assert result.counted_as_reply
    [row] = stored(session, inbox.bucket)
    assert row.reply_text == "Yes please"


MAIL = Path(__file__).resolve().parents[2] / "fixtures" / "mail"
_READDRESSED = re.compile(rb"^(?:to|in-reply-to|references):.*(?:\r?\n[ \t].*)*\r?\n", re.I | re.M)


def readdressed(sample: str, *, to: str, in_reply_to: str | None = None) -> bytes:
    """A real sample (tests/fixtures/mail) sent to `to`, answering `in_reply_to` if given:
    only its To, In-Reply-To and References lines are replaced, as SOURCES.md says."""
    raw = (MAIL / sample).read_bytes()
    split = re.search(rb"\r?\n\r?\n", raw)
    end = split.start() + 1 if split else len(raw)
    head = _READDRESSED.sub(b"", raw[:end])
    new = f"To: {to}\r\n" + (f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else "")
    return new.encode() + head + raw[end:]


@pytest.mark.parametrize(
    ("sample", "kind"),
    [
        ("bounce/sisimai-google-02.eml", InboundKind.BOUNCE),
        ("bounce/sisimai-exchange2003-07-ims55.eml", InboundKind.BOUNCE),
        ("bounce/sisimai-domino-01.eml", InboundKind.BOUNCE),
        ("bounce/sisimai-qmail-01.eml", InboundKind.BOUNCE),
        ("auto_reply/utilus-exchange2013-rules-agent.eml", InboundKind.AUTO_REPLY),
        ("auto_reply/sisimai-rfc3834-02-domino.eml", InboundKind.AUTO_REPLY),
        ("list/vger-linux-bluetooth-github-push.eml", InboundKind.LIST),
    ],
)
def test_a_real_bounce_auto_reply_or_list_post_keeps_the_followups_running(
    inbox: Inbox,
    outreach: Outreach,
    session: Session,
    sent: OutreachSent,
    sample: str,
    kind: InboundKind,
) -> None:
    # Given a scheduled follow-up, and a real machine mail arriving at the email's reply address
    scheduled = followup(session, outreach, sent)
    reply_to = make_reply_address(sent.id, settings=email_settings())
    raw = readdressed(sample, to=reply_to)

    result = deliver(inbox, inbox.receive(raw, [reply_to]))

    # Then it is kept on the thread with its kind and why
    assert (result.matched_by, result.classification) == (InboundMatch.REPLY_ADDRESS, kind)
    assert not result.counted_as_reply
    [row] = stored(session, inbox.bucket)
    assert (row.sent_id, row.classification) == (sent.id, kind)
    assert row.classification_reason
    # And the contact is not marked replied, the follow-up still goes, nobody is told
    session.refresh(sent)
    session.refresh(scheduled)
    assert sent.response_received_at is None
    assert scheduled.status == FollowupStatus.SCHEDULED
    assert notifications(session, outreach.user_id, REPLY_RECEIVED) == []


@pytest.mark.parametrize("sample", ["reply/talon-thunderbird.eml", "reply/vger-outlook98-sv.eml"])
def test_a_real_human_reply_naming_the_message_id_without_brackets_stops_the_followups(
    inbox: Inbox, outreach: Outreach, session: Session, sent: OutreachSent, sample: str
) -> None:
    # Given a scheduled follow-up, and a real reply whose In-Reply-To has no angle brackets
    scheduled = followup(session, outreach, sent)
    bare_id = str(sent.rfc822_message_id).strip("<>")
    raw = readdressed(sample, to="outreach@attendry.example", in_reply_to=bare_id)

    result = deliver(inbox, inbox.receive(raw, ["outreach@reply.attendry.example"]))

    # Then it is matched by the Message-ID and counts as the contact's reply
    assert (result.matched_by, result.sent_id) == (InboundMatch.MESSAGE_ID, sent.id)
    assert (result.classification, result.counted_as_reply) == (InboundKind.REPLY, True)
    [row] = stored(session, inbox.bucket)
    assert row.in_reply_to == [sent.rfc822_message_id]
    session.refresh(sent)
    session.refresh(scheduled)
    assert sent.response_received_at is not None
    assert (scheduled.status, scheduled.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.REPLIED,
    )
    [notice_row] = notifications(session, outreach.user_id, REPLY_RECEIVED)
    assert notice_row.payload["sent_id"] == str(sent.id)
