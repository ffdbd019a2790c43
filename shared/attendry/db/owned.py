"""Reads of rows a user owns: the one place that scopes every query by `user_id`.

Another user's row and a missing row are the same NotFoundError, so ids reveal nothing.
"""

from typing import TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from attendry.db.models import UserOwned
from attendry.db.pagination import keyset_page
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


def list_owned(
    session: Session,
    model: type[RowT],
    user_id: str,
    *,
    limit: int,
    cursor: str | None,
    filters: tuple[ColumnElement[bool], ...] = (),
) -> tuple[list[RowT], str | None]:
    stmt = select(model).where(model.user_id == user_id, *filters)
    return keyset_page(session, stmt, model.created_at, model.id, limit, cursor)
