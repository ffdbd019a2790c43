"""One engine per process and one session per unit of work.

A Lambda execution environment handles one request at a time and may sit frozen for
minutes, so the pool is small, checks a connection before lending it, and recycles it
before RDS Proxy's idle timeout can cut it. Behind RDS Proxy every transaction may run
on a different server connection, so nothing here leaves state on a session: no SET, no
server-side prepared statements, no `options` startup parameter (the proxy refuses it; its
target group's init query sets the statement timeout there instead).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import URL, Engine, create_engine, make_url
from sqlalchemy.orm import Session

from attendry.config import DatabaseSettings, database_settings

DRIVER = "postgresql+psycopg"
APPLICATION_NAME = "attendry"
POOL_RECYCLE_SECONDS = 240
POOL_TIMEOUT_SECONDS = 10
CONNECT_TIMEOUT_SECONDS = 10


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
    return create_engine(
        database_url(settings),
        pool_size=settings.pool_size,
        max_overflow=0,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        pool_pre_ping=True,
        pool_recycle=POOL_RECYCLE_SECONDS,
        connect_args=connect_args,
    )


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one invocation: committed if the block succeeds, rolled back if not.

    Objects stay readable after the commit (`expire_on_commit=False`), so a handler can
    build its response from them without another round trip.
    """
    with Session(engine or get_engine(), expire_on_commit=False) as session, session.begin():
        yield session
