"""One engine per process and one session per unit of work.

A Lambda execution environment handles one request at a time and may sit frozen for
minutes, so the pool is small, checks a connection that sat idle before lending it, and
recycles it before RDS Proxy's idle timeout can cut it. Behind RDS Proxy every
transaction may run on a different server connection, so nothing here leaves state on a
session: no SET, no server-side prepared statements, no `options` startup parameter (the
proxy refuses it; its target group's init query sets the statement timeout there instead).

On AWS the functions sign in to RDS Proxy with IAM (the proxy requires it): the password
of every new connection is a fresh authentication token, so no function holds the
database password. Locally and in tests DATABASE_URL carries an ordinary password login.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import pydantic_core
from sqlalchemy import URL, Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from attendry.core.config import DatabaseSettings, database_settings

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


def database_url(settings: DatabaseSettings) -> URL:
    """DATABASE_URL if set (local, tests); else RDS Proxy as DB_USER over TLS.

    The proxy's URL has no password: `create_database_engine` gives each new connection an
    IAM token instead, since a token is only accepted for 15 minutes.
    """
    if settings.database_url:
        return normalize_url(settings.database_url)
    host, port, username = _proxy_login(settings)
    return URL.create(
        DRIVER,
        username=username,
        host=host,
        port=port,
        database=settings.db_name,
        # Encrypted, but the proxy's certificate is not verified: verify-full would need
        # Amazon's root CAs (the proxy's certificate is ACM's) shipped in the layer.
        query={"sslmode": "require"},
    )


def _proxy_login(settings: DatabaseSettings) -> tuple[str, int, str]:
    if not (settings.db_host and settings.db_user):
        raise RuntimeError(
            "No database configured: set DATABASE_URL, or DB_HOST and DB_USER on AWS."
        )
    return settings.db_host, settings.db_port, settings.db_user


class RdsAuthToken:
    """IAM authentication tokens for one database user at one RDS Proxy endpoint.

    A token is a SigV4-presigned request computed locally from the function's own
    credentials (no network call); the proxy accepts it for 15 minutes, at sign-in only.
    The RDS client is built on the first token, so importing this module stays cheap.
    """

    def __init__(self, host: str, port: int, username: str, client: Any | None = None) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._client = client

    def __call__(self) -> str:
        if self._client is None:
            # Imported here: boto3 costs ~200 ms of cold start that local runs never need.
            import boto3

            self._client = boto3.client("rds")
        token: str = self._client.generate_db_auth_token(
            DBHostname=self.host, Port=self.port, DBUsername=self.username
        )
        return token


def sign_in_with_tokens(engine: Engine, token: Callable[[], str]) -> None:
    """Make `token()` the password of every connection `engine` opens (pool refills,
    recycling and reconnects after a failover included), never a stale one."""

    @event.listens_for(engine, "do_connect")
    def _fresh_token(
        dialect: Any, record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]
    ) -> None:
        cparams["password"] = token()


def create_database_engine(
    settings: DatabaseSettings,
    *,
    auth_token: Callable[[], str] | None = None,
    **options: Any,
) -> Engine:
    """An engine for the configured database: DATABASE_URL as given, or RDS Proxy signed
    in to with IAM tokens (`auth_token`, by default `RdsAuthToken` for DB_HOST and DB_USER).
    `options` go to `create_engine`."""
    engine = create_engine(database_url(settings), **options)
    if not settings.database_url:
        sign_in_with_tokens(engine, auth_token or RdsAuthToken(*_proxy_login(settings)))
    return engine


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
    engine = create_database_engine(
        settings,
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
