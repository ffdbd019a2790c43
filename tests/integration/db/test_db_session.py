"""The process engine and the per-invocation session against the test database."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, create_engine, delete, insert, select, text
from sqlalchemy.exc import OperationalError

from attendry.db.engine import (
    ReadOnlySessionError,
    get_engine,
    ping_when_idle,
    read_scope,
    session_scope,
)
from attendry.db.models import Notification

pytestmark = pytest.mark.integration


class BoomError(Exception):
    pass


def test_one_small_pool_per_process(database_url: str) -> None:
    engine = get_engine()

    assert get_engine() is engine
    assert engine.url.render_as_string(hide_password=False) == database_url
    assert engine.pool.size() == 2  # type: ignore[attr-defined]


def test_connections_carry_the_statement_timeout_and_a_name(database_url: str) -> None:
    with get_engine().connect() as connection:
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "15s"
        assert connection.execute(text("SHOW application_name")).scalar() == "attendry"


def test_session_scope_commits_when_the_block_succeeds(database_url: str, user_id: str) -> None:
    with session_scope() as session:
        note = Notification(user_id=user_id, kind="test", payload={"n": 1})
        session.add(note)

    assert note.id is not None
    with session_scope() as session:
        stored = session.scalars(select(Notification).where(Notification.user_id == user_id))
        assert [row.payload for row in stored] == [{"n": 1}]


def _add_then_fail(user_id: str) -> None:
    with session_scope() as session:
        session.add(Notification(user_id=user_id, kind="test"))
        session.flush()
        raise BoomError


def test_session_scope_rolls_back_when_the_block_fails(database_url: str, user_id: str) -> None:
    with pytest.raises(BoomError):
        _add_then_fail(user_id)

    with session_scope() as session:
        stored = session.scalars(select(Notification).where(Notification.user_id == user_id))
        assert list(stored) == []


def test_read_scope_reads_what_was_committed(database_url: str, user_id: str) -> None:
    with session_scope() as session:
        session.add(Notification(user_id=user_id, kind="test", payload={"n": 2}))

    with read_scope() as session:
        stored = session.scalars(select(Notification).where(Notification.user_id == user_id))
        assert [row.payload for row in stored] == [{"n": 2}]


def test_read_scope_refuses_to_write(database_url: str, user_id: str) -> None:
    with read_scope() as session:
        session.add(Notification(user_id=user_id, kind="test"))
        with pytest.raises(ReadOnlySessionError):
            session.flush()
    with read_scope() as session, pytest.raises(ReadOnlySessionError):
        session.execute(insert(Notification).values(user_id=user_id, kind="test"))
    with read_scope() as session, pytest.raises(ReadOnlySessionError):
        session.execute(delete(Notification).where(Notification.user_id == user_id))

    with session_scope() as session:
        stored = session.scalars(select(Notification).where(Notification.user_id == user_id))
        assert list(stored) == []


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


@contextmanager
def _pooled_connection_killed(
    database_url: str, ping_after_s: float
) -> Iterator[tuple[Engine, int]]:
    """A pool of one connection, pinged after `ping_after_s` idle, and the process id of
    its connection, which the server has just terminated while it sat in the pool."""
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, after_seconds=ping_after_s)
    try:
        dead = _backend_pid(engine)
        with get_engine().connect() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dead})
        yield engine, dead
    finally:
        engine.dispose()


def test_a_pooled_connection_that_died_while_idle_is_replaced(database_url: str) -> None:
    with _pooled_connection_killed(database_url, ping_after_s=0.0) as (engine, dead):
        assert _backend_pid(engine) != dead


def test_within_the_idle_window_a_dead_connection_fails_one_request_then_is_replaced(
    database_url: str,
) -> None:
    with _pooled_connection_killed(database_url, ping_after_s=3600.0) as (engine, dead):
        with pytest.raises(OperationalError):
            _backend_pid(engine)
        assert _backend_pid(engine) != dead
