"""kb's Datasette plugin through Datasette's own test client: every page and route it adds or
changes, on a database built from the bundled collection."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from helpers.pages import marks_of

from kb.datasette import page_path

SEED = "jjtv-kazakhstan-eu-30-years"


class Page:
    """A response: status, text, and the JSON when there is some."""

    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.text = text

    def json(self) -> Any:
        return json.loads(self.text)


def fetch(path: Path, *urls: str, metadata: dict[str, Any] | None = None) -> list[Page]:
    """GET each URL from a Datasette serving the file at `path`, with the plugin."""

    async def run() -> list[Page]:
        datasette = Datasette([str(path)], metadata=metadata)
        await datasette.invoke_startup()
        pages = []
        for url in urls:
            response = await datasette.client.get(url)
            pages.append(Page(response.status_code, response.text))
        return pages

    return asyncio.run(run())


@pytest.fixture
def kb_file(seeded_sqlite: Path, tmp_path: Path) -> Path:
    """The bundled collection, loaded, in a file named kb.sqlite3 (Datasette calls it kb)."""
    target = tmp_path / "kb.sqlite3"
    target.write_bytes(seeded_sqlite.read_bytes())
    return target


# Each grounded span of a source's records: (table, start column, end column).
SPAN_COLUMNS = [
    ("quotes", "text_start", "text_end"),
    ("figures", "surface_start", "surface_end"),
    ("figures", "evidence_start", "evidence_end"),
    ("events", "evidence_start", "evidence_end"),
]


def spans(path: Path, slug: str) -> dict[tuple[str, int], list[tuple[int, int]]]:
    """Every grounded span of the quotes, figures and events of a source, by (table, id)."""
    found: dict[tuple[str, int], list[tuple[int, int]]] = {}
    with sqlite3.connect(path) as connection:
        (source_id,) = connection.execute(
            "SELECT id FROM sources WHERE slug = ?", (slug,)
        ).fetchone()
        for table, start, end in SPAN_COLUMNS:
            rows = connection.execute(
                f"SELECT id, {start}, {end} FROM {table} WHERE source_id = ?", (source_id,)
            )
            for row_id, low, high in rows:
                found.setdefault((table, row_id), []).append((low, high))
    return found


def test_the_plugin_is_registered_through_its_entry_point(kb_file: Path) -> None:
    [plugins] = fetch(kb_file, "/-/plugins.json")
    [kb] = [plugin for plugin in plugins.json() if plugin["name"] == "kb"]
    assert {"startup", "get_metadata", "register_routes", "render_cell"} <= set(kb["hooks"])
    assert kb["templates"]


def test_internal_and_index_tables_are_hidden_and_tables_described(kb_file: Path) -> None:
    [database] = fetch(kb_file, "/kb.json")
    tables = {table["name"]: table for table in database.json()["tables"]}
    for name, table in tables.items():
        internal = name.startswith("_") or name.endswith(("_fts", "_fts_data", "_fts_idx"))
        assert table["hidden"] == internal or (table["hidden"] and "_fts" in name), name
    assert not tables["quotes"]["hidden"]
    [page] = fetch(kb_file, "/kb/quotes")
    assert "Each quote" in page.text or "quote" in page.text.lower()


def test_database_page_lists_the_views_first(kb_file: Path) -> None:
    [page] = fetch(kb_file, "/kb")
    assert page.status == 200
    views = page.text.index("Start with the views")
    assert views < page.text.index('href="/kb/sources"')
    assert 'href="/kb/quotes_view"' in page.text


@pytest.mark.parametrize(
    ("query", "arguments"),
    [
        ("conflicting_figures", "metric=investment"),
        ("quotes_by_speaker", "speaker=jankauskas"),
        ("metric_across_sources", "metric=eu-share-of-foreign-trade"),
        ("timeline", ""),
    ],
)
def test_canned_queries_answer(kb_file: Path, query: str, arguments: str) -> None:
    [page] = fetch(kb_file, f"/kb/{query}.json?{arguments}&_shape=array")
    assert page.status == 200, page.text
    assert page.json(), query


def test_a_metadata_file_still_wins(kb_file: Path) -> None:
    [page] = fetch(kb_file, "/-/metadata.json", metadata={"title": "Mine"})
    assert page.json()["title"] == "Mine"


def test_a_source_row_links_to_its_annotated_page(kb_file: Path) -> None:
    with sqlite3.connect(kb_file) as connection:
        (source_id,) = connection.execute(
            "SELECT id FROM sources WHERE slug = ?", (SEED,)
        ).fetchone()
    [row] = fetch(kb_file, f"/kb/sources/{source_id}")
    assert row.status == 200
    assert f'href="{page_path("kb", SEED)}"' in row.text


def test_the_annotated_page_marks_every_span_as_stored(kb_file: Path) -> None:
    [page] = fetch(kb_file, page_path("kb", SEED))
    assert page.status == 200, page.text
    with sqlite3.connect(kb_file) as connection:
        (text,) = connection.execute("SELECT text FROM sources WHERE slug = ?", (SEED,)).fetchone()
    marks = marks_of(page.text)
    assert marks
    for (_kind, _table, _row, start, end), shown in marks.items():
        assert shown == text[int(start) : int(end)]
    expected = spans(kb_file, SEED)
    marked = {(table, int(row)) for _kind, table, row, _s, _e in marks}
    assert set(expected) <= marked


@pytest.mark.parametrize(
    "url",
    [page_path("kb", "no-such-source"), page_path("elsewhere", SEED)],
)
def test_unknown_sources_and_databases_are_not_found(kb_file: Path, url: str) -> None:
    [page] = fetch(kb_file, url)
    assert page.status == 404


def test_titles_and_texts_are_escaped(kb_file: Path) -> None:
    with sqlite3.connect(kb_file) as connection:
        connection.execute(
            "UPDATE sources SET title = '<script>alert(1)</script>' WHERE slug = ?", (SEED,)
        )
    [page] = fetch(kb_file, page_path("kb", SEED))
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_every_page_of_a_kb_database_answers(kb_file: Path) -> None:
    urls = [
        "/",
        "/kb",
        "/kb/quotes",
        "/kb/quotes_view",
        "/kb/figures_view",
        "/kb/events_view",
        "/kb/timeline",
        "/kb/sources",
        "/-/metadata",
        "/-/plugins",
        page_path("kb", SEED),
    ]
    for url, page in zip(urls, fetch(kb_file, *urls), strict=True):
        assert page.status == 200, url


def test_a_database_that_is_not_kb_is_left_alone(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE sources (id INTEGER PRIMARY KEY, slug TEXT)")
        connection.execute("INSERT INTO sources (slug) VALUES ('a')")
    [metadata, row] = fetch(other, "/-/metadata.json", "/other/sources/1")
    assert "databases" not in metadata.json()
    assert "/-/kb/" not in row.text


def test_serve_errors_say_what_to_do(
    kb: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = kb("serve", "--db", "postgresql+psycopg://kb@localhost/kb")
    assert result.exit_code == 1
    assert "SQLite files only" in result.output
    result = kb("serve", "--db", "/nonexistent/kb.sqlite3")
    assert result.exit_code == 1
    assert "No database at" in result.output
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "datasette" else real(name, *args),
    )
    result = kb("serve", "--db", str(Path(__file__)))
    assert result.exit_code == 1
    assert "pip install 'kb[datasette]'" in result.output
