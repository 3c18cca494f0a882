"""PostgreSQL: a load's search tables built on a second connection (kb.loader.documents).

The helper's documents must be the ones the load's own transaction would compute, on a first
load that migrates a new database in its transaction too (the helper cannot see those
functions: it makes them again from the load's catalog), and the search tables it builds must
be the migrated ones in every respect the catalog records once the load has moved them in.
When the helper fails, or the load cannot move its table, the load computes the documents
itself; when the load fails or rolls back the helper is stopped, and neither its schema nor
its tables are left behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.servers import SUPERUSER_ENV, superuser_url
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import StaticPool

from kb.errors import KbError
from kb.loader import documents as documents_module
from kb.loader import load
from kb.loader.documents import SCHEMA_PREFIX, DocumentHelper, _make_schema
from kb.loader.merge import Merger
from kb.loader.staging import Stage
from kb.paths import bundled_data_dir
from kb.search.index import FTS_TABLES, fts_table, pg_documents

EngineFor = Callable[[str | Path], Engine]
pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables whose documents the helper wrote, in any load of the test; every table is
    large enough to be helped."""
    monkeypatch.setattr(documents_module, "HELPED_FROM", 1)
    tables: list[str] = []
    move = DocumentHelper.move

    def recorded(self: DocumentHelper, connection: Connection, table: str) -> bool:
        moved = move(self, connection, table)
        if moved:
            tables.append(table)
        return moved

    monkeypatch.setattr(DocumentHelper, "move", recorded)
    return tables


def wrong_documents(engine: Engine) -> dict[str, int]:
    """Per searchable table: rows whose stored document is missing, extra or not the one its
    document function gives."""
    wrong = {}
    with engine.connect() as connection:
        for table in FTS_TABLES:
            wrong[table] = connection.execute(
                text(
                    f"SELECT count(*) FROM ({pg_documents(table)}) d "
                    f"FULL JOIN {fts_table(table)} f ON f.id = d.id "
                    "WHERE f.document IS DISTINCT FROM d.document"
                )
            ).scalar_one()
    return wrong


def helper_threads() -> list[threading.Thread]:
    """The helper's threads still alive."""
    return [t for t in threading.enumerate() if t.name.startswith("kb-documents")]


def test_a_first_load_has_its_documents_made_on_a_second_connection(
    new_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    engine = engine_for(new_db)
    report = load(engine, bundled_data_dir())
    filled = {name for name, change in report.tables.items() if change.inserted}
    assert set(made) == filled & set(FTS_TABLES)
    assert {"quotes", "figures", "events", "sources", "people"} <= set(made)
    assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)
    with engine.connect() as connection:
        (documents,) = connection.execute(text("SELECT count(*) FROM quotes_fts")).one()
    assert documents == report.tables["quotes"].inserted
    assert helper_threads() == []


def test_the_load_computes_the_documents_the_helper_could_not(
    empty_db: str, engine_for: EngineFor, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(*_: Any) -> None:
        raise RuntimeError("no second connection")

    monkeypatch.setattr(DocumentHelper, "_compute", refused)
    engine = engine_for(empty_db)
    report = load(engine, bundled_data_dir())
    assert report.tables["quotes"].inserted > 0
    assert made == []
    assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)


def test_an_engine_with_one_connection_gets_no_helper(empty_db: str, made: list[str]) -> None:
    # A pool that hands out one connection: the helper would share the load's.
    engine = create_engine(empty_db, poolclass=StaticPool)
    try:
        report = load(engine, bundled_data_dir())
        assert report.tables["quotes"].inserted > 0
        assert made == []
        assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)
    finally:
        engine.dispose()


def test_a_failed_load_stops_the_helper_and_leaves_nothing_behind(
    new_db: str, engine_for: EngineFor, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    compute = DocumentHelper._compute

    def slow(self: DocumentHelper, *arguments: Any) -> Any:
        # Busy for a minute unless cancelled, so that the load fails while it computes.
        assert self._helper is not None
        self._helper.exec_driver_sql("SELECT pg_sleep(60)")
        return compute(self, *arguments)

    def failing(self: Merger) -> None:
        self._sql("SELECT 1 / 0")  # a refusal after the documents of three tables were handed over

    monkeypatch.setattr(DocumentHelper, "_compute", slow)
    monkeypatch.setattr(Merger, "_link_same_as", failing)
    engine = engine_for(new_db)
    started = time.monotonic()
    with pytest.raises(KbError, match=r"division by zero\. Nothing was written\."):
        load(engine, bundled_data_dir())
    assert time.monotonic() - started < 30  # the helper's minute was cut short
    assert made == []
    assert helper_threads() == []
    assert inspect(engine).get_table_names() == []  # the migration rolled back too
    with engine.connect() as connection:
        # The helper's connection went back to the engine's pool: idle, its query cancelled
        # and its transaction (with its temporary objects) rolled back.
        busy = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state <> 'idle'"
        )
        assert connection.execute(text(busy)).scalar_one() == 0


