"""Nobody gets in through `kb sql`: every statement that would write is refused, on both backends.

Each refusal is checked twice: through `kb sql` (the message a user sees), and on the read-only
connection itself with the statement sent straight to the driver, which proves that the
database refuses it even without kb's own check of the statement. Either way, a dump of every
table, view and row is the same afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.dumps import dump
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from kb.sql import read_only

Kb = Callable[..., Result]
Dump = dict[str, Any]

WRITES = {
    "insert": "INSERT INTO people (slug, name, aliases) VALUES ('x', 'X', '[]')",
    "update": "UPDATE quotes SET text = 'changed'",
    "delete": "DELETE FROM quotes",
    "drop": "DROP TABLE event_participants",
    "create": "CREATE TABLE intruder (x INTEGER)",
    "alter": "ALTER TABLE people ADD COLUMN intruder TEXT",
}
SQLITE_WRITES = {
    "replace": "REPLACE INTO people (id, slug, name, aliases) VALUES (1, 'x', 'X', '[]')",
    "attach": "ATTACH '{tmp}/attached.sqlite3' AS other",
    "writable_schema": "PRAGMA writable_schema = 1",
    "journal_mode": "PRAGMA journal_mode = DELETE",
    "load_extension": "SELECT load_extension('{tmp}/evil')",
    "vacuum_into": "VACUUM INTO '{tmp}/copy.sqlite3'",
    "cte_insert": (
        "WITH x AS (SELECT 1) INSERT INTO people (slug, name, aliases) VALUES ('x', 'X', '[]')"
    ),
    "stacked": "SELECT 1; DELETE FROM quotes",
    "temp_table": "CREATE TEMP TABLE intruder (x INTEGER)",
}
POSTGRESQL_WRITES = {
    "cte_delete": "WITH x AS (DELETE FROM quotes RETURNING *) SELECT * FROM x",
    "stacked": "SELECT 1; DELETE FROM quotes",
    "stacked_commit": (
        "SELECT 1; COMMIT; SET default_transaction_read_only = off; DELETE FROM quotes"
    ),
    "sequence": "SELECT nextval('quotes_id_seq')",
    "temp_table": "CREATE TEMP TABLE intruder (x INTEGER)",
}
# Each backend with each statement that exists there (the backend fixture takes the param).
CASES = [("sqlite", name) for name in sorted(WRITES | SQLITE_WRITES)] + [
    ("postgresql", name) for name in sorted(WRITES | POSTGRESQL_WRITES)
]
# The refusal each statement gets from `kb sql`, by how its message begins.
NOT_A_QUERY = "Error: kb sql only reads: it runs one query (SELECT, WITH … SELECT, VALUES, EXPLAIN"
REFUSED = "Error: kb sql only reads the database: the statement was refused"
ONE_STATEMENT = "Error: kb sql runs exactly one statement, and this SQL holds more than one"


def statements(backend: str) -> dict[str, str]:
    """The writing statements to try on `backend`."""
    return WRITES | (SQLITE_WRITES if backend == "sqlite" else POSTGRESQL_WRITES)


def expected_message(name: str, sql: str) -> str:
    """How `kb sql`'s message for a refused statement begins."""
    if name.startswith("stacked"):
        return ONE_STATEMENT
    if sql.startswith(("SELECT", "WITH")):
        return REFUSED
    return NOT_A_QUERY


def strays(directory: Path) -> list[str]:
    """Files in `directory` other than the test database and its WAL files."""
    ours = {"kb.sqlite3", "kb.sqlite3-wal", "kb.sqlite3-shm"}
    return sorted(p.name for p in directory.iterdir() if p.name not in ours)


@pytest.fixture
def before(seeded_db: str) -> Dump:
    """The seeded database's dump before the test touches it."""
    return dump(seeded_db)


