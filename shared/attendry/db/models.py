"""The tables of SPEC §4 as SQLAlchemy 2 typed models.

The migrations in `attendry/db/migrations` create exactly this schema (a test compares
them). Conventions, so each query can rely on them:

- every row a user owns carries `user_id` (the JWT `sub`), and each listable table has an
  index on `(user_id, created_at DESC, id DESC)` for owner-scoped keyset pages;
- ids are UUIDs the database generates (`gen_random_uuid()`, built in since PostgreSQL 13);
- every closed value set is a text column with a named CHECK built from `attendry.db.enums`;
- history survives the deletion of what it points at (`SET NULL`); work items that mean
  nothing without their agent or contact go with it (`CASCADE`).
"""

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    Text,
    TypeDecorator,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from attendry.db.enums import (
    AgentStatus,
    AgentType,
    Channel,
    DeliveryStatus,
    DraftKind,
    DraftStatus,
    FollowupReason,
    FollowupStatus,
    InboundMatch,
    MessageStatus,
    OpportunityStatus,
    SuppressionReason,
    SuppressionScope,
    TaskStatus,
    TaskType,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
}

E = TypeVar("E", bound=StrEnum)


class EnumText(TypeDecorator[E]):
    """A text column read back as its StrEnum; the CHECK constraint, not Python, decides.

    Binding passes any string through untouched, so a bad value reaches PostgreSQL and
    fails there with an IntegrityError naming the constraint.
    """

    impl = Text
    cache_ok = True

    def __init__(self, enum: type[E]) -> None:
        super().__init__()
        self.enum = enum

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self.enum(value)


def one_of(column: str, enum: type[StrEnum]) -> CheckConstraint:
    """A CHECK, named after `column`, that it holds one of `enum`'s values (NULL passes)."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return CheckConstraint(f"{column} IN ({values})", name=column)


def newest_first_index(name: str, *leading: str) -> Index:
    """An index on `leading` columns then (created_at DESC, id DESC): one keyset page each."""
    return Index(name, *leading, text("created_at DESC"), text("id DESC"))


def owner_keyset_index(table: str) -> Index:
    """The index every owner-scoped, newest-first list page walks."""
    return newest_first_index(f"ix_{table}_user_created", "user_id")


EMPTY_JSONB = text("'{}'::jsonb")
EMPTY_TEXT_ARRAY = text("'{}'::text[]")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy reads this class attribute as is
        dict[str, Any]: JSONB,
        list[str]: ARRAY(Text),
        str: Text,
        datetime: DateTime(timezone=True),
        uuid.UUID: Uuid,
    }


class Timestamped:
    """A database-generated id plus creation and last-change times, on every table."""

    id: Mapped[uuid.UUID] = mapped_column(
        primary_key=True, server_default=func.gen_random_uuid(), sort_order=-1
    )
    created_at: Mapped[datetime] = mapped_column(server_default=func.now(), sort_order=1)
    updated_at: Mapped[datetime] = mapped_column(
        server_default=func.now(), onupdate=func.now(), sort_order=1
    )


class UserOwned(Timestamped):
    """A row one user owns: every query on it is scoped by `user_id` (the JWT `sub`)."""

    user_id: Mapped[str] = mapped_column(sort_order=0)


class Agent(UserOwned, Base):
    __tablename__ = "ai_agents"
    __table_args__ = (
        one_of("agent_type", AgentType),
        one_of("status", AgentStatus),
        owner_keyset_index("ai_agents"),
    )

    agent_type: Mapped[AgentType] = mapped_column(EnumText(AgentType))
    name: Mapped[str]
    status: Mapped[AgentStatus] = mapped_column(
        EnumText(AgentStatus), server_default=AgentStatus.ACTIVE.value
    )
    settings: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)


class Opportunity(UserOwned, Base):
    """An industry event the user tracks."""

    __tablename__ = "opportunities"
    __table_args__ = (
        one_of("status", OpportunityStatus),
        CheckConstraint("ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at", "dates"),
        owner_keyset_index("opportunities"),
    )

    title: Mapped[str]
    description: Mapped[str | None]
    url: Mapped[str | None]
    location: Mapped[str | None]
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    topics: Mapped[list[str]] = mapped_column(server_default=EMPTY_TEXT_ARRAY)
    signals: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    score: Mapped[float | None]
    status: Mapped[OpportunityStatus] = mapped_column(
        EnumText(OpportunityStatus), server_default=OpportunityStatus.NEW.value
    )


class Contact(UserOwned, Base):
    """A speaker or sponsor the user saved (Attendry's `saved_speaker_profiles`)."""

    __tablename__ = "saved_speaker_profiles"
    __table_args__ = (
        owner_keyset_index("saved_speaker_profiles"),
        Index("ix_saved_speaker_profiles_opportunity_id", "opportunity_id"),
    )

    name: Mapped[str]
    email: Mapped[str | None]
    title: Mapped[str | None]
    company: Mapped[str | None]
    bio: Mapped[str | None]
    topics: Mapped[list[str]] = mapped_column(server_default=EMPTY_TEXT_ARRAY)
    timezone: Mapped[str | None] = mapped_column(doc="IANA time zone name")
    linkedin_url: Mapped[str | None]
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"),
        doc="The event this contact was saved from.",
    )
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=EMPTY_JSONB)


