"""Benchmark `kb load` against a floor (the fastest load of the same rows) and a peer, and reloads.

Usage: .venv/bin/python benchmarks/load_bench.py [--facts 100000] [--seed 1] [--files N]
           [--repeat 1] [--keep DIR] [--results benchmarks/results.jsonl] [--postgresql URL]

Generates a synthetic collection (benchmarks/generate.py) with its documents in N data files
(default: 10,000, or one per document when there are fewer), then runs timed phases, each in a
process of its own so that its peak memory is its own (benchmarks/phases.py).

SQLite (the default): `kb load` of the collection into a new file; the floor, plain
`executemany` of the rows kb wrote into kb's schema; the peer, sqlite-utils inserting the same
rows and enabling its full-text search; then two reloads into kb's database: the same collection
again, nothing changed ("reload"), and after editing one data file ("reload-one": one quote's
kind and one figure's qualifier changed, one figure deleted). Each reload's load report must
show exactly that: no change, then exactly the edited file's changes.

PostgreSQL (--postgresql URL of a database on a server where the role may CREATE DATABASE):
`kb load` into a new database, and the floor, COPY of the same rows into another new database
made by kb's migrations, secondary indexes and foreign keys after the rows. Both are dropped
at the end.

With --repeat N the load phases run N times in rounds (kb, floor, peer; kb, floor, peer; ...),
each into a new database, and each phase's figure is its median round: on a shared machine one
round's ratio moves by ±10 % or more, the median of rounds much less.

Prints the times, the ratios (kb/floor, peer/kb, reload/kb), rows per second and peak memory,
and appends one JSON line with the machine and the figures to the results file. The times are
wall-clock seconds of the phase alone; the ratios are what to compare between machines and
commits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from generate import FACTS_PER_DOCUMENT, QUALIFIER_WORDS, Plan, Summary, generate
from machine import add_results_option, append_result, provenance

HERE = Path(__file__).resolve().parent
SQLITE_PHASES = ("kb", "floor", "peer")
PG_PHASES = ("kb", "floor")
RELOADS = ("reload", "reload-one")
DEFAULT_FILES = 10_000
# Issue 5's targets: a reload costs at most this fraction of the full load.
RELOAD_TARGET = 0.05
MEMORY = (
    "peak resident set size (ru_maxrss) of the process that ran the phase, plus, for a load "
    "with worker processes, the largest worker's peak once per worker, in MiB"
)
PG_MEMORY = MEMORY + " (the Python process only, not the PostgreSQL server)"


def run_phase(phase: str, source: Path | str, target: Path | str) -> dict[str, Any]:
    """Run one phase in a new Python process and return its measurement."""
    done = subprocess.run(
        [sys.executable, str(HERE / "phases.py"), phase, str(source), str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"The {phase} phase failed:\n{done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def default_files(facts: int) -> int:
    """How many data files the documents go to unless told: 10,000, or one per document."""
    return min(DEFAULT_FILES, Plan(facts, 1).documents)


# --- SQLite ----------------------------------------------------------------------------------


def benchmark(work: Path, facts: int, seed: int, files: int, repeat: int = 1) -> dict[str, Any]:
    """Generate the collection under `work`, run the SQLite phases (`repeat` rounds) and the
    reloads, gather figures."""
    summary = generate(work / "collection", facts, seed=seed, files=files)
    databases = {phase: work / f"{phase}.sqlite3" for phase in SQLITE_PHASES}
    rounds: dict[str, list[dict[str, Any]]] = {phase: [] for phase in SQLITE_PHASES}
    for number in range(repeat):
        # Later rounds write to databases of their own, removed once measured: the first
        # round's are the ones kept, compared and reloaded.
        targets = (
            databases
            if number == 0
            else {phase: work / f"{phase}-round.sqlite3" for phase in SQLITE_PHASES}
        )
        rounds["kb"].append(run_phase("kb", summary.data_dir, targets["kb"]))
        for phase in ("floor", "peer"):
            rounds[phase].append(run_phase(phase, databases["kb"], targets[phase]))
        if number:
            for target in targets.values():
                remove_sqlite(target)
    results = {phase: median_round(measured) for phase, measured in rounds.items()}
    reloads = {"reload": run_phase("reload", summary.data_dir, databases["kb"])}
    edit = edit_one_file(summary.data_dir)
    reloads["reload-one"] = run_phase("reload", summary.data_dir, databases["kb"])
    result = figures(summary, seed, results, "sqlite")
    result["rounds"] = round_figures(rounds)
    result["reloads"] = reload_figures(reloads, results["kb"], edit)
    result["valid"] = result["rows_equal"] and all(r["ok"] for r in result["reloads"].values())
    return result


def remove_sqlite(database: Path) -> None:
    """Delete a SQLite database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def median_round(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """A phase's figures over its rounds: the round of median time (the lower of the middle
    two for an even count), with the highest peak memory of any round."""
    ordered = sorted(measured, key=lambda result: result["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    highest = max(measured, key=lambda result: result["peak_rss_mib"])
    for key in ("peak_rss_mib", "peak_rss_mib_before", "peak_rss_mib_own"):
        chosen[key] = highest[key]
    return chosen


def round_figures(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each round's seconds per phase and its ratios, in the order they ran."""
    seconds = {
        phase: [result["seconds"] for result in measured] for phase, measured in rounds.items()
    }
    ratios = [
        {
            "kb_over_floor": round(kb / floor, 3),
            "peer_over_kb": round(peer / kb, 3),
        }
        for kb, floor, peer in zip(seconds["kb"], seconds["floor"], seconds["peer"], strict=True)
    ]
    return {"seconds": seconds, "ratios": ratios}


def edit_one_file(data_dir: Path) -> dict[str, Any]:
    """Edit one data file of the collection as a person would, and say what a reload must
    report: one quote's kind and one figure's qualifier changed, another figure deleted."""
    files = sorted((data_dir / "docs").glob("*.jsonl"))
    # The file in the middle, or the next one holding two figures of the narration (a short
    # last document may have only one).
    for target in files[len(files) // 2 :] + files[: len(files) // 2]:
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        records = [json.loads(line) for line in lines]
        # Figures stated by the narration: nothing refers to them, so one can go.
        narrated = [i for i, r in enumerate(records) if r["type"] == "figure" and "quote" not in r]
        if len(narrated) >= 2:
            break
    else:
        raise SystemExit("reload-one: no data file holds two figures of the narration")
    quote = next(i for i, r in enumerate(records) if r["type"] == "quote")
    edited, deleted = narrated[0], narrated[1]
    records[quote]["kind"] = "partial" if records[quote].get("kind") != "partial" else "direct"
    qualifiers = list(QUALIFIER_WORDS)
    now = records[edited].get("qualifier", "exact")
    records[edited]["qualifier"] = qualifiers[(qualifiers.index(now) + 1) % len(qualifiers)]
    for i in (quote, edited):
        lines[i] = json.dumps(records[i], ensure_ascii=False) + "\n"
    del lines[deleted]
    target.write_text("".join(lines), encoding="utf-8")
    return {
        "file": str(target.relative_to(data_dir)),
        "updated": {"quotes": 1, "figures": 1},
        "missing": {"figures": [records[deleted]["slug"]]},
    }


def reload_figures(
    reloads: dict[str, dict[str, Any]], kb: dict[str, Any], edit: dict[str, Any]
) -> dict[str, Any]:
    """Each reload's time, its fraction of the full load, and whether its report is right."""
    expected = {"reload": {"updated": {}, "missing": {}}, "reload-one": edit}
    out = {}
    for name, measured in reloads.items():
        problems = report_problems(measured["report"], expected[name])
        out[name] = {
            "seconds": measured["seconds"],
            "fraction_of_kb": round(measured["seconds"] / kb["seconds"], 4),
            "target_fraction": RELOAD_TARGET,
            "peak_rss_mib": measured["peak_rss_mib"],
            "peak_rss_mib_before": measured["peak_rss_mib_before"],
            "rows": measured["rows"],
            "report": measured["report"],
            "expected": expected[name],
            "ok": not problems,
            "problems": problems,
        }
    return out


def report_problems(report: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """How a reload's load report differs from the changes the edit made (none: it is right).

    Nothing may be inserted or deleted; exactly the expected rows are updated, and exactly the
    deleted record is missing from the files.
    """
    problems = []
    for table, change in report["tables"].items():
        want_updated = expected["updated"].get(table, 0)
        want_missing = expected["missing"].get(table, [])
        if change["inserted"] or change["deleted"]:
            problems.append(
                f"{table}: {change['inserted']} inserted, {change['deleted']} deleted, want none"
            )
        if change["updated"] != want_updated:
            problems.append(f"{table}: {change['updated']} updated, want {want_updated}")
        if change["missing_count"] != len(want_missing) or (
            sorted(change["missing"]) != sorted(want_missing)
        ):
            problems.append(
                f"{table}: {change['missing_count']} missing {change['missing'][:3]}, "
                f"want {want_missing}"
            )
    unknown = set(expected["updated"]) - set(report["tables"])
    problems += [f"{table}: not in the report" for table in sorted(unknown)]
    return problems


# --- PostgreSQL ------------------------------------------------------------------------------


class PgServer:
    """Creates and drops the benchmark's databases on the server a URL points to."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise SystemExit(f"--postgresql wants a postgresql:// URL, not {parsed.drivername}")
        # kb's engines use psycopg (version 3), whatever driver the URL named.
        self.url = parsed.set(drivername="postgresql+psycopg")
        self.prefix = f"kb_bench_{os.getpid()}_"

    def url_of(self, database: str) -> str:
        """The URL of a database on this server, password included."""
        return self.url.set(database=database).render_as_string(hide_password=False)

    def shown(self) -> str:
        """The server's URL without its password, for the results."""
        return self.url.render_as_string(hide_password=True)

    def _admin(self) -> Any:
        """An autocommit psycopg connection to the URL's own database."""
        import psycopg
        from phases import pg_conninfo

        return psycopg.connect(pg_conninfo(self.url_of(self.url.database or "")), autocommit=True)

    def version(self) -> str:
        """The server's version."""
        with self._admin() as connection:
            return str(connection.execute("SHOW server_version").fetchone()[0])

    def create(self, phase: str) -> str:
        """Create a new empty database for `phase` and return its URL."""
        name = self.prefix + phase
        with self._admin() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def drop(self, phase: str) -> None:
        """Drop `phase`'s database; an autovacuum worker that has just started in it (which a
        role without pg_signal_backend cannot stop) ends soon, so try again for a while."""
        import psycopg

        for attempt in range(40):
            try:
                with self._admin() as connection:
                    name = self.prefix + phase
                    connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except psycopg.ProgrammingError:
                if attempt == 39:
                    raise
                time.sleep(0.25)


def benchmark_postgresql(work: Path, facts: int, seed: int, files: int, url: str) -> dict[str, Any]:
    """Generate the collection under `work`, run kb and the COPY floor on PostgreSQL."""
    server = PgServer(url)
    summary = generate(work / "collection", facts, seed=seed, files=files)
    results: dict[str, dict[str, Any]] = {}
    try:
        kb = server.create("kb")
        results["kb"] = run_phase("kb", summary.data_dir, kb)
        results["floor"] = run_phase("floor", kb, server.create("floor"))
    finally:
        for phase in PG_PHASES:
            server.drop(phase)
    result = figures(summary, seed, results, "postgresql")
    result["postgresql"] = {
        "server": server.shown(),
        "version": server.version(),
        "databases": [server.prefix + phase for phase in PG_PHASES],
    }
    result["valid"] = result["rows_equal"]
    return result


# --- Figures ---------------------------------------------------------------------------------


def figures(
    summary: Summary, seed: int, results: dict[str, dict[str, Any]], backend: str
) -> dict[str, Any]:
    """The figures of a run's load phases: times, rates, rows, memory and ratios."""
    kb_rows = results["kb"]["rows"]
    # Rows per second count the rows of kb's eight tables, not its bookkeeping (_kb_*).
    rows = sum(n for table, n in kb_rows.items() if not table.startswith("_"))
    phases = {
        phase: {
            "seconds": result["seconds"],
            "rows_per_second": round(rows / result["seconds"]),
            "peak_rss_mib": result["peak_rss_mib"],
            "peak_rss_mib_before": result["peak_rss_mib_before"],
            "peak_rss_mib_own": result["peak_rss_mib_own"],
            "workers": result["workers"],
            "worker_peak_rss_mib": result["worker_peak_rss_mib"],
            # The peer makes no table it has no rows for: count such a table as empty.
            "rows": {table: result["rows"].get(table, 0) for table in kb_rows} | result["rows"],
        }
        for phase, result in results.items()
    }
    seconds = {phase: figures["seconds"] for phase, figures in phases.items()}
    ratios = {"kb_over_floor": round(seconds["kb"] / seconds["floor"], 3)}
    if "peer" in seconds:
        ratios["peer_over_kb"] = round(seconds["peer"] / seconds["kb"], 3)
    return {
        **provenance(),
        "backend": backend,
        "seed": seed,
        "sizes": {**summary.as_dict(), "rows": rows},
        "phases": phases,
        "ratios": ratios,
        "kb_facts_per_second": round(summary.facts / seconds["kb"]),
        "rows_equal": all(p["rows"] == phases["kb"]["rows"] for p in phases.values()),
        "memory": PG_MEMORY if backend == "postgresql" else MEMORY,
    }


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table."""
    sizes = result["sizes"]
    lines = [
        f"{sizes['facts']:,} facts in {sizes['documents']:,} documents ({sizes['files']:,} "
        f"files), {sizes['people']:,} people, {sizes['parties']:,} parties, "
        f"{sizes.get('metrics', 0):,} metrics: {sizes['rows']:,} rows "
        f"(seed {result['seed']}, {result['backend']})",
        "",
        f"{'phase':<10} {'seconds':>9} {'rows/s':>10} {'peak MiB':>9}",
    ]
    for phase, figures in result["phases"].items():
        lines.append(
            f"{phase:<10} {figures['seconds']:>9.3f} {figures['rows_per_second']:>10,} "
            f"{figures['peak_rss_mib']:>9.1f}"
            + (
                f"  ({figures['peak_rss_mib_own']:.0f} + {figures['workers']} workers × "
                f"{figures['worker_peak_rss_mib']:.0f})"
                if figures["workers"]
                else ""
            )
        )
    ratios = "   ".join(
        f"{name.replace('_over_', '/')} {value:.2f}×" for name, value in result["ratios"].items()
    )
    lines += ["", f"{ratios}   kb {result['kb_facts_per_second']:,} facts/s"]
    rounds = result.get("rounds", {}).get("ratios", [])
    if len(rounds) > 1:
        lines.append(
            f"each phase above is its median of {len(rounds)} rounds, the ratios those medians'; "
            "round by round: "
            + ", ".join(
                f"kb/floor {r['kb_over_floor']:.2f}× peer/kb {r['peer_over_kb']:.2f}×"
                for r in rounds
            )
        )
    for name, reload in result.get("reloads", {}).items():
        lines.append(
            f"{name:<10} {reload['seconds']:>9.3f} s = {reload['fraction_of_kb']:.1%} of kb "
            f"(target ≤ {RELOAD_TARGET:.0%}), peak {reload['peak_rss_mib']:.1f} MiB: "
            + describe_reload(reload)
        )
    lines.append(f"peak MiB: {result['memory']}")
    if not result["rows_equal"]:
        lines.append("WARNING: the phases loaded different row counts; the run is not valid.")
    return "\n".join(lines)


def describe_reload(reload: dict[str, Any]) -> str:
    """What a reload reported, and whether that was right."""
    expected = reload["expected"]
    if not expected["updated"]:
        what = "no change"
    else:
        updated = ", ".join(f"{t} {n}" for t, n in expected["updated"].items())
        missing = ", ".join(f"{t} {len(s)}" for t, s in expected["missing"].items())
        what = f"{expected['file']}: updated {updated}; missing {missing}"
    if reload["ok"]:
        return f"{what}, as expected"
    return f"WRONG REPORT (want {what}): " + "; ".join(reload["problems"])


# --- Command line ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and append them to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=100_000, help="facts to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the collection")
    parser.add_argument(
        "--files", type=int, help=f"data files for the documents (default {DEFAULT_FILES:,})"
    )
    parser.add_argument(
        "--keep", type=Path, help="write the collection and databases here and keep them"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the load phases (SQLite); each phase's figure is its median round",
    )
    add_results_option(parser, HERE / "results.jsonl")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run on PostgreSQL: a database URL whose role may CREATE DATABASE",
    )
    args = parser.parse_args(argv)
    # Stopped by a signal, still kill the running phase, drop the PostgreSQL databases and
    # remove the temporary directory (SystemExit unwinds through every `finally`).
    signal.signal(signal.SIGTERM, _stop)
    # reload-one edits a file holding a whole document (three figures of the narration).
    if args.facts < FACTS_PER_DOCUMENT:
        parser.error(f"--facts must be at least {FACTS_PER_DOCUMENT} (one whole document)")
    if args.repeat < 1 or (args.repeat > 1 and args.postgresql):
        parser.error("--repeat must be at least 1, and 1 with --postgresql (one round only)")
    files = default_files(args.facts) if args.files is None else args.files
    if not 1 <= files <= Plan(args.facts, args.seed).documents:
        parser.error(f"--files must be between 1 and the number of documents ({files} given)")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: the directory must be new or empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args.keep, args.facts, args.seed, files, args.postgresql, args.repeat)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as work:
            result = run(Path(work), args.facts, args.seed, files, args.postgresql, args.repeat)
    print(report(result))
    append_result(args.results, result)
    return 0 if result["valid"] else 1


def _stop(signum: int, _frame: object) -> None:
    """Leave as if interrupted, cleaning up on the way out."""
    raise SystemExit(128 + signum)


def run(
    work: Path, facts: int, seed: int, files: int, postgresql: str | None, repeat: int = 1
) -> dict[str, Any]:
    """The benchmark on SQLite (`repeat` rounds), or on PostgreSQL given a URL (one round)."""
    if postgresql:
        return benchmark_postgresql(work, facts, seed, files, postgresql)
    return benchmark(work, facts, seed, files, repeat)


if __name__ == "__main__":
    sys.exit(main())
