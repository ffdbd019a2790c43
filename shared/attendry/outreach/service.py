"""Outreach drafts: read, edit, approve, reject; and the sent messages they became.

Approval is the gate in front of SES: it refuses a draft that must not be sent (bad or
suppressed address, paused sending, the agent's daily cap), then marks it `approved` and
queues it for the Sender once the approval is committed. Queueing after the commit, never
before, means the Sender cannot see a message for an approval that was rolled back; a
crash between the commit and the queue leaves an approved draft without a message, which
`redrive_approved_drafts` queues again.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import Connection, Engine, and_, or_, select, update
from sqlalchemy.orm import Session

from attendry.agents.settings import (
    FollowupSettings,
    OutreachSettings,
    sender_display_name,
    settings_for,
)
from attendry.core.errors import ConflictError
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import Channel, DeliveryStatus, DraftStatus
from attendry.db.models import Agent, Contact, OutreachDraft, OutreachSent, UserSendingState
from attendry.db.owned import get_owned, list_owned
from attendry.db.pagination import KeysetPage
from attendry.email.headers import check_header_value
from attendry.outreach.schemas import DraftUpdate
from attendry.platform.after_commit import after_commit
from attendry.platform.domain_events import DraftRejected, publish
from attendry.platform.sqs import SqsQueue
from attendry.sending.policy import (
    SendRefusal,
    SendRefusedError,
    recipient_address,
    refuse_unsendable,
    sends_counted_today,
)
from attendry.sending.settings import SendingSettings, sending_settings

DRAFT = "Draft"
SENT = "Sent message"


class DraftStateError(ConflictError):
    """A change the draft's status does not allow (approving a rejected draft, say)."""

    code = "invalid_draft_state"


def _refuse_unless(draft: OutreachDraft, allowed: DraftStatus, action: str) -> None:
    if draft.status != allowed:
        raise DraftStateError(
            f"Draft {draft.id} is {draft.status.value}; only a draft that is "
            f"{allowed.value} can be {action}.",
            details=[{"field": "status", "message": draft.status.value}],
        )


def list_drafts(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    status: DraftStatus | None = None,
    agent_id: UUID | None = None,
    contact_id: UUID | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        OutreachDraft,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=(
            (OutreachDraft.status, status),
            (OutreachDraft.agent_id, agent_id),
            (OutreachDraft.contact_id, contact_id),
        ),
    )


def get_draft(session: Session, user_id: str, draft_id: UUID) -> OutreachDraft:
    return get_owned(session, OutreachDraft, user_id, draft_id, noun=DRAFT)


def update_draft(
    session: Session, user_id: str, draft_id: UUID, changes: DraftUpdate
) -> OutreachDraft:
    """Edit the text before approval; what was approved is exactly what gets sent."""
    draft = get_owned(session, OutreachDraft, user_id, draft_id, noun=DRAFT, for_update=True)
    _refuse_unless(draft, DraftStatus.PENDING_APPROVAL, "edited")
    fields = changes.model_fields_set
    if "subject" in fields and changes.subject is not None:
        draft.subject = check_header_value("subject", changes.subject)
    if "message_body" in fields and changes.message_body is not None:
        draft.message_body = changes.message_body
    if "html_body" in fields:
        draft.html_body = changes.html_body
    draft.edited_by_user = True
    session.flush()
    session.refresh(draft)
    return draft


def reject_draft(session: Session, user_id: str, draft_id: UUID, reason: str) -> OutreachDraft:
    draft = get_owned(session, OutreachDraft, user_id, draft_id, noun=DRAFT, for_update=True)
    _refuse_unless(draft, DraftStatus.PENDING_APPROVAL, "rejected")
    draft.status = DraftStatus.REJECTED
    draft.rejection_reason = reason.strip()
    publish(session, DraftRejected(draft))
    session.flush()
    session.refresh(draft)
    return draft


def approve_draft(
    session: Session,
    user_id: str,
    draft_id: UUID,
    *,
    now: datetime,
    queue: SqsQueue | None = None,
) -> OutreachDraft:
    """Approve a pending draft; an email draft is queued for the Sender after `session` commits.

    Callers inside their own transaction (the agent worker approving for an agent with
    `requires_approval: false`) get the same guarantee: nothing is queued unless their
    transaction commits. Refusals: `invalid_draft_state` (409), `invalid_recipient` (422),
    an unsafe subject, sender or recipient name (422, naming the field),
    `recipient_suppressed`, `sending_paused`, `daily_send_cap_reached` (409).
    """
    draft = get_owned(session, OutreachDraft, user_id, draft_id, noun=DRAFT, for_update=True)
    _refuse_unless(draft, DraftStatus.PENDING_APPROVAL, "approved")
    if draft.channel == Channel.EMAIL:
        _check_email_draft(session, user_id, draft, now)
    draft.status = DraftStatus.APPROVED
    draft.approved_at = now
    session.flush()
    session.refresh(draft)
    if draft.channel == Channel.EMAIL:
        _queue_after_commit(session, draft.id, queue)
    return draft


