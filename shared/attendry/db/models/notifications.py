"""The user's activity feed."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.models.base import (
    EMPTY_JSONB,
    Base,
    UserOwned,
    owner_keyset_index,
)


class Notification(UserOwned, Base):
    """An entry of the user's activity feed."""

    __tablename__ = "notifications"
    __table_args__ = (owner_keyset_index("notifications"),)

    kind: Mapped[str]
    payload: Mapped[dict[str, Any]] = mapped_column(server_default=EMPTY_JSONB)
    read_at: Mapped[datetime | None]
