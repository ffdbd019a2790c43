"""Effects after the commit: only the outermost commit runs them, savepoints included."""

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from attendry.db.engine import get_engine
from attendry.platform.after_commit import after_commit

pytestmark = pytest.mark.integration


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with Session(get_engine()) as session:
        yield session


def test_an_effect_waits_for_the_outermost_commit_not_a_released_savepoint(
    session: Session,
) -> None:
    ran: list[str] = []
    session.execute(text("SELECT 1"))
    with session.begin_nested():
        after_commit(session, lambda: ran.append("in savepoint"))
    assert ran == []

    session.commit()

    assert ran == ["in savepoint"]


def test_a_rolled_back_savepoint_drops_only_its_own_effects(session: Session) -> None:
    ran: list[str] = []
    session.execute(text("SELECT 1"))
    after_commit(session, lambda: ran.append("outer"))
    refused = session.begin_nested()
    after_commit(session, lambda: ran.append("refused"))
    with session.begin_nested():
        after_commit(session, lambda: ran.append("inner of refused"))
    refused.rollback()
    with session.begin_nested():
        after_commit(session, lambda: ran.append("kept"))

    session.commit()

    assert ran == ["outer", "kept"]


def test_a_rollback_drops_every_effect_and_a_failing_effect_spares_the_rest(
    session: Session,
) -> None:
    ran: list[str] = []
    session.execute(text("SELECT 1"))
    after_commit(session, lambda: ran.append("never"))
    session.rollback()

    session.execute(text("SELECT 1"))
    after_commit(session, lambda: 1 / 0)
    after_commit(session, lambda: ran.append("still runs"))
    session.commit()

    assert ran == ["still runs"]
