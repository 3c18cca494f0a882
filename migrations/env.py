"""Alembic environment: runs kb's migrations on a shared connection or on the configured URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from kb.db import VERSION_TABLE, make_engine
from kb.models import Base
from kb.search.index import include_object

config = context.config
target_metadata = Base.metadata


def run_migrations(connection: Connection) -> None:
    """Configure the context on `connection` and run the migrations in one transaction."""
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # The full-text index (FTS5 tables, GIN expression indexes) is not in the models.
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Use the connection kb passed in, or open one from --db / KB_DATABASE_URL (alembic CLI)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    from kb.config import database_url

    engine = make_engine(config.get_main_option("sqlalchemy.url") or database_url())
    with engine.begin() as conn:
        run_migrations(conn)


if context.is_offline_mode():
    raise SystemExit("kb migrations run online only: use `kb db upgrade`.")
run_online()
