"""`kb sql` cannot read or change the server, and a runaway query stops.

On PostgreSQL kb sql runs as kb's reader role (kb.reader), whoever the URL's role is: the
hostile list below is tried with the database owner's URL (the tests' role, which CI makes
without superuser) and a superuser's, and each statement is refused with a clear message, the
database unchanged and the server untouched. The reader is made by an upgrade when the role
may create roles, else by `kb db reader`; a copy of a template shares it until it gets its
own. `--timeout` stops an endless recursive query and large cross joins on both backends.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.dumps import dump
from helpers.servers import SUPERUSER_ENV, superuser_url
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url

from kb.cli.sql import sql as sql_command
from kb.db import HEAD_REVISION, describe_url
from kb.reader import role_name
from kb.sql import DEFAULT_TIMEOUT_S, query

Kb = Callable[..., Result]
NOT_A_QUERY = "kb sql only reads: it runs one query"
PRIVILEGE = "kb sql runs as the read-only role kb_reader_"
MAY_ONLY_READ = "which may only read kb's tables and views. Nothing was changed."
PWNED = "/tmp/kb-sql-reader-test-pwned"

# Each hostile statement and what its refusal says ({db}: the database's name, {pid}: a
# superuser's backend, {superuser}: that role's name). The statement check refuses what is
# not a query; the server refuses the rest, for want of a privilege the reader lacks.
HOSTILE = {
    "pg_read_file": ("SELECT pg_read_file('/etc/hostname')", PRIVILEGE),
    "pg_ls_dir": ("SELECT pg_ls_dir('.')", PRIVILEGE),
    "lo_import": ("SELECT lo_import('/etc/hostname')", PRIVILEGE),
    "copy_to_program": (
        f"COPY (SELECT 1) TO PROGRAM 'touch {PWNED}'",
        f"{NOT_A_QUERY} (SELECT, WITH … SELECT, VALUES, EXPLAIN or TABLE), and this statement "
        "begins with COPY. Nothing was changed.",
    ),
    "dblink": (
        "SELECT * FROM dblink('dbname={db}', 'DELETE FROM quotes') AS t(x text)",
        PRIVILEGE,
    ),
    "set_config_role": ("SELECT set_config('role', '{superuser}', false)", PRIVILEGE),
    # A query run from inside the query: as the reader still.
    "query_to_xml_role": (
        "SELECT query_to_xml('SELECT set_config(''role'', ''{superuser}'', false)', "
        "true, false, '')",
        PRIVILEGE,
    ),
    "set_config_session": (
        "SELECT set_config('session_authorization', '{superuser}', false)",
        PRIVILEGE,
    ),
    "set_role": ("SET ROLE {superuser}", "begins with SET. Nothing was changed."),
    "reset_role": ("RESET ROLE", "begins with RESET. Nothing was changed."),
    "session_authorization": (
        "SET SESSION AUTHORIZATION {superuser}",
        "begins with SET. Nothing was changed.",
    ),
    "pg_terminate_backend": ("SELECT pg_terminate_backend({pid})", PRIVILEGE),
    "do_block": ("DO $$ BEGIN DELETE FROM quotes; END $$", "begins with DO. Nothing was changed."),
    # The reader may read its own name, not its password.
    "reader_password": ("SELECT password FROM _kb_sql_reader", PRIVILEGE),
}
# Queries that never end by themselves (or not for hours), per backend.
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"
# 17 figures to the 8th power: 7e9 rows.
TABLES_JOINED = "SELECT count(*) FROM " + ", ".join(f"figures f{i}" for i in range(8))
RUNAWAY = {
    "sqlite": {
        "recursive": ENDLESS,
        "cross_join": TABLES_JOINED,
        "generated_join": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < 100000) SELECT count(*) FROM n a, n b",
    },
    "postgresql": {
        "recursive": ENDLESS,
        "cross_join": TABLES_JOINED,
        "generated_join": "SELECT count(*) FROM generate_series(1, 100000) a, "
        "generate_series(1, 100000) b",
        # The query lifts the limit for its session before the join runs: too late.
        "lifts_its_timeout": "SELECT count(*) FROM (SELECT set_config('statement_timeout', "
        "'0', false)) s, generate_series(1, 100000) a, generate_series(1, 100000) b",
    },
}
# The longest a 1-second timeout may take to end a query here: generous for a loaded machine,
# but short of SQLite's 10-second wait for a lock, which a wrong timeout would show.
PROMPTLY_S = 6


def on_database(url: str, database: str) -> str:
    """`url` pointed at another database."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def run(statement: str, url: str, *args: str) -> Any:
    """`kb sql STATEMENT --db URL ARGS…`: its result and the seconds it took."""
    from click.testing import CliRunner

    from kb.cli import cli

    started = time.monotonic()
    result = CliRunner().invoke(cli, ["sql", statement, "--db", url, *args])
    return result, time.monotonic() - started


