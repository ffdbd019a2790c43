"""The Outreach agent: a first message for a contact, about an event, in the agent's voice.

The recipient is the contact's address as the user saved it. The drafter never sees a
field it could address the email with, and nothing it writes is read back as an address.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from attendry.agents.settings import FollowupSettings, OutreachSettings
from attendry.core.errors import DomainError
from attendry.core.observability import logger
from attendry.db.engine import session_scope
from attendry.db.enums import Channel, DraftKind, DraftStatus
from attendry.db.models import AgentTask, Contact, Opportunity, OutreachDraft
from attendry.drafting import (
    AgentStyle,
    ContactInfo,
    DraftRequest,
    DraftResult,
    EventInfo,
)
from attendry.notifications.service import notify
from attendry.outreach.service import approve_draft
from attendry.tasks.runtime import (
    AgentRuntime,
    TaskFailedError,
    enforce_llm_limits,
    finish_task,
    is_metered,
    load_agent,
    record_usage,
    task_input,
)
from attendry.tasks.schemas import DraftOutreachInput


def draft_outreach(task: AgentTask, runtime: AgentRuntime) -> dict[str, Any]:
    """Draft, store it for approval (or approve it, if the agent may), tell the user."""
    wanted = task_input(task, DraftOutreachInput)
    with session_scope() as session:
        _, settings = load_agent(session, task)
        if not isinstance(settings, OutreachSettings):
            raise TaskFailedError(
                "Only an outreach agent drafts outreach.", code="wrong_agent_type"
            )
        contact = _contact(session, task.user_id, wanted.contact_id)
        if wanted.channel is Channel.EMAIL and not contact.email:
            raise TaskFailedError(
                f"The contact {contact.name!r} has no email address: add one and assign the "
                "task again.",
                code="contact_without_email",
            )
        event = _event(session, task.user_id, task.opportunity_id)
        request = _draft_request(contact, event, settings, wanted.instructions, runtime.clock())
        recipient = contact.email if wanted.channel is Channel.EMAIL else None

    if is_metered(runtime.drafter):
        enforce_llm_limits(task, runtime.limits, runtime.clock())
    result = runtime.drafter.draft(request)

    with session_scope() as session:
        record_usage(session, task, result.usage, runtime.prices)
        draft = store_draft(
            session,
            task,
            result,
            contact_id=wanted.contact_id,
            channel=wanted.channel,
            kind=DraftKind.INITIAL,
            sequence_step=0,
            recipient=recipient,
            subject=result.draft.subject,
        )
        return finish_with_draft(
            session,
            task,
            draft,
            result,
            requires_approval=settings.requires_approval,
            contact_id=wanted.contact_id,
            now=runtime.clock(),
        )


def _contact(session: Session, user_id: str, contact_id: UUID) -> Contact:
    contact = session.scalars(
        select(Contact).where(Contact.id == contact_id, Contact.user_id == user_id)
    ).one_or_none()
    if contact is None:
        raise TaskFailedError("The task's contact no longer exists.", code="contact_not_found")
    return contact


def _event(session: Session, user_id: str, opportunity_id: UUID | None) -> Opportunity | None:
    """The task's event; gone since the task was assigned, the email is written without it."""
    if opportunity_id is None:
        return None
    return session.scalars(
        select(Opportunity).where(Opportunity.id == opportunity_id, Opportunity.user_id == user_id)
    ).one_or_none()


def _draft_request(
    contact: Contact,
    event: Opportunity | None,
    settings: OutreachSettings,
    instructions: str | None,
    now: datetime,
) -> DraftRequest:
    try:
        return DraftRequest(
            contact=contact_info(contact),
            event=None if event is None else event_info(event),
            style=agent_style(settings),
            instructions=instructions,
            days_until_event=days_until(event, now),
        )
    except ValidationError as error:
        raise TaskFailedError(
            f"The contact, event or agent settings cannot be drafted from: {error}",
            code="invalid_input",
        ) from error


