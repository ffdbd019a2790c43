"""Reads of rows a user owns: the one place that scopes every query by `user_id`.

Another user's row and a missing row are the same NotFoundError, so ids reveal nothing.
"""

from functools import cache
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, Select, inspect, select
from sqlalchemy.orm import Mapper, Session

from attendry.db.models import UserOwned
from attendry.db.pagination import KeysetPage, keyset_page
from attendry.errors import NotFoundError

RowT = TypeVar("RowT", bound=UserOwned)


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
        raise NotFoundError(f"{noun} {row_id} was not found.")
    return row


@cache
def _select_columns(mapper: Mapper[Any]) -> Select[Any]:
    """SELECT of the mapped columns, each named as its attribute (`meta`, not `metadata`),
    so a page's mappings have the keys the API's models read. The same for every request
    of a model, so built once.
    """
    return select(
        *(
            column.label(attribute.key)
            for attribute in mapper.column_attrs
            for column in attribute.columns
        )
    )


def list_owned(
    session: Session,
    model: type[UserOwned],
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    filters: tuple[ColumnElement[bool], ...] = (),
) -> KeysetPage:
    """A page of the user's rows as plain mappings, for the API to show.

    Not ORM objects: a page is only read, and loading fifty entities into a session's
    identity map costs more than running the query.
    """
    stmt = _select_columns(inspect(model)).where(model.user_id == user_id, *filters)
    return keyset_page(session, stmt, model.created_at, model.id, limit, cursor)
