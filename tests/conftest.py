"""Shared fixtures: real databases migrated by the real migrations, on SQLite and PostgreSQL.

Database tests take `empty_db` or `seeded_db` (a SQLAlchemy URL) and so run once per backend:
SQLite always, PostgreSQL when KB_TEST_POSTGRESQL_URL names a server (`.ci/run` starts one).
Each test gets its own database: a copy of a template file on SQLite, a `CREATE DATABASE …
TEMPLATE …` on PostgreSQL. Under CI (CI=true) a PostgreSQL test that cannot run fails instead
of skipping. Tests about SQLite files as such take `empty_sqlite` / `seeded_sqlite` (a Path).
"""

from __future__ import annotations

import functools
import os
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InternalError, ProgrammingError

from kb.db import make_engine
from kb.migrating import upgrade
from kb.paths import bundled_data_dir
from kb.reader import role_name

REPO = Path(__file__).resolve().parent.parent
PG_ENV = "KB_TEST_POSTGRESQL_URL"
PG_HOW = (
    f"PostgreSQL tests skipped: set {PG_ENV}=postgresql+psycopg://USER:PASSWORD@HOST/DBNAME "
    "(a role that may CREATE DATABASE) to run them; `.ci/run` shows how to start a server."
)
BACKENDS = ("sqlite", "postgresql")
# How a new PostgreSQL test database is made (PostgreSQL 15 or later): see PostgresServer.create.
# UTF-8 and its character classes spelled out, whatever locale the cluster was made under.
ENGLISH = " TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8' LOCALE_PROVIDER icu ICU_LOCALE 'en'"
# The names of the databases benchmarks/load_bench.py and query_bench.py make (and drop).
BENCH_PREFIX = "kb_bench_"


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


# --- SQLite: template files, copied per test -------------------------------------------------


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database migrated to head once per session; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """A SQLite database holding the bundled collection, loaded once per session."""
    from kb.loader import load

    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"
    shutil.copy(migrated_template, path)
    engine = make_engine(sqlite_url(path))
    load(engine, bundled_data_dir())
    engine.dispose()
    return path


@pytest.fixture
def empty_sqlite(tmp_path: Path, migrated_template: Path) -> Path:
    """Path of a fresh, migrated, empty SQLite file."""
    return Path(shutil.copy(migrated_template, tmp_path / "kb.sqlite3"))


@pytest.fixture
def seeded_sqlite(tmp_path: Path, seeded_template: Path) -> Path:
    """Path of a fresh SQLite file holding the bundled collection."""
    return Path(shutil.copy(seeded_template, tmp_path / "kb.sqlite3"))


# --- PostgreSQL: template databases, cloned per test ----------------------------------------


class PostgresServer:
    """Creates and drops test databases on the server named by KB_TEST_POSTGRESQL_URL."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.prefix = f"kb_test_{os.getpid()}_"

    @functools.cached_property
    def new_database_clause(self) -> str:
        """How create() makes a database from nothing: in English (PostgreSQL 15 and later,
        where a database may choose ICU), else as the server's default."""
        with self.admin.connect() as connection:
            version = int(connection.execute(text("SHOW server_version_num")).scalar_one())
        return ENGLISH if version >= 150000 else ""

    def url_of(self, database: str) -> str:
        """The URL of a database on this server, password included."""
        return self.url.set(database=database).render_as_string(hide_password=False)

    def create(self, name: str, template: str | None = None) -> str:
        """Create database `name` (a copy of `template`, if given) and return its URL.

        A new database defaults to ICU's English collation, where most servers default to
        en_US: kb must compare and sort text byte by byte as on SQLite (migration 0011)
        whatever the default, and here every PostgreSQL test shows where it would not ('~'
        sorts before the digits in English, 'B' before 'a' in bytes).
        """
        clause = f' TEMPLATE "{template}"' if template else self.new_database_clause
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return self.url_of(name)

    def drop_role(self, role: str) -> None:
        """Drop a role made for the tests (roles outlive databases: they belong to the server).
        Every database that granted it something must be dropped first."""
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))

    def drop_reader_of(self, database: str) -> None:
        """Drop kb sql's reader made for a test database (by an upgrade, a load or `kb db
        reader`), once the database is dropped; one still used elsewhere stays."""
        with suppress(ProgrammingError, InternalError):
            self.drop_role(role_name(database))

    def drop_readers(self) -> None:
        """Drop the reader roles this session's databases made, and those of the benchmarks
        the tests ran (kb_bench_<pid>_…, their own prefix), at the end, when the databases are
        gone. A role that a database still grants something (another session's) stays: the
        server refuses to drop it."""
        prefixes = (self.prefix, BENCH_PREFIX)
        patterns = [role_name(prefix).replace("_", r"\_") + "%" for prefix in prefixes]
        with self.admin.connect() as connection:
            roles = connection.execute(
                text("SELECT rolname FROM pg_roles WHERE rolname LIKE ANY(:p)"), {"p": patterns}
            ).scalars()
            for role in list(roles):
                with suppress(ProgrammingError, InternalError):
                    connection.execute(text(f'DROP ROLE "{role}"'))

    def drop(self, name: str) -> None:
        """Drop database `name`, closing any connection still open to it.

        A role without pg_signal_backend cannot stop an autovacuum worker that has just started
        in the database; such a worker is short-lived, so try again for a few seconds.
        """
        for attempt in range(20):
            try:
                with self.admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                return
            except ProgrammingError:
                if attempt == 19:
                    raise
                time.sleep(0.25)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer | None]:
    """The PostgreSQL server for tests, or None when none is configured."""
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    server = PostgresServer(url)
    yield server
    server.drop_readers()
    server.admin.dispose()


