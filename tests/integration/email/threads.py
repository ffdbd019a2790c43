"""Sent messages and their scheduled follow-ups, written straight to the database."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.db.enums import DeliveryStatus, FollowupStatus
from attendry.db.models import FollowupSchedule, Notification, OutreachSent
from attendry.email.message import ses_message_id_header
from tests.integration.email.conftest import REGION, Outreach


def sent_message(
    session: Session,
    outreach: Outreach,
    *,
    recipient: str | None = None,
    sent_at: datetime | None = None,
) -> OutreachSent:
    """A message SES accepted: its SES id and the Message-ID the contact saw."""
    ses_id = f"0100019{uuid.uuid4().hex[:9]}-{uuid.uuid4()}-000000"
    sent = OutreachSent(
        user_id=outreach.user_id,
        agent_id=outreach.agent.id,
        contact_id=outreach.contact.id,
        recipient_email=recipient or outreach.contact.email,
        subject="Your keynote at DataConf",
        message_body="Hi Ada,\n\nI loved your talk.\n\nSam",
        sent_at=sent_at or datetime.now(UTC) - timedelta(days=2),
        delivery_status=DeliveryStatus.DELIVERED,
        ses_message_id=ses_id,
        rfc822_message_id=ses_message_id_header(ses_id, REGION),
        idempotency_key=f"test-{uuid.uuid4()}",
        meta={},
    )
    session.add(sent)
    session.commit()
    return sent


def followup(
    session: Session,
    outreach: Outreach,
    sent: OutreachSent,
    *,
    attempt: int = 1,
    status: FollowupStatus = FollowupStatus.SCHEDULED,
) -> FollowupSchedule:
    row = FollowupSchedule(
        user_id=outreach.user_id,
        agent_id=outreach.agent.id,
        sent_id=sent.id,
        contact_id=sent.contact_id or outreach.contact.id,
        attempt=attempt,
        due_at=datetime.now(UTC) + timedelta(days=attempt * 3),
        status=status,
    )
    session.add(row)
    session.commit()
    return row


def notifications(session: Session, user_id: str, kind: str) -> list[Notification]:
    session.expire_all()
    stmt = select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    return list(session.scalars(stmt.order_by(Notification.created_at)))
