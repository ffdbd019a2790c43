"""The email SES received for us."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    InboundMatch,
)
from attendry.db.models.base import (
    EMPTY_TEXT_ARRAY,
    Base,
    EnumText,
    Timestamped,
    one_of,
    owner_keyset_index,
)


class InboundKind(StrEnum):
    """What a received email is (attendry.inbound.classification decides, with a reason)."""

    REPLY = "reply"
    """A person answering: the only kind that marks the contact replied."""
    AUTO_REPLY = "auto_reply"
    """Out of office, an autoresponder, bulk mail answering us."""
    BOUNCE = "bounce"
    """A delivery report: the email did not reach the contact."""
    LIST = "list"
    """A mailing-list post."""
    OTHER = "other"
    """Another machine report (read receipt, abuse feedback), or mail with no sender."""


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
        one_of("classification", InboundKind),
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
    classification: Mapped[InboundKind] = mapped_column(EnumText(InboundKind))
    classification_reason: Mapped[str] = mapped_column(
        doc="Why: the signal that decided, e.g. `header Auto-Submitted: auto-replied`."
    )
    s3_bucket: Mapped[str]
    s3_key: Mapped[str]
    received_at: Mapped[datetime] = mapped_column(doc="When SES received it (receipt.timestamp).")
    matched_by: Mapped[InboundMatch | None] = mapped_column(EnumText(InboundMatch))
