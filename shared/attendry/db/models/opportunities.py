"""The events a user tracks."""

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.enums import (
    OpportunityStatus,
)
from attendry.db.models.base import (
    EMPTY_JSONB,
    EMPTY_TEXT_ARRAY,
    Base,
    EnumText,
    UserOwned,
    one_of,
    owner_keyset_index,
)


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
