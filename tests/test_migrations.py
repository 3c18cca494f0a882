"""Migrations are the only way the schema comes to exist, and they agree with the models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import alembic.command
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from helpers.expected import KB_TABLES as EXPECTED_TABLES
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from kb.db import (
    HEAD_REVISION,
    VERSION_TABLE,
    alembic_config,
    current_revision,
    head_revision,
    history,
    migrate,
    writing,
)
from kb.errors import KbError
from kb.migrating import downgrade, upgrade
from kb.models import Base
from kb.search.index import include_object, is_index_object

KB_TABLES = set(EXPECTED_TABLES)
BOOKKEEPING = {"_kb_files", "_kb_records", "_kb_texts", "_kb_names"}
# PostgreSQL only: kb sql's reader role and its password (migration 0008).
READER = {"_kb_sql_reader"}


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


def test_the_head_revision_constant_is_the_scripts_head() -> None:
    """migrate() skips Alembic for a database at HEAD_REVISION: it must be the real head
    (a new migration updates it)."""
    assert head_revision() == HEAD_REVISION


def test_migrate_upgrades_an_older_database_and_leaves_a_current_one(
    empty_db: str, engine_for: Callable[[str | Path], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database one revision behind is upgraded to the head by migrate(); one at the head is
    left as it is, without running Alembic."""
    engine = engine_for(empty_db)
    previous = history()[1][0]
    downgrade(engine, previous)
    assert current_revision(engine) == previous
    with writing(engine) as connection:
        migrate(connection)
    assert current_revision(engine) == HEAD_REVISION

    def refuse(*args: object) -> None:
        raise AssertionError("Alembic ran for a database at the head")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    with writing(engine) as connection:
        migrate(connection)
    assert current_revision(engine) == HEAD_REVISION


def test_history_lists_every_revision_down_to_base() -> None:
    revisions = history()
    assert revisions[0][0] == head_revision()
    assert revisions[-1][1] is None


