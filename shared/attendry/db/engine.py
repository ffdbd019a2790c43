"""One engine per process and one session per unit of work.

A Lambda execution environment handles one request at a time and may sit frozen for
minutes, so the pool is small, checks a connection that sat idle before lending it, and
recycles it before RDS Proxy's idle timeout can cut it. Behind RDS Proxy every
transaction may run on a different server connection, so nothing here leaves state on a
session: no SET, no server-side prepared statements, no `options` startup parameter (the
proxy refuses it; its target group's init query sets the statement timeout there instead).
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import pydantic_core
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from attendry.config import DatabaseSettings, database_settings

DRIVER = "postgresql+psycopg"
APPLICATION_NAME = "attendry"
POOL_RECYCLE_SECONDS = 240
POOL_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 10
PING_AFTER_IDLE_SECONDS = 10.0
_CHECKED_IN_AT = "attendry_checked_in_at"


def normalize_url(url: str) -> URL:
    """Parse a URL, giving a bare `postgresql://` (libpq style) the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername=DRIVER)
    return parsed


def database_url(settings: DatabaseSettings | None = None) -> URL:
    """DATABASE_URL if set (local, tests); else RDS Proxy with the Secrets Manager login."""
    settings = settings or database_settings()
    if settings.database_url:
        return normalize_url(settings.database_url)
    if not settings.db_secret_arn:
        raise RuntimeError(
            "No database configured: set DATABASE_URL, or DB_SECRET_ARN and DB_HOST on AWS."
        )
    secret = _read_secret(settings.db_secret_arn)
    host = settings.db_host or secret.get("host")
    if not host:
        raise RuntimeError("DB_HOST is not set and the database secret has no 'host'.")
    return URL.create(
        DRIVER,
        username=secret["username"],
        password=secret["password"],
        host=host,
        port=settings.db_port,
        database=settings.db_name,
        query={"sslmode": "require"},
    )


def _read_secret(secret_arn: str) -> dict[str, Any]:
    # Imported here: boto3 costs ~200 ms of cold start that local runs and tests never need.
    from aws_lambda_powertools.utilities.parameters import get_secret

    secret = get_secret(secret_arn, transform="json")
    if not isinstance(secret, dict) or not {"username", "password"} <= secret.keys():
        raise RuntimeError("The database secret must be JSON with 'username' and 'password'.")
    return secret


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process's engine, built on first use so the environment can be set before."""
    settings = database_settings()
    connect_args: dict[str, Any] = {
        "application_name": APPLICATION_NAME,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "prepare_threshold": None,
    }
    if settings.database_url:
        connect_args["options"] = f"-c statement_timeout={settings.statement_timeout_ms}"
    engine = create_engine(
        database_url(settings),
        # JSONB (settings, meta, payloads) decoded by pydantic-core: ten times json.loads'
        # speed, and a list page decodes one document per row.
        json_deserializer=pydantic_core.from_json,
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args=connect_args,
    )
    ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


def ping_when_idle(engine: Engine, after_seconds: float) -> None:
    """Check a pooled connection before lending it only if it sat idle `after_seconds`.

    `pool_pre_ping` would spend a round trip on every checkout, a third of a short read's
    time. A connection handed back moments ago is alive; one that waited through a frozen
    execution environment, a failover or a proxy restart may not be. The same trade as
    PgBouncer's `server_check_delay`. Raising DisconnectionError on checkout is
    SQLAlchemy's way to have the pool replace the connection and try again. The wall
    clock is used because a frozen environment's monotonic clock may not advance.
    """

    @event.listens_for(engine, "checkin")
    def _note_idle_since(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        if dbapi_connection is not None:
            record.info[_CHECKED_IN_AT] = time.time()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(
        dbapi_connection: Any, record: ConnectionPoolEntry, proxy: PoolProxiedConnection
    ) -> None:
        idle_since = record.info.get(_CHECKED_IN_AT)
        if idle_since is None or 0 <= time.time() - idle_since < after_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError("The pooled connection did not answer a ping.") from error


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one invocation: committed if the block succeeds, rolled back if not.

    Objects stay readable after the commit (`expire_on_commit=False`), so a handler can
    build its response from them without another round trip.
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session, session.begin():
        yield session


class ReadOnlySessionError(RuntimeError):
    def __init__(self) -> None:
        super().__init__("read_scope() is for reads; write inside session_scope().")


class _ReadSession(Session):
    """A session that refuses to write: autocommit would keep a write nothing rolls back."""


@event.listens_for(_ReadSession, "before_flush")
def _refuse_flush(session: Session, flush_context: Any, instances: Any) -> None:
    raise ReadOnlySessionError


@event.listens_for(_ReadSession, "do_orm_execute")
def _refuse_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySessionError


@lru_cache(maxsize=4)
def _autocommit(engine: Engine) -> Engine:
    return engine.execution_options(isolation_level="AUTOCOMMIT")


@contextmanager
def read_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for a request that only reads, each statement on its own (autocommit).

    A read needs no BEGIN and COMMIT around it: one statement is a consistent snapshot by
    itself, and the two extra round trips would double a short read's time. Callers read
    with one statement, or with statements that need not agree (an ownership check, then
    the rows). Writing through it is refused, since nothing would roll a write back.
    """
    bind = _autocommit(engine or get_engine())
    with _ReadSession(bind, expire_on_commit=False, autoflush=False) as session:
        yield session


@contextmanager
def read_connection(engine: Engine | None = None) -> Iterator[Connection]:
    """A Core connection for list pages (`db.owned.list_owned`), statements autocommitted.

    A page is plain rows, not entities, so no Session is opened around it: its transaction
    bookkeeping cost a fifth of a list request. Only the page reads of `db.owned` run on
    it; everything that writes takes `session_scope()`.
    """
    with _autocommit(engine or get_engine()).connect() as connection:
        yield connection
