"""What an agent wrote, and what was sent of it."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    Channel,
    DeliveryStatus,
    DraftKind,
    DraftStatus,
)
from attendry.db.models.base import (
    EMPTY_JSONB,
    Base,
    EnumText,
    UserOwned,
    newest_first_index,
    one_of,
    owner_keyset_index,
)


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
