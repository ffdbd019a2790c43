"""SES events applied to sent rows: forward only, once each, reconciling lost outcomes."""

import logging
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from attendry.core.clock import system_clock
from attendry.db.enums import (
    DeliveryStatus,
    DraftStatus,
    FollowupReason,
    FollowupStatus,
    SuppressionReason,
    SuppressionScope,
)
from attendry.db.models import (
    EmailBounce,
    EmailSuppression,
    FollowupSchedule,
    OutreachDraft,
    OutreachSent,
    SesEvent,
)
from attendry.delivery.parsing import MalformedSesEventError
from attendry.delivery.service import SesEventOutcome
from attendry.outreach.service import approve_draft
from attendry.sending.outcomes import record_ses_acceptance
from attendry.sending.policy import SendRefusedError, find_suppression
from tests.fixtures.local_runtime import wait_until
from tests.fixtures.sent_emails import SENT_AT, Apply, MakeSent, new_ses_message_id, notifications
from tests.fixtures.ses import load

pytestmark = pytest.mark.integration


def suppression(session: Session, address: str) -> EmailSuppression | None:
    return session.scalars(
        select(EmailSuppression).where(
            EmailSuppression.address == address, EmailSuppression.scope == SuppressionScope.GLOBAL
        )
    ).first()


