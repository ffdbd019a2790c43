"""Alembic migrations, shipped inside the package so every function and the local runtime
can bring the database to head with `attendry.db.migrate.upgrade`."""