def test_models_match_migrations(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> None:
    engine = engine_for(empty_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": True,
                # As in migrations/env.py: the full-text index is not in the models.
                "include_object": include_object,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def kb_tables(engine: Engine) -> set[str]:
    """The tables in the database, leaving out the full-text index (FTS5 tables on SQLite) and
    kb sql's reader table (PostgreSQL), checked here to be there on PostgreSQL only."""
    names = {
        name for name in inspect(engine).get_table_names() if not is_index_object(name, "table")
    }
    assert (names & READER == READER) == (engine.dialect.name == "postgresql")
    return names - READER


def test_upgrade_creates_every_table(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    assert kb_tables(engine) == KB_TABLES | {VERSION_TABLE, *BOOKKEEPING}
    assert current_revision(engine) == head_revision()


def test_downgrade_to_base_and_back_up(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {VERSION_TABLE}
    assert current_revision(engine) is None
    upgrade(engine)
    assert kb_tables(engine) == KB_TABLES | {VERSION_TABLE, *BOOKKEEPING}
    assert current_revision(engine) == head_revision()


def test_fresh_file_gets_schema_only_from_migrations(tmp_path: Path) -> None:
    from kb.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= KB_TABLES
    finally:
        engine.dispose()


# --- Migration 0006: metrics become records, as-of dates leave period_end --------------------

OLD_FIGURE = (
    "INSERT INTO figures (slug, status, source_id, subject_id, metric, kind, surface, value, "
    "unit, qualifier, period_start, period_start_precision, period_end, period_end_precision, "
    "period_end_inferred, evidence, evidence_start, evidence_end, surface_start, surface_end) "
    "VALUES (:slug, 'reviewed', 1, 1, :metric, :kind, '5', 5, :unit, 'exact', :start, "
    ":start_precision, :end, :end_precision, :inferred, 'It was 5.', 0, 9, 7, 8)"
)
# (slug, metric text, kind, unit, period_start, period_end, period_end_inferred)
OLD_FIGURES = [
    ("a", "EU investment", "amount", "USD", "1993", "2023", False),
    ("b", "eu  Investment", "amount", "EUR", None, "2023-02-02", True),  # same text, folded
    ("c", "EU investment", "share", "percent", None, None, False),  # same text, other kind
    ("d", "Companies", "count", "companies", None, "2023", False),
]


def _old_collection(engine: Engine) -> None:
    """A database at revision 0005 holding figures with free-text metrics, and a loaded file."""
    downgrade(engine, "0005")
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO sources (slug, title, kind, text, sha256) "
            "VALUES ('s', 'S', 'article', 'It was 5.', 'x')"
        )
        connection.exec_driver_sql(
            "INSERT INTO parties (slug, name, kind, aliases) VALUES ('p', 'P', 'country', '[]')"
        )
        for slug, metric, kind, unit, start, end, inferred in OLD_FIGURES:
            connection.execute(
                text(OLD_FIGURE),
                {
                    "slug": slug,
                    "metric": metric,
                    "kind": kind,
                    "unit": unit,
                    "start": start,
                    "start_precision": start and "year",
                    "end": end,
                    "end_precision": end and {4: "year", 10: "day"}[len(end)],
                    "inferred": inferred,
                },
            )
        connection.exec_driver_sql(
            "INSERT INTO _kb_files (path, sha256, counts) VALUES ('/d/f.yaml', 'x', '{}')"
        )


def test_0006_makes_a_metric_of_each_metric_text_and_kind(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Upgrading keeps what every figure measured: one metric per folded text and kind, its
    unit when its figures share one; a figure with only period_end becomes as of that date;
    the bookkeeping is cleared so the next load rereads every file."""
    engine = engine_for(empty_db)
    _old_collection(engine)
    upgrade(engine)
    with engine.connect() as connection:
        metrics = connection.execute(
            text("SELECT slug, name, kind, unit FROM metrics ORDER BY id")
        ).all()
        figures = connection.execute(
            text(
                "SELECT f.slug, m.slug, f.period_start, f.period_end, f.as_of, "
                "f.as_of_precision, f.as_of_inferred FROM figures f "
                "JOIN metrics m ON m.id = f.metric_id ORDER BY f.slug"
            )
        ).all()
        files = connection.execute(text("SELECT count(*) FROM _kb_files")).scalar_one()
        view = connection.execute(
            text("SELECT metric, metric_slug FROM figures_view WHERE slug = 'b'")
        ).one()
    assert [tuple(row) for row in metrics] == [
        ("eu-investment", "EU investment", "amount", None),  # USD and EUR: no one unit
        ("eu-investment-2", "EU investment", "share", "percent"),
        ("companies", "Companies", "count", "companies"),
    ]
    assert [tuple(row) for row in figures] == [
        ("a", "eu-investment", "1993", "2023", None, None, False),
        ("b", "eu-investment", None, None, "2023-02-02", "day", True),
        ("c", "eu-investment-2", None, None, None, None, False),
        ("d", "companies", None, None, "2023", "year", False),
    ]
    assert files == 0
    assert tuple(view) == ("EU investment", "eu-investment")


def test_0006_downgrade_gives_the_metrics_back_as_text(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Down again: each figure's metric is its metric's name, and as_of is its period_end."""
    engine = engine_for(empty_db)
    _old_collection(engine)
    upgrade(engine)
    downgrade(engine, "0005")
    with engine.connect() as connection:
        figures = connection.execute(
            text(
                "SELECT slug, metric, period_start, period_end, period_end_precision, "
                "period_end_inferred FROM figures ORDER BY slug"
            )
        ).all()
        view = connection.execute(text("SELECT metric FROM figures_view WHERE slug = 'd'"))
        assert view.scalar_one() == "Companies"
    assert [tuple(row) for row in figures] == [
        ("a", "EU investment", "1993", "2023", "year", False),
        ("b", "EU investment", None, "2023-02-02", "day", True),  # the name of its metric
        ("c", "EU investment", None, None, None, False),
        ("d", "Companies", None, "2023", "year", False),
    ]
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION


# --- Migration 0007: quotes indexed with their speakers' names --------------------------------

SPEECHES = {"jankauskas-investment-77bn", "jankauskas-pca-to-epca"}
# A quote written while the database is at 0006, by the same speaker.
NEW_QUOTE = (
    "INSERT INTO quotes (slug, status, text, speaker_id, source_id, kind, text_start, text_end, "
    "said_on_inferred) SELECT 'written-at-0006', 'reviewed', 'Investment will flourish', p.id, "
    "s.id, 'partial', 0, 24, false FROM people p, sources s "
    "WHERE p.slug = 'kestutis-jankauskas' AND s.slug = 'jjtv-kazakhstan-eu-30-years'"
)


def _quotes_holding(engine: Engine, words: str) -> set[str]:
    """The quotes whose full-text index row holds every one of `words` (plain SQL, as 0006
    or 0007 indexes them)."""
    if engine.dialect.name == "sqlite":
        sql = (
            "SELECT q.slug FROM quotes_fts JOIN quotes q ON q.id = quotes_fts.rowid "
            "WHERE quotes_fts MATCH :words"
        )
    elif current_revision(engine) == "0006":
        sql = (
            "SELECT slug FROM quotes "
            "WHERE to_tsvector('simple', text) @@ plainto_tsquery('simple', :words)"
        )
    else:
        sql = (
            "SELECT q.slug FROM quotes_fts f JOIN quotes q ON q.id = f.id "
            "WHERE f.document @@ plainto_tsquery('simple', :words)"
        )
    with engine.connect() as connection:
        return set(connection.execute(text(sql), {"words": words}).scalars())


def _search_objects(engine: Engine) -> set[str]:
    """The objects 0007 adds beside the tables: the view and the trigger on people (SQLite);
    the table, its functions and triggers (PostgreSQL)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            sql = (
                "SELECT name FROM sqlite_master WHERE name IN "
                "('quotes_fts_source', 'quotes_fts_speaker')"
            )
        else:
            sql = (
                "SELECT relname FROM pg_class WHERE relname = 'quotes_fts' UNION ALL "
                "SELECT proname FROM pg_proc WHERE proname LIKE 'quotes_fts%' UNION ALL "
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'quotes_%' AND NOT tgisinternal"
            )
        return set(connection.execute(text(sql)).scalars())


def test_0007_indexes_the_quotes_with_their_speakers_and_back(
    seeded_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Up, a quote's index holds its speaker's name and aliases: its words and his name find
    it together. Down, its words alone, as 0002 indexed them; up again, quotes written in
    between are indexed with their speakers too."""
    from kb.search.run import search

    engine = engine_for(seeded_db)
    added = _search_objects(engine)
    assert _quotes_holding(engine, "Jankauskas investment") == SPEECHES
    downgrade(engine, "0006")
    assert _search_objects(engine) == set()
    assert _quotes_holding(engine, "Jankauskas investment") == set()
    assert _quotes_holding(engine, "investment") == SPEECHES
    with engine.begin() as connection:
        connection.execute(text(NEW_QUOTE))
        if engine.dialect.name == "sqlite":  # 0002's index follows its table
            connection.execute(
                text("INSERT INTO quotes_fts(quotes_fts, rank) VALUES ('integrity-check', 1)")
            )
    assert _quotes_holding(engine, "flourish") == {"written-at-0006"}
    upgrade(engine)
    assert _search_objects(engine) == added
    found = SPEECHES | {"written-at-0006"}
    assert _quotes_holding(engine, "Jankauskas investment") == found
    with engine.connect() as connection:
        hits = search(connection, "Kestutis flourish").hits
    assert [(hit["type"], hit["slug"]) for hit in hits] == [("quote", "written-at-0006")]
    assert hits[0]["snippet"] == "«Kestutis» Jankauskas: Investment will «flourish»"
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text("INSERT INTO quotes_fts(quotes_fts, rank) VALUES ('integrity-check', 1)")
            )
        else:
            stale = connection.execute(
                text(
                    "SELECT count(*) FROM quotes q JOIN people p ON p.id = q.speaker_id "
                    "FULL JOIN quotes_fts f ON f.id = q.id WHERE f.document IS DISTINCT FROM "
                    "quotes_fts_document(q.text, p.name, p.aliases)"
                )
            )
            assert stale.scalar_one() == 0


# Text as kb sorts and compares it: slugs, ISO dates, and the '' and '~' the conflict rule
# puts before and after every date. Python orders str by code point: UTF-8's byte order.
TEXTS = ["~", "", "2023-02", "2023", "B", "a", "a-c", "ab", "Ärger", "zeta"]


def test_text_sorts_byte_by_byte_on_either_backend(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """kb's text sorts and compares as on SQLite (BINARY), on PostgreSQL too whatever the
    database's default collation (the tests' databases default to English, where '~' sorts
    before '2023' and 'a' before 'B'): migration 0011."""
    engine = engine_for(empty_db)
    with engine.begin() as connection:
        for i, name in enumerate(TEXTS):
            connection.execute(
                text("INSERT INTO people (slug, name, aliases) VALUES (:s, :n, '[]')"),
                {"s": f"p{i}", "n": name},
            )
        names = connection.execute(text("SELECT name FROM people ORDER BY name")).scalars()
        between = connection.execute(
            text("SELECT count(*) FROM people WHERE name > '2023' AND name < '~'")
        ).scalar_one()
        assert list(names) == sorted(TEXTS)
        assert between == len([name for name in TEXTS if "2023" < name < "~"])


def test_every_text_column_is_in_byte_order(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Every text column of every table and view (Alembic's own table aside) has byte order:
    "C" on PostgreSQL; on SQLite, BINARY, the default no table changes. A new table made
    without it would sort as the server likes."""
    engine = engine_for(empty_db)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            other = connection.execute(
                text("SELECT name FROM sqlite_master WHERE sql LIKE '%COLLATE%'")
            ).scalars()
        else:
            other = connection.execute(
                text(
                    "SELECT c.relname || '.' || a.attname FROM pg_attribute a "
                    "JOIN pg_class c ON c.oid = a.attrelid "
                    "WHERE c.relnamespace = current_schema()::regnamespace "
                    "AND c.relkind IN ('r', 'v') AND c.relname <> :version "
                    "AND a.attnum > 0 AND NOT a.attisdropped AND a.attcollation <> 0 "
                    "AND a.attcollation <> '\"C\"'::regcollation"
                ),
                {"version": VERSION_TABLE},
            ).scalars()
        assert list(other) == []


def _collation(engine: Engine, table: str, column: str) -> str | None:
    """The collation a column names (None: the database's default)."""
    with engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT collation_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND table_name = :t AND column_name = :c"
            ),
            {"t": table, "c": column},
        ).scalar_one()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_0011_stops_at_views_that_are_not_kbs(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Down from 0011 the columns take the database's default again. A view of the user's that
    reads kb's tables or views would stop PostgreSQL changing them: the upgrade stops, naming
    every such view and changing nothing; without them it goes on."""
    engine = engine_for(empty_db)
    assert _collation(engine, "figures", "unit") == "C"
    downgrade(engine, "0010")
    assert _collation(engine, "figures", "unit") is None
    with engine.begin() as connection:
        connection.execute(text("CREATE VIEW my_units AS SELECT DISTINCT unit FROM figures"))
        connection.execute(text("CREATE VIEW my_slugs AS SELECT slug FROM figures_view"))
    with pytest.raises(KbError) as refused:
        upgrade(engine)
    assert "read its tables or views: my_slugs, my_units. Keep" in str(refused.value)
    assert current_revision(engine) == "0010"
    assert _collation(engine, "figures", "unit") is None
    with engine.begin() as connection:
        connection.execute(text("DROP VIEW my_units, my_slugs"))
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION
    assert _collation(engine, "figures", "unit") == "C"
