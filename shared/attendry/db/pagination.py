"""Keyset pagination: newest first, stable under inserts, with an opaque cursor.

The cursor carries the last row's (created_at, id); the next page is everything strictly
before it in that order, which an index on (user_id, created_at DESC, id DESC) answers
without scanning the rows already seen, however deep the page.
"""

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import RowMapping, Select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from attendry.errors import InvalidInputError

KeysetPage = tuple[Sequence[RowMapping], str | None]


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            created_at, row_id = json.loads(raw)
            return cls(datetime.fromisoformat(created_at), UUID(row_id))
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as error:
            raise InvalidInputError(
                "The cursor is not valid.",
                details=[{"field": "query.cursor", "message": "not a cursor this API issued"}],
            ) from error


def keyset_page(
    session: Session,
    stmt: Select[Any],
    created_at: InstrumentedAttribute[datetime],
    row_id: InstrumentedAttribute[UUID],
    limit: int,
    cursor: str | None,
) -> KeysetPage:
    """One page of `stmt`'s rows, newest first, and the cursor of the next page (or None).

    Run on the session's connection, as Core: through `Session.execute` a select of mapped
    columns would still go through the ORM's result loading, row by row, and a page of a
    read needs no autoflush.
    """
    if cursor:
        after = Cursor.decode(cursor)
        stmt = stmt.where(tuple_(created_at, row_id) < tuple_(after.created_at, after.id))
    stmt = stmt.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)
    rows = session.connection().execute(stmt).mappings().all()
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], Cursor(last[created_at.key], last[row_id.key]).encode()