@pytest.fixture(scope="session")
def pg_templates(postgres: PostgresServer | None) -> Iterator[dict[str, str]]:
    """Template databases on the server: 'empty' (migrated) and 'seeded' (bundled collection)."""
    from kb.loader import load

    if postgres is None:
        yield {}
        return
    names = {"empty": postgres.prefix + "tpl_empty", "seeded": postgres.prefix + "tpl_seeded"}
    engine = make_engine(postgres.create(names["empty"]))
    # The upgrade also makes kb sql's reader role, which every database cloned from the
    # templates shares. (A role that may not create roles leaves the templates without one:
    # kb sql's tests then fail, saying so.)
    upgrade(engine)
    engine.dispose()
    engine = make_engine(postgres.create(names["seeded"], template=names["empty"]))
    load(engine, bundled_data_dir())
    engine.dispose()
    yield names
    for name in names.values():
        postgres.drop(name)
    postgres.drop_reader_of(names["empty"])


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, postgres: PostgresServer | None) -> str:
    """Each database test runs once per backend; PostgreSQL only when a server is configured."""
    if request.param == "postgresql" and postgres is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests. {PG_HOW}")
        pytest.skip(PG_HOW)
    return str(request.param)


def _database(
    request: pytest.FixtureRequest, backend: str, kind: str, sqlite_path: Callable[[], Path]
) -> Iterator[str]:
    """A fresh database of `kind` ('empty' or 'seeded') on `backend`, as a URL."""
    if backend == "sqlite":
        yield sqlite_url(sqlite_path())
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    templates: dict[str, str] = request.getfixturevalue("pg_templates")
    name = postgres.prefix + uuid.uuid4().hex[:12]
    url = postgres.create(name, template=templates[kind])
    yield url
    _dispose_engines_on(url)
    postgres.drop(name)
    postgres.drop_reader_of(name)  # made if the test ran `kb db reader` or downgrade/upgrade


@pytest.fixture
def empty_db(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh, migrated, empty database (once per backend)."""
    yield from _database(request, backend, "empty", lambda: request.getfixturevalue("empty_sqlite"))


@pytest.fixture
def other_empty_db(
    request: pytest.FixtureRequest, backend: str, tmp_path: Path, migrated_template: Path
) -> Iterator[str]:
    """URL of a second fresh, migrated, empty database on empty_db's backend (to compare)."""
    yield from _database(
        request,
        backend,
        "empty",
        lambda: Path(shutil.copy(migrated_template, tmp_path / "other.sqlite3")),
    )


@pytest.fixture
def seeded_db(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database holding the bundled collection (once per backend)."""
    yield from _database(
        request, backend, "seeded", lambda: request.getfixturevalue("seeded_sqlite")
    )


@pytest.fixture
def new_db(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """URL of a database with no tables at all (a new SQLite file, an empty PG database)."""
    if backend == "sqlite":
        yield sqlite_url(tmp_path / "new.sqlite3")
        return
    postgres: PostgresServer = request.getfixturevalue("postgres")
    name = postgres.prefix + uuid.uuid4().hex[:12]
    url = postgres.create(name)
    yield url
    _dispose_engines_on(url)
    postgres.drop(name)
    postgres.drop_reader_of(name)  # made by an upgrade or a load


# --- Helpers ---------------------------------------------------------------------------------


# Engines the tests opened: disposed before their PostgreSQL database is dropped (fixture
# teardown order alone does not guarantee it) and at the end of each test.
_ENGINES: list[Engine] = []


def _dispose_engines_on(url: str) -> None:
    """Dispose of the test engines connected to `url`, so dropping its database is quiet."""
    database = make_url(url).database
    for engine in [e for e in _ENGINES if e.url.database == database]:
        engine.dispose()
        _ENGINES.remove(engine)


@pytest.fixture
def engine_for() -> Iterator[Callable[[str | Path], Engine]]:
    """Open engines on database URLs (or SQLite paths) and dispose of them after the test."""

    def open_engine(db: str | Path) -> Engine:
        engine = make_engine(sqlite_url(db) if isinstance(db, Path) else db)
        _ENGINES.append(engine)
        return engine

    yield open_engine
    while _ENGINES:
        _ENGINES.pop().dispose()


@pytest.fixture
def kb() -> Callable[..., Result]:
    """Run a kb command in-process: kb("quotes", "--by", "x", db=url_or_path)."""
    from kb.cli import cli

    def run(*args: str, db: str | Path | None = None, input: str | None = None) -> Result:
        argv = list(args)
        if db is not None:
            argv += ["--db", str(db)]
        return CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)

    return run


def pytest_report_header(config: pytest.Config) -> str:
    """Say in the header whether the PostgreSQL half of the suite runs."""
    url = os.environ.get(PG_ENV)
    if url:
        return f"PostgreSQL: {make_url(url).render_as_string(hide_password=True)}"
    return PG_HOW


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100-column terminal and no database from the environment (CLI output tests)."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
