"""PostgreSQL: a load's search documents made on a second connection (kb.loader.documents).

The helper's documents must be the ones the load's own transaction would compute, on a first
load that migrates a new database in its transaction too (the helper cannot see those
functions: it makes them again from the load's catalog). When the helper fails the load
computes them itself; when the load fails the helper is stopped and nothing is left behind.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from kb.errors import KbError
from kb.loader import documents as documents_module
from kb.loader import load
from kb.loader.documents import DocumentHelper
from kb.loader.merge import Merger
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
    write = DocumentHelper.write

    def recorded(self: DocumentHelper, table: str) -> bool:
        written = write(self, table)
        if written:
            tables.append(table)
        return written

    monkeypatch.setattr(DocumentHelper, "write", recorded)
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
