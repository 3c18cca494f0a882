"""Engines with kb's SQLite settings, sessions, and schema migrations through Alembic's API."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    Integer,
    String,
    Table,
    create_engine,
    event,
    exc,
    inspect,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.types import TypeEngine

from kb.errors import KbError
from kb.paths import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

    from kb.reader import Notice

VERSION_TABLE = "_alembic_version"
# The newest migration's revision (a test holds it to the scripts' head): a database already
# there needs no Alembic at all, whose import alone is a fifth of a second.
HEAD_REVISION = "0011"
BUSY_TIMEOUT_MS = 10_000
# Execution option that marks a connection as a writer (see _sqlite_on_begin).
WRITE_OPTION = "kb_writer"
# Key of the Alembic config's attributes under which a migration leaves warnings for the user.
NOTES = "kb_notes"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Set the pragmas every kb connection needs; foreign keys are off by default in SQLite."""
    # Let SQLAlchemy's "begin" event issue BEGIN, so DDL is transactional and a load
    # is one transaction (the pysqlite driver otherwise begins lazily, after DDL).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _sqlite_on_begin(connection: Connection) -> None:
    """Begin a transaction: IMMEDIATE for writers, so they take the write lock before reading.

    Readers begin DEFERRED and so never wait for a writer (WAL lets them read the last
    committed state while a load runs).
    """
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str, *, must_exist: bool = False) -> Engine:
    """Create an engine for `url`; SQLite connections get foreign keys, WAL and a busy timeout.

    With `must_exist`, a SQLite file that is not there is an error instead of a new empty file
    (read commands should not create databases).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if must_exist and database not in ("", ":memory:") and not Path(database).exists():
            raise KbError(
                f"No database at {database}. Build one with `kb load` "
                "(or choose another with --db / KB_DATABASE_URL)."
            )
        engine = create_engine(url, json_serializer=_json_text)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    # No server-side prepared statements: psycopg prepares a statement run five times on a
    # connection, and PostgreSQL may then plan it once for any parameters. kb's queries hinge
    # on theirs (a rare word or a common one, a row limit): such a generic plan walked whole
    # tables where the one made for the values at hand used an index.
    # No JIT either: kb's statements are index look-ups and bounded joins whose estimated
    # costs (a recursive walk's, a load's) can still pass JIT's threshold, and compiling took
    # longer than running them (300 ms for the same_as walk of 100 events at a million facts,
    # a fifth of a 100,000-fact load).
    return create_engine(
        url,
        json_serializer=_json_text,
        connect_args={"prepare_threshold": None, "options": "-c jit=off"},
    )


def _json_text(value: object) -> str:
    """JSON as readable UTF-8 text (not \\u escapes), so other tools and full-text search see
    'Kęstutis' as it is written."""
    return json.dumps(value, ensure_ascii=False)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic Config built in code (no alembic.ini), optionally sharing `connection`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def writing(engine: Engine, *, commit: bool = True) -> Iterator[Connection]:
    """A connection in a write transaction: committed on success (unless `commit` is False,
    for rehearsals), rolled back on any error."""
    with engine.connect() as connection:
        connection.execution_options(**{WRITE_OPTION: True})
        with connection.begin() as transaction:
            yield connection
            if not commit:
                transaction.rollback()


def migrate(connection: Connection, revision: str = "head") -> Notice | None:
    """Upgrade the schema on `connection`, inside the transaction the caller holds; return a
    note for the user about kb sql's reader role on PostgreSQL (created, or how to), if any."""
    if revision == "head" and stored_revision(connection) == HEAD_REVISION:
        return None
    from alembic import command

    from kb.reader import refresh

    command.upgrade(alembic_config(connection), revision)
    # kb sql's reader may read what the migrations made (and is made if missing and allowed).
    return refresh(connection)


