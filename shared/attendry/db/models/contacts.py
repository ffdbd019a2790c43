"""The speakers and sponsors a user saved."""

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from attendry.db.models.base import (
    EMPTY_JSONB,
    EMPTY_TEXT_ARRAY,
    Base,
    UserOwned,
    owner_keyset_index,
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