class AgentTask(UserOwned, Base):
    __tablename__ = "agent_tasks"
    __table_args__ = (
        one_of("task_type", TaskType),
        one_of("status", TaskStatus),
        CheckConstraint("attempts >= 0", "attempts"),
        owner_keyset_index("agent_tasks"),
        newest_first_index("ix_agent_tasks_agent_created", "agent_id"),
        Index("ix_agent_tasks_status_created", "status", "created_at"),
        Index("ix_agent_tasks_opportunity_id", "opportunity_id"),
        Index(
            "uq_agent_tasks_user_idempotency_key",
            "user_id",
            "idempotency_key",
            unique=True,
            postgresql_where=text("idempotency_key IS NOT NULL"),
        ),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"),
        doc="The event the task is about, if any: lets an event's activity list its tasks.",
    )
    task_type: Mapped[TaskType] = mapped_column(EnumText(TaskType))
    status: Mapped[TaskStatus] = mapped_column(
        EnumText(TaskStatus), server_default=TaskStatus.QUEUED.value
    )
    input: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    output: Mapped[dict[str, Any] | None]
    error: Mapped[str | None]
    attempts: Mapped[int] = mapped_column(server_default=text("0"))
    idempotency_key: Mapped[str | None]
    request_hash: Mapped[str | None] = mapped_column(
        doc="Hash of the request that first used `idempotency_key`, to refuse a different "
        "request reusing it."
    )
    scheduled_for: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class OutreachDraft(UserOwned, Base):
    __tablename__ = "agent_outreach_drafts"
    __table_args__ = (
        one_of("channel", Channel),
        one_of("kind", DraftKind),
        one_of("status", DraftStatus),
        CheckConstraint("sequence_step >= 0", "sequence_step"),
        owner_keyset_index("agent_outreach_drafts"),
        newest_first_index("ix_agent_outreach_drafts_user_status", "user_id", "status"),
        Index("ix_agent_outreach_drafts_task_id", "task_id"),
        Index("ix_agent_outreach_drafts_contact_id", "contact_id"),
        Index("ix_agent_outreach_drafts_opportunity_id", "opportunity_id"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_tasks.id", ondelete="SET NULL")
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("saved_speaker_profiles.id", ondelete="CASCADE")
    )
    opportunity_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL")
    )
    channel: Mapped[Channel] = mapped_column(EnumText(Channel), server_default=Channel.EMAIL.value)
    kind: Mapped[DraftKind] = mapped_column(
        EnumText(DraftKind), server_default=DraftKind.INITIAL.value
    )
    sequence_step: Mapped[int] = mapped_column(
        server_default=text("0"), doc="0 for the first message, n for the n-th follow-up."
    )
    recipient_email: Mapped[str | None]
    subject: Mapped[str | None]
    message_body: Mapped[str]
    html_body: Mapped[str | None]
    status: Mapped[DraftStatus] = mapped_column(
        EnumText(DraftStatus), server_default=DraftStatus.PENDING_APPROVAL.value
    )
    rejection_reason: Mapped[str | None]
    generator: Mapped[dict[str, Any]] = mapped_column(
        server_default=EMPTY_JSONB,
        doc="Who wrote it: drafter (gemini or offline), model, prompt version.",
    )
    edited_by_user: Mapped[bool] = mapped_column(server_default=text("false"))
    approved_at: Mapped[datetime | None]
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=EMPTY_JSONB)


