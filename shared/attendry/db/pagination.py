"""Keyset pagination: newest first, stable under inserts, with an opaque cursor.

The cursor carries the last row's (created_at, id); the next page is everything strictly
before it in that order, which an index on (user_id, created_at DESC, id DESC) answers
without scanning the rows already seen, however deep the page.

A page's statement takes the cursor and the page size as bind parameters, so one built
statement serves every page of its shape (see `db.owned`).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Integer, Select, bindparam, tuple_

from attendry.core.errors import InvalidInputError
from attendry.db.driver import driver_dict_cursor, driver_value
from attendry.db.models import Timestamped

KeysetPage = tuple[list[dict[str, Any]], str | None]

AFTER_CREATED_AT = "after_created_at"
AFTER_ID = "after_id"
PAGE_ROWS = "page_rows"


CURSOR_PATTERN = r"^[0-9]{1,16}\.[0-9a-f]{32}$"
"""A list cursor: the last row's created_at in microseconds since 1970 (UTC), a dot, its id
in hex. Every string of this shape is a position in the list (at most year 2286), so the
OpenAPI document can state exactly which cursors the API takes."""
_CURSOR = re.compile(CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: UUID

    def encode(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        return f"{micros}.{self.id.hex}"

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        found = _CURSOR.fullmatch(token)
        if found is None:
            raise InvalidInputError(
                "The cursor is not valid.",
                details=[{"field": "query.cursor", "message": "not a cursor this API issued"}],
            )
        micros, row_id = token.split(".")
        return cls(_EPOCH + timedelta(microseconds=int(micros)), UUID(hex=row_id))


def keyset_ordered(
    stmt: Select[Any], model: type[Timestamped], *, after_cursor: bool
) -> Select[Any]:
    """`stmt` newest first, `:page_rows` at most, from a cursor's position if `after_cursor`."""
    if after_cursor:
        position = tuple_(
            bindparam(AFTER_CREATED_AT, type_=model.created_at.type),
            bindparam(AFTER_ID, type_=model.id.type),
        )
        stmt = stmt.where(tuple_(model.created_at, model.id) < position)
    return stmt.order_by(model.created_at.desc(), model.id.desc()).limit(
        bindparam(PAGE_ROWS, type_=Integer)
    )


def keyset_page(
    connection: Connection,
    sql: str,
    params: Mapping[str, Any],
    limit: int,
    cursor: Cursor | None,
) -> KeysetPage:
    """One page of a compiled `keyset_ordered` statement's rows as dicts, and the next
    page's cursor.

    Dicts keyed by the statement's column labels, as psycopg reads them: the API's models
    validate a dict faster than any row object and convert each value themselves, and a
    page is only read. One row past `limit` is fetched to learn whether another follows.
    """
    values = {name: driver_value(value) for name, value in params.items()}
    values[PAGE_ROWS] = limit + 1
    if cursor is not None:
        values[AFTER_CREATED_AT] = cursor.created_at
        values[AFTER_ID] = cursor.id
    with driver_dict_cursor(connection) as rows_cursor:
        rows = rows_cursor.execute(sql, values).fetchall()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last["created_at"], last["id"]).encode()
