"""Sending an approved draft through SES, exactly once in effect: docs/rules.md,
"Exactly-once sending", says why each step is where it is.

A send is three steps, each in its own transaction, so the database says at every moment
which step a draft is in: claim (the `sending` row, keyed by the draft), call SES with no
transaction open, record SES's answer (`attendry.sending.outcomes`). Why, and what a
redelivery finding an attempt in doubt does (it waits for SES's `Send` event for the
grace period, then sends again): docs/rules.md, "Exactly-once sending".
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from enum import StrEnum
from typing import Protocol
from uuid import UUID

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from attendry.agents.settings import sender_display_name
from attendry.core.clock import Clock
from attendry.core.errors import InvalidInputError
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import Channel, DeliveryStatus, DraftStatus, FollowupReason
from attendry.db.models import Agent, Contact, OutreachDraft, OutreachSent
from attendry.email.message import build_outreach_email
from attendry.email.settings import EmailSettings
from attendry.platform.ses import (
    SesClient,
    SesOutcomeUnknownError,
    SesPermanentError,
    SesTransientError,
)
from attendry.sending.outcomes import (
    fail_send,
    outcome_recorded,
    record_ses_acceptance,
    settle_from_row,
)
from attendry.sending.policy import find_suppression, paused_sending, suppression_refusal
from attendry.sending.settings import SendingSettings

INVALID_EMAIL = "invalid_email"
FOLLOWUP_STOPPED = "followup_stopped"
RECORD_ATTEMPTS = 3


class EmailSender(Protocol):
    """The SES side of a send (`attendry.platform.ses.SesClient`)."""

    @property
    def region(self) -> str: ...

    def send_raw(
        self,
        *,
        raw: bytes,
        from_address: str,
        to: str,
        configuration_set: str,
        tags: dict[str, str],
    ) -> str: ...


class SendOutcome(StrEnum):
    SENT = "sent"
    """SES accepted the email in this call."""
    SETTLED = "settled"
    """Nothing to send: already sent, failed, rejected, or not approved."""
    FAILED = "failed"
    """Refused for good (suppressed, unsafe content, SES refusal): the draft failed."""
    HELD = "held"
    """The user's sending is paused: the draft waits, the re-drive queues it after a resume."""
    RETRY = "retry"
    """SES did not take it now (throttling, a 5xx): try again after a backoff."""
    AWAITING_RECONCILIATION = "awaiting_reconciliation"
    """An attempt's outcome is unknown: wait `retry_after_s` for SES's Send event."""


@dataclass(frozen=True)
class SendResult:
    outcome: SendOutcome
    draft_id: UUID
    sent_id: UUID | None = None
    retry_after_s: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class _Prepared:
    """A claimed send, ready for SES: everything the call needs, no database objects."""

    draft_id: UUID
    sent_id: UUID
    user_id: str
    agent_id: UUID
    recipient: str
    message: EmailMessage


class FollowupThreads(Protocol):
    """What the Sender asks of a draft's thread before sending it, answered by the feature
    that keeps threads (follow-ups). A question needs an answer, so this is a port the
    Sender calls rather than an event it publishes; what it tells, it publishes."""

    def references(self, session: Session, draft: OutreachDraft) -> list[str]:
        """The SES Message-IDs of the thread's emails the contact received, oldest first;
        empty for a draft that starts a thread."""
        ...

    def stop_reason(self, session: Session, draft: OutreachDraft) -> FollowupReason | None:
        """Why the thread the draft continues may not be written to any more, or None."""
        ...


def _compose(
    session: Session,
    draft: OutreachDraft,
    sent_id: UUID,
    settings: EmailSettings,
    now: datetime,
    references: list[str],
) -> EmailMessage:
    agent = session.get(Agent, draft.agent_id)
    contact = session.get(Contact, draft.contact_id)
    if agent is None or draft.recipient_email is None:
        raise InvalidInputError("The draft has no agent or no recipient any more.")
    return build_outreach_email(
        sent_id=sent_id,
        user_id=draft.user_id,
        sender_name=sender_display_name(agent),
        recipient=draft.recipient_email,
        recipient_name=contact.name if contact is not None and contact.name else None,
        subject=draft.subject or "",
        text=draft.message_body,
        html=draft.html_body,
        in_reply_to=references[-1] if references else None,
        references=references,
        settings=settings,
        now=now,
    )


