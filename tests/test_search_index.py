"""The full-text index: its shape, other tools finding it, staying in sync, and migrations."""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sqlite3
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from click.testing import Result
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from kb.loader import load
from kb.migrating import downgrade, upgrade
from kb.paths import bundled_data_dir, data_dir, migrations_dir
from kb.search import FTS_TABLES, HIT_TYPES, is_index_object
from kb.search.index import (
    DOCUMENT_GAP,
    QUOTES_FTS_SOURCE,
    SPEAKER_COLUMNS,
    SPEAKER_TRIGGER,
    SPEAKER_WEIGHT,
    fts_columns,
    fts_triggers,
)
from kb.search.run import search, search_statements

Kb = Callable[..., Result]
EngineFor = Callable[[str | Path], Engine]

ARTICLE_DATA = "jjtv-2023-02-02-kazakhstan-eu-30-years.yaml"
LAST_WORDS = (
    " I believe that these\n      figures will continue to grow dramatically in the next few "
    "years as part of the agreement\n      on critical minerals, hydrogen, green hydrogen, and "
    "investments into ‘green’ energy\n"
)


def found(connection: Connection, query: str, *types: str) -> list[tuple[str, str]]:
    """(type, slug) of each hit of a search."""
    return [(hit["type"], hit["slug"]) for hit in search(connection, query, types=types).hits]


def check_index(connection: sqlite3.Connection, table: str) -> None:
    """FTS5's integrity check, comparing the index with the content table (rank = 1).

    Without rank = 1, 'integrity-check' checks only the index's own structure: it passes even
    when the index no longer matches an external content table.
    """
    fts = f"{table}_fts"
    connection.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")


TRIGGERS = {name: on for table in FTS_TABLES for name, on in fts_triggers(table).items()}


def fts_objects(engine: Engine) -> set[str]:
    """The names of the tables, views, triggers and indexes full-text search added."""
    sqlite = engine.dialect.name == "sqlite"
    sql = "SELECT name FROM sqlite_master" if sqlite else "SELECT indexname FROM pg_indexes"
    with engine.connect() as connection:
        names = set(connection.execute(text(sql)).scalars())
        if not sqlite:
            names |= set(connection.execute(text("SELECT tablename FROM pg_tables")).scalars())
    if sqlite:
        return {
            name
            for name in names
            if is_index_object(name, "table") or is_index_object(name, "view") or name in TRIGGERS
        }
    return {name for name in names if is_index_object(name, "index") or name == "quotes_fts"}


# --- shape ------------------------------------------------------------------------------------


def test_each_table_has_an_external_content_fts5_table_and_triggers(empty_sqlite: Path) -> None:
    with sqlite3.connect(empty_sqlite) as connection:
        virtual = dict(
            connection.execute("SELECT name, sql FROM sqlite_master WHERE sql LIKE '%USING fts5%'")
        )
        triggers = set(
            connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
        )
        columns = {
            table: tuple(row[1] for row in connection.execute(f"PRAGMA table_info({table}_fts)"))
            for table in FTS_TABLES
        }
        view = [row[1] for row in connection.execute(f"PRAGMA table_info({QUOTES_FTS_SOURCE})")]
    assert set(virtual) == {f"{table}_fts" for table in FTS_TABLES}
    for table in FTS_TABLES:
        # Datasette and sqlite-utils detect the index only with content="<table>" so quoted;
        # the quotes' index reads the view that joins each quote to its speaker.
        content = QUOTES_FTS_SOURCE if table == "quotes" else table
        assert f'content="{content}"' in virtual[f"{table}_fts"]
        assert 'content_rowid="id"' in virtual[f"{table}_fts"]
    assert set(TRIGGERS.items()) <= triggers
    assert columns == {table: fts_columns(table) for table in FTS_TABLES}
    assert columns["quotes"] == ("text", *SPEAKER_COLUMNS)
    assert view == ["id", *columns["quotes"]]
    with sqlite3.connect(empty_sqlite) as connection:
        rank = connection.execute("SELECT v FROM quotes_fts_config WHERE k = 'rank'").fetchone()
    assert rank == ("bm25(1.0, 0.01, 0.01)",)


def test_every_hit_type_has_an_index() -> None:
    assert sorted(HIT_TYPES.values()) == sorted(FTS_TABLES)