def test_a_cancel_the_server_refuses_leaves_the_load_s_own_error(
    new_db: str, engine_for: EngineFor, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelling the helper is a shortcut: when it fails, the load waits for the helper's
    query and still reports its own error, not the cancel's."""
    import psycopg

    compute = DocumentHelper._compute
    cancels: list[int] = []

    def slow(self: DocumentHelper, *arguments: Any) -> Any:
        assert self._helper is not None
        self._helper.exec_driver_sql("SELECT pg_sleep(3)")
        return compute(self, *arguments)

    def refused(self: psycopg.Connection[Any], timeout: float = 30.0) -> None:
        cancels.append(1)
        raise psycopg.OperationalError("cancel refused")

    def failing(self: Merger) -> None:
        self._sql("SELECT 1 / 0")

    monkeypatch.setattr(DocumentHelper, "_compute", slow)
    monkeypatch.setattr(psycopg.Connection, "cancel_safe", refused)
    monkeypatch.setattr(Merger, "_link_same_as", failing)
    engine = engine_for(new_db)
    with pytest.raises(KbError, match=r"division by zero\. Nothing was written\."):
        load(engine, bundled_data_dir())
    assert cancels == [1]
    assert made == []
    assert helper_threads() == []
    assert inspect(engine).get_table_names() == []


# Each search table as the catalog describes it: where it is, whose, its grants, comments,
# columns, constraints, indexes and triggers.
SEARCH_TABLES = r"""
SELECT c.relname, c.relnamespace::regnamespace::text, pg_get_userbyid(c.relowner),
  c.relacl::text, obj_description(c.oid, 'pg_class'), c.relpersistence, c.relhastriggers,
  array(SELECT format('%s %s %s %s %s', a.attname, format_type(a.atttypid, a.atttypmod),
                      a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                      col_description(c.oid, a.attnum))
        FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum),
  array(SELECT k.conname || ' ' || pg_get_constraintdef(k.oid) FROM pg_constraint k
        WHERE k.conrelid = c.oid ORDER BY 1),
  array(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid ORDER BY 1)
FROM pg_class c WHERE c.relkind = 'r' AND c.relname LIKE '%\_fts' ORDER BY c.relname
"""


def search_tables(engine: Engine) -> list[tuple[Any, ...]]:
    """The catalog's description of every search table."""
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(SEARCH_TABLES))]


def helper_schemas(engine: Engine) -> list[str]:
    """The helpers' schemas in the database."""
    with engine.connect() as connection:
        query = f"SELECT nspname FROM pg_namespace WHERE nspname LIKE '{SCHEMA_PREFIX}%' ORDER BY 1"
        return list(connection.execute(text(query)).scalars())


def test_the_search_tables_the_helper_built_are_the_migrated_ones(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    """The helper's tables take the place of the migrated ones with everything those had:
    owner, grants (kb sql's reader's too), comments, columns, keys, indexes; and statistics."""
    engine = engine_for(empty_db)
    migrated = search_tables(engine)
    assert any("kb_reader" in str(row[3]) for row in migrated)  # the reader may read them
    load(engine, bundled_data_dir())
    assert {"quotes", "figures", "events", "sources", "people"} <= set(made)
    assert search_tables(engine) == migrated
    assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)
    assert helper_schemas(engine) == []
    with engine.connect() as connection:
        analyzed = "SELECT count(DISTINCT tablename) FROM pg_stats WHERE tablename LIKE '%\\_fts'"
        assert connection.execute(text(analyzed)).scalar_one() == len(made)


