"""The schema is documented: every table, view and column, in `kb schema` and docs/schema.md."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from kb.models import Base
from kb.schema import VIEWS, Relation, describe, markdown, reference
from kb.search.index import is_index_object

Kb = Callable[..., Result]
DOC = Path(__file__).resolve().parent.parent / "docs" / "schema.md"
REGENERATE = "kb schema --format markdown > docs/schema.md"


def relations_of(url: str, engine_for: Callable[[str | Path], Engine]) -> list[Relation]:
    """describe() of the database at `url`."""
    with engine_for(url).connect() as connection:
        return describe(connection)


def test_docs_schema_md_is_current() -> None:
    revision, relations = reference()
    assert DOC.read_text(encoding="utf-8") == markdown(relations, revision), (
        f"docs/schema.md is stale: regenerate it with `{REGENERATE}`."
    )


def test_every_table_view_and_column_is_described(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    relations = relations_of(empty_db, engine_for)
    undescribed = [r.name for r in relations if not r.description]
    columns = [f"{r.name}.{c.name}" for r in relations for c in r.columns if not c.description]
    assert (undescribed, columns) == ([], [])
    engine = engine_for(empty_db)
    inspector = inspect(engine)
    every = inspector.get_table_names() + inspector.get_view_names()
    assert sorted(r.name for r in relations) == sorted(every)
    for rel in relations:
        assert [c.name for c in rel.columns] == [c["name"] for c in inspector.get_columns(rel.name)]


def test_views_are_documented_column_by_column(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    inspector = inspect(engine_for(empty_db))
    # Besides the views, the one the quotes' full-text index reads (SQLite), described as a
    # search index.
    views = [name for name in inspector.get_view_names() if not is_index_object(name, "view")]
    assert sorted(views) == sorted(VIEWS)
    for name, doc in VIEWS.items():
        in_database = [c["name"] for c in inspector.get_columns(name)]
        assert [c.name for c in doc.columns] == in_database, name


def test_only_bookkeeping_tables_are_internal(
    empty_db: str, engine_for: Callable[[str | Path], Engine], backend: str
) -> None:
    relations = relations_of(empty_db, engine_for)
    underscored = [r.name for r in relations if r.name.startswith("_")]
    assert sorted(underscored) == [
        "_alembic_version",
        "_kb_files",
        "_kb_names",
        "_kb_records",
        # kb sql's reader role (migration 0008) has no place on SQLite.
        *(["_kb_sql_reader"] if backend == "postgresql" else []),
        "_kb_texts",
    ]
    internal = {r.name for r in relations if r.kind == "internal"}
    kb_tables = set(Base.metadata.tables) | set(VIEWS)
    assert not internal & kb_tables
    if backend == "sqlite":
        shadows = {
            f"{t}_fts_{p}"
            for t in ("sources", "people", "quotes", "figures", "events", "metrics")
            for p in ("data", "idx", "docsize", "config")
        }
        assert (
            internal
            == {"_alembic_version", "_kb_files", "_kb_records", "_kb_texts", "_kb_names"} | shadows
        )
    else:
        assert internal == {
            "_alembic_version",
            "_kb_files",
            "_kb_records",
            "_kb_texts",
            "_kb_names",
            "_kb_sql_reader",
        }


def test_entity_tables_have_a_label_column() -> None:
    labels = {
        name: next((c for c in ("name", "title") if c in table.c), None)
        for name, table in Base.metadata.tables.items()
    }
    assert labels == {
        "sources": "title",
        "parties": "name",
        "metrics": "name",
        "people": "name",
        "roles": "title",
        "aliases": "name",
        "events": "name",
        # A quote's text and a figure's surface are not labels; their slugs label them in the
        # Datasette metadata. A participant row is a link that nothing refers to.
        "quotes": None,
        "figures": None,
        "event_participants": None,
    }


def test_kb_schema_markdown_is_the_doc(kb: Kb) -> None:
    result = kb("schema", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout == DOC.read_text(encoding="utf-8")


def test_kb_schema_table(kb: Kb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    result = kb("schema")
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "sources (table): Documents the facts come from, with their full text.\n"
        "\n"
        "column               type          description\n"
        "-------------------  ------------  ------------------------------------------------------"
        "-----------\n"
        "id                   INTEGER       Integer key for joins.\n"
    )
    assert "\n\ntimeline (view): Every dated event of every source in date order" in result.stdout


def test_kb_schema_of_a_database(
    kb: Kb, seeded_db: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    result = kb("schema", "--db", seeded_db, "--format", "json")
    assert result.exit_code == 0, result.output
    found = {r["name"]: r for r in json.loads(result.stdout)}
    assert {name: found[name]["kind"] for name in VIEWS} == dict.fromkeys(VIEWS, "view")
    value = next(c for c in found["figures"]["columns"] if c["column"] == "value")
    expected_type = "FLOAT" if backend == "sqlite" else "DOUBLE PRECISION"
    assert value == {
        "column": "value",
        "type": expected_type,
        "description": "Parsed value, scale applied (1.6e11).",
    }


def test_kb_schema_as_csv_records(kb: Kb) -> None:
    result = kb("schema", "--format", "csv")
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(records[0]) == ["relation", "kind", "column", "type", "description"]
    assert {
        "relation": "quotes_view",
        "kind": "view",
        "column": "speaker_name",
        "type": "TEXT",
        "description": "Name of the speaker.",
    } in records


def test_kb_schema_of_a_missing_database(kb: Kb, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    result = kb("schema", "--db", str(missing))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: No database at {missing}. Build one with `kb load` "
        "(or choose another with --db / KB_DATABASE_URL).\n",
    )