class OutreachSent(UserOwned, Base):
    """A message handed to SES (or recorded as sent by hand), and what became of it."""

    __tablename__ = "agent_outreach_sent"
    __table_args__ = (
        one_of("channel", Channel),
        one_of("delivery_status", DeliveryStatus),
        owner_keyset_index("agent_outreach_sent"),
        Index("ix_agent_outreach_sent_user_sent_at", "user_id", "sent_at"),
        Index("ix_agent_outreach_sent_rfc822_message_id", "rfc822_message_id"),
        Index("ix_agent_outreach_sent_contact_id", "contact_id"),
        Index("ix_agent_outreach_sent_draft_id", "draft_id"),
    )

    draft_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_outreach_drafts.id", ondelete="SET NULL")
    )
    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_agents.id", ondelete="SET NULL")
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("saved_speaker_profiles.id", ondelete="SET NULL")
    )
    channel: Mapped[Channel] = mapped_column(EnumText(Channel), server_default=Channel.EMAIL.value)
    recipient_email: Mapped[str | None]
    subject: Mapped[str | None]
    message_body: Mapped[str]
    sent_at: Mapped[datetime | None]
    delivery_status: Mapped[DeliveryStatus] = mapped_column(
        EnumText(DeliveryStatus), server_default=DeliveryStatus.SENDING.value
    )
    delivered_at: Mapped[datetime | None]
    opened_at: Mapped[datetime | None]
    clicked_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]
    complained_at: Mapped[datetime | None]
    response_received_at: Mapped[datetime | None]
    bounce_type: Mapped[str | None]
    bounce_subtype: Mapped[str | None]
    bounce_diagnostic: Mapped[str | None]
    ses_message_id: Mapped[str | None] = mapped_column(unique=True)
    rfc822_message_id: Mapped[str | None] = mapped_column(
        doc="The Message-ID SES gave the email: replies and follow-ups thread on it."
    )
    idempotency_key: Mapped[str] = mapped_column(unique=True)
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB, server_default=EMPTY_JSONB)


class FollowupSchedule(UserOwned, Base):
    """One planned follow-up of a sent message; `attempt` counts from 1 per thread."""

    __tablename__ = "agent_followup_schedule"
    __table_args__ = (
        one_of("status", FollowupStatus),
        one_of("reason", FollowupReason),
        CheckConstraint("attempt >= 1", "attempt"),
        owner_keyset_index("agent_followup_schedule"),
        Index(
            "uq_agent_followup_schedule_sent_attempt",
            "sent_id",
            "attempt",
            unique=True,
        ),
        Index(
            "ix_agent_followup_schedule_due",
            "due_at",
            postgresql_where=text("status = 'scheduled'"),
        ),
        Index("ix_agent_followup_schedule_contact_id", "contact_id"),
        Index("ix_agent_followup_schedule_task_id", "task_id"),
    )

    agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    sent_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("agent_outreach_sent.id", ondelete="CASCADE"),
        doc="The original message of the thread.",
    )
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("saved_speaker_profiles.id", ondelete="CASCADE")
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_tasks.id", ondelete="SET NULL")
    )
    attempt: Mapped[int]
    due_at: Mapped[datetime]
    status: Mapped[FollowupStatus] = mapped_column(
        EnumText(FollowupStatus), server_default=FollowupStatus.SCHEDULED.value
    )
    reason: Mapped[FollowupReason | None] = mapped_column(EnumText(FollowupReason))


