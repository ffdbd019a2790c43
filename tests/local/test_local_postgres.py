"""The embedded PostgreSQL starts for real, keeps its data, and leaves no process behind."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from attendry_local.postgres import (
    EmbeddedPostgres,
    database_server_url,
    drop_database,
    ensure_database,
    free_port,
)

pytestmark = pytest.mark.integration


def _pid_alive(pid: int) -> bool:
    """Whether `pid` still runs; a zombie (exited, not yet reaped by init) does not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    proc_stat = Path(f"/proc/{pid}/stat")
    return not (proc_stat.exists() and proc_stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _scalar(url: str, *statements: str) -> object:
    """Run `statements` in one transaction; the first column of the last one's first row."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            results = [connection.execute(text(sql)) for sql in statements]
            return results[-1].scalar() if results[-1].returns_rows else None
    finally:
        engine.dispose()


@pytest.fixture
def data_dir() -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix="attendry-pg-test-"))
    yield base / "postgres"
    shutil.rmtree(base, ignore_errors=True)


def test_embedded_server_keeps_data_across_restarts(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir, port=free_port(), durable=False)
    try:
        url = server.start()
        _scalar(url, "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('still here')")
        first_pid = int((data_dir / "postmaster.pid").read_text().split()[0])

        server.stop()
        assert not server.is_running()
        assert not _pid_alive(first_pid)

        assert server.start() == url
        assert _scalar(url, "SELECT note FROM kept") == "still here"
        assert _scalar(url, "SHOW listen_addresses") == "127.0.0.1"

        # A second handle on the same directory (a restart after a crash) adopts the
        # running server instead of starting another.
        assert EmbeddedPostgres(data_dir, port=free_port()).start() == url
    finally:
        server.stop()

    assert not server.is_running()


def test_ensure_database_creates_once(database_server_url: str) -> None:
    name = f"attendry_ensure_{uuid.uuid4().hex[:8]}"
    try:
        url = ensure_database(database_server_url, name)

        assert ensure_database(database_server_url, name) == url
        assert _scalar(url, "SELECT current_database()") == name
    finally:
        drop_database(database_server_url, name)


def test_database_url_wins_over_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://someone@db.example:5432/app")

    assert database_server_url(tmp_path) == "postgresql+psycopg://someone@db.example:5432/app"
    assert not (tmp_path / ".local").exists()