def migration(name: str) -> Any:
    """The module of a migration in migrations/versions/."""
    path = migrations_dir() / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migrations_index_what_fts_tables_says() -> None:
    # 0002 indexed five tables; 0006 indexes figures without their metric (now a record) and
    # adds the metrics themselves; 0007 indexes quotes with their speakers' names.
    first, shared_metrics = migration("0002_full_text_search"), migration("0006_shared_metrics")
    speakers = migration("0007_quote_speakers_search")
    indexed = dict(first.FTS_TABLES)
    indexed["figures"] = shared_metrics.FIGURES_FTS
    indexed["metrics"] = shared_metrics.METRICS_FTS
    assert indexed == FTS_TABLES
    assert set(first.PG_DOCUMENTS) | set(shared_metrics.PG_DOCUMENTS) == set(FTS_TABLES)
    assert fts_columns("quotes") == speakers.QUOTES_FTS
    assert (speakers.SOURCE_VIEW, speakers.SPEAKER_TRIGGER) == (QUOTES_FTS_SOURCE, SPEAKER_TRIGGER)
    assert set(speakers.SQLITE_TRIGGERS) == set(fts_triggers("quotes"))
    # 0009 stores every other table's documents on PostgreSQL, with gaps between columns.
    stored = migration("0009_stored_search_documents")
    assert {t: tuple(c for c, _ in cs) for t, cs in stored.COLUMNS.items()} == {
        t: c for t, c in FTS_TABLES.items() if t != "quotes"
    }
    assert stored.GAP.replace("\\:", ":") == DOCUMENT_GAP  # op.execute's text() escape
    # ORDER BY rank weighs a speaker's names as kb search does.
    weight = SPEAKER_WEIGHT["sqlite"]
    assert f"'bm25(1.0, {weight}, {weight})'" in speakers.SQLITE_RANK


def test_autogenerate_leaves_out_only_the_index() -> None:
    assert is_index_object("quotes_fts", "table")
    assert is_index_object("people_fts_docsize", "table")
    assert is_index_object("ix_figures_fts", "index")
    assert is_index_object("quotes_fts_source", "view")
    assert not is_index_object("quotes_view", "view")
    assert not is_index_object("quotes", "table")
    assert not is_index_object("ix_quotes_speaker_id", "index")
    assert not is_index_object("quotes_fts", "column")


def test_every_search_uses_the_index(seeded_db: str, engine_for: EngineFor) -> None:
    engine = engine_for(seeded_db)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # The tables are tiny: without this the planner would rightly scan them (or walk
            # the primary key backwards for the newest matches), once it knows their size.
            connection.execute(text("SET enable_seqscan = off"))
            connection.execute(text("SET enable_indexscan = off"))
        for hit_type, table in HIT_TYPES.items():
            [statement] = search_statements(engine.dialect.name, "hydrogen", [hit_type], 20)
            compiled = statement.compile(connection)
            if engine.dialect.name == "sqlite":
                params = tuple(compiled.params[name] for name in compiled.positiontup or ())
                sql = "EXPLAIN QUERY PLAN " + compiled.string
                plan = str(connection.exec_driver_sql(sql, params).all())
                assert f"SCAN {table}_fts VIRTUAL TABLE INDEX" in plan
            else:
                sql = "EXPLAIN " + compiled.string
                plan = str(connection.exec_driver_sql(sql, compiled.params).all())
                assert f"Index Scan on ix_{table}_fts" in plan


# --- other tools --------------------------------------------------------------------------------


def test_sqlite_utils_finds_and_searches_the_index(seeded_sqlite: Path) -> None:
    # Every table's index but the quotes', whose content is a view (Datasette is told of it by
    # kb's metadata: tests/test_metadata.py).
    database = sqlite_utils.Database(seeded_sqlite)
    try:
        assert {table: database[table].detect_fts() for table in FTS_TABLES} == {
            table: None if table == "quotes" else f"{table}_fts" for table in FTS_TABLES
        }
        people = list(database["people"].search("Jankauskas"))
        quotes = database.execute(
            "SELECT q.slug FROM quotes_fts JOIN quotes AS q ON q.id = quotes_fts.rowid "
            "WHERE quotes_fts MATCH 'Jankauskas hydrogen'"
        ).fetchall()
    finally:
        database.close()
    assert [row["slug"] for row in people] == ["kestutis-jankauskas"]
    assert quotes == [("jankauskas-investment-77bn",)]


# --- staying in sync ----------------------------------------------------------------------------


def test_triggers_keep_the_index_in_sync(seeded_sqlite: Path, engine_for: EngineFor) -> None:
    with sqlite3.connect(seeded_sqlite) as connection:
        ids = dict(connection.execute("SELECT slug, id FROM quotes"))
        speaker, source = connection.execute(
            "SELECT speaker_id, source_id FROM quotes WHERE slug = 'jankauskas-pca-to-epca'"
        ).fetchone()
        connection.execute(
            "INSERT INTO quotes (slug, text, speaker_id, source_id, kind, text_start, text_end) "
            "VALUES ('new', 'Helium is lighter', ?, ?, 'direct', 0, 17)",
            (speaker, source),
        )
        check_index(connection, "quotes")
        connection.execute(
            "UPDATE quotes SET text = replace(text, 'hydrogen', 'deuterium') WHERE id = ?",
            (ids["jankauskas-investment-77bn"],),
        )
        check_index(connection, "quotes")
        connection.execute("DELETE FROM quotes WHERE id = ?", (ids["jankauskas-pca-to-epca"],))
        check_index(connection, "quotes")
        for table, columns in FTS_TABLES.items():
            if columns[0] != "aliases":
                connection.execute(f"UPDATE {table} SET {columns[0]} = {columns[0]} || ' zyzzyva'")
            check_index(connection, table)
        # The people's new names are in their quotes' index too.
        check_index(connection, "quotes")
    with engine_for(seeded_sqlite).connect() as connection:
        assert found(connection, "helium") == [("quote", "new")]
        assert found(connection, "hydrogen", "quote") == []
        assert found(connection, "deuterium") == [("quote", "jankauskas-investment-77bn")]
        assert found(connection, "diplomatic ties", "quote") == []
        assert {hit_type for hit_type, _ in found(connection, "zyzzyva")} == set(HIT_TYPES)