@pytest.fixture
def superuser_engine(seeded_db: str) -> Iterator[Engine]:
    """An engine on the test database as a superuser (skips without one, fails under CI)."""
    url = superuser_url()
    if url is None:
        pytest.skip(f"set {SUPERUSER_ENV} to a superuser's URL on the test server")
    engine = create_engine(
        on_database(url, make_url(seeded_db).database or ""), isolation_level="AUTOCOMMIT"
    )
    yield engine
    engine.dispose()


@contextmanager
def closing_engine(url: str) -> Iterator[Engine]:
    """An engine on `url` (autocommit), disposed of afterwards."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        yield engine
    finally:
        engine.dispose()


def require_not_superuser(url: str) -> None:
    """The test database's owner (the tests' role) must not be a superuser, or the "owner"
    cases would test the superuser twice: a failure under CI (.ci/run makes it so), a skip
    elsewhere."""
    with closing_engine(url) as engine, engine.connect() as connection:
        superuser = connection.execute(
            text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        ).scalar_one()
    if superuser:
        message = (
            "the tests' PostgreSQL role is a superuser: the owner's case needs one that is not"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("who", ["owner", "superuser"])
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_kb_sql_refuses_to_reach_the_server(
    seeded_db: str, superuser_engine: Engine, who: str, name: str
) -> None:
    database = make_url(seeded_db).database or ""
    if who == "owner":
        require_not_superuser(seeded_db)
        url = seeded_db
    else:
        url = on_database(superuser_engine.url.render_as_string(hide_password=False), database)
    with superuser_engine.connect() as admin:
        # dblink installed by a superuser: refused for want of rights, not for want of dblink.
        admin.execute(text("CREATE EXTENSION IF NOT EXISTS dblink"))
        superuser = admin.execute(text("SELECT current_user")).scalar_one()
        pid = admin.execute(text("SELECT pg_backend_pid()")).scalar_one()
        before = dump(seeded_db), server_state(admin)
        statement, refusal = HOSTILE[name]
        result, _ = run(statement.format(db=database, pid=pid, superuser=superuser), url)
        assert result.exit_code == 1, result.output
        assert refusal in result.stderr, result.stderr
        if refusal == PRIVILEGE:
            assert MAY_ONLY_READ in result.stderr, result.stderr
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
        assert "Traceback" not in result.output
        # The superuser's session lives on (the same backend), nothing was written, no file
        # was read into the database, no program ran, no role was changed.
        assert admin.execute(text("SELECT pg_backend_pid()")).scalar_one() == pid
        assert (dump(seeded_db), server_state(admin)) == before
    assert not Path(PWNED).exists()


def server_state(admin: Connection) -> Any:
    """What a hostile query might change beyond kb's tables: large objects, the attributes
    and memberships of the roles at hand (the reader, the database's owner, the superuser;
    other sessions' roles come and go), the database's privileges."""
    roles = (
        "SELECT oid FROM pg_roles WHERE rolname IN ((SELECT role FROM _kb_sql_reader), "
        "current_user, (SELECT pg_get_userbyid(datdba) FROM pg_database "
        "WHERE datname = current_database()))"
    )
    return (
        admin.execute(text("SELECT count(*) FROM pg_largeobject_metadata")).scalar_one(),
        admin.execute(
            text(
                "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolcanlogin, "
                f"rolbypassrls FROM pg_roles WHERE oid IN ({roles}) ORDER BY rolname"
            )
        ).all(),
        admin.execute(
            text(
                "SELECT roleid, member FROM pg_auth_members "
                f"WHERE roleid IN ({roles}) OR member IN ({roles}) ORDER BY 1, 2"
            )
        ).all(),
        admin.execute(
            text("SELECT datacl::text FROM pg_database WHERE datname = current_database()")
        ).scalar_one(),
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_kb_sql_runs_as_the_reader_whoever_the_url_names(
    seeded_db: str, superuser_engine: Engine
) -> None:
    superuser = on_database(
        superuser_engine.url.render_as_string(hide_password=False),
        make_url(seeded_db).database or "",
    )
    for url in (seeded_db, superuser):
        result, _ = run(
            "SELECT current_user AS who, session_user AS login, "
            "current_setting('transaction_read_only') AS read_only",
            url,
            "--format",
            "csv",
        )
        assert result.exit_code == 0, result.output
        who, login, read_only = result.output.splitlines()[1].split(",")
        assert who == login and who.startswith("kb_reader_")
        assert read_only == "on"


@pytest.mark.parametrize(
    ("backend", "kind"),
    [(backend, kind) for backend, queries in RUNAWAY.items() for kind in queries],
    indirect=["backend"],
)
def test_a_runaway_query_stops_at_its_timeout(seeded_db: str, backend: str, kind: str) -> None:
    before = dump(seeded_db)
    result, seconds = run(RUNAWAY[backend][kind], seeded_db, "--timeout", "1")
    assert result.exit_code == 1, result.output
    assert result.stderr == (
        "Error: kb sql stopped the query after 1 s (--timeout 1): narrow it (a WHERE, a LIMIT), "
        "or give a larger --timeout (0: no limit). Nothing was changed.\n"
    )
    assert 1 <= seconds < PROMPTLY_S
    assert dump(seeded_db) == before


def test_a_query_within_its_timeout_answers(seeded_db: str) -> None:
    result, _ = run("SELECT count(*) AS n FROM quotes", seeded_db, "--timeout", "5")
    assert result.exit_code == 0, result.output


def test_the_default_timeout_is_the_documented_one() -> None:
    option = next(p for p in sql_command.params if p.name == "timeout")
    assert option.default == DEFAULT_TIMEOUT_S == 30
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    assert "default 30" in readme


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize(("given", "setting"), [(None, "30s"), ("2.5", "2500ms"), ("0", "0")])
def test_postgresql_statement_timeout_is_the_given_one(
    seeded_db: str, given: str | None, setting: str
) -> None:
    args = ["--timeout", given] if given else []
    result, _ = run("SELECT current_setting('statement_timeout') AS t", seeded_db, *args)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].strip() == setting


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("timeout", "deadlines"), [(30, [30]), (2.5, [2.5]), (0, [])])
def test_sqlite_progress_handler_is_set_for_the_given_timeout(
    seeded_db: str, monkeypatch: pytest.MonkeyPatch, timeout: float, deadlines: list[float]
) -> None:
    import kb.sql

    seen: list[float] = []
    real = kb.sql._stopping_after

    def spy(seconds: float) -> Any:
        seen.append(seconds)
        return real(seconds)

    monkeypatch.setattr(kb.sql, "_stopping_after", spy)
    assert query(seeded_db, "SELECT count(*) AS n FROM quotes", timeout=timeout).rows
    assert seen == deadlines


@pytest.fixture
def plain_owner_db(superuser_engine: Engine, postgres: Any) -> Iterator[tuple[str, str, str]]:
    """A new database owned by a role that may not create roles (nor is a superuser): its
    URL, the same database's URL as the superuser, and the reader's name it will have."""
    suffix = uuid.uuid4().hex[:8]
    owner, database = f"{postgres.prefix}owner_{suffix}", f"{postgres.prefix}plain_{suffix}"
    with superuser_engine.connect() as admin:
        admin.execute(text(f"CREATE ROLE \"{owner}\" LOGIN PASSWORD '{suffix}'"))
        admin.execute(text(f'CREATE DATABASE "{database}" OWNER "{owner}"'))
    url = make_url(postgres.url_of(database)).set(username=owner, password=suffix)
    superuser = on_database(superuser_engine.url.render_as_string(hide_password=False), database)
    try:
        yield url.render_as_string(hide_password=False), superuser, role_name(database)
    finally:
        with superuser_engine.connect() as admin:
            admin.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.execute(text(f'DROP ROLE IF EXISTS "{role_name(database)}"'))
            admin.execute(text(f'DROP ROLE IF EXISTS "{owner}"'))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_owner_who_may_not_create_roles_is_told_how_to_get_a_reader(
    kb: Kb, plain_owner_db: tuple[str, str, str]
) -> None:
    url, superuser, role = plain_owner_db
    upgraded = kb("db", "upgrade", db=url)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout == f"Migrated from base to {HEAD_REVISION}.\n"
    assert upgraded.stderr == (
        "Warning: kb sql has no read-only role to run as in this database, and this URL's role "
        "may not create one: run `kb db reader --db URL` with the URL of a role that may create "
        "roles (a superuser, or one with CREATEROLE).\n"
    )
    refused = kb("sql", "SELECT 1", db=url)
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: kb sql on PostgreSQL runs queries as a read-only role of its own, and this "
        "database has none yet: run `kb db reader --db URL` with the URL of a role that may "
        "create roles (a superuser, or one with CREATEROLE) (after `kb db upgrade` if it is "
        "older).\n"
    )
    not_allowed = kb("db", "reader", db=url)
    assert not_allowed.exit_code == 1
    assert "needs a role that may create roles" in not_allowed.stderr
    made = kb("db", "reader", db=superuser)
    assert made.stdout.startswith(f"Created the role {role}: "), made.output
    # The owner's URL now runs kb sql as the reader; the owner's own upgrades keep its grants.
    result, _ = run("SELECT current_user AS who, count(*) AS n FROM quotes", url, "--format", "csv")
    assert result.output == f"who,n\n{role},0\n", result.output


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_an_upgrade_makes_the_reader_and_kb_db_reader_repairs_it(kb: Kb, new_db: str) -> None:
    role = role_name(make_url(new_db).database or "")
    # The tests' role may create roles (CREATEROLE): the upgrade makes the reader.
    upgraded = kb("db", "upgrade", db=new_db)
    assert upgraded.exit_code == 0, upgraded.output
    assert upgraded.stdout == (
        f"Migrated from base to {HEAD_REVISION}.\n"
        f"Created the role {role}: kb sql runs as it, with SELECT on kb's tables and views.\n"
    )
    assert kb("sql", "SELECT count(*) FROM quotes", db=new_db).exit_code == 0
    with closing_engine(new_db) as admin, admin.connect() as connection:
        attributes = connection.execute(
            text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolinherit, rolreplication, "
                "rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = :r"
            ),
            {"r": role},
        ).one()
        assert tuple(attributes) == (False,) * 6 + (True,)
        # A password changed behind kb's back: a clear refusal; `kb db reader` repairs it.
        connection.execute(text(f"ALTER ROLE \"{role}\" PASSWORD '{uuid.uuid4().hex}'"))
    refused = kb("sql", "SELECT 1", db=new_db)
    assert refused.exit_code == 1
    assert f"as its read-only role {role}, and the server refused it" in refused.stderr
    assert "pg_hba.conf" in refused.stderr
    repaired = kb("db", "reader", db=new_db)
    assert repaired.stdout.startswith(f"Repaired the role {role}")
    assert kb("sql", "SELECT 1", db=new_db).exit_code == 0
    superuser = superuser_url()
    if superuser is not None:
        # The server was sent the password hashed (SCRAM, or MD5), never in clear.
        with closing_engine(superuser) as engine, engine.connect() as connection:
            secret = connection.execute(
                text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"), {"r": role}
            ).scalar_one()
        assert secret.startswith(("SCRAM-SHA-256$", "md5"))
    # Downgrading past 0008 drops the reader it made: nothing else uses it.
    downgrade = kb("db", "downgrade", "base", db=new_db)
    assert downgrade.exit_code == 0, downgrade.output
    assert downgrade.stderr == ""
    with closing_engine(new_db) as engine, engine.connect() as connection:
        gone = connection.execute(
            text("SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
        ).scalar_one()
    assert gone


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_copy_shares_its_templates_reader_until_it_gets_its_own(
    kb: Kb, seeded_db: str, empty_db: str
) -> None:
    # Both are copies of the test templates, and so share the templates' reader.
    def who(url: str) -> str:
        result, _ = run("SELECT current_user AS who", url, "--format", "csv")
        assert result.exit_code == 0, result.output
        return str(result.output.splitlines()[1])

    shared = who(seeded_db)
    assert who(empty_db) == shared
    own = role_name(make_url(seeded_db).database or "")
    assert shared != own
    made = kb("db", "reader", db=seeded_db)
    assert made.stdout == (
        f"Created the role {own}: kb sql runs as it, with SELECT on kb's tables and views. "
        f"It takes the place of {shared}, which this database shared with the one it was "
        "copied from.\n"
    )
    # The other copy keeps the shared reader and its password; this one has its own.
    assert who(empty_db) == shared
    assert who(seeded_db) == own
    # Downgrading the other copy cannot drop the reader the templates still use: it says so.
    downgrade = kb("db", "downgrade", "base", db=empty_db)
    assert downgrade.exit_code == 0, downgrade.output
    assert downgrade.stderr.startswith(f"Warning: kb sql's reader role {shared} was kept (")
    assert "Drop it (DROP ROLE) once no other database uses it." in downgrade.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_kb_db_reader_on_sqlite_says_what_kb_sql_does_there(kb: Kb, seeded_db: str) -> None:
    result = kb("db", "reader", db=seeded_db)
    assert result.exit_code == 1
    assert "on SQLite, kb sql opens the file read-only" in result.stderr


@pytest.mark.parametrize(
    ("url", "socket"),
    [
        ("postgresql+psycopg://me@/kb?host=/var/run/postgresql", True),
        ("postgresql+psycopg:///kb", True),
        ("postgresql+psycopg://me:pw@localhost/kb", False),
    ],
)
def test_a_reader_the_server_refuses_is_explained(url: str, socket: bool) -> None:
    # What kb sql says when the server will not let the reader log in (pg_hba.conf's `peer`
    # on a Unix socket, typically): no server here, the driver's refusal is given.
    from sqlalchemy import exc

    from kb.sql import _cannot_open

    reader = create_engine(make_url(url).set(username="kb_reader_kb", password="secret"))
    refused = 'connection failed: FATAL:  Peer authentication failed for user "kb_reader_kb"'
    error = exc.OperationalError("connect", {}, Exception(refused))
    message = str(_cannot_open(url, reader, error))
    assert message.startswith(f"kb sql logs in to {describe_url(url)} ")
    assert "pw" not in message
    assert f"as its read-only role kb_reader_kb, and the server refused it: {refused}." in message
    assert "a pg_hba.conf line for it with scram-sha-256 or md5" in message
    assert ("give the URL a host (…@localhost/…)" in message) == socket
    reader.dispose()