def _start_attempt(sent: OutreachSent, now: datetime) -> None:
    previous = sent.meta.get("send_attempt") or {}
    number = int(previous.get("number", 0)) + 1
    sent.meta = {**sent.meta, "send_attempt": {"number": number, "started_at": now.isoformat()}}


def _attempt_started_at(sent: OutreachSent) -> datetime | None:
    started = (sent.meta.get("send_attempt") or {}).get("started_at")
    return datetime.fromisoformat(started) if isinstance(started, str) else None


class Sender:
    """Sends drafts; collaborators are injectable so tests use moto and a chosen clock."""

    def __init__(
        self,
        *,
        threads: FollowupThreads,
        settings: SendingSettings,
        email: EmailSettings,
        clock: Clock,
        ses: EmailSender | None = None,
        engine: Engine | None = None,
    ) -> None:
        self.threads = threads
        self.settings = settings
        self.email = email
        self.clock = clock
        self._ses = ses
        self.engine = engine

    @property
    def ses(self) -> EmailSender:
        if self._ses is None:
            self._ses = SesClient()
        return self._ses

    def send_draft(self, draft_id: UUID) -> SendResult:
        now = self.clock()
        claimed = self._claim(draft_id, now)
        if isinstance(claimed, SendResult):
            return claimed
        return self._call_ses(claimed)

    def _claim(self, draft_id: UUID, now: datetime) -> "SendResult | _Prepared":
        with session_scope(self.engine) as session:
            draft = session.get(OutreachDraft, draft_id, with_for_update=True)
            if draft is None:
                logger.warning("No such draft to send", extra={"draft_id": str(draft_id)})
                return SendResult(SendOutcome.SETTLED, draft_id, reason="unknown draft")
            if draft.status not in {DraftStatus.APPROVED, DraftStatus.SENDING}:
                return SendResult(SendOutcome.SETTLED, draft_id, reason=draft.status.value)
            if draft.channel != Channel.EMAIL:
                return SendResult(SendOutcome.SETTLED, draft_id, reason="not an email draft")
            sent = session.scalars(
                select(OutreachSent)
                .where(OutreachSent.idempotency_key == str(draft.id))
                .with_for_update()
            ).one_or_none()
            if sent is not None:
                if outcome_recorded(sent):
                    settle_from_row(session, draft, sent)
                    return SendResult(SendOutcome.SETTLED, draft_id, sent.id, reason="recorded")
                started = _attempt_started_at(sent)
                if started is not None:
                    waited = (now - started).total_seconds()
                    if waited < self.settings.reconcile_grace_s:
                        return SendResult(
                            SendOutcome.AWAITING_RECONCILIATION,
                            draft_id,
                            sent.id,
                            retry_after_s=max(1, int(self.settings.reconcile_grace_s - waited)),
                        )
                    logger.warning(
                        "No SES Send event within the grace period; sending again",
                        extra={"draft_id": str(draft_id), "sent_id": str(sent.id)},
                    )
            return self._prepare(session, draft, sent, now)

    def _prepare(
        self,
        session: Session,
        draft: OutreachDraft,
        sent: OutreachSent | None,
        now: datetime,
    ) -> "SendResult | _Prepared":
        recipient = draft.recipient_email or ""
        suppression = find_suppression(session, draft.user_id, recipient)
        if suppression is not None:
            refusal = suppression_refusal(suppression)
            fail_send(session, draft, refusal.code, refusal.message, sent=sent)
            return SendResult(SendOutcome.FAILED, draft.id, reason=refusal.code)
        if paused_sending(session, draft.user_id) is not None:
            return SendResult(SendOutcome.HELD, draft.id, reason="sending_paused")
        stopped = self.threads.stop_reason(session, draft)
        if stopped is not None:
            why = f"The contact's thread stopped ({stopped.value}); the follow-up is not sent."
            fail_send(session, draft, FOLLOWUP_STOPPED, why, sent=sent)
            return SendResult(SendOutcome.FAILED, draft.id, reason=FOLLOWUP_STOPPED)

        sent_id = sent.id if sent is not None else uuid.uuid4()
        try:
            references = self.threads.references(session, draft)
            message = _compose(session, draft, sent_id, self.email, now, references)
        except InvalidInputError as error:
            fail_send(session, draft, INVALID_EMAIL, error.message, sent=sent)
            return SendResult(SendOutcome.FAILED, draft.id, reason=INVALID_EMAIL)
        if sent is None:
            sent = OutreachSent(
                id=sent_id,
                user_id=draft.user_id,
                draft_id=draft.id,
                agent_id=draft.agent_id,
                contact_id=draft.contact_id,
                channel=draft.channel,
                recipient_email=recipient,
                subject=draft.subject,
                message_body=draft.message_body,
                delivery_status=DeliveryStatus.SENDING,
                idempotency_key=str(draft.id),
                meta={},
            )
            session.add(sent)
        _start_attempt(sent, now)
        draft.status = DraftStatus.SENDING
        return _Prepared(draft.id, sent_id, draft.user_id, draft.agent_id, recipient, message)

    def _call_ses(self, prepared: _Prepared) -> SendResult:
        try:
            ses_message_id = self.ses.send_raw(
                raw=prepared.message.as_bytes(),
                from_address=self.email.from_address,
                to=prepared.recipient,
                configuration_set=self.email.ses_configuration_set,
                tags={
                    "sent_id": str(prepared.sent_id),
                    "user_id": prepared.user_id,
                    "agent_id": str(prepared.agent_id),
                },
            )
        except SesPermanentError as error:
            self._record_refusal(prepared, error.code, error.message)
            return SendResult(
                SendOutcome.FAILED, prepared.draft_id, prepared.sent_id, reason=error.code
            )
        except SesTransientError as error:
            self._clear_attempt(prepared)
            logger.info("SES did not take the email now", extra={"code": error.code})
            return SendResult(
                SendOutcome.RETRY, prepared.draft_id, prepared.sent_id, reason=error.code
            )
        except SesOutcomeUnknownError as error:
            logger.warning(
                "SES outcome unknown; waiting for its Send event",
                extra={"sent_id": str(prepared.sent_id), "code": error.code},
            )
            return SendResult(
                SendOutcome.AWAITING_RECONCILIATION,
                prepared.draft_id,
                prepared.sent_id,
                retry_after_s=self.settings.reconcile_grace_s,
                reason=error.code,
            )
        logger.info(
            "SES accepted the email",
            extra={"sent_id": str(prepared.sent_id), "ses_message_id": ses_message_id},
        )
        self._record_acceptance(prepared, ses_message_id, self.clock())
        return SendResult(SendOutcome.SENT, prepared.draft_id, prepared.sent_id)

    def _record_acceptance(self, prepared: _Prepared, ses_message_id: str, now: datetime) -> None:
        """Retried a few times in place: if the database cannot be told now, the row stays
        `sending` and only the Send event (or the grace period) can settle it.

        Locks the draft before the sent row, the order every step of a send uses, so a
        redelivery claiming the same draft waits instead of deadlocking.
        """
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                with session_scope(self.engine) as session:
                    session.get(OutreachDraft, prepared.draft_id, with_for_update=True)
                    sent = session.get(OutreachSent, prepared.sent_id, with_for_update=True)
                    if sent is not None:
                        record_ses_acceptance(
                            session,
                            sent,
                            ses_message_id=ses_message_id,
                            region=self.ses.region,
                            accepted_at=now,
                        )
                return
            except OperationalError:
                if attempt == RECORD_ATTEMPTS:
                    logger.exception(
                        "SES accepted an email the database could not record",
                        extra={"sent_id": str(prepared.sent_id), "ses_message_id": ses_message_id},
                    )
                    raise
                time.sleep(0.2 * 2**attempt)

    def _record_refusal(self, prepared: _Prepared, code: str, message: str) -> None:
        with session_scope(self.engine) as session:
            draft = session.get(OutreachDraft, prepared.draft_id, with_for_update=True)
            sent = session.get(OutreachSent, prepared.sent_id, with_for_update=True)
            if draft is not None:
                fail_send(session, draft, code, f"SES refused the email: {message}", sent=sent)

    def _clear_attempt(self, prepared: _Prepared) -> None:
        with session_scope(self.engine) as session:
            session.get(OutreachDraft, prepared.draft_id, with_for_update=True)
            sent = session.get(OutreachSent, prepared.sent_id, with_for_update=True)
            if sent is not None:
                sent.meta = {k: v for k, v in sent.meta.items() if k != "send_attempt"}
