"""`kb metadata`: Datasette metadata naming real tables, hiding internals, with working queries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from kb.metadata import QUERIES
from kb.sql import query

Kb = Callable[..., Result]
FTS_TABLES = ("sources", "people", "quotes", "figures", "events", "metrics")
LABELS = {
    "sources": "title",
    "parties": "name",
    "metrics": "name",
    "people": "name",
    "roles": "title",
    "aliases": "name",
    "quotes": "slug",
    "figures": "slug",
    "events": "name",
}


@pytest.fixture(autouse=True)
def no_database_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --db names the database."""
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


@pytest.fixture
def document(kb: Kb, seeded_sqlite: Path) -> dict[str, Any]:
    """The metadata of the seeded SQLite database, as printed on stdout."""
    result = kb("metadata", db=seeded_sqlite)
    assert result.exit_code == 0, result.output
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def tables_of(document: dict[str, Any]) -> dict[str, Any]:
    """The per-table metadata of the one database in `document`."""
    (database,) = document["databases"].values()
    tables: dict[str, Any] = database["tables"]
    return tables


def test_about_the_data(document: dict[str, Any]) -> None:
    assert document["title"] == "kb: facts from news documents"
    assert document["license_url"] == "https://opensource.org/license/mit"
    assert document["license"].startswith("MIT for kb's code")
    assert "belong to their publishers" in document["license"]
    assert document["source"] == (
        "Jibek Joly TV (jjtv.kz), English service (every document is in the sources table)"
    )
    assert document["source_url"] == (
        "https://jjtv.kz/en/kazakhstan-and-eu-mark-30-years-of-diplomatic-relations"
    )


def test_database_is_named_by_its_file(kb: Kb, seeded_sqlite: Path) -> None:
    assert list(json.loads(kb("metadata", db=seeded_sqlite).stdout)["databases"]) == ["kb"]
    renamed = kb("metadata", "--name", "facts", db=seeded_sqlite)
    assert list(json.loads(renamed.stdout)["databases"]) == ["facts"]


def test_every_table_and_view_named_exists(
    document: dict[str, Any], seeded_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    inspector = inspect(engine_for(seeded_sqlite))
    existing = inspector.get_table_names() + inspector.get_view_names()
    assert sorted(tables_of(document)) == sorted(existing)
    for name, entry in tables_of(document).items():
        columns = [c["name"] for c in inspector.get_columns(name)]
        assert list(entry["columns"]) == columns
        assert entry["description"]
        assert all(entry["columns"].values()), name


def test_internal_and_index_tables_are_hidden(document: dict[str, Any]) -> None:
    hidden = {name for name, entry in tables_of(document).items() if entry.get("hidden")}
    indexes = {f"{t}_fts" for t in FTS_TABLES}
    shadows = {f"{i}_{part}" for i in indexes for part in ("data", "idx", "docsize", "config")}
    assert (
        hidden
        == {"_alembic_version", "_kb_files", "_kb_records", "_kb_texts", "_kb_names"}
        | indexes
        | shadows
        | {"quotes_fts_source"}  # what the quotes' index reads
    )


def test_each_tables_search_box_uses_its_index(document: dict[str, Any]) -> None:
    # Datasette finds most by itself; the quotes' index, whose content is a view, only so.
    searched = {
        name: (entry["fts_table"], entry["fts_pk"])
        for name, entry in tables_of(document).items()
        if "fts_table" in entry
    }
    assert searched == {t: (f"{t}_fts", "id") for t in FTS_TABLES}


def test_label_columns(document: dict[str, Any]) -> None:
    labels = {
        name: entry["label_column"]
        for name, entry in tables_of(document).items()
        if "label_column" in entry
    }
    assert labels == LABELS


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("quotes_by_speaker", {"speaker": "Jankauskas"}, 2),
        ("quotes_by_speaker", {"speaker": "kestutis-jankauskas"}, 2),
        ("quotes_by_speaker", {"speaker": "Smailov"}, 0),
        ("figures_on_subject", {"subject": "kazakhstan"}, 16),
        ("figures_on_subject", {"subject": "KAZAKHSTAN"}, 16),
        ("metric_across_sources", {"metric": "eu-share-of-foreign-trade"}, 4),
        ("metric_across_sources", {"metric": "EU share of foreign trade"}, 4),
        ("timeline", {}, 12),
        ("conflicting_figures", {"metric": ""}, 1),
        ("search_quotes", {"words": "investment"}, 2),
        ("search_quotes", {"words": "Jankauskas hydrogen"}, 1),
    ],
)
def test_canned_queries_run(
    seeded_sqlite: Path, name: str, params: dict[str, str], expected: int
) -> None:
    answer = query(f"sqlite:///{seeded_sqlite}", QUERIES[name]["sql"], params)
    assert len(answer.rows) == expected


def test_conflicting_investment_figures(seeded_sqlite: Path) -> None:
    answer = query(
        f"sqlite:///{seeded_sqlite}", QUERIES["conflicting_figures"]["sql"], {"metric": "invest"}
    )
    assert answer.rows == [
        {
            "subject_name": "Kazakhstan",
            "metric": "European investment",
            "first": "US$160 billion",
            "first_qualifier": "more_than",
            "first_stated_by": "(narration)",
            "second": "US$77 billion",
            "second_qualifier": "almost",
            "second_stated_by": "Kestutis Jankauskas",
            "first_source": "jjtv-kazakhstan-eu-30-years",
            "second_source": "jjtv-kazakhstan-eu-30-years",
        }
    ]


def test_a_metric_across_sources_in_time_order(seeded_sqlite: Path) -> None:
    answer = query(
        f"sqlite:///{seeded_sqlite}",
        QUERIES["metric_across_sources"]["sql"],
        {"metric": "eu-share-of-foreign-trade"},
    )
    assert [(row["time"], row["qualifier"], row["surface"]) for row in answer.rows] == [
        ("2017", "about", "50%"),
        ("2023-02-02", "exact", "one third"),
        ("2023-05-15", "more_than", "30%"),
        ("2024-07-10", "about", "30%"),
    ]


def test_queries_are_titled_and_described() -> None:
    for name, canned in QUERIES.items():
        assert set(canned) == {"title", "description", "sql"}, name


def test_written_to_a_file(kb: Kb, seeded_sqlite: Path, tmp_path: Path) -> None:
    target = tmp_path / "metadata.json"
    result = kb("metadata", "-o", str(target), db=seeded_sqlite)
    assert (result.exit_code, result.stdout) == (0, f"Wrote Datasette metadata to {target}.\n")
    assert target.read_text(encoding="utf-8") == kb("metadata", db=seeded_sqlite).stdout


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_is_refused(kb: Kb, seeded_db: str) -> None:
    result = kb("metadata", db=seeded_db)
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: Datasette serves SQLite files only: give a SQLite database with --db.\n",
    )


def test_empty_database_has_no_source(kb: Kb, empty_sqlite: Path) -> None:
    result = kb("metadata", db=empty_sqlite)
    document = json.loads(result.stdout)
    assert "source" not in document
    assert "source_url" not in document