def _check_email_draft(session: Session, user_id: str, draft: OutreachDraft, now: datetime) -> None:
    # Locking the agent serialises approvals of its drafts, so two at once cannot both
    # take the last place under the daily cap.
    agent = session.get(Agent, draft.agent_id, with_for_update=True)
    if agent is None:
        raise DraftStateError(f"Draft {draft.id} has no agent any more.")
    contact = session.get(Contact, draft.contact_id)
    address = draft.recipient_email or (contact.email if contact is not None else None)
    draft.recipient_email = recipient_address(address)
    # Everything that becomes a header is checked now, so the Sender never fails on it.
    check_header_value("subject", draft.subject or "")
    check_header_value("sender_name", sender_display_name(agent))
    if contact is not None and contact.name:
        check_header_value("recipient_name", contact.name)
    refuse_unsendable(session, user_id, draft.recipient_email)

    settings = settings_for(agent.agent_type, agent.settings)
    if isinstance(settings, OutreachSettings | FollowupSettings):
        counted = sends_counted_today(session, user_id, agent.id, now)
        if counted >= settings.daily_send_cap:
            raise SendRefusedError(
                SendRefusal.DAILY_SEND_CAP_REACHED,
                f"{agent.name} has sent or queued {counted} emails today (UTC), its daily "
                f"cap is {settings.daily_send_cap}: approve this draft tomorrow or raise "
                f"daily_send_cap.",
            )


def list_sent(
    connection: Connection,
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    delivery_status: DeliveryStatus | None = None,
    agent_id: UUID | None = None,
    contact_id: UUID | None = None,
) -> KeysetPage:
    return list_owned(
        connection,
        OutreachSent,
        user_id,
        limit=limit,
        cursor=cursor,
        matching=(
            (OutreachSent.delivery_status, delivery_status),
            (OutreachSent.agent_id, agent_id),
            (OutreachSent.contact_id, contact_id),
        ),
    )


def get_sent(session: Session, user_id: str, sent_id: UUID) -> OutreachSent:
    return get_owned(session, OutreachSent, user_id, sent_id, noun=SENT)


def send_queue() -> SqsQueue:
    """The EmailSend queue of the process's settings: where the API's approvals, and the
    agent worker's automatic ones, queue their drafts (the Sender and the re-drive get
    theirs from their cold start)."""
    return SqsQueue(sending_settings().queue_url())


def enqueue_sends(draft_ids: Sequence[UUID], *, queue: SqsQueue | None = None) -> int:
    """Queue `{"draft_id": ...}` for each draft; how many were queued.

    A failure is logged, not raised: the drafts stay approved and the re-drive queues
    them again, so the caller's answer (202 to the user) stays true.
    """
    queued = 0
    try:
        target = queue or send_queue()
        for draft_id in draft_ids:
            target.send_json({"draft_id": str(draft_id)})
            queued += 1
    except Exception:
        logger.exception(
            "Could not queue approved drafts for sending; the re-drive will queue them",
            extra={"draft_ids": [str(d) for d in draft_ids[queued:]]},
        )
    return queued


def _queue_after_commit(session: Session, draft_id: UUID, queue: SqsQueue | None) -> None:
    """After the outermost commit: an approval made in a savepoint (the agent worker's)
    must not reach the Sender before the draft is committed."""
    after_commit(session, lambda: enqueue_sends([draft_id], queue=queue))


def redrive_approved_drafts(
    now: datetime,
    *,
    queue: SqsQueue,
    settings: SendingSettings,
    engine: Engine | None = None,
) -> int:
    """Queue again the email drafts no message is carrying any more; how many.

    Two kinds: `approved` drafts older than the grace period (approved, but the message
    was lost: a crash after the commit, SQS unreachable), and `sending` drafts untouched
    for longer than the reconcile grace period plus that (their message ended on the
    dead-letter queue while waiting or retrying). A message sent twice is harmless: the
    Sender locks the draft and decides from its state. Each pass takes a bounded batch,
    skipping rows another pass holds, and stamps `updated_at` so the next pass leaves them
    alone for the grace period. Users whose sending is paused are skipped: their drafts
    wait, and go out on the first pass after a resume.
    """
    after = timedelta(seconds=settings.redrive_after_s)
    stuck = timedelta(seconds=settings.reconcile_grace_s) + after
    paused = select(UserSendingState.user_id).where(UserSendingState.paused)
    with session_scope(engine) as session:
        draft_ids = list(
            session.scalars(
                select(OutreachDraft.id)
                .where(
                    OutreachDraft.channel == Channel.EMAIL,
                    or_(
                        and_(
                            OutreachDraft.status == DraftStatus.APPROVED,
                            OutreachDraft.updated_at < now - after,
                        ),
                        and_(
                            OutreachDraft.status == DraftStatus.SENDING,
                            OutreachDraft.updated_at < now - stuck,
                        ),
                    ),
                    OutreachDraft.user_id.not_in(paused),
                )
                .order_by(OutreachDraft.updated_at)
                .limit(settings.redrive_batch_size)
                .with_for_update(skip_locked=True)
            )
        )
        if draft_ids:
            session.execute(
                update(OutreachDraft)
                .where(OutreachDraft.id.in_(draft_ids))
                .values(updated_at=now)
                .execution_options(synchronize_session=False)
            )
    if not draft_ids:
        return 0
    logger.info("Re-driving email drafts", extra={"count": len(draft_ids)})
    return enqueue_sends(draft_ids, queue=queue)
