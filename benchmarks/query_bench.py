"""Benchmark kb's filtered list commands and full-text search on a large SQLite or PostgreSQL
database.

Usage: .venv/bin/python benchmarks/query_bench.py [--db PATH | --facts 1000000 [--keep DIR]]
           [--postgresql URL [--keep-postgresql | --pg-database NAME]]
           [--samples 200] [--limit 100] [--seed 1] [--results benchmarks/results-queries.jsonl]

SQLite (the default): with --db, measures that kb database; otherwise builds one of the
synthetic collection of --facts facts first (benchmarks/benchdb.py: the rows `kb load` would
write, written directly), kept in --keep DIR if given.

PostgreSQL (--postgresql URL of a database on a server where the role may CREATE DATABASE):
generates the collection of --facts facts (benchmarks/generate.py, the same collection; kept in
--keep DIR if given) and loads it with kb's own loader (`kb.loader.load()`, in a process of its
own: benchmarks/phases.py kb) into a new database on that server, dropped at the end, also on
an error or SIGTERM. --keep-postgresql keeps it once loaded and prints its name;
--pg-database NAME measures such a database on the server instead of building one (it is never
dropped).

Then times, in this process on one open connection, the library calls behind each command (the
same calls on either backend), for --samples random arguments each:

- `kb quotes --by PERSON` (a person's slug or full name), `kb figures --subject PARTY` (a
  party's slug or name), `kb figures --metric METRIC` (a metric's slug or name: its figures in
  time order, every source's side by side, with their conflicts), `kb events --from DATE --to
  DATE` (random bounds at random precisions, a day to a few years apart), each with --limit
  rows (the first rows of the list, as a paged listing shows) and, on a tenth of the samples,
  without a limit;
- `kb search` for one-word queries (words of the full-text index's vocabulary, uniformly: FTS5's
  on SQLite, the stored tsvectors' on PostgreSQL) and two-word queries (neighbouring words of a
  random record), and for the word found in the most records.

Prints p50, p95 and max wall-clock milliseconds, the CPU milliseconds of this process (the
machine may be shared: CPU time is what the query itself cost; on PostgreSQL the server's work
is in the wall time only), the median number of rows and the p95 target of each command (the
issue's, set for 1,000,000 facts), and appends one JSON line with the machine and the figures
to the results file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import random
import re
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchdb import build
from machine import add_results_option, append_result, provenance

HERE = Path(__file__).resolve().parent
WORD = re.compile(r"[^\W_]+")
FTS_TABLES = ("quotes", "figures", "events", "sources", "people")
# Run without a limit on this share of the samples: whole lists can be long.
UNLIMITED_SHARE = 10
# The targets for p95 at 1,000,000 facts, in milliseconds: a page of a list command
# (with --limit) and a search of one or two words within 20, of the most common word within 100.
# A list without a limit has none: its rows are as many as the data holds.
TARGET_FACTS = 1_000_000
LIST_TARGET_MS = 20.0
SEARCH_TARGETS_MS = {
    "search, one word": 20.0,
    "search, two words": 20.0,
    "search, most common word": 100.0,
}
# The database built on PostgreSQL is named by load_bench.PgServer: kb_bench_<pid>_queries.
PG_DATABASE = "queries"
TIMING = "in-process, one open connection; wall-clock and process CPU milliseconds"

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


def _rows(connection: Any, sql: str) -> list[Any]:
    """Every row of a query (written here, never from a user) on either backend."""
    return list(connection.exec_driver_sql(sql).fetchall())


def list_functions() -> dict[str, Callable[..., Any]]:
    """The library function behind each list command: kb.queries' own, as the CLI calls them."""
    from kb import queries

    return {
        "quotes --by": queries.quotes,
        "figures --subject": queries.figures,
        "figures --metric": queries.figures,
        "events --from --to": queries.events,
    }


