"""What every table shares: the base class, its naming convention, and the column and
index helpers the conventions of `attendry.db.models` are built from."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    CheckConstraint,
    DateTime,
    Dialect,
    Index,
    MetaData,
    Text,
    TypeDecorator,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

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