class AgentMessage(UserOwned, Base):
    """A message between agents (or from an agent to its user, `to_agent_id` NULL)."""

    __tablename__ = "agent_messages"
    __table_args__ = (
        one_of("status", MessageStatus),
        owner_keyset_index("agent_messages"),
        newest_first_index("ix_agent_messages_from_created", "from_agent_id"),
        newest_first_index("ix_agent_messages_to_created", "to_agent_id"),
    )

    from_agent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ai_agents.id", ondelete="CASCADE"))
    to_agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_agents.id", ondelete="CASCADE")
    )
    message_type: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    status: Mapped[MessageStatus] = mapped_column(
        EnumText(MessageStatus), server_default=MessageStatus.PENDING.value
    )
    processed_at: Mapped[datetime | None]


class Notification(UserOwned, Base):
    """An entry of the user's activity feed."""

    __tablename__ = "notifications"
    __table_args__ = (owner_keyset_index("notifications"),)

    kind: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    read_at: Mapped[datetime | None]


class EmailSuppression(Timestamped, Base):
    """An address mail must not go to: for everyone (`global`) or for one user (`user`)."""

    __tablename__ = "email_suppressions"
    __table_args__ = (
        one_of("reason", SuppressionReason),
        one_of("scope", SuppressionScope),
        CheckConstraint("address = lower(address)", "address_lower_case"),
        CheckConstraint(
            "(scope = 'global' AND user_id IS NULL) OR (scope = 'user' AND user_id IS NOT NULL)",
            "scope_user",
        ),
        Index(
            "uq_email_suppressions_global_address",
            "address",
            unique=True,
            postgresql_where=text("scope = 'global'"),
        ),
        Index(
            "uq_email_suppressions_user_address",
            "address",
            "user_id",
            unique=True,
            postgresql_where=text("scope = 'user'"),
        ),
    )

    address: Mapped[str]
    reason: Mapped[SuppressionReason] = mapped_column(EnumText(SuppressionReason))
    scope: Mapped[SuppressionScope] = mapped_column(EnumText(SuppressionScope))
    user_id: Mapped[str | None]


class InboundEmail(Timestamped, Base):
    """Every email SES received for us, matched to its thread or not, kept as parsed.

    Unmatched mail (no owner) is kept too, so nothing a contact wrote is lost to a
    matching rule; the raw message stays in the inbound bucket under `s3_key` until its
    lifecycle expiry. `(s3_bucket, s3_key)` names one received email, so a redelivered
    notification finds its row and changes nothing.
    """

    __tablename__ = "inbound_emails"
    __table_args__ = (
        one_of("matched_by", InboundMatch),
        CheckConstraint(
            "(matched_by IS NULL AND user_id IS NULL AND sent_id IS NULL AND contact_id IS NULL)"
            " OR (matched_by IS NOT NULL AND user_id IS NOT NULL)",
            "matched_owner",
        ),
        owner_keyset_index("inbound_emails"),
        Index("uq_inbound_emails_s3_object", "s3_bucket", "s3_key", unique=True),
        Index("ix_inbound_emails_sent_id", "sent_id"),
        Index("ix_inbound_emails_contact_id", "contact_id"),
    )

    user_id: Mapped[str | None] = mapped_column(sort_order=0)
    sent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_outreach_sent.id", ondelete="SET NULL"),
        doc="The sent message this email answers.",
    )
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("saved_speaker_profiles.id", ondelete="SET NULL")
    )
    from_address: Mapped[str | None]
    from_name: Mapped[str] = mapped_column(server_default=text("''"))
    to_addresses: Mapped[list[str]] = mapped_column(
        server_default=EMPTY_TEXT_ARRAY, doc="Envelope recipients, then To and Cc."
    )
    subject: Mapped[str] = mapped_column(server_default=text("''"))
    text_body: Mapped[str] = mapped_column(server_default=text("''"))
    reply_text: Mapped[str] = mapped_column(
        server_default=text("''"), doc="The contact's own words, quoted text cut."
    )
    message_id: Mapped[str | None]
    in_reply_to: Mapped[list[str]] = mapped_column(server_default=EMPTY_TEXT_ARRAY)
    references: Mapped[list[str]] = mapped_column(server_default=EMPTY_TEXT_ARRAY)
    is_auto_reply: Mapped[bool] = mapped_column(server_default=text("false"))
    s3_bucket: Mapped[str]
    s3_key: Mapped[str]
    received_at: Mapped[datetime] = mapped_column(doc="When SES received it (receipt.timestamp).")
    matched_by: Mapped[InboundMatch | None] = mapped_column(EnumText(InboundMatch))


