"""`kb sql` cannot read or change the server, and a runaway query stops.

On PostgreSQL kb sql runs as kb's reader role (kb.reader), whoever the URL's role is: the
hostile list below is tried with the database owner's URL (CI's role, not a superuser) and a
superuser's, and each statement is refused with a clear message, the database unchanged and
the server untouched. `--timeout` stops an endless recursive query and a large cross join on
both backends.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.dumps import dump
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kb.cli.sql import sql as sql_command
from kb.reader import role_name
from kb.sql import DEFAULT_TIMEOUT_S

Kb = Callable[..., Result]
SUPERUSER_ENV = "KB_TEST_POSTGRESQL_SUPERUSER_URL"
ONLY_READS = "kb sql only reads"
PRIVILEGE = "which may only read kb's tables and views"
PWNED = "/tmp/kb-sql-reader-test-pwned"

# Each hostile statement and what its refusal says ({db}: the database's name, {pid}: a
# superuser's backend, {superuser}: that role's name).
HOSTILE = {
    "pg_read_file": ("SELECT pg_read_file('/etc/hostname')", PRIVILEGE),
    "pg_ls_dir": ("SELECT pg_ls_dir('.')", PRIVILEGE),
    "lo_import": ("SELECT lo_import('/etc/hostname')", ONLY_READS),
    "copy_to_program": (f"COPY (SELECT 1) TO PROGRAM 'touch {PWNED}'", "begins with COPY"),
    "dblink": (
        "SELECT * FROM dblink('dbname={db}', 'DELETE FROM quotes') AS t(x text)",
        PRIVILEGE,
    ),
    "set_config_role": ("SELECT set_config('role', '{superuser}', false)", PRIVILEGE),
    "set_role": ("SET ROLE {superuser}", "begins with SET"),
    "reset_role": ("RESET ROLE", "begins with RESET"),
    "session_authorization": ("SET SESSION AUTHORIZATION {superuser}", "begins with SET"),
    "pg_terminate_backend": ("SELECT pg_terminate_backend({pid})", PRIVILEGE),
    "do_block": ("DO $$ BEGIN DELETE FROM quotes; END $$", "begins with DO"),
}
# Queries that never end by themselves, per backend.
RUNAWAY = {
    "sqlite": {
        "recursive": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT count(*) FROM r",
        "cross_join": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 100000) SELECT count(*) FROM n a, n b",
    },
    "postgresql": {
        "recursive": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
        "SELECT count(*) FROM r",
        "cross_join": "SELECT count(*) FROM generate_series(1, 100000) a, "
        "generate_series(1, 100000) b",
    },
}


def superuser_url() -> str | None:
    """The superuser URL the tests may use, if any (under CI there must be one)."""
    url = os.environ.get(SUPERUSER_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"CI must set {SUPERUSER_ENV} (.ci/run makes the role).")
    return url


def on_database(url: str, database: str) -> str:
    """`url` pointed at another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def run(statement: str, url: str, *args: str) -> Any:
    """`kb sql STATEMENT --db URL ARGS…`, with the exit code, stderr and seconds it took."""
    from click.testing import CliRunner

    from kb.cli import cli

    started = time.monotonic()
    result = CliRunner().invoke(cli, ["sql", statement, "--db", url, *args])
    return result, time.monotonic() - started