def list_calls(
    connection: Any, samples: int, limit: int | None, rng: random.Random
) -> dict[str, list[Call]]:
    """Calls of the filtered list commands with random arguments, drawn from the database on
    `connection` (in id order, so a seed draws the same arguments on either backend)."""
    people = _rows(connection, "SELECT slug, name FROM people ORDER BY id")
    parties = _rows(connection, "SELECT slug, name FROM parties ORDER BY id")
    metrics = _rows(connection, "SELECT slug, name FROM metrics ORDER BY id")
    [(first, last)] = _rows(connection, "SELECT min(date), max(date) FROM events")

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
    function = list_functions()
    return {
        "quotes --by": [
            _call(function["quotes --by"], by=person(i), limit=limit) for i in range(samples)
        ],
        "figures --subject": [
            _call(function["figures --subject"], subject=party(i), limit=limit)
            for i in range(samples)
        ],
        "figures --metric": [
            _call(function["figures --metric"], metric=metric(i), limit=limit)
            for i in range(samples)
        ],
        "events --from --to": [
            _call(function["events --from --to"], date_from=a, date_to=b, limit=limit)
            for a, b in bounds
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


def vocabulary(connection: Any) -> dict[str, int]:
    """Each word of the full-text index and the number of records holding it, summed over the
    searchable tables: FTS5's own vocabulary (fts5vocab) on SQLite, the lexemes of the stored
    'simple' tsvectors (ts_stat over `<table>_fts.document`) on PostgreSQL. Only runs of
    letters and digits count as words (not the gap PostgreSQL's documents put between columns)."""
    found: dict[str, int] = {}
    for table in FTS_TABLES:
        # Table names are this file's constants, never a user's.
        if connection.dialect.name == "sqlite":
            vocab = f"temp.vocab_{table}"
            connection.exec_driver_sql(
                f"CREATE VIRTUAL TABLE {vocab} USING fts5vocab(main, {table}_fts, row)"
            )
            terms = _rows(connection, f"SELECT term, doc FROM {vocab}")  # noqa: S608
        else:
            stored = f"SELECT document FROM {table}_fts"  # noqa: S608
            terms = _rows(connection, f"SELECT word, ndoc FROM ts_stat('{stored}')")  # noqa: S608
        for term, documents in terms:
            if WORD.fullmatch(term):
                found[term] = found.get(term, 0) + documents
    return found


def search_queries(connection: Any, samples: int, rng: random.Random) -> dict[str, list[str]]:
    """One-word and two-word queries from the collection, and its most frequent word."""
    counts = vocabulary(connection)
    texts = [
        row[0]
        for table, column in (("quotes", "text"), ("events", "name"), ("sources", "title"))
        for row in _rows(
            connection,
            f"SELECT {column} FROM {table} ORDER BY random() LIMIT {samples}",  # noqa: S608
        )
    ]
    words = sorted(counts)
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
        "search, most common word": [max(counts, key=lambda term: counts[term])] * 20,
    }


def search_calls(queries: dict[str, list[str]]) -> dict[str, list[Call]]:
    """Calls of kb search for each query: kb.search.run.search, as the CLI calls it."""
    from kb.search.run import search

    return {
        name: [_call(search, query=query) for query in chosen] for name, chosen in queries.items()
    }


def table_sizes(connection: Any) -> dict[str, int]:
    """Rows in each table the commands read."""
    return {
        table: _rows(connection, f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608
        for table in ("sources", "people", "quotes", "figures", "events")
    }


# --- The database to measure -----------------------------------------------------------------


@contextmanager
def database_for(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    """The URL of the database to measure, and the result's fields saying which database it
    is and how it was built."""
    if args.postgresql:
        with postgresql_database(args) as found:
            yield found
        return
    if args.db is not None:
        yield f"sqlite:///{args.db}", {"backend": "sqlite", "database": str(args.db), "built": None}
        return
    with _work_directory(args.keep) as work:
        target = work / "kb.sqlite3"
        built = {"builder": "benchdb.py", **build(target, args.facts, seed=args.seed)}
        yield f"sqlite:///{target}", {"backend": "sqlite", "database": None, "built": built}


@contextmanager
def _work_directory(keep: Path | None) -> Iterator[Path]:
    """`keep` (made if need be), or a temporary directory removed at the end."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    with tempfile.TemporaryDirectory(prefix="kb-query-bench-") as work:
        yield Path(work)


@contextmanager
def postgresql_database(args: argparse.Namespace) -> Iterator[tuple[str, dict[str, Any]]]:
    """A database on the --postgresql server: --pg-database, or a new one that kb's loader
    fills with the generated collection and that is dropped at the end (on an error or SIGTERM
    too) unless --keep-postgresql keeps it once loaded."""
    from load_bench import PgServer

    server = PgServer(args.postgresql)
    described: dict[str, Any] = {"server": server.shown(), "version": server.version()}
    if args.pg_database is not None:
        described |= {"database": args.pg_database, "built": False, "kept": True}
        fields = {"backend": "postgresql", "database": args.pg_database, "built": None}
        yield server.url_of(args.pg_database), fields | {"postgresql": described}
        return
    name = server.prefix + PG_DATABASE
    described |= {"database": name, "built": True, "kept": args.keep_postgresql}
    loaded = False
    try:
        url, built = _load_postgresql(server, args)
        loaded = True
        fields = {"backend": "postgresql", "database": None, "built": built}
        yield url, fields | {"postgresql": described}
    finally:
        if args.keep_postgresql and loaded:
            print(
                f"\nKept database {name} on {server.shown()}: measure it again with "
                f"--postgresql URL --pg-database {name}; drop it with DROP DATABASE {name}."
            )
        else:
            server.drop(PG_DATABASE)


def _load_postgresql(server: Any, args: argparse.Namespace) -> tuple[str, dict[str, Any]]:
    """Generate the collection and load it with kb's loader into a new database on `server`;
    its URL and how it was built."""
    from generate import generate
    from load_bench import default_files, run_phase

    with _work_directory(args.keep) as work:
        summary = generate(
            work / "collection", args.facts, seed=args.seed, files=default_files(args.facts)
        )
        url = server.create(PG_DATABASE)
        name = server.prefix + PG_DATABASE
        print(f"Loading {args.facts:,} facts into {name} (kb.loader.load())", file=sys.stderr)
        loaded = run_phase("kb", summary.data_dir, url)
    built = {
        "builder": "kb.loader.load (benchmarks/phases.py kb)",
        "facts": args.facts,
        "seed": args.seed,
        "files": summary.files,
        "seconds": round(loaded["seconds"], 1),
        "workers": loaded["workers"],
        "rows": loaded["rows"],
    }
    return url, built


# --- Measuring -------------------------------------------------------------------------------


def benchmark(url: str, samples: int, limit: int, seed: int) -> dict[str, Any]:
    """Measure every command on the database at `url`."""
    from kb.queries.connect import reading
    from kb.search.run import search

    rng = random.Random(seed)
    with reading(url) as connection:
        limited = list_calls(connection, samples, limit, rng)
        unlimited = list_calls(connection, max(1, samples // UNLIMITED_SHARE), None, rng)
        searches = search_calls(search_queries(connection, samples, rng))
        sizes = table_sizes(connection)
    # A command runs in a process of its own, with the heap of its imports only. Here the
    # samples and the vocabulary live on beside it: out of the collector's way, or its full
    # collections (which walk every live object) would be timed as the commands' own.
    gc.collect()
    gc.freeze()
    results: dict[str, Any] = {}
    # The connection a command opens (kb.queries.connect.reading), kept open for every sample.
    with reading(url) as connection:
        for name, calls in limited.items():
            results[f"{name} --limit {limit}"] = measure(connection, calls)
        for name, calls in unlimited.items():
            results[f"{name} (no limit)"] = measure(connection, calls)
        for name, calls in searches.items():
            results[name] = measure(connection, calls)
    gc.unfreeze()
    for name, figures in results.items():
        target = target_ms(name, limit)
        figures["target_p95_ms"] = target
        figures["met"] = None if target is None else figures["p95_ms"] <= target
    functions = {**list_functions(), **dict.fromkeys(searches, search)}
    return {
        "sizes": sizes,
        "results": results,
        "calls": {name: f"{f.__module__}.{f.__qualname__}" for name, f in functions.items()},
        "targets": {
            "facts": TARGET_FACTS,
            "met": all(f["met"] is not False for f in results.values()),
            "over": [name for name, f in results.items() if f["met"] is False],
        },
    }


def target_ms(name: str, limit: int) -> float | None:
    """The p95 target of a measured command, in milliseconds (None: it has none)."""
    if name.endswith(f" --limit {limit}"):
        return LIST_TARGET_MS
    return SEARCH_TARGETS_MS.get(name)


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table."""
    sizes = result["sizes"]
    facts = sizes["quotes"] + sizes["figures"] + sizes["events"]
    where = result["backend"]
    if "postgresql" in result:
        where += f" {result['postgresql']['version']}, database {result['postgresql']['database']}"
    lines = [
        f"{facts:,} facts ({', '.join(f'{n:,} {t}' for t, n in sizes.items())}) on {where}",
        "",
        f"{'command':<34} {'n':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
        f"{'cpu p50':>8} {'cpu p95':>8} {'rows':>7} {'p95 target':>12}",
    ]
    for name, figures in result["results"].items():
        target = figures["target_p95_ms"]
        lines.append(
            f"{name:<34} {figures['samples']:>4} {figures['p50_ms']:>8.1f} "
            f"{figures['p95_ms']:>8.1f} {figures['max_ms']:>8.1f} {figures['cpu_p50_ms']:>8.1f} "
            f"{figures['cpu_p95_ms']:>8.1f} {figures['rows_median']:>7} "
            + (
                f"{'–':>12}"
                if target is None
                else f"{f'≤ {target:g}':>7} {'met' if figures['met'] else 'OVER':>4}"
            )
        )
    over = result["targets"]["over"]
    lines += [
        "",
        f"p95 targets (the issue's, for {TARGET_FACTS:,} facts): "
        + ("every one met" if not over else "over in " + ", ".join(over)),
    ]
    return "\n".join(lines)


# --- Command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Build or open the database, run the benchmark, print and append the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="an existing kb SQLite database to measure")
    parser.add_argument("--facts", type=int, default=1_000_000, help="facts to build (no --db)")
    parser.add_argument(
        "--keep",
        type=Path,
        help="build in this directory (SQLite: the database; PostgreSQL: the collection loaded)",
    )
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run on PostgreSQL: a database URL whose role may CREATE DATABASE",
    )
    parser.add_argument(
        "--keep-postgresql",
        action="store_true",
        help="keep the PostgreSQL database built (its name is printed, for --pg-database)",
    )
    parser.add_argument(
        "--pg-database",
        metavar="NAME",
        help="measure this existing kb database on the --postgresql server instead of building one",
    )
    parser.add_argument("--samples", type=int, default=200, help="random arguments per command")
    parser.add_argument("--limit", type=int, default=100, help="rows of a limited list")
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    add_results_option(parser, HERE / "results-queries.jsonl")
    args = parser.parse_args(argv)
    if args.db is not None and not args.db.exists():
        parser.error(f"--db {args.db}: no such file")
    if args.samples < 2 or args.limit < 1:
        parser.error("--samples must be at least 2 and --limit at least 1")
    if args.facts < 1:
        parser.error("--facts must be at least 1")
    if args.postgresql and args.db is not None:
        parser.error("--db measures a SQLite file; with --postgresql use --pg-database NAME")
    if not args.postgresql and (args.pg_database is not None or args.keep_postgresql):
        parser.error("--pg-database and --keep-postgresql need --postgresql URL")
    if args.pg_database is not None and (args.keep_postgresql or args.keep is not None):
        parser.error("--pg-database measures an existing database: nothing to build or keep")
    if args.postgresql and args.keep is not None and (args.keep / "collection").exists():
        parser.error(f"--keep {args.keep}: {args.keep / 'collection'} exists already")
    # Stopped by a signal, still drop the PostgreSQL database and remove the temporary
    # directory (SystemExit unwinds through every `finally`; subprocess.run kills the load).
    signal.signal(signal.SIGTERM, _stop)
    from kb.errors import KbError

    try:
        with database_for(args) as (url, fields):
            measured = benchmark(url, args.samples, args.limit, args.seed)
            result = {
                **provenance(),
                **fields,
                "seed": args.seed,
                "limit": args.limit,
                **measured,
                "timing": TIMING,
            }
            print(report(result))
            append_result(args.results, result)
    except KbError as error:  # no such database, or not a kb one
        raise SystemExit(f"query_bench.py: {error}") from None
    return 0


def _stop(signum: int, _frame: object) -> None:
    """Leave as if interrupted, cleaning up on the way out."""
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main())
