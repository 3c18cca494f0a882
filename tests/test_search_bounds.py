"""`kb search` ranks a bounded set of matches and says so: the newest of each type, and none of
a type with too many matches (or too common a word), whose newest come after the ranked hits.

The library takes small bounds, to test the rules on the bundled collection on both backends;
the command's own bounds are tested on a synthetic collection with more quotes than it ranks.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.cli import cli
from kb.cli.search import ranking_note
from kb.search import fts5, tsvector
from kb.search.hits import best
from kb.search.index import COMMON, COUNTED, RANKED
from kb.search.run import Bounds, Found, search

Kb = Callable[..., Result]
REPO = Path(__file__).resolve().parent.parent
# Events that hold "hydrogen" in the bundled collection (and one quote does).
HYDROGEN_EVENTS = [
    "jjtv-kz-eu-critical-minerals-agreement",
    "kazinform-kz-eu-raw-materials-memorandum-signed",
]
HYDROGEN_QUOTE = "jankauskas-investment-77bn"
# Quotes in the synthetic collection (each holds "will"): more than the command counts.
SYNTHETIC_FACTS = 3_500
SYNTHETIC_QUOTES = 1_167


def run_search(engine: Engine, query: str, **options: Any) -> Found:
    """A search on a new connection."""
    with engine.connect() as connection:
        return search(connection, query, **options)


def newest_first(engine: Engine, slugs: list[str]) -> list[str]:
    """The events `slugs`, the most recently loaded (highest id) first."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT slug FROM events WHERE slug IN (:a, :b) ORDER BY id DESC"),
            {"a": slugs[0], "b": slugs[1]},
        )
        return [row.slug for row in rows]


def test_only_the_newest_matches_of_each_type_are_ranked(
    seeded_db: str, engine_for: Callable[..., Engine]
) -> None:
    engine = engine_for(seeded_db)
    newest, _older = newest_first(engine, HYDROGEN_EVENTS)
    found = run_search(engine, "hydrogen", bounds=Bounds(ranked=1, counted=100))
    assert {(hit["type"], hit["slug"]) for hit in found.hits} == {
        ("event", newest),
        ("quote", HYDROGEN_QUOTE),
    }
    assert all(isinstance(hit["rank"], float) for hit in found.hits)
    summary = found.summary()
    assert summary["by_type"]["event"] == {
        "matches": 2,
        "matches_exact": True,
        "ranked": 1,
        "order": "relevance",
    }
    assert (summary["matches"], summary["matches_exact"], summary["ranked"]) == (3, True, 2)


def test_a_type_with_too_many_matches_comes_unranked_after_the_ranked_hits(
    seeded_db: str, engine_for: Callable[..., Engine]
) -> None:
    engine = engine_for(seeded_db)
    found = run_search(engine, "hydrogen", bounds=Bounds(ranked=100, counted=1))
    # The quote (one match) is ranked; the two events are more than counted: newest first.
    assert [(hit["type"], hit["slug"], hit["rank"] is None) for hit in found.hits] == [
        ("quote", HYDROGEN_QUOTE, False),
        *(("event", slug, True) for slug in newest_first(engine, HYDROGEN_EVENTS)),
    ]
    assert found.summary()["by_type"]["event"] == {
        "matches": 1,
        "matches_exact": False,
        "ranked": 0,
        "order": "newest",
    }


def test_a_word_too_common_to_rank_by_leaves_its_type_unranked_on_sqlite(
    seeded_db: str, engine_for: Callable[..., Engine], backend: str
) -> None:
    # One event holds both words, two hold "hydrogen". bm25 counts the records holding each
    # word (PostgreSQL's ts_rank_cd does not): on SQLite the common word decides.
    engine = engine_for(seeded_db)
    found = run_search(engine, "renewable hydrogen", bounds=Bounds(100, counted=1, common=1))
    assert [hit["slug"] for hit in found.hits] == [HYDROGEN_EVENTS[1]]
    assert found.summary()["by_type"]["event"]["matches"] == 1
    expected = "newest" if backend == "sqlite" else "relevance"
    assert found.summary()["by_type"]["event"]["order"] == expected
    # The words' bound is not the matches' one: two records of a word are not too many here.
    found = run_search(engine, "renewable hydrogen", bounds=Bounds(100, counted=1, common=2))
    assert found.summary()["by_type"]["event"]["order"] == "relevance"


