"""The process engine and the per-invocation session against the test database."""

import pytest
from sqlalchemy import select, text

from attendry.db.engine import get_engine, session_scope
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
