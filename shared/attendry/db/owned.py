"""Reads of rows a user owns: the one place that scopes every query by `user_id`.

Another user's row and a missing row are the same NotFoundError, so ids reveal nothing.
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Connection, Dialect, Select, bindparam, inspect, select
from sqlalchemy.orm import InstrumentedAttribute, Mapper, Session

from attendry.core.errors import NotFoundError
from attendry.db.models import InboundEmail, UserOwned
from attendry.db.pagination import Cursor, KeysetPage, keyset_ordered, keyset_page

Owned = UserOwned | InboundEmail
"""A row the owner queries read: a UserOwned row, or received mail, whose `user_id` is
NULL until it matches a user (so an unmatched email is nobody's and no query finds it)."""
RowT = TypeVar("RowT", bound=Owned)
OWNER = "owner"


def get_owned(
    session: Session,
    model: type[RowT],
    user_id: str,
    row_id: UUID,
    *,
    noun: str,
    for_update: bool = False,
) -> RowT:
    """The row, or NotFoundError naming it as `noun` ("Agent", "Draft") for the user."""
    stmt = select(model).where(model.id == row_id, model.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    row = session.scalars(stmt).one_or_none()
    if row is None:
        raise _not_found(noun, row_id)
    return row


def require_owned(
    connection: Connection, model: type[Owned], user_id: str, row_id: UUID, *, noun: str
) -> None:
    """NotFoundError unless the user owns the row: the check before listing what hangs
    off it (an agent's tasks), without loading the row.
    """
    stmt = select(model.id).where(model.id == row_id, model.user_id == user_id)
    if connection.scalar(stmt) is None:
        raise _not_found(noun, row_id)


def _not_found(noun: str, row_id: UUID) -> NotFoundError:
    return NotFoundError(f"{noun} {row_id} was not found.")


def _select_columns(mapper: Mapper[Any]) -> Select[Any]:
    """SELECT of the mapped columns, each named as its attribute (`meta`, not `metadata`),
    so a page's rows have the keys the API's models read.
    """
    return select(
        *(
            column.label(attribute.key)
            for attribute in mapper.column_attrs
            for column in attribute.columns
        )
    )


Matching = Sequence[tuple[InstrumentedAttribute[Any], object]]


@lru_cache(maxsize=256)
def _page_sql(
    mapper: Mapper[Owned],
    matching: tuple[str, ...],
    where: tuple[ColumnElement[bool], ...],
    after_cursor: bool,
    dialect: Dialect,
) -> str:
    """The SQL of one shape of page: which columns must match, which clauses hold, whether
    a cursor applies. Built and compiled once: building a select and deriving its cache key
    took a fifth of a list request, and the values all arrive as bind parameters.
    """
    model = mapper.class_
    stmt = _select_columns(mapper).where(
        model.user_id == bindparam(OWNER),
        *(getattr(model, key) == bindparam(key) for key in matching),
        *where,
    )
    return str(keyset_ordered(stmt, model, after_cursor=after_cursor).compile(dialect=dialect))


def list_owned(
    connection: Connection,
    model: type[Owned],
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    matching: Matching = (),
    where: tuple[ColumnElement[bool], ...] = (),
    params: Mapping[str, Any] | None = None,
) -> KeysetPage:
    """A page of the user's rows as plain dicts, for the API to show.

    `matching` pairs a column with the value it must equal; a None value leaves that
    column unfiltered, as an absent query parameter does. `where` holds clauses built once
    (module constants, compared by identity) whose bind parameters `params` fills.
    """
    filters = [(attribute.key, value) for attribute, value in matching if value is not None]
    after = Cursor.decode(cursor) if cursor else None
    sql = _page_sql(
        inspect(model),
        tuple(key for key, _ in filters),
        where,
        after is not None,
        connection.dialect,
    )
    values = {OWNER: user_id, **dict(filters), **(params or {})}
    return keyset_page(connection, sql, values, limit, after)
