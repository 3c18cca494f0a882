"""Time `kb draft` against a knowledge base: a 5,000-word article, against a database and alone.

Usage: .venv/bin/python benchmarks/draft_bench.py --db PATH_OR_URL [--runs N] [--words N]

The article is the bodies of the eight articles of tests/data/multi (people, parties, figures
and events that a base knows or could know), then of the texts of tests/data/draft, under one
headline, to --words words: no passage twice, so no look-up is answered twice. In one
process it is drafted (and written as YAML) against the database, with every statement the
draft runs counted and timed, and then alone (`--no-db`); each is the best of --runs runs. The
database is only read. Build a large one with:

    .venv/bin/python benchmarks/generate.py /tmp/big --facts 1000000
    .venv/bin/kb load /tmp/big/seeds_data --db /tmp/big.sqlite3

The figures go to stdout; README-draft.md records what was measured.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, table

from kb.config import database_url
from kb.draft import EMPTY, Article, Draft, draft, parse_published, to_yaml
from kb.draft.known_db import Database
from kb.queries import reading

REPO = Path(__file__).resolve().parent.parent
MULTI = REPO / "tests" / "data" / "multi"
DRAFT = REPO / "tests" / "data" / "draft"


def article(words: int) -> Article:
    """An article of at least `words` words: the bodies of the test texts, each once (then
    again, only if more words are asked for than they hold)."""
    paths = [*sorted(MULTI.glob("*.txt")), *sorted(DRAFT.glob("*/*.txt"))]
    bodies = [path.read_text(encoding="utf-8").split("\n", 1)[1].strip() for path in paths]
    parts, count = ["Kazakhstan and the EU: a month of news", ""], 0
    while count < words:
        body = bodies[(len(parts) - 2) % len(bodies)]
        parts.append(body)
        count += len(body.split())
    text = "\n\n".join(parts) + "\n"
    return Article(text, "bench.txt", "0" * 64, "draft-bench", parse_published("2025-03-03"))


def best(runs: int, run: Callable[[], Draft]) -> tuple[float, Draft]:
    """The best time of `runs` runs, in seconds, and the last draft."""
    fastest, last = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        last = run()
        fastest = min(fastest, time.perf_counter() - start)
    assert last is not None
    return fastest, last


def main() -> None:
    """Time the drafts and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="the database to draft against")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--words", type=int, default=5000)
    options = parser.parse_args()
    drafted = article(options.words)
    url = database_url(options.db)
    with reading(url) as connection:
        size = _size(connection)
        statements: list[float] = []
        _count(connection, statements)

        def against_db() -> Draft:
            statements.clear()
            result = draft(drafted, Database(connection, "the database"))
            to_yaml(result)
            return result

        linked_time, linked = best(options.runs, against_db)
        queries = (len(statements), sum(statements))
    alone_time, _ = best(options.runs, lambda: _alone(drafted))
    _report(drafted, size, linked_time, alone_time, queries, linked)


def _alone(drafted: Article) -> Draft:
    result = draft(drafted, EMPTY)
    to_yaml(result)
    return result


def _size(connection: Any) -> dict[str, int]:
    """Rows in the tables a draft asks about, and the facts of the base."""
    names = ("quotes", "figures", "events", "people", "parties", "metrics", "_kb_names")
    counts = {
        name: connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in names
    }
    counts["facts"] = counts["quotes"] + counts["figures"] + counts["events"]
    return counts


def _count(connection: Any, statements: list[float]) -> None:
    """Time every statement run on `connection` into `statements`."""
    started: list[float] = []

    def before(*_: Any) -> None:
        started.append(time.perf_counter())

    def after(*_: Any) -> None:
        statements.append(time.perf_counter() - started.pop())

    event.listen(connection, "before_cursor_execute", before)
    event.listen(connection, "after_cursor_execute", after)


def _report(
    drafted: Article,
    size: dict[str, int],
    linked_time: float,
    alone_time: float,
    queries: tuple[int, float],
    linked: Draft,
) -> None:
    words = len(drafted.text.split())
    print(
        f"base: {size['facts']:,} facts ({size['events']:,} events, {size['people']:,} people, "
        f"{size['parties']} parties, {size['metrics']} metrics, {size['_kb_names']:,} name keys)"
    )
    print(f"article: {words:,} words ({len(drafted.text):,} characters)")
    print(f"draft + YAML against the database: {linked_time * 1000:.0f} ms (best run)")
    print(f"  {queries[0]} statements, {queries[1] * 1000:.0f} ms in the database")
    print(f"draft + YAML alone (--no-db): {alone_time * 1000:.0f} ms (best run)")
    kinds: dict[str, list[int]] = {}
    for link in linked.links:
        counts = kinds.setdefault(link.kind, [0, 0, 0])
        counts[0 if link.target is not None and not link.new else 1 if link.new else 2] += 1
    shown = ", ".join(f"{kind} {k}/{n}/{u}" for kind, (k, n, u) in kinds.items())
    print(f"links (known/new/none): {shown}")


if __name__ == "__main__":
    main()