class SesEvent(Timestamped, Base):
    """Every SES notification received, once: a repeat of `sns_message_id` changes nothing."""

    __tablename__ = "ses_events"
    __table_args__ = (Index("ix_ses_events_ses_message_id", "ses_message_id"),)

    sns_message_id: Mapped[str] = mapped_column(unique=True)
    event_type: Mapped[str] = mapped_column(doc="SES eventType as sent (Send, Delivery, ...).")
    ses_message_id: Mapped[str | None]
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime] = mapped_column(server_default=func.now())
    applied: Mapped[bool] = mapped_column(server_default=text("false"))


class LlmUsage(UserOwned, Base):
    """One LLM call's tokens and cost, for the monthly budget."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        CheckConstraint("input_tokens >= 0 AND output_tokens >= 0", "tokens"),
        CheckConstraint("cost_usd >= 0", "cost_usd"),
        owner_keyset_index("llm_usage"),
    )

    agent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ai_agents.id", ondelete="SET NULL")
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_tasks.id", ondelete="SET NULL")
    )
    model: Mapped[str]
    input_tokens: Mapped[int]
    output_tokens: Mapped[int]
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 6), server_default=text("0"))


class UserSendingState(Base):
    """Whether a user may send email now: one row per user who was ever paused.

    No row means sending was never paused. Account safety (bounce and complaint rates)
    pauses it; the user resumes it. Approval and the Sender both read it, so a pause stops
    new approvals and holds sends already queued.
    """

    __tablename__ = "user_sending_state"

    user_id: Mapped[str] = mapped_column(primary_key=True)
    paused: Mapped[bool] = mapped_column(server_default=text("false"))
    reason: Mapped[str | None]
    paused_at: Mapped[datetime | None]
    resumed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class EmailBounce(Timestamped, Base):
    """Every bounce SES reported, one row per bounced address.

    Transient bounces suppress nothing alone; several in a short time do, so they are
    counted here. `feedback_id` is SES's id of the bounce: the same bounce published twice
    (under two SNS message ids) is recorded once.
    """

    __tablename__ = "email_bounces"
    __table_args__ = (
        CheckConstraint("address = lower(address)", "address_lower_case"),
        Index("uq_email_bounces_feedback_address", "feedback_id", "address", unique=True),
        Index("ix_email_bounces_address_bounced_at", "address", "bounced_at"),
        Index("ix_email_bounces_sent_id", "sent_id"),
    )

    address: Mapped[str]
    bounce_type: Mapped[str] = mapped_column(doc="SES bounceType: Permanent, Transient, ...")
    bounce_subtype: Mapped[str | None]
    diagnostic: Mapped[str | None]
    bounced_at: Mapped[datetime] = mapped_column(doc="The ISP's time of the bounce.")
    feedback_id: Mapped[str | None]
    ses_message_id: Mapped[str | None]
    sent_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("agent_outreach_sent.id", ondelete="SET NULL")
    )
