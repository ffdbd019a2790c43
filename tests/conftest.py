"""The test database: one fresh, migrated PostgreSQL database per test process.

The server is DATABASE_URL's if set, else the machine's on 127.0.0.1:5432 if one answers,
else an embedded server in a temporary directory. Each process (each pytest-xdist worker)
creates its own uniquely named database on it, so workers never share rows or race on a
name, and drops it at the end. Tests that touch the database request `database_url` (or
`db_session`), and keep their rows apart with a fresh `user_id` rather than truncating.
"""

import os
import uuid
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.utilities.parameters import clear_caches
from sqlalchemy.orm import Session

from attendry.db.engine import get_engine
from attendry.wiring import connect_features
from attendry_local.postgres import scratch_database, scratch_server
from tests.fixtures.database import reset_engine

# The features hear of each other as every function's handler wires them at cold start.
connect_features()


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """A URL on the server the test databases are created on."""
    with scratch_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url(database_server_url: str) -> Iterator[str]:
    """A fresh database at the newest schema, set as DATABASE_URL for the whole session."""
    previous = os.environ.get("DATABASE_URL")
    with scratch_database(database_server_url, "attendry_test") as url:
        try:
            os.environ["DATABASE_URL"] = url
            reset_engine()
            yield url
        finally:
            reset_engine()
            if previous is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = previous


@pytest.fixture
def db_session(database_url: str) -> Iterator[Session]:
    """A session on the test database; what a test does not commit is rolled back."""
    with Session(get_engine(), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def user_id() -> str:
    """A user nobody else uses, so a test sees only its own rows."""
    return f"user-{uuid.uuid4()}"


@pytest.fixture(autouse=True)
def fresh_parameter_providers() -> None:
    """Powertools keeps one Secrets Manager client (and its cached values) per process,
    built under whichever AWS stand-in the first test that read a secret used; a later
    test in the same worker would reach that one, or real AWS. Each test starts without."""
    clear_caches()