def stored_revision(connection: Connection) -> str | None:
    """The revision recorded in the database's version table (None: no table or no row)."""
    if not connection.dialect.has_table(connection, VERSION_TABLE):
        return None
    query = f"SELECT version_num FROM {VERSION_TABLE}"  # noqa: S608 (a constant of ours)
    rows = connection.exec_driver_sql(query).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def driver_execute(connection: Connection, statement: str, parameters: Sequence[Any] = ()) -> Any:
    """Run a statement straight on the connection's DB-API driver (`?` marks its parameters on
    either backend) and return the driver's cursor. For lookups a load makes by the thousand:
    SQLAlchemy's handling of a statement costs several times the query (80 µs against 12)."""
    driver = connection.connection.driver_connection
    assert driver is not None  # an open connection has its driver's
    statement = driver_marks(connection, statement)
    return driver.execute(statement, parameters) if parameters else driver.execute(statement)


def driver_insert(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: list[tuple[Any, ...]],
    types: Sequence[str] | None = None,
) -> None:
    """Insert `rows` (values in the order of `columns`) into `table` straight through the
    driver: by COPY on PostgreSQL, where an executemany runs one statement per row (about
    30 µs each: a third of a second for 10,000 rows), by executemany on SQLite, in-process.

    `types`, PostgreSQL's names of the columns' types (copy_types()), make the COPY binary:
    half the client's time of the text format, and less of the server's (no number or
    escape is parsed). The values must then be of those types (None for NULL).
    """
    if not rows:
        return  # (an executemany of no rows would run the statement once, without values)
    names = ", ".join(columns)
    if connection.dialect.name == "postgresql":
        binary = " (FORMAT binary)" if types is not None else ""
        with driver_copy(connection, f"COPY {table} ({names}) FROM STDIN{binary}") as copy:
            if types is not None:
                copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        return
    # Table and column names are kb's own, never a user's.
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    connection.exec_driver_sql(statement, rows)


# Checked in this order: BigInteger before Integer, which it derives from.
_COPY_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (BigInteger, "int8"),
    (Integer, "int4"),
    (Float, "float8"),
    (Boolean, "bool"),
    (String, "text"),  # Text and VARCHAR(n) too: the same binary form
)


def copy_types(table: Table, columns: Sequence[str]) -> list[str]:
    """PostgreSQL's names of the types of `columns` of `table`, for a binary COPY
    (driver_insert): integers, floats, booleans and text of any length or collation.

    psycopg writes an integer out of an int4's range into an int4 column wrapped, without an
    error: an Integer column must only take values kb's size limits keep small (offsets into
    a text, indexes of files), a BigInteger one any other.
    """
    names = []
    for column in columns:
        kind = table.c[column].type
        for generic, name in _COPY_TYPES:
            if isinstance(kind, generic):
                names.append(name)
                break
        else:
            raise TypeError(f"no binary COPY type for {table.name}.{column} ({kind!r})")
    return names


@contextmanager
def driver_copy(connection: Connection, statement: str) -> Iterator[Any]:
    """PostgreSQL: a COPY statement run straight on the connection's driver (psycopg's Copy,
    to write rows or chunks to, or iterate for chunks); its errors raised as SQLAlchemy
    raises the driver's, so that callers catch one kind."""
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    failed = connection.dialect.loaded_dbapi.Error
    try:
        with cursor, cursor.copy(statement) as copy:
            yield copy
    except failed as error:
        raise exc.DBAPIError.instance(statement, None, error, failed) from error


def driver_marks(connection: Connection, statement: str) -> str:
    """`statement`, whose parameters are marked `?`, in the marks of the connection's driver
    (`%s` on psycopg), for exec_driver_sql() and driver_execute()."""
    return statement if connection.dialect.paramstyle == "qmark" else statement.replace("?", "%s")


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def head_revision() -> str | None:
    """The newest revision among the migration scripts."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def history() -> list[tuple[str, str | None, str]]:
    """Every revision, newest first, as (revision, down_revision, message)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [
        (rev.revision, _down(rev.down_revision), (rev.doc or "").strip())
        for rev in script.walk_revisions()
    ]


def _down(value: str | Sequence[str] | None) -> str | None:
    """Render a down_revision that may be a tuple (a merge) as text."""
    if value is not None and not isinstance(value, str):
        return ", ".join(value)
    return value


def table_names(engine: Engine) -> list[str]:
    """Names of the tables in the database."""
    return sorted(inspect(engine).get_table_names())


def describe_url(url: str | URL) -> str:
    """How messages name a database: the file path for SQLite, else the URL sans password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return parsed.database
    return parsed.render_as_string(hide_password=True)
