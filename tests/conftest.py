"""The test database: one fresh, migrated PostgreSQL database per test process.

The server is DATABASE_URL's if set, else the machine's on 127.0.0.1:5432 if one answers,
else an embedded server in a temporary directory. Each process (each pytest-xdist worker)
creates its own uniquely named database on it, so workers never share rows or race on a
name, and drops it at the end. Tests that touch the database request `database_url` (or
`db_session`), and keep their rows apart with a fresh `user_id` rather than truncating.
"""

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from attendry.config import database_settings
from attendry.db.engine import get_engine
from attendry.db.migrate import upgrade
from attendry.local.postgres import EmbeddedPostgres, drop_database, ensure_database

MACHINE_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _answers(url: str) -> bool:
    engine = create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def reset_engine() -> None:
    """Forget the cached settings and engine, so the next use reads DATABASE_URL again."""
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    database_settings.cache_clear()


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """A URL on the server the test databases are created on."""
    explicit = os.environ.get("DATABASE_URL")
    if explicit:
        yield explicit
    elif _answers(MACHINE_SERVER_URL):
        yield MACHINE_SERVER_URL
    else:
        # Not pytest's tmp_path: it keeps its base directory 0700, and PostgreSQL may run
        # as another account when the tests run as root.
        base = Path(tempfile.mkdtemp(prefix="attendry-pg-"))
        server = EmbeddedPostgres(base / "data", port=_free_port(), durable=False)
        try:
            yield server.start()
        finally:
            server.stop()
            shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(database_server_url: str) -> Iterator[str]:
    """A fresh database at the newest schema, set as DATABASE_URL for the whole session."""
    name = f"attendry_test_{uuid.uuid4().hex[:8]}"
    url = ensure_database(database_server_url, name)
    previous = os.environ.get("DATABASE_URL")
    try:
        upgrade(url)
        os.environ["DATABASE_URL"] = url
        reset_engine()
        yield url
    finally:
        reset_engine()
        if previous is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = previous
        drop_database(database_server_url, name)


@pytest.fixture
def db_session(database_url: str) -> Iterator[Session]:
    """A session on the test database; what a test does not commit is rolled back."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def user_id() -> str:
    """A user nobody else uses, so a test sees only its own rows."""
    return f"user-{uuid.uuid4()}"