@pytest.mark.parametrize(("backend", "name"), CASES, indirect=["backend"])
def test_kb_sql_refuses_writes(
    kb: Kb,
    seeded_db: str,
    backend: str,
    before: Dump,
    tmp_path: Path,
    engine_for: Callable[[str | Path], Engine],
    name: str,
) -> None:
    sql = statements(backend)[name].format(tmp=tmp_path)
    result = kb("sql", sql, db=seeded_db)
    assert result.exit_code == 1
    assert result.stderr.startswith(expected_message(name, sql)), result.stderr
    assert result.stderr.count("\n") == 1
    assert dump(seeded_db) == before
    assert strays(tmp_path) == []


@pytest.mark.parametrize(("backend", "name"), CASES, indirect=["backend"])
def test_the_database_itself_refuses_writes(
    seeded_db: str,
    backend: str,
    before: Dump,
    tmp_path: Path,
    engine_for: Callable[[str | Path], Engine],
    name: str,
) -> None:
    sql = statements(backend)[name]
    with read_only(seeded_db) as connection, pytest.raises(DBAPIError):
        # Straight to the driver: kb's check of the statement is not involved.
        connection.exec_driver_sql(sql.format(tmp=tmp_path), {})
    assert dump(seeded_db) == before
    assert strays(tmp_path) == []


def test_sqlite_layers_each_refuse_on_their_own(seeded_sqlite: Path) -> None:
    # Without the authorizer, query_only refuses; without query_only, the read-only file does.
    with read_only(f"sqlite:///{seeded_sqlite}") as connection:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.set_authorizer(None)
        with pytest.raises(DBAPIError, match="readonly database"):
            connection.exec_driver_sql("DELETE FROM quotes")
        raw.execute("PRAGMA query_only = OFF")
        with pytest.raises(DBAPIError, match="readonly database"):
            connection.exec_driver_sql("DELETE FROM quotes")


def test_sqlite_file_keeps_its_journal_mode(kb: Kb, seeded_sqlite: Path) -> None:
    result = kb("sql", "SELECT * FROM pragma_journal_mode", db=seeded_sqlite)
    assert result.stderr == (
        "Error: kb sql only reads the database: the statement was refused because it needs "
        "PRAGMA journal_mode. Nothing was changed.\n"
    )
    header = seeded_sqlite.read_bytes()[:20]
    assert (header[18], header[19]) == (2, 2)  # file format 2 is WAL


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_session_and_transaction_are_read_only(seeded_db: str) -> None:
    with read_only(seeded_db) as connection:
        session = connection.exec_driver_sql("SHOW default_transaction_read_only", {})
        transaction = connection.exec_driver_sql("SHOW transaction_read_only", {})
        assert (session.scalar(), transaction.scalar()) == ("on", "on")


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        (
            "DELETE FROM quotes",
            "Error: kb sql only reads: it runs one query (SELECT, WITH … SELECT, VALUES, EXPLAIN "
            "or TABLE), and this statement begins with DELETE. Nothing was changed.\n",
        ),
        (
            "SELECT 1; DELETE FROM quotes",
            "Error: kb sql runs exactly one statement, and this SQL holds more than one: remove "
            "everything after the first ';'. Nothing was run.\n",
        ),
    ],
)
def test_refusal_messages(kb: Kb, seeded_db: str, sql: str, message: str) -> None:
    result = kb("sql", sql, db=seeded_db)
    assert (result.exit_code, result.stderr) == (1, message)


def test_sqlite_refusal_names_what_was_denied(kb: Kb, seeded_sqlite: Path) -> None:
    sql = "WITH x AS (SELECT 1) UPDATE quotes SET text = 'changed'"
    assert kb("sql", sql, db=seeded_sqlite).stderr == (
        "Error: kb sql only reads the database: the statement was refused because it needs "
        "UPDATE on quotes. Nothing was changed.\n"
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_refusal_quotes_the_server(kb: Kb, seeded_db: str) -> None:
    sql = "WITH x AS (DELETE FROM quotes RETURNING *) SELECT * FROM x"
    assert kb("sql", sql, db=seeded_db).stderr == (
        "Error: kb sql only reads the database: the statement was refused (cannot execute "
        "SELECT in a read-only transaction). Nothing was changed.\n"
    )
