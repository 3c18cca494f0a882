"""Open a database for reading, and turn database failures into messages a user can act on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import column, exc, select, table
from sqlalchemy.engine import Connection, Engine

from kb.db import VERSION_TABLE, make_engine
from kb.db import describe_url as describe
from kb.errors import KbError


@contextmanager
def reading(url: str) -> Iterator[Connection]:
    """A connection to an existing kb database; never creates a file.

    A missing file, a file that is not SQLite, a database without kb's schema, and any
    database error raised while reading become a KbError that says what to do.
    """
    engine = make_engine(url, must_exist=True)
    try:
        with engine.connect() as connection:
            require_schema(connection, url)
            yield connection
    except exc.DBAPIError as error:
        raise explain(engine, url, error) from error
    finally:
        engine.dispose()


def require_schema(connection: Connection, url: str) -> None:
    """Fail unless the database has a kb schema (a revision in Alembic's version table).

    Only the version table is read here: comparing with the newest migration needs Alembic,
    which costs more to import than most queries take, so that check waits for an error.
    """
    version = table(VERSION_TABLE, column("version_num"))
    # A missing table is "no such table" (OperationalError) on SQLite and "does not exist"
    # (ProgrammingError) on PostgreSQL; any other failure is left to reading()'s handler.
    try:
        revision = connection.execute(select(version.c.version_num)).scalar()
    except (exc.OperationalError, exc.ProgrammingError) as error:
        if "no such table" not in str(error.orig) and "does not exist" not in str(error.orig):
            raise
        connection.rollback()
        raise KbError(
            f"{describe(url)} is not a kb database (it has no kb tables). Choose another with "
            "--db, or build one with `kb load`."
        ) from None
    if revision is None:
        raise KbError(
            f"{describe(url)} has no kb tables (it is at migration base). "
            "Run `kb db upgrade` or `kb load`."
        )


def explain(engine: Engine, url: str, error: exc.DBAPIError) -> KbError:
    """A KbError for a database failure: an old schema, a file that is not SQLite, or the rest."""
    where = describe(url)
    # PostgreSQL adds LINE/HINT lines after the message; the first line says what is wrong.
    reason = (str(error.orig).strip().splitlines() or [type(error.orig).__name__])[0]
    if "file is not a database" in reason:
        return KbError(f"{where} is not a SQLite database ({reason}).")
    stale = _stale_schema(engine)
    if stale:
        return KbError(f"{where} {stale}")
    return KbError(f"Cannot read {where}: {reason}.")


def _stale_schema(engine: Engine) -> str | None:
    """' is at revision X, kb needs Y: …' when the schema is not the newest, else None."""
    from kb.db import current_revision, head_revision

    try:
        current, head = current_revision(engine), head_revision()
    except exc.DBAPIError:
        return None
    if current == head:
        return None
    return (
        f"is at schema revision {current or 'base'} but this kb needs {head}: "
        "run `kb db upgrade` (or `kb load`) to migrate it."
    )
