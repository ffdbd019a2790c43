"""psycopg's own cursor under a SQLAlchemy connection, for the few hot paths that need it.

SQLAlchemy builds the statements and owns the pool and the transaction; on these paths
(SES events, list pages) its per-execution work (execution context, result metadata, row
processing) cost as much as the query itself, so the SQL runs on the driver directly.
psycopg is imported on first use, as SQLAlchemy's dialect does: the API's cold start
should not pay for it before a request needs the database.
"""

from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow


def driver_cursor(connection: Connection) -> "psycopg.Cursor[TupleRow]":
    """psycopg's cursor on the connection, inside its current transaction (if any)."""
    return _driver(connection).cursor()


def driver_dict_cursor(connection: Connection) -> "psycopg.Cursor[dict[str, Any]]":
    """As `driver_cursor`, with each row a dict keyed by the column labels."""
    from psycopg.rows import dict_row

    return _driver(connection).cursor(row_factory=dict_row)


def driver_value(value: Any) -> Any:
    """A value as psycopg should bind it: an enum by its value (psycopg would use the name
    of an enum that is not also a str), a dict as JSONB."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        from psycopg.types.json import Jsonb

        return Jsonb(value)
    return value


def _driver(connection: Connection) -> "psycopg.Connection[Any]":
    import psycopg

    driver = connection.connection.driver_connection
    if not isinstance(driver, psycopg.Connection):
        raise TypeError("this path needs the psycopg driver")
    return driver
