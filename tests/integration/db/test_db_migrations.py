"""The migrations build exactly the schema the models describe, both ways, concurrently."""

import threading
import time
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import CheckConstraint, create_engine, event, inspect, make_url, text
from sqlalchemy.pool import NullPool, Pool

from attendry.db.migrate import MIGRATION_LOCK_KEY, alembic_config, upgrade
from attendry.db.models import Base
from tests.fixtures.database import table_names

pytestmark = pytest.mark.integration

MODEL_TABLES = set(Base.metadata.tables)
# A bigint advisory lock shows in pg_locks as its high and low 32 bits.
WAITING_FOR_LOCK = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND classid = :high AND objid = :low"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


ADVISORY_LOCKS_OF_BACKEND = (
    "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %(pid)s),"
    " (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = %(pid)s)"
)


def _current_revision(url: str) -> str | None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def _head(url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(url)).get_current_head()


def test_upgrade_from_empty_creates_every_table(empty_database_url: str) -> None:
    upgrade(empty_database_url)

    assert table_names(empty_database_url) == MODEL_TABLES | {"alembic_version"}
    assert _current_revision(empty_database_url) == _head(empty_database_url)


def test_downgrade_to_base_then_upgrade_again(empty_database_url: str) -> None:
    upgrade(empty_database_url)

    command.downgrade(alembic_config(empty_database_url), "base")
    assert table_names(empty_database_url) == {"alembic_version"}
    assert _current_revision(empty_database_url) is None

    upgrade(empty_database_url)
    assert table_names(empty_database_url) == MODEL_TABLES | {"alembic_version"}


def test_upgrade_twice_is_a_no_op(empty_database_url: str) -> None:
    upgrade(empty_database_url)
    upgrade(empty_database_url)

    assert _current_revision(empty_database_url) == _head(empty_database_url)


def _waiting_for_migration_lock(url: str) -> bool:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    WAITING_FOR_LOCK,
                    {"high": MIGRATION_LOCK_KEY >> 32, "low": MIGRATION_LOCK_KEY & 0xFFFF_FFFF},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def test_a_second_upgrade_waits_for_the_first(empty_database_url: str) -> None:
    engine = create_engine(empty_database_url, poolclass=NullPool)
    failures: list[BaseException] = []

    def run_upgrade() -> None:
        try:
            upgrade(empty_database_url)
        except BaseException as error:  # handed to the test thread below
            failures.append(error)

    with engine.connect() as first_runner:
        first_runner.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        second_runner = threading.Thread(target=run_upgrade)
        second_runner.start()
        deadline = time.monotonic() + 30
        while not _waiting_for_migration_lock(empty_database_url):
            assert time.monotonic() < deadline, "the upgrade never queued for the lock"
            time.sleep(0.02)
        assert table_names(empty_database_url) == set()

        first_runner.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
        second_runner.join(timeout=60)
    engine.dispose()

    assert not second_runner.is_alive()
    assert failures == []
    assert _current_revision(empty_database_url) == _head(empty_database_url)


def test_models_match_the_migrated_schema(database_url: str) -> None:
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True}
            )
            diff = compare_metadata(context, Base.metadata)
            checks = {
                table: {c["name"] for c in inspect(connection).get_check_constraints(table)}
                for table in MODEL_TABLES
            }
    finally:
        engine.dispose()

    assert diff == []
    # Autogenerate does not compare CHECK constraints; their names must match at least.
    assert checks == {
        name: {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        for name, table in Base.metadata.tables.items()
    }


def test_the_migration_lock_is_released_before_its_connection_closes(
    empty_database_url: str,
) -> None:
    # Given a watcher that looks at the migration's connection as it is handed back (still
    # open: a closed connection would release the lock however the code behaved)
    database = make_url(empty_database_url).database
    watcher = psycopg.connect(
        make_url(empty_database_url).set(drivername="postgresql").render_as_string(False),
        autocommit=True,
    )
    seen: list[tuple[bool, int]] = []

    def look(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection.info.dbname != database:
            return
        pid = dbapi_connection.info.backend_pid
        row = watcher.execute(ADVISORY_LOCKS_OF_BACKEND, {"pid": pid}).fetchone()
        assert row is not None
        seen.append((bool(row[0]), int(row[1])))

    # When the database is migrated
    event.listen(Pool, "checkin", look)
    try:
        upgrade(empty_database_url)
    finally:
        event.remove(Pool, "checkin", look)
        watcher.close()

    # Then the connection was still open and held no advisory lock any more
    assert seen, "the migration's connection was never handed back"
    assert seen == [(True, 0)] * len(seen)
