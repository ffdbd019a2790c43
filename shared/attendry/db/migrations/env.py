"""Alembic environment: run the migrations against one database, one runner at a time.

Several processes may upgrade the same database at once (two Lambda cold starts, the
local runtime next to a test run). A session-level advisory lock serialises them: the
second waits, then finds the schema already at head and does nothing.
"""

from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import URL, Engine, create_engine, text
from sqlalchemy.pool import NullPool

from attendry.core.config import database_settings
from attendry.db.engine import create_database_engine, database_url, normalize_url
from attendry.db.migrate import MIGRATION_LOCK_KEY
from attendry.db.models import Base, EnumText

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _explicit_url() -> URL | None:
    """The URL `migrate.upgrade` passed, else alembic.ini's, if either gave one."""
    explicit = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    return normalize_url(str(explicit)) if explicit else None


def _engine() -> Engine:
    """For the URL given, else for the application's own database: on AWS that is RDS
    Proxy, signed in to with an IAM token like every other function's connections."""
    explicit = _explicit_url()
    if explicit is not None:
        return create_engine(explicit, poolclass=NullPool)
    return create_database_engine(database_settings(), poolclass=NullPool)


def _render_item(kind: str, item: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Write enum columns as plain text in new migrations: the CHECK constraint holds the values,
    and a migration must not import application types that may change after it."""
    if kind == "type" and isinstance(item, EnumText):
        return "sa.Text()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=_explicit_url() or database_url(database_settings()),
        target_metadata=Base.metadata,
        literal_binds=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                compare_type=True,
                render_item=_render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.rollback()
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