# --- what the user is told ------------------------------------------------------------------------


def test_no_note_when_every_match_was_ranked() -> None:
    assert ranking_note(Found([], {"quote": 3, "event": 0}).summary()) is None


def test_the_note_says_how_many_matched_and_what_was_ranked() -> None:
    partly = Found([], {"quote": 1500, "event": 12}, Bounds(1000, 10_000)).summary()
    assert ranking_note(partly) == (
        "1,512 matches. Only the 1,000 most recently loaded quotes were ranked. "
        "Add words or --type to narrow the search."
    )
    counts = {"quote": 20_000, "event": 20_000, "figure": 1500, "source": 3}
    many = Found([], counts, Bounds(1000, 10_000), frozenset({"quote", "event"})).summary()
    assert ranking_note(many) == (
        "More than 21,503 matches. Only the 1,000 most recently loaded figures were ranked. "
        "The quotes and events were too many to rank, or a word is in too many of them: the "
        "most recently loaded are listed after the ranked hits. Add words or --type to narrow "
        "the search."
    )
    unranked = Found([], {"quote": 20_000, "event": 0}, Bounds(1000, 10_000), frozenset({"quote"}))
    assert ranking_note(unranked.summary()) == (
        "More than 10,000 matches. The quotes were too many to rank, or a word is in too many "
        "of them: the most recently loaded are listed unranked. Add words or --type to narrow "
        "the search."
    )


def test_help_gives_the_bounds_the_command_uses() -> None:
    help_text = " ".join(CliRunner().invoke(cli, ["search", "--help"]).stdout.split())
    assert COUNTED == RANKED
    assert f"ranked when there are at most {RANKED:,} of them" in help_text
    assert f"in more than {COMMON:,} of its records" in help_text
    assert f'counted as "more than {COUNTED:,}"' in help_text