def test_the_integrity_check_sees_an_index_out_of_sync(seeded_sqlite: Path) -> None:
    with sqlite3.connect(seeded_sqlite) as connection:
        connection.execute("DROP TRIGGER quotes_au")
        connection.execute("UPDATE quotes SET text = 'Helium is lighter'")
        with pytest.raises(sqlite3.DatabaseError, match="malformed"):
            check_index(connection, "quotes")


def test_aliases_are_searched(seeded_db: str, engine_for: EngineFor) -> None:
    engine = engine_for(seeded_db)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE people SET aliases = :aliases WHERE slug = 'kestutis-jankauskas'"),
            {"aliases": json.dumps(["Kestas", "K. Jankauskas"])},
        )
    with engine.connect() as connection:
        assert found(connection, "Kestas", "person") == [("person", "kestutis-jankauskas")]


def test_loading_keeps_the_index_in_sync(
    kb: Kb, seeded_db: str, engine_for: EngineFor, tmp_path: Path
) -> None:
    engine = engine_for(seeded_db)
    with engine.connect() as connection:
        assert found(connection, "hydrogen", "quote") == [("quote", "jankauskas-investment-77bn")]
    data = Path(shutil.copytree(bundled_data_dir(), tmp_path / "seeds_data"))
    shutil.copytree(data_dir("seeds"), tmp_path / "seeds")
    # The quote ends a sentence earlier: its figures stay inside it, its hydrogen goes.
    article = data / ARTICLE_DATA
    content = article.read_text(encoding="utf-8")
    assert content.count(LAST_WORDS) == 1
    article.write_text(content.replace(LAST_WORDS, "\n"), encoding="utf-8")
    assert kb("load", str(data), db=seeded_db).exit_code == 0
    with engine.connect() as connection:
        assert found(connection, "hydrogen", "quote") == []
        assert found(connection, '"800 million"', "quote") == [
            ("quote", "jankauskas-investment-77bn")
        ]


# --- migrations -----------------------------------------------------------------------------------


def test_downgrade_removes_the_index_and_upgrade_indexes_existing_rows(
    seeded_db: str, engine_for: EngineFor
) -> None:
    engine = engine_for(seeded_db)
    created = fts_objects(engine)
    assert created
    downgrade(engine, "0001")
    assert fts_objects(engine) == set()
    upgrade(engine)
    assert fts_objects(engine) == created
    with engine.connect() as connection:
        assert len(found(connection, "hydrogen")) == 3
    downgrade(engine, "base")
    assert fts_objects(engine) == set()
    upgrade(engine)
    load(engine, bundled_data_dir())
    with engine.connect() as connection:
        assert len(found(connection, "hydrogen")) == 3


WORDS = re.compile(r"\w+")
# (hit type, table, SQL of each row's two indexed texts: the first column, and the start of
# the next; for quotes the speaker's name follows the words).
COLUMN_PAIRS = {
    "event": "SELECT slug, name, evidence FROM events",
    "figure": "SELECT slug, surface, evidence FROM figures",
    "person": (
        "SELECT slug, name, CAST(aliases AS TEXT) FROM people WHERE CAST(aliases AS TEXT) <> '[]'"
    ),
    "quote": "SELECT q.slug, q.text, p.name FROM quotes q JOIN people p ON p.id = q.speaker_id",
}


@pytest.mark.parametrize("hit_type", COLUMN_PAIRS)
def test_a_phrase_never_runs_across_two_columns(
    seeded_db: str, engine_for: EngineFor, hit_type: str
) -> None:
    # The last word of one column and the first of the next are adjacent in no text: as a
    # phrase they find nothing, while both words, apart, find the row.
    engine = engine_for(seeded_db)
    tried = 0
    with engine.connect() as connection:
        for slug, first, second in connection.execute(text(COLUMN_PAIRS[hit_type])).all():
            words = (WORDS.findall(first.lower()), WORDS.findall(second.lower()))
            last, start = words[0][-1], words[1][0]
            if any((last, start) in pairwise(w) for w in words):
                continue  # adjacent within one column too
            apart = search(connection, f"{last} {start}", types=[hit_type], limit=1000)
            assert slug in {hit["slug"] for hit in apart.hits}
            phrase = search(connection, f'"{last} {start}"', types=[hit_type], limit=1000)
            assert slug not in {hit["slug"] for hit in phrase.hits}, (last, start)
            tried += 1
    assert tried