@pytest.fixture
def superuser_engine(seeded_db: str) -> Iterator[Any]:
    """An engine on the test database as a superuser (skips without one, fails under CI)."""
    url = superuser_url()
    if url is None:
        pytest.skip(f"set {SUPERUSER_ENV} to a superuser's URL on the test server")
    engine = create_engine(
        on_database(url, make_url(seeded_db).database or ""), isolation_level="AUTOCOMMIT"
    )
    yield engine
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("who", ["owner", "superuser"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_kb_sql_refuses_to_reach_the_server(
    seeded_db: str, superuser_engine: Any, who: str, name: str
) -> None:
    with superuser_engine.connect() as admin:
        admin.execute(text("CREATE EXTENSION IF NOT EXISTS dblink"))
        superuser = admin.execute(text("SELECT current_user")).scalar_one()
        pid = admin.execute(text("SELECT pg_backend_pid()")).scalar_one()
        url = (
            seeded_db
            if who == "owner"
            else on_database(
                str(superuser_engine.url.render_as_string(hide_password=False)),
                make_url(seeded_db).database or "",
            )
        )
        statement, refusal = HOSTILE[name]
        database = make_url(seeded_db).database
        before = dump(seeded_db)
        result, _ = run(statement.format(db=database, pid=pid, superuser=superuser), url)
        assert result.exit_code == 1, result.output
        assert refusal in result.output, result.output
        assert "Traceback" not in result.output
        assert "Nothing was" in result.output or "runs" in result.output, result.output
        # The superuser's session lives on, nothing was written, no program ran.
        assert admin.execute(text("SELECT 1")).scalar_one() == 1
    assert dump(seeded_db) == before
    assert not Path(PWNED).exists()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_kb_sql_runs_as_the_reader_whoever_the_url_names(
    seeded_db: str, superuser_engine: Any
) -> None:
    superuser = on_database(
        superuser_engine.url.render_as_string(hide_password=False),
        make_url(seeded_db).database or "",
    )
    for url in (seeded_db, superuser):
        result, _ = run("SELECT current_user AS who, session_user AS login", url, "--format", "csv")
        assert result.exit_code == 0, result.output
        role = result.output.splitlines()[1].split(",")
        assert role[0] == role[1] and role[0].startswith("kb_reader_")


@pytest.mark.parametrize("kind", ["recursive", "cross_join"])
def test_a_runaway_query_stops_at_its_timeout(seeded_db: str, backend: str, kind: str) -> None:
    before = dump(seeded_db)
    result, seconds = run(RUNAWAY[backend][kind], seeded_db, "--timeout", "1")
    assert result.exit_code == 1, result.output
    assert "kb sql stopped the query after 1 s (--timeout 1)" in result.output
    assert "Nothing was changed." in result.output
    assert seconds < 15
    assert dump(seeded_db) == before


def test_a_query_within_its_timeout_answers(seeded_db: str) -> None:
    result, _ = run("SELECT count(*) AS n FROM quotes", seeded_db, "--timeout", "5")
    assert result.exit_code == 0, result.output


def test_the_default_timeout_is_the_documented_one() -> None:
    option = next(p for p in sql_command.params if p.name == "timeout")
    assert option.default == DEFAULT_TIMEOUT_S == 30


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_kb_db_reader_creates_the_role_kb_sql_needs(kb: Kb, new_db: str) -> None:
    # new_db has no tables: migrate it, then kb sql asks for the reader, then has one.
    assert kb("db", "upgrade", db=new_db).exit_code == 0
    result = kb("sql", "SELECT 1", db=new_db)
    assert result.exit_code == 1
    assert "run `kb db reader --db URL`" in result.stderr
    made = kb("db", "reader", db=new_db)
    role = role_name(make_url(new_db).database or "")
    try:
        assert made.exit_code == 0, made.output
        assert made.stdout == (
            f"Created the role {role}: kb sql runs as it, with SELECT on kb's tables and views.\n"
        )
        assert kb("sql", "SELECT count(*) FROM quotes", db=new_db).exit_code == 0
        # A password changed behind kb's back: a clear refusal; `kb db reader` repairs it.
        admin = create_engine(new_db, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"ALTER ROLE \"{role}\" PASSWORD '{uuid.uuid4().hex}'"))
        admin.dispose()
        refused = kb("sql", "SELECT 1", db=new_db)
        assert refused.exit_code == 1
        assert f"as its read-only role {role}, and the server refused it" in refused.stderr
        repaired = kb("db", "reader", db=new_db)
        assert repaired.stdout.startswith(f"Repaired the role {role}")
        assert kb("sql", "SELECT 1", db=new_db).exit_code == 0
    finally:
        downgrade = kb("db", "downgrade", "base", db=new_db)
        assert downgrade.exit_code == 0, downgrade.output
        engine = create_engine(new_db)
        with engine.connect() as connection:
            gone = connection.execute(
                text("SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
            ).scalar_one()
        engine.dispose()
        assert gone  # the downgrade dropped the role it made


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_kb_db_reader_on_sqlite_says_what_kb_sql_does_there(kb: Kb, seeded_db: str) -> None:
    result = kb("db", "reader", db=seeded_db)
    assert result.exit_code == 1
    assert "on SQLite, kb sql opens the file read-only" in result.stderr