# --- the command's own bounds, on more quotes than it ranks -------------------------------------


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of a synthetic collection with more quotes than a search ranks (built as
    the query benchmark builds its databases: the rows `kb load` writes)."""
    path = tmp_path_factory.mktemp("bounds") / "kb.sqlite3"
    done = subprocess.run(
        [sys.executable, REPO / "benchmarks" / "benchdb.py", path, "--facts", f"{SYNTHETIC_FACTS}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


def quotes_holding(path: Path, word: str, select: str, order: str = "") -> list[Any]:
    """The first column of `select` over the quotes holding `word` (FTS5 table `quotes_fts`,
    quotes `q`), in `order`, read with plain sqlite3."""
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            f"SELECT {select} FROM quotes_fts JOIN quotes AS q ON q.id = quotes_fts.rowid "
            f"WHERE quotes_fts MATCH ? {order}",
            (f'"{word}"',),
        )
        return [row[0] for row in rows]


def holding(path: Path, word: str) -> int:
    """How many quotes hold `word`."""
    return int(quotes_holding(path, word, "count(*)")[0])


def best_ranks(path: Path, word: str) -> list[float]:
    """The five best bm25 ranks of the quotes holding `word`."""
    return quotes_holding(path, word, "bm25(quotes_fts) AS r", "ORDER BY r LIMIT 5")


def newest_slugs(path: Path, word: str) -> list[str]:
    """The five most recently loaded quotes holding `word`."""
    return quotes_holding(path, word, "q.slug", "ORDER BY q.id DESC LIMIT 5")


def test_the_command_ranks_every_match_of_a_type_with_few_enough(synthetic: Path, kb: Kb) -> None:
    matches = holding(synthetic, "reached")
    assert 100 < matches <= RANKED
    result = kb(
        "search", "reached", "--type", "quote", "--limit", "5", "--format", "json", db=synthetic
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["by_type"] == {
        "quote": {
            "matches": matches,
            "matches_exact": True,
            "ranked": matches,
            "order": "relevance",
        }
    }
    assert [hit["rank"] for hit in found["hits"]] == best_ranks(synthetic, "reached")
    # Nothing to tell: every match was ranked.
    jsonl = kb("search", "reached", "--type", "quote", "--format", "jsonl", db=synthetic)
    assert (jsonl.exit_code, jsonl.stderr) == (0, "")


def test_the_command_lists_the_newest_of_too_many_matches_and_says_so(
    synthetic: Path, kb: Kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert holding(synthetic, "will") == SYNTHETIC_QUOTES > COUNTED
    result = kb(
        "search", "will", "--type", "quote", "--limit", "5", "--format", "json", db=synthetic
    )
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert found["by_type"] == {
        "quote": {"matches": COUNTED, "matches_exact": False, "ranked": 0, "order": "newest"}
    }
    assert found["query"] == "will"
    assert (found["matches"], found["matches_exact"], found["ranked"]) == (COUNTED, False, 0)
    assert [hit["slug"] for hit in found["hits"]] == newest_slugs(synthetic, "will")
    assert all(hit["rank"] is None for hit in found["hits"])
    # JSON carries the counts; the other formats say it on stderr, or under the table.
    assert result.stderr == ""
    # Wrapped to the terminal's width.
    note = (
        f"More than {COUNTED:,} matches. The quotes were too many to rank, or a word is in too "
        "many of them: the\nmost recently loaded are listed unranked. Add words or --type to "
        "narrow the search.\n"
    )
    jsonl = kb("search", "will", "--type", "quote", "--format", "jsonl", db=synthetic)
    assert (jsonl.exit_code, jsonl.stderr) == (0, note)
    assert len(jsonl.stdout.splitlines()) == 20
    table = kb("search", "will", "--type", "quote", db=synthetic)
    assert (table.exit_code, table.stderr) == (0, "")
    assert table.stdout.endswith("\n\n" + note)


def test_unranked_hits_are_the_newest_of_each_type_in_turn(synthetic: Path) -> None:
    url = f"sqlite:///{synthetic}"
    from kb.db import make_engine

    engine = make_engine(url)
    try:
        found = run_search(engine, "will", types=["quote", "figure"], limit=4, bounds=Bounds(10, 5))
    finally:
        engine.dispose()
    with closing(sqlite3.connect(synthetic)) as connection:
        newest = {
            table: [
                row[0]
                for row in connection.execute(
                    f"SELECT t.slug FROM {table}_fts JOIN {table} AS t ON t.id = {table}_fts.rowid "
                    f"WHERE {table}_fts MATCH '\"will\"' ORDER BY t.id DESC LIMIT 2"
                )
            ]
            for table in ("quotes", "figures")
        }
    assert [(hit["type"], hit["slug"]) for hit in found.hits] == [
        ("figure", newest["figures"][0]),
        ("quote", newest["quotes"][0]),
        ("figure", newest["figures"][1]),
        ("quote", newest["quotes"][1]),
    ]
    assert all(hit["rank"] is None for hit in found.hits)


# --- a statement per type, built once -------------------------------------------------------------


def test_a_new_set_of_types_builds_no_new_statement() -> None:
    # Each type has a statement of its own, built once per way of listing it (ranked, or its
    # newest); a search runs those of the types it found. A `ranked` no other test uses: the
    # caches are the process's.
    def on_sqlite(hit_type: str, newest: bool) -> object:
        return fts5.statement(hit_type, 7, newest)

    def on_postgresql(hit_type: str, newest: bool) -> object:
        return tsvector.statement((False,), hit_type, 7, newest)

    for build, cached in ((on_sqlite, fts5.statement), (on_postgresql, tsvector.statement)):
        for hit_type in ("quote", "event"):
            build(hit_type, False)
        before = cached.cache_info()
        # The quotes ranked again, the events' newest for the first time.
        build("quote", False)
        build("event", True)
        after = cached.cache_info()
        assert (after.hits - before.hits, after.misses - before.misses) == (1, 1)


def test_best_puts_ranked_hits_first_then_the_newest_of_each_type_in_turn() -> None:
    def hit(hit_type: str, slug: str, rank: float | None, recency: int | None) -> dict[str, Any]:
        return {"type": hit_type, "slug": slug, "rank": rank, "recency": recency}

    hits = [
        hit("quote", "q-newest", None, 1),
        hit("event", "e-second", None, 2),
        hit("figure", "f-tied-b", -2.0, None),
        hit("event", "e-newest", None, 1),
        hit("figure", "f-tied-a", -2.0, None),
        hit("source", "s-best", -3.5, None),
        hit("event", "e-tied", -2.0, None),
    ]
    assert [found["slug"] for found in best(hits, 6)] == [
        "s-best",
        "e-tied",  # ties: by type, then slug
        "f-tied-a",
        "f-tied-b",
        "e-newest",  # then the newest of each type, types in order
        "q-newest",
    ]
