"""The addresses mail must not go to, and the bounces that put them there."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    SuppressionReason,
    SuppressionScope,
)
from attendry.db.models.base import (
    Base,
    EnumText,
    Timestamped,
    one_of,
)


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
