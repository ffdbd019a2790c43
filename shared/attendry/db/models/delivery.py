"""The SES notifications received."""

from datetime import datetime
from typing import Any

from sqlalchemy import Index, func, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.models.base import (
    Base,
    Timestamped,
)


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