def test_a_delivery_marks_the_email_delivered_at_the_events_time(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    delivered_at = SENT_AT + timedelta(seconds=3)

    result = apply(email.event("delivery", at=delivered_at))

    sent = email.row(db_session)
    assert result.outcome is SesEventOutcome.APPLIED
    assert result.sent_id == email.sent_id
    assert sent.delivery_status is DeliveryStatus.DELIVERED
    assert sent.delivered_at == delivered_at


def test_a_late_delivery_never_undoes_a_bounce(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given an email that bounced
    email = make_sent(user_id)
    bounced_at = SENT_AT + timedelta(minutes=1)
    apply(email.event("bounce_permanent", at=bounced_at))

    # When its Delivery event arrives afterwards
    apply(email.event("delivery", at=SENT_AT + timedelta(seconds=5)))

    # Then it stays bounced, with the bounce's own time and details
    sent = email.row(db_session)
    assert sent.delivery_status is DeliveryStatus.BOUNCED
    assert sent.bounced_at == bounced_at
    assert (sent.bounce_type, sent.bounce_subtype) == ("Permanent", "General")
    assert sent.bounce_diagnostic == "smtp; 550 5.1.1 user unknown"


def test_a_send_event_after_the_delivery_changes_nothing_back(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    apply(email.event("delivery", at=SENT_AT + timedelta(seconds=2)))

    result = apply(email.event("send"))

    assert result.changed is False
    assert email.row(db_session).delivery_status is DeliveryStatus.DELIVERED


def test_the_same_notification_twice_is_stored_once_and_changes_nothing(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given a Delivery applied under one SNS message id
    email = make_sent(user_id)
    first = apply(email.event("delivery"), sns_message_id=f"sns-{email.sent_id}")

    # When the same SNS message id comes again (here carrying a bounce, to show it is not read)
    again = apply(email.event("bounce_permanent"), sns_message_id=f"sns-{email.sent_id}")

    # Then the repeat is a duplicate: one stored row, the email still delivered, no suppression
    assert first.outcome is SesEventOutcome.APPLIED
    assert again.outcome is SesEventOutcome.DUPLICATE
    stored = db_session.scalar(
        select(func.count())
        .select_from(SesEvent)
        .where(SesEvent.sns_message_id == f"sns-{email.sent_id}")
    )
    assert stored == 1
    assert email.row(db_session).delivery_status is DeliveryStatus.DELIVERED
    assert suppression(db_session, email.recipient) is None


def test_the_send_event_reconciles_a_send_whose_outcome_was_lost(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given a send SES accepted but whose answer the Sender never recorded
    email = make_sent(user_id, recorded=False)
    assert email.row(db_session).ses_message_id is None

    # When SES's Send event arrives, found by its sent_id tag
    result = apply(email.event("send"))

    # Then the row has SES's ids and is sent, the draft too, and the user is told it went
    sent = email.row(db_session)
    assert result.outcome is SesEventOutcome.APPLIED
    stored = db_session.scalars(
        select(SesEvent).where(SesEvent.ses_message_id == email.ses_message_id)
    ).one()
    assert stored.applied is True
    assert result.changed is True
    assert sent.delivery_status is DeliveryStatus.SENT
    assert sent.ses_message_id == email.ses_message_id
    assert sent.rfc822_message_id == f"<{email.ses_message_id}@email.amazonses.com>"
    assert sent.sent_at == SENT_AT
    draft = db_session.get(OutreachDraft, email.draft_id, populate_existing=True)
    assert draft is not None
    assert draft.status is DraftStatus.SENT
    assert len(notifications(db_session, user_id, "email.sent")) == 1


def test_any_event_of_a_lost_send_reconciles_it_and_applies(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id, recorded=False)

    apply(email.event("delivery"))
    apply(email.event("send"))

    sent = email.row(db_session)
    assert sent.delivery_status is DeliveryStatus.DELIVERED
    assert sent.ses_message_id == email.ses_message_id
    assert len(notifications(db_session, user_id, "email.sent")) == 1


def test_an_event_for_an_unknown_message_is_stored_not_applied(
    apply: Apply, db_session: Session
) -> None:
    event = load("delivery")
    event["mail"]["messageId"] = "0100unknown-message-000000"
    event["mail"]["tags"].pop("sent_id")

    result = apply(event, sns_message_id="sns-unknown-delivery")

    assert result.outcome is SesEventOutcome.UNMATCHED
    stored = db_session.scalars(
        select(SesEvent).where(SesEvent.sns_message_id == "sns-unknown-delivery")
    ).one()
    assert (stored.applied, stored.event_type) == (False, "Delivery")
    assert stored.payload == event


def test_each_timestamp_is_set_once_from_the_first_event(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    first_open = SENT_AT + timedelta(hours=1)

    apply(email.event("open", at=first_open))
    apply(email.event("open", at=first_open + timedelta(hours=5)))
    apply(email.event("click", at=first_open + timedelta(minutes=1)))

    sent = email.row(db_session)
    assert sent.opened_at == first_open
    assert sent.clicked_at == first_open + timedelta(minutes=1)
    assert sent.delivery_status is DeliveryStatus.SENT


def test_a_permanent_bounce_suppresses_the_address_and_tells_the_user(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    # Given a sent email with a follow-up scheduled
    email = make_sent(user_id)
    db_session.add(
        FollowupSchedule(
            user_id=user_id,
            agent_id=email.agent_id,
            sent_id=email.sent_id,
            contact_id=email.contact_id,
            attempt=1,
            due_at=SENT_AT + timedelta(days=3),
        )
    )
    db_session.commit()

    # When it bounces for good
    apply(email.event("bounce_permanent", at=SENT_AT + timedelta(minutes=1)))

    # Then the address is suppressed for everyone, the user is told, the follow-up stops
    suppressed = suppression(db_session, email.recipient)
    assert suppressed is not None
    assert suppressed.reason is SuppressionReason.BOUNCE
    assert find_suppression(db_session, "another-user", email.recipient) is not None
    [told] = notifications(db_session, user_id, "email.bounced")
    assert told.payload["sent_id"] == str(email.sent_id)
    assert told.payload["bounce_type"] == "Permanent"
    followup = db_session.scalars(
        select(FollowupSchedule).where(FollowupSchedule.sent_id == email.sent_id)
    ).one()
    db_session.refresh(followup)
    assert (followup.status, followup.reason) == (
        FollowupStatus.CANCELLED,
        FollowupReason.BOUNCED,
    )


def test_the_next_approval_to_a_bounced_address_is_refused(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    apply(email.event("bounce_permanent"))
    draft = OutreachDraft(
        user_id=user_id,
        agent_id=email.agent_id,
        contact_id=email.contact_id,
        subject="Following up",
        message_body="Hi again",
        recipient_email=email.recipient,
    )
    db_session.add(draft)
    db_session.commit()

    with pytest.raises(SendRefusedError) as refused:
        approve_draft(db_session, user_id, draft.id, now=system_clock())
    assert refused.value.code == "recipient_suppressed"


def test_a_complaint_suppresses_the_address(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    apply(email.event("delivery", at=SENT_AT + timedelta(seconds=2)))
    complained_at = SENT_AT + timedelta(hours=2)

    apply(email.event("complaint", at=complained_at))

    sent = email.row(db_session)
    assert sent.delivery_status is DeliveryStatus.COMPLAINED
    assert sent.complained_at == complained_at
    suppressed = suppression(db_session, email.recipient)
    assert suppressed is not None
    assert suppressed.reason is SuppressionReason.COMPLAINT
    assert len(notifications(db_session, user_id, "email.complained")) == 1


def test_not_spam_feedback_is_no_complaint(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    event = email.event("complaint")
    event["complaint"]["complaintFeedbackType"] = "not-spam"

    apply(event)

    sent = email.row(db_session)
    assert sent.complained_at is None
    assert sent.delivery_status is DeliveryStatus.SENT
    assert suppression(db_session, email.recipient) is None


def test_three_transient_bounces_within_seven_days_suppress(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    address = f"full-{user_id}@example.com"
    emails = [make_sent(user_id, recipient=address) for _ in range(3)]
    times = [SENT_AT, SENT_AT + timedelta(days=5), SENT_AT + timedelta(days=2)]

    for email, at in zip(emails[:2], times[:2], strict=True):
        event = email.event("bounce_transient", at=at)
        event["bounce"]["feedbackId"] = f"fb-{email.sent_id}"
        apply(event)
    assert suppression(db_session, address) is None

    third = emails[2].event("bounce_transient", at=times[2])
    third["bounce"]["feedbackId"] = f"fb-{emails[2].sent_id}"
    apply(third)

    suppressed = suppression(db_session, address)
    assert suppressed is not None
    assert suppressed.reason is SuppressionReason.BOUNCE
    assert emails[2].row(db_session).bounce_type == "Transient"


def test_transient_bounces_spread_over_more_than_seven_days_do_not_suppress(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    address = f"full-{user_id}@example.com"
    for offset in (0, 4, 8):
        email = make_sent(user_id, recipient=address)
        event = email.event("bounce_transient", at=SENT_AT + timedelta(days=offset))
        event["bounce"]["feedbackId"] = f"fb-{email.sent_id}"
        apply(event)

    assert suppression(db_session, address) is None


def test_one_bounce_published_twice_is_recorded_once(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)
    event = email.event("bounce_transient")
    event["bounce"]["feedbackId"] = f"fb-{email.sent_id}"

    apply(event)
    apply(event)  # a second publication: another SNS message id, the same SES feedback id

    recorded = db_session.scalar(
        select(func.count()).select_from(EmailBounce).where(EmailBounce.address == email.recipient)
    )
    assert recorded == 1


@pytest.mark.parametrize(
    ("name", "status"),
    [("reject", DeliveryStatus.REJECTED), ("rendering_failure", DeliveryStatus.FAILED)],
)
def test_a_reject_or_rendering_failure_ends_the_email(
    name: str,
    status: DeliveryStatus,
    make_sent: MakeSent,
    apply: Apply,
    user_id: str,
    db_session: Session,
) -> None:
    email = make_sent(user_id)

    apply(email.event(name))
    apply(email.event("delivery"))

    assert email.row(db_session).delivery_status is status


def test_a_delivery_delay_is_recorded_without_changing_the_status(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session
) -> None:
    email = make_sent(user_id)

    apply(email.event("delivery_delay"))

    sent = email.row(db_session)
    assert sent.delivery_status is DeliveryStatus.SENT
    assert sent.meta["delivery_delay"]["type"] == "TransientCommunicationFailure"


def test_a_subscription_event_is_stored_only(apply: Apply, db_session: Session) -> None:
    result = apply(load("subscription"), sns_message_id="sns-subscription")

    assert result.outcome is SesEventOutcome.UNMATCHED
    stored = db_session.scalars(
        select(SesEvent).where(SesEvent.sns_message_id == "sns-subscription")
    ).one()
    assert stored.event_type == "Subscription"


def test_a_malformed_record_stores_nothing(apply: Apply, db_session: Session) -> None:
    event = load("bounce_permanent")
    del event["bounce"]["bounceType"]

    with pytest.raises(MalformedSesEventError):
        apply(event, sns_message_id="sns-malformed")

    assert (
        db_session.scalar(
            select(func.count())
            .select_from(SesEvent)
            .where(SesEvent.sns_message_id == "sns-malformed")
        )
        == 0
    )


def test_a_bounce_of_an_unknown_message_still_suppresses_its_address(
    apply: Apply, db_session: Session, user_id: str
) -> None:
    address = f"gone-{user_id}@example.com"
    event = load("bounce_permanent")
    event["mail"]["messageId"] = f"0100unknown-{user_id}-000000"
    event["mail"]["tags"].pop("sent_id")
    event["bounce"]["bouncedRecipients"][0]["emailAddress"] = address.upper()

    result = apply(event)

    assert result.outcome is SesEventOutcome.UNMATCHED
    suppressed = suppression(db_session, address)
    assert suppressed is not None
    assert suppressed.reason is SuppressionReason.BOUNCE


def test_an_event_found_by_its_tag_waits_for_the_senders_locks_before_storing_anything(
    make_sent: MakeSent, apply: Apply, user_id: str, db_session: Session, database_url: str
) -> None:
    # Given a send whose outcome the Sender is recording right now (its draft locked)
    email = make_sent(user_id, recorded=False)
    key = str(uuid.uuid4())
    elsewhere = create_engine(database_url, poolclass=NullPool)
    with elsewhere.connect() as sender:
        sender.execute(
            select(OutreachDraft.id).where(OutreachDraft.id == email.draft_id).with_for_update()
        )
        holder = sender.execute(text("SELECT pg_backend_pid()")).scalar_one()

        # When the Send event arrives and waits on that lock
        with ThreadPoolExecutor(1) as pool:
            applying = pool.submit(apply, email.event("send"), key)
            waiting = wait_until(lambda: _blocked_by(db_session, holder), timeout_s=10)

            # Then it has written nothing yet: the row locks come before the stored key,
            # the order the other way in (found by SES message id) uses too
            assert waiting["backend_xid"] is None
            sender.rollback()
            result = applying.result(timeout=10)

    elsewhere.dispose()
    assert result.outcome is SesEventOutcome.APPLIED
    assert db_session.scalars(select(SesEvent).where(SesEvent.sns_message_id == key)).one().applied


SECOND_MESSAGE = "SES event of a second SES message for one sent row"


def second_message_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.getMessage() == SECOND_MESSAGE]


def test_an_event_arriving_while_the_sender_records_its_message_warns_of_nothing(
    make_sent: MakeSent,
    apply: Apply,
    user_id: str,
    db_session: Session,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given the Sender recording SES's answer right now: the draft locked, the message id
    # written, not yet committed
    email = make_sent(user_id, recorded=False)
    elsewhere = create_engine(database_url, poolclass=NullPool)
    with Session(elsewhere) as sender:
        sender.get(OutreachDraft, email.draft_id, with_for_update=True)
        sent = sender.get(OutreachSent, email.sent_id, with_for_update=True)
        assert sent is not None
        record_ses_acceptance(
            sender,
            sent,
            ses_message_id=email.ses_message_id,
            region="eu-west-1",
            accepted_at=SENT_AT,
        )
        sender.flush()
        holder = sender.execute(text("SELECT pg_backend_pid()")).scalar_one()

        # When the Send event of that very message arrives (not found by the uncommitted
        # id, so by its tag) and waits, and the Sender commits
        with ThreadPoolExecutor(1) as pool:
            applying = pool.submit(apply, email.event("send"))
            wait_until(lambda: _blocked_by(db_session, holder), timeout_s=10)
            sender.commit()
            result = applying.result(timeout=10)
    elsewhere.dispose()

    # Then it is applied to the row, and nothing warns of a second message
    assert result.outcome is SesEventOutcome.APPLIED
    assert email.row(db_session).ses_message_id == email.ses_message_id
    assert second_message_warnings(caplog) == []


def test_an_event_after_the_sender_recorded_its_message_warns_of_nothing(
    make_sent: MakeSent, apply: Apply, user_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    email = make_sent(user_id)

    result = apply(email.event("send"))

    assert result.outcome is SesEventOutcome.APPLIED
    assert second_message_warnings(caplog) == []


def test_an_event_of_another_message_tagged_with_a_recorded_row_warns(
    make_sent: MakeSent, apply: Apply, user_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a row the Sender recorded with SES's message id
    email = make_sent(user_id)

    # When an event of a different SES message names that row in its sent_id tag
    other = new_ses_message_id()
    apply(replace(email, ses_message_id=other).event("delivery"))

    # Then it is the one case the warning is for
    [warning] = second_message_warnings(caplog)
    assert warning.levelno == logging.WARNING
    assert (warning.recorded_ses_message_id, warning.event_ses_message_id) == (
        email.ses_message_id,
        other,
    )


def _blocked_by(session: Session, holder: int) -> dict[str, Any] | None:
    row = session.execute(
        text(
            "SELECT pid, backend_xid::text AS backend_xid FROM pg_stat_activity"
            " WHERE :holder = ANY(pg_blocking_pids(pid))"
        ),
        {"holder": holder},
    ).first()
    session.rollback()
    return dict(row._mapping) if row is not None else None
