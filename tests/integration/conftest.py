"""What the integration tests share: one moto server per test process, on loopback, and
databases with nothing in them.

Each test makes queues, buckets and identities of its own, so sharing the server never
lets one test see another's messages.
"""

import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy import create_engine, inspect
from sqlalchemy.pool import NullPool

from attendry_local.postgres import drop_database, ensure_database


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def empty_database_url(database_server_url: str) -> Iterator[str]:
    """A database of its own with no table, dropped after the test."""
    name = f"attendry_empty_{uuid.uuid4().hex[:8]}"
    url = ensure_database(database_server_url, name)
    yield url
    drop_database(database_server_url, name)


def table_names(url: str) -> set[str]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
