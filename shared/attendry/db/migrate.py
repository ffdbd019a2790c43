"""Bring a database to the newest schema, from code: no alembic.ini needed.

The migrations live inside the package (`attendry.db:migrations`), so the same call works
from a Lambda layer, the local runtime and the tests.
"""

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "attendry.db:migrations"
# The advisory lock env.py holds while migrating. Any fixed bigint works; this one spells
# "attendry" in ASCII, so it is easy to spot in pg_locks.
MIGRATION_LOCK_KEY = int.from_bytes(b"attendry", "big")


def alembic_config(database_url: str | None) -> Config:
    """An Alembic config for `database_url` (None: the application's own database, as
    `attendry.db.engine` connects to it), for `alembic.command` calls beyond upgrade."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # Passed as an attribute, not an option: ConfigParser would read a '%' in the
    # password as interpolation.
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str | None = None) -> None:
    """Run every migration not yet applied; safe to call concurrently (env.py locks).

    Without a URL, migrate the application's own database the way its functions reach it
    (on AWS: RDS Proxy with an IAM token, which no URL could carry for long)."""
    command.upgrade(alembic_config(database_url), "head")


def head() -> str:
    """The newest migration's revision: the schema this code expects."""
    revision = ScriptDirectory.from_config(alembic_config("")).get_current_head()
    assert revision is not None  # the package always ships its migrations
    return revision
