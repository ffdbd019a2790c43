"""Whether a user may send email now."""

from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.models.base import (
    Base,
)


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