def contact_info(contact: Contact) -> ContactInfo:
    """The contact as a drafter sees it: no address, nothing to send with."""
    return ContactInfo(
        name=contact.name,
        title=contact.title,
        company=contact.company,
        bio=contact.bio,
        topics=contact.topics,
        timezone=contact.timezone,
    )


def agent_style(
    settings: OutreachSettings | FollowupSettings,
    *,
    sender_name: str | None = None,
    signature: str | None = None,
) -> AgentStyle:
    """The writing part of an agent's settings; the fallbacks fill a name or signature it lacks."""
    return AgentStyle(
        tone=settings.tone,
        language=settings.language,
        sender_name=settings.sender_name or sender_name,
        signature=settings.signature or signature,
        model=settings.model,
    )


def event_info(event: Opportunity) -> EventInfo:
    return EventInfo(
        title=event.title,
        description=event.description,
        location=event.location,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        url=event.url,
        topics=event.topics,
    )


def days_until(event: Opportunity | None, now: datetime) -> int | None:
    if event is None or event.starts_at is None:
        return None
    return (event.starts_at.astimezone(UTC).date() - now.astimezone(UTC).date()).days


def store_draft(
    session: Session,
    task: AgentTask,
    result: DraftResult,
    *,
    contact_id: UUID,
    channel: Channel,
    kind: DraftKind,
    sequence_step: int,
    recipient: str | None,
    subject: str,
) -> OutreachDraft:
    """The drafter's text as a draft awaiting approval, attributed to the task and agent."""
    draft = OutreachDraft(
        user_id=task.user_id,
        agent_id=task.agent_id,
        task_id=task.id,
        contact_id=contact_id,
        opportunity_id=task.opportunity_id,
        channel=channel,
        kind=kind,
        sequence_step=sequence_step,
        recipient_email=recipient,
        subject=subject,
        message_body=result.draft.text_body,
        html_body=result.draft.html_body,
        status=DraftStatus.PENDING_APPROVAL,
        generator=result.generator.model_dump(mode="json"),
    )
    session.add(draft)
    session.flush()
    return draft


def finish_with_draft(
    session: Session,
    task: AgentTask,
    draft: OutreachDraft,
    result: DraftResult,
    *,
    requires_approval: bool,
    contact_id: UUID,
    now: datetime,
    about: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A drafting task's end, the same for every drafting agent: approve the draft if the
    agent may send alone, tell the user it is ready, complete the task with its output.

    `about` adds what identifies the draft beyond the contact (a follow-up's id and
    attempt) to both the notification and the output.
    """
    if not requires_approval:
        approve_at_once(session, task, draft, now)
    extra = dict(about or {})
    notify(
        session,
        task.user_id,
        "draft.ready",
        {
            "draft_id": str(draft.id),
            "task_id": str(task.id),
            "agent_id": str(task.agent_id),
            "contact_id": str(contact_id),
            **extra,
            "subject": draft.subject,
            "status": draft.status.value,
        },
    )
    output: dict[str, Any] = {
        "draft_id": str(draft.id),
        **extra,
        "subject": draft.subject,
        "drafter": result.generator.name,
        "draft_status": draft.status.value,
    }
    finish_task(session, task, output)
    return output


def approve_at_once(session: Session, task: AgentTask, draft: OutreachDraft, now: datetime) -> None:
    """Approve for an agent the user lets send alone; a refusal leaves the draft to the user.

    In a savepoint, so a refused approval (suppressed address, daily cap) undoes only
    itself, and the send is queued only if the whole transaction commits.
    """
    try:
        with session.begin_nested():
            approve_draft(session, task.user_id, draft.id, now=now)
    except DomainError as refusal:
        session.refresh(draft)
        logger.info(
            "Automatic approval refused; the draft waits for the user",
            extra={"draft_id": str(draft.id), "reason": refusal.message},
        )
