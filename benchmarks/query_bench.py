"""Benchmark kb's filtered list commands and full-text search on a large SQLite database.

Usage: .venv/bin/python benchmarks/query_bench.py [--db PATH | --facts 1000000 [--keep DIR]]
                                                  [--samples 200] [--limit 100] [--seed 1]
                                                  [--results benchmarks/results-queries.jsonl]

With --db, measures that kb database; otherwise builds one of the synthetic collection of
--facts facts first (benchmarks/benchdb.py: the rows `kb load` would write, written directly),
kept in --keep DIR if given. Then times, in this process on one open connection, the library
calls behind each command, for --samples random arguments each:

- `kb quotes --by PERSON` (a person's slug or full name), `kb figures --subject PARTY` (a
  party's slug or name), `kb figures --metric METRIC` (a metric's slug or name: its figures in
  time order, every source's side by side, with their conflicts), `kb events --from DATE --to
  DATE` (random bounds at random precisions, a day to a few years apart), each with --limit
  rows (the first rows of the list, as a paged listing shows) and, on a tenth of the samples,
  without a limit;
- `kb search` for one-word queries (words of the full-text index's vocabulary, uniformly) and
  two-word queries (neighbouring words of a random record), and for the word found in the most
  records.

Prints p50, p95 and max wall-clock milliseconds, the CPU milliseconds of this process (the
machine may be shared: CPU time is what the query itself cost) and the median number of rows,
and appends one JSON line with the machine and the figures to the results file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from benchdb import build
from machine import add_results_option, append_result, provenance

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"[^\W_]+")
FTS_TABLES = ("quotes", "figures", "events", "sources", "people")
# Run without a limit on this share of the samples: whole lists can be long.
UNLIMITED_SHARE = 10

Call = Callable[[Any], Any]


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` lie (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(share * len(ordered)) - 1)]


def measure(connection: Any, calls: list[Call]) -> dict[str, Any]:
    """Run each call once (after one untimed warm-up call) and summarise the times."""
    calls[0](connection)
    wall, cpu, rows = [], [], []
    for call in calls:
        start, start_cpu = time.perf_counter(), time.process_time()
        result = call(connection)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        rows.append(len(result.hits) if hasattr(result, "hits") else len(result))
    return {
        "samples": len(calls),
        "p50_ms": round(statistics.median(wall), 2),
        "p95_ms": round(percentile(wall, 0.95), 2),
        "max_ms": round(max(wall), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 2),
        "rows_median": statistics.median(rows),
    }


def list_calls(
    database: Path, samples: int, limit: int | None, rng: random.Random
) -> dict[str, list[Call]]:
    """Calls of the filtered list commands with random arguments."""
    from kb import queries

    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as raw:
        people = raw.execute("SELECT slug, name FROM people").fetchall()
        parties = raw.execute("SELECT slug, name FROM parties").fetchall()
        metrics = raw.execute("SELECT slug, name FROM metrics").fetchall()
        first, last = raw.execute("SELECT min(date), max(date) FROM events").fetchone()

    def person(i: int) -> str:
        slug, name = rng.choice(people)
        return str(slug if i % 2 else name)

    def party(i: int) -> str:
        slug, name = rng.choice(parties)
        return str(slug if i % 2 else name)

    def metric(i: int) -> str:
        slug, name = rng.choice(metrics)
        return str(slug if i % 2 else name)

    bounds = [date_range(rng, int(first[:4]), int(last[:4])) for _ in range(samples)]
    return {
        "quotes --by": [_call(queries.quotes, by=person(i), limit=limit) for i in range(samples)],
        "figures --subject": [
            _call(queries.figures, subject=party(i), limit=limit) for i in range(samples)
        ],
        "figures --metric": [
            _call(queries.figures, metric=metric(i), limit=limit) for i in range(samples)
        ],
        "events --from --to": [
            _call(queries.events, date_from=a, date_to=b, limit=limit) for a, b in bounds
        ],
    }


def _call(function: Callable[..., Any], **arguments: Any) -> Call:
    """`function` with these keyword arguments, given the connection first."""
    return lambda connection: function(connection, **arguments)


def date_range(rng: random.Random, first_year: int, last_year: int) -> tuple[str, str]:
    """Random --from and --to bounds: a date at a random precision and one a day to a few
    years later, at another random precision."""
    start = dt.date(rng.randrange(first_year, last_year + 1), rng.randrange(1, 13), 1)
    start += dt.timedelta(days=rng.randrange(28))
    end = start + dt.timedelta(days=rng.choice((0, 1, 7, 30, 90, 365, 3 * 365)))
    return _at_precision(start, rng), _at_precision(end, rng)


def _at_precision(day: dt.date, rng: random.Random) -> str:
    """`day` written at a random precision: 1995, 1995-01 or 1995-01-23."""
    return day.isoformat()[: rng.choice((4, 7, 10))]


def search_queries(database: Path, samples: int, rng: random.Random) -> dict[str, list[str]]:
    """One-word and two-word queries from the collection, and its most frequent word."""
    vocabulary: dict[str, int] = {}
    with closing(sqlite3.connect(database)) as raw:
        for table in FTS_TABLES:
            vocab = f"temp.vocab_{table}"
            raw.execute(f"CREATE VIRTUAL TABLE {vocab} USING fts5vocab(main, {table}_fts, row)")
            for term, documents in raw.execute(f"SELECT term, doc FROM {vocab}"):  # noqa: S608
                vocabulary[term] = vocabulary.get(term, 0) + documents
        texts = [
            row[0]
            for table, column in (("quotes", "text"), ("events", "name"), ("sources", "title"))
            for row in raw.execute(
                f"SELECT {column} FROM {table} ORDER BY random() LIMIT {samples}"  # noqa: S608
            )
        ]
    words = sorted(vocabulary)
    pairs = []
    for text in rng.sample(texts, min(samples, len(texts))):
        tokens = WORD.findall(text)
        if len(tokens) >= 2:
            i = rng.randrange(len(tokens) - 1)
            pairs.append(f"{tokens[i]} {tokens[i + 1]}")
    half = samples // 2
    return {
        "search, one word": [rng.choice(words) for _ in range(samples - half)],
        "search, two words": pairs[:half],
        "search, most common word": [max(vocabulary, key=lambda term: vocabulary[term])] * 20,
    }


def search_calls(queries: dict[str, list[str]]) -> dict[str, list[Call]]:
    """Calls of kb search for each query."""
    from kb.search.run import search

    return {
        name: [_call(search, query=query) for query in chosen] for name, chosen in queries.items()
    }


@contextmanager
def database_for(args: argparse.Namespace) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """The database to measure, and how it was built (None when --db named it)."""
    if args.db is not None:
        yield args.db, None
        return
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        target = args.keep / "kb.sqlite3"
        yield target, build(target, args.facts, seed=args.seed)
        return
    with tempfile.TemporaryDirectory(prefix="kb-query-bench-") as work:
        target = Path(work) / "kb.sqlite3"
        yield target, build(target, args.facts, seed=args.seed)


def benchmark(database: Path, samples: int, limit: int, seed: int) -> dict[str, Any]:
    """Measure every command on `database`."""
    from kb.db import make_engine

    rng = random.Random(seed)
    limited = list_calls(database, samples, limit, rng)
    unlimited = list_calls(database, max(1, samples // UNLIMITED_SHARE), None, rng)
    searches = search_calls(search_queries(database, samples, rng))
    engine = make_engine(f"sqlite:///{database}", must_exist=True)
    # A command runs in a process of its own, with the heap of its imports only. Here the
    # samples and the vocabulary live on beside it: out of the collector's way, or its full
    # collections (which walk every live object) would be timed as the commands' own.
    gc.collect()
    gc.freeze()
    results: dict[str, Any] = {}
    with engine.connect() as connection:
        for name, calls in limited.items():
            results[f"{name} --limit {limit}"] = measure(connection, calls)
        for name, calls in unlimited.items():
            results[f"{name} (no limit)"] = measure(connection, calls)
        for name, calls in searches.items():
            results[name] = measure(connection, calls)
    engine.dispose()
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as raw:
        sizes = {
            table: raw.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in ("sources", "people", "quotes", "figures", "events")
        }
    return {"sizes": sizes, "results": results}


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table."""
    sizes = result["sizes"]
    facts = sizes["quotes"] + sizes["figures"] + sizes["events"]
    lines = [
        f"{facts:,} facts ({', '.join(f'{n:,} {t}' for t, n in sizes.items())})",
        "",
        f"{'command':<34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'cpu p50':>8} {'cpu p95':>8} {'rows':>7}",
    ]
    for name, figures in result["results"].items():
        lines.append(
            f"{name:<34} {figures['samples']:>4} {figures['p50_ms']:>8.1f} "
            f"{figures['p95_ms']:>8.1f} {figures['max_ms']:>8.1f} {figures['cpu_p50_ms']:>8.1f} "
            f"{figures['cpu_p95_ms']:>8.1f} {figures['rows_median']:>7}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Build or open the database, run the benchmark, print and append the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing kb SQLite database to measure")
    parser.add_argument("--facts", type=int, default=1_000_000, help="facts to build (no --db)")
    parser.add_argument("--keep", type=Path, help="build the database in this directory")
    parser.add_argument("--samples", type=int, default=200, help="random arguments per command")
    parser.add_argument("--limit", type=int, default=100, help="rows of a limited list")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    add_results_option(parser, HERE / "results-queries.jsonl")
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.exists():
        parser.error(f"--db {args.db}: no such file")
    if args.samples < 2 or args.limit < 1:
        parser.error("--samples must be at least 2 and --limit at least 1")
    with database_for(args) as (database, built):
        measured = benchmark(database, args.samples, args.limit, args.seed)
    result = {
        **provenance(),
        "database": str(database) if built is None else None,
        "built": built,
        "seed": args.seed,
        "limit": args.limit,
        **measured,
        "timing": "in-process, one open connection; wall-clock and process CPU milliseconds",
    }
    print(report(result))
    append_result(args.results, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