@pytest.mark.parametrize("how", ["dry run", "failure after the move"])
def test_a_load_rolled_back_after_the_move_leaves_nothing_behind(
    how: str, new_db: str, engine_for: EngineFor, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moves roll back with the load; the helper's schema, with the tables back in it,
    goes once the load's transaction has ended."""
    engine = engine_for(new_db)
    if how == "dry run":
        load(engine, bundled_data_dir(), dry_run=True)
    else:

        def failing(self: Stage) -> None:
            self.connection.exec_driver_sql("SELECT 1 / 0")

        monkeypatch.setattr(Stage, "drop", failing)  # after the search tables are in place
        with pytest.raises(KbError, match=r"division by zero\. Nothing was written\."):
            load(engine, bundled_data_dir())
    assert {"quotes", "figures", "events"} <= set(made)
    assert inspect(engine).get_table_names() == []
    assert helper_schemas(engine) == []
    assert helper_threads() == []


def test_a_schema_left_by_a_killed_load_is_dropped_by_the_next(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    engine = engine_for(empty_db)
    dead = f"{SCHEMA_PREFIX}99999999"  # above any pid a server gives a backend
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {dead}")
        connection.exec_driver_sql(f"CREATE TABLE {dead}.quotes_fts (id integer)")
    with engine.connect() as other:
        # A helper's schema whose backend is alive: another load's (on another kb schema).
        pid = other.execute(text("SELECT pg_backend_pid()")).scalar_one()
        other.exec_driver_sql(f"CREATE SCHEMA {SCHEMA_PREFIX}{pid}")
        other.commit()
        load(engine, bundled_data_dir())
        assert made
        assert helper_schemas(engine) == [f"{SCHEMA_PREFIX}{pid}"]
        other.exec_driver_sql(f"DROP SCHEMA {SCHEMA_PREFIX}{pid}")
        other.commit()


def test_a_reload_that_changes_nothing_drops_a_killed_load_s_schema(
    seeded_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    """Every load drops what killed loads left, not only one whose helper starts (as `kb
    check` tells): here nothing is written, so no helper starts."""
    engine = engine_for(seeded_db)
    dead = f"{SCHEMA_PREFIX}99999999"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {dead}")
        connection.exec_driver_sql(f"CREATE TABLE {dead}.quotes_fts (id integer)")
    report = load(engine, bundled_data_dir())
    assert not any(change.inserted for change in report.tables.values())
    assert not made
    assert helper_schemas(engine) == []


def test_a_dry_run_leaves_a_killed_load_s_schema(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    """A dry run changes nothing, not even what a killed load left (its helper still builds
    and drops a schema of its own); the next load drops it."""
    engine = engine_for(empty_db)
    dead = f"{SCHEMA_PREFIX}99999999"
    with engine.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {dead}")
    load(engine, bundled_data_dir(), dry_run=True)
    assert "quotes" in made  # the helper ran
    assert helper_schemas(engine) == [dead]
    load(engine, bundled_data_dir())
    assert helper_schemas(engine) == []


def test_a_schema_named_for_the_helper_s_own_pid_is_a_dead_backend_s(
    empty_db: str, engine_for: EngineFor
) -> None:
    """The server gave a dead load's helper's pid again, to the new helper: its schema is
    made anew, empty."""
    with engine_for(empty_db).connect() as helper:
        pid = helper.execute(text("SELECT pg_backend_pid()")).scalar_one()
        schema = f"{SCHEMA_PREFIX}{pid}"
        helper.exec_driver_sql(f"CREATE SCHEMA {schema}")
        helper.exec_driver_sql(f"CREATE TABLE {schema}.quotes_fts (id integer)")
        helper.commit()
        assert _make_schema(helper) == schema
        assert inspect(helper).get_table_names(schema=schema) == []
        helper.exec_driver_sql(f"DROP SCHEMA {schema}")
        helper.commit()


def loads_events_documents_itself(engine: Engine, made: list[str]) -> None:
    """Load the bundled collection: the helper builds the search tables of quotes and
    figures, the load computes the events' documents, and every search table ends as it was
    migrated, holding the right documents."""
    migrated = search_tables(engine)
    load(engine, bundled_data_dir())
    assert "events" not in made
    assert {"quotes", "figures"} <= set(made)
    assert search_tables(engine) == migrated
    assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)


def test_a_search_table_the_helper_cannot_copy_is_written_by_the_load(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    """A default the helper would not carry over (as a later migration might add): the load
    computes that table's documents itself, and the table keeps its default."""
    engine = engine_for(empty_db)
    with engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE events_fts ALTER document SET DEFAULT ''")
    loads_events_documents_itself(engine, made)


def test_a_move_the_server_refuses_leaves_the_load_s_table_to_fill(
    empty_db: str, engine_for: EngineFor, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal halfway through a move (the old table dropped) rolls back to before it."""
    replace = documents_module._replace

    def refused(connection: Connection, name: str, schema: str) -> None:
        replace(connection, name, schema)
        if name == "events_fts":
            connection.exec_driver_sql("SELECT 1 / 0")

    monkeypatch.setattr(documents_module, "_replace", refused)
    engine = engine_for(empty_db)
    loads_events_documents_itself(engine, made)
    assert helper_schemas(engine) == []


def test_a_role_that_may_not_make_a_schema_loads_without_the_helper(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    engine = engine_for(empty_db)
    with engine.begin() as connection:
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        connection.exec_driver_sql(f'REVOKE CREATE ON DATABASE "{database}" FROM CURRENT_USER')
    report = load(engine, bundled_data_dir())
    assert report.tables["quotes"].inserted > 0
    assert made == []
    assert wrong_documents(engine) == dict.fromkeys(FTS_TABLES, 0)
    assert helper_schemas(engine) == []


def test_a_superuser_s_load_leaves_the_search_tables_to_their_owner(
    empty_db: str, engine_for: EngineFor, made: list[str]
) -> None:
    """The helper's tables are the load's role's; moved in, they get the migrated tables'
    owner back, and with it the grants that owner made."""
    superuser = superuser_url()
    if superuser is None:
        pytest.skip(f"set {SUPERUSER_ENV} to a superuser's URL on the test server")
    migrated = search_tables(engine_for(empty_db))
    url = make_url(superuser).set(database=make_url(empty_db).database)
    engine = engine_for(url.render_as_string(hide_password=False))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() != migrated[0][2]
    load(engine, bundled_data_dir())
    assert {"quotes", "figures", "events"} <= set(made)
    assert search_tables(engine) == migrated
    assert helper_schemas(engine) == []
