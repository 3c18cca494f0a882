"""Benchmark `kb load` against a floor (the fastest load of the same rows) and a peer, and reloads.

Usage: .venv/bin/python benchmarks/load_bench.py [--facts 100000] [--seed 1] [--files N]
           [--repeat 1] [--keep DIR] [--collection DIR] [--results benchmarks/results.jsonl]
           [--postgresql URL]

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
made by kb's migrations, secondary indexes and foreign keys after the rows; then the same two
reloads into the last round's kb database. Every database is dropped at the end. Each phase
also reports the server's side: the peak memory of the backends that served it and the
database's size afterwards (pgserver.py).

With --repeat N the load phases run N times in rounds (kb, floor[, peer]; kb, floor[, peer];
...), each into a new database, and each phase's figure is its median round, with the median of
the rounds' own ratios beside: on a shared machine one round's ratio moves by ±10 % or more,
the median of rounds much less.

--collection DIR generates the collection into DIR once and reuses it in later runs of the same
--facts, --seed and --files (reload-one's edit is undone at the end), so a large run need not
generate it again.

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
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from generate import FACTS_PER_DOCUMENT, QUALIFIER_WORDS, Plan, Summary, generate
from machine import HOST_FIELDS, add_results_option, append_result, provenance
from pgserver import describe as describe_server

HERE = Path(__file__).resolve().parent
SQLITE_PHASES = ("kb", "floor", "peer")
PG_PHASES = ("kb", "floor")
RELOADS = ("reload", "reload-one")
DEFAULT_FILES = 10_000
# How long to wait for another role's session to leave a database the benchmark drops, and how
# often to try again meanwhile.
DROP_WAIT_S = 120.0
DROP_POLL_S = 0.25
# The tables whose rows are the collection's facts.
FACT_TABLES = ("quotes", "figures", "events")
# Issue 5's targets: a reload costs at most this fraction of the full load.
RELOAD_TARGET = 0.05
MEMORY = (
    "peak resident set size (ru_maxrss) of the process that ran the phase, plus, for a load "
    "with worker processes, the largest worker's peak once per worker, in MiB"
)
PG_MEMORY = MEMORY + " (the Python process only; the server's backends: server_memory)"
SERVER_MEMORY = (
    "server MiB: the largest peak resident set size (VmHWM of /proc/<pid>/status) of the "
    "server backends that served the phase's connections, the shared buffers each touched "
    "included; db MiB: pg_database_size() after the phase"
)
# What --collection writes beside a collection it generated, and checks before reusing it.
MANIFEST = "load_bench.json"


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


def benchmark(
    work: Path, summary: Summary, seed: int, repeat: int = 1, *, restore: bool = False
) -> dict[str, Any]:
    """Run the SQLite phases (`repeat` rounds) and the reloads on the collection `summary`
    describes, with the databases under `work`; gather figures. With `restore`, reload-one's
    edit is undone at the end."""
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
    reloads, edit = run_reloads(summary.data_dir, databases["kb"], restore=restore)
    return round_results(summary, seed, rounds, reloads, edit, "sqlite")


def run_reloads(
    data_dir: Path, kb: Path | str, *, restore: bool
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """The two reloads into kb's database `kb`: nothing changed, then one file edited; the
    measurements and the edit. With `restore`, the edited file is put back as it was, also on
    an error or SIGTERM."""
    reloads = {"reload": run_phase("reload", data_dir, kb)}
    originals: dict[Path, bytes] = {}
    try:
        edit = edit_one_file(data_dir, originals)
        reloads["reload-one"] = run_phase("reload", data_dir, kb)
    finally:
        if restore:
            for path, data in originals.items():
                path.write_bytes(data)
    return reloads, edit


def round_results(
    summary: Summary,
    seed: int,
    rounds: dict[str, list[dict[str, Any]]],
    reloads: dict[str, dict[str, Any]],
    edit: dict[str, Any],
    backend: str,
) -> dict[str, Any]:
    """A run's figures from its rounds of load phases and its reloads, on either backend: each
    phase's median round, every round's seconds and ratios, and whether the run is valid (the
    same rows everywhere, the collection's facts loaded, each reload's report right)."""
    results = {phase: median_round(measured) for phase, measured in rounds.items()}
    result = figures(summary, seed, results, backend)
    result["rounds"] = round_figures(rounds)
    result["reloads"] = reload_figures(reloads, results["kb"], edit)
    result["valid"] = (
        result["rows_equal"]
        and result["facts_loaded"] == summary.facts
        and all(r["ok"] for r in result["reloads"].values())
    )
    return result


def remove_sqlite(database: Path) -> None:
    """Delete a SQLite database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def median_round(measured: list[dict[str, Any]]) -> dict[str, Any]:
    """A phase's figures over its rounds: the round of median time (the lower of the middle
    two for an even count), with the highest peak memory of any round (and on PostgreSQL the
    server's figures of the round whose backend peaked highest)."""
    ordered = sorted(measured, key=lambda result: result["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    highest = max(measured, key=lambda result: result["peak_rss_mib"])
    for key in ("peak_rss_mib", "peak_rss_mib_before", "peak_rss_mib_own"):
        chosen[key] = highest[key]
    if "server" in chosen:
        chosen["server"] = max(
            (result["server"] for result in measured),
            key=lambda server: server["peak_rss_mib"] or 0.0,
        )
    return chosen


def ratios_of(seconds: dict[str, float]) -> dict[str, float]:
    """kb/floor, and peer/kb when there is a peer, of one round's (or the medians') seconds."""
    ratios = {"kb_over_floor": round(seconds["kb"] / seconds["floor"], 3)}
    if "peer" in seconds:
        ratios["peer_over_kb"] = round(seconds["peer"] / seconds["kb"], 3)
    return ratios


def round_figures(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Each round's seconds per phase and its ratios, in the order they ran, the median of
    each ratio over the rounds, on PostgreSQL each round's server peak and database size, and
    where the kernel counts them the memory and CPU time the host took during each round."""
    seconds = {
        phase: [result["seconds"] for result in measured] for phase, measured in rounds.items()
    }
    ratios = [
        ratios_of({phase: times[number] for phase, times in seconds.items()})
        for number in range(len(seconds["kb"]))
    ]
    out: dict[str, Any] = {
        "seconds": seconds,
        "ratios": ratios,
        "median_ratios": {
            name: round(statistics.median(r[name] for r in ratios), 3) for name in ratios[0]
        },
    }
    if all("server" in result for measured in rounds.values() for result in measured):
        for key in ("peak_rss_mib", "database_mib"):
            out[f"server_{key}"] = {
                phase: [result["server"][key] for result in measured]
                for phase, measured in rounds.items()
            }
    for name in HOST_FIELDS:
        if all(name in result for measured in rounds.values() for result in measured):
            out[name] = {
                phase: [result[name] for result in measured] for phase, measured in rounds.items()
            }
    return out


def edit_one_file(data_dir: Path, originals: dict[Path, bytes] | None = None) -> dict[str, Any]:
    """Edit one data file of the collection as a person would, and say what a reload must
    report: one quote's kind and one figure's qualifier changed, another figure deleted. The
    file's bytes before the edit go to `originals`, to put it back."""
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
    if originals is not None:
        originals[target] = target.read_bytes()
    target.write_text("".join(lines), encoding="utf-8")
    return {
        "file": str(target.relative_to(data_dir)),
        "updated": {"quotes": 1, "figures": 1},
        "missing": {"figures": [records[deleted]["slug"]]},
    }


def reload_figures(
    reloads: dict[str, dict[str, Any]], kb: dict[str, Any], edit: dict[str, Any]
) -> dict[str, Any]:
    """Each reload's time, its fraction of the full load, whether its report is right, and
    what the server and the host took while it ran, where they say."""
    expected = {"reload": {"updated": {}, "missing": {}}, "reload-one": edit}
    out: dict[str, Any] = {}
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
        out[name] |= shared_figures(measured)
    return out


def shared_figures(measured: dict[str, Any]) -> dict[str, Any]:
    """What the server and the host took while a phase ran, as far as the phase says."""
    return {key: measured[key] for key in ("server", *HOST_FIELDS) if key in measured}


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
        return self.setting("server_version")

    def setting(self, name: str) -> str:
        """One of the server's settings, as SHOW prints it."""
        with self._admin() as connection:
            return str(connection.execute("SELECT current_setting(%s)", (name,)).fetchone()[0])

    def create(self, phase: str) -> str:
        """Create a new empty database for `phase` and return its URL."""
        name = self.prefix + phase
        self.drop_database(name)
        with self._admin() as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url_of(name)

    def drop(self, phase: str) -> None:
        """Drop `phase`'s database, if it exists."""
        self.drop_database(self.prefix + phase)

    def drop_database(self, name: str, wait_s: float = DROP_WAIT_S) -> None:
        """Drop database `name` if it exists, once the sessions in it have ended.

        FORCE ends the sessions of the benchmark's own role (a phase that died may leave one).
        It may not end an autovacuum worker (one starts within seconds of a load and runs for
        half a minute at a million facts) or another role's session without pg_signal_backend;
        a plain DROP then stops the autovacuum workers itself, and another role's session is
        waited for, up to `wait_s` seconds."""
        import psycopg

        deadline = time.monotonic() + wait_s
        waiting = False
        while True:
            try:
                with self._admin() as connection:
                    try:
                        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    except psycopg.errors.InsufficientPrivilege:
                        # Waits up to 5 s for the others to leave, then fails: ObjectInUse.
                        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
                return
            except psycopg.errors.ObjectInUse:
                sessions = self.sessions_in(name)
            if time.monotonic() >= deadline:
                raise SystemExit(
                    f"Could not drop database {name} on {self.shown()}: {sessions} still use it"
                    f" after {wait_s:.0f} s. Drop it with DROP DATABASE {name} once they end."
                )
            if not waiting:
                print(f"Waiting for {sessions} to leave database {name}…", file=sys.stderr)
                waiting = True
            time.sleep(DROP_POLL_S)

    def sessions_in(self, name: str) -> str:
        """The sessions connected to database `name`, as "role (pid N)"; a process of no role
        (autovacuum's, which a role that is not a superuser sees only as one) by its kind."""
        with self._admin() as connection:
            rows = connection.execute(
                "SELECT coalesce(usename, backend_type, 'a background process'), pid"
                " FROM pg_stat_activity"
                " WHERE datname = %s ORDER BY pid",
                (name,),
            ).fetchall()
        return ", ".join(f"{who} (pid {pid})" for who, pid in rows) or "other sessions"


def benchmark_postgresql(
    summary: Summary, seed: int, url: str, repeat: int = 1, *, restore: bool = False
) -> dict[str, Any]:
    """Run kb and the COPY floor on PostgreSQL (`repeat` rounds, each in new databases), then
    the reloads into the last round's kb database, on the collection `summary` describes."""
    server = PgServer(url)
    rounds: dict[str, list[dict[str, Any]]] = {phase: [] for phase in PG_PHASES}
    try:
        for number in range(repeat):
            # create() drops the round before's database of the same name first; the last
            # round's kb database stays for the reloads.
            kb = server.create("kb")
            rounds["kb"].append(run_phase("kb", summary.data_dir, kb))
            rounds["floor"].append(run_phase("floor", kb, server.create("floor")))
            server.drop("floor")
            if number < repeat - 1:
                server.drop("kb")
        reloads, edit = run_reloads(summary.data_dir, kb, restore=restore)
    finally:
        for phase in PG_PHASES:
            server.drop(phase)
    result = round_results(summary, seed, rounds, reloads, edit, "postgresql")
    result["postgresql"] = {
        "server": server.shown(),
        "version": server.version(),
        "shared_buffers": server.setting("shared_buffers"),
        "databases": [server.prefix + phase for phase in PG_PHASES],
    }
    result["server_memory"] = SERVER_MEMORY
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
        | shared_figures(result)
        for phase, result in results.items()
    }
    seconds = {phase: figures["seconds"] for phase, figures in phases.items()}
    return {
        **provenance(),
        "backend": backend,
        "seed": seed,
        "sizes": {**summary.as_dict(), "rows": rows},
        "phases": phases,
        "ratios": ratios_of(seconds),
        "kb_facts_per_second": round(summary.facts / seconds["kb"]),
        "rows_equal": all(p["rows"] == phases["kb"]["rows"] for p in phases.values()),
        "facts_loaded": sum(kb_rows.get(table, 0) for table in FACT_TABLES),
        "memory": PG_MEMORY if backend == "postgresql" else MEMORY,
    }


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table."""
    sizes = result["sizes"]
    # On PostgreSQL, the server's side of each phase in two more columns.
    server = "server" in result["phases"]["kb"]
    lines = [
        f"{sizes['facts']:,} facts in {sizes['documents']:,} documents ({sizes['files']:,} "
        f"files), {sizes['people']:,} people, {sizes['parties']:,} parties, "
        f"{sizes.get('metrics', 0):,} metrics: {sizes['rows']:,} rows "
        f"(seed {result['seed']}, {result['backend']})",
        "",
        f"{'phase':<10} {'seconds':>9} {'rows/s':>10} {'peak MiB':>9}"
        + (f" {'server MiB':>10} {'db MiB':>8}" if server else ""),
    ]
    for phase, figures in result["phases"].items():
        lines.append(
            f"{phase:<10} {figures['seconds']:>9.3f} {figures['rows_per_second']:>10,} "
            f"{figures['peak_rss_mib']:>9.1f}"
            + (server_columns(figures["server"]) if server else "")
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
    rounds = result.get("rounds", {})
    if len(rounds.get("ratios", [])) > 1:
        lines += [
            f"each phase above is its median of {len(rounds['ratios'])} rounds, the ratios above "
            "those medians'; round by round:",
            "   ".join(
                f"{name.replace('_over_', '/')} "
                + " ".join(f"{r[name]:.2f}×" for r in rounds["ratios"])
                + f" (median {median:.2f}×)"
                for name, median in rounds["median_ratios"].items()
            ),
        ]
        if "host_steal_s" in rounds:
            lines.append(
                "CPU seconds the host took, round by round: "
                + "   ".join(
                    f"{phase} " + " ".join(f"{taken:.1f}" for taken in stolen)
                    for phase, stolen in rounds["host_steal_s"].items()
                )
            )
    for name, reload in result.get("reloads", {}).items():
        lines.append(
            f"{name:<10} {reload['seconds']:>9.3f} s = {reload['fraction_of_kb']:.1%} of kb "
            f"(target ≤ {RELOAD_TARGET:.0%}), peak {reload['peak_rss_mib']:.1f} MiB"
            + (
                f" (server {describe_server(reload['server'])}, db "
                f"{reload['server']['database_mib']:.1f})"
                if "server" in reload
                else ""
            )
            + ": "
            + describe_reload(reload)
        )
    lines.append(f"peak MiB: {result['memory']}")
    if server:
        lines.append(result["server_memory"])
        unknown = result["phases"]["kb"]["server"]["unknown"]
        if unknown:
            lines.append(f"server MiB unknown: {unknown}")
    if not result["rows_equal"]:
        lines.append("WARNING: the phases loaded different row counts; the run is not valid.")
    if result["facts_loaded"] != sizes["facts"]:
        lines.append(
            f"WARNING: kb loaded {result['facts_loaded']:,} facts, not the collection's "
            f"{sizes['facts']:,}; the run is not valid."
        )
    return "\n".join(lines)


def server_columns(server: dict[str, Any]) -> str:
    """A phase's server peak (MiB, or unknown) and database size, as the table's columns;
    with several backends, the peak is the largest one's."""
    backends = len(server["backends"])
    return f" {describe_server(server):>10} {server['database_mib']:>8.1f}" + (
        f"  (largest of {backends} backends)" if backends > 1 else ""
    )


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
        "--collection",
        type=Path,
        metavar="DIR",
        help="generate the collection into DIR (new or empty) and keep it, or reuse the one an "
        "earlier run generated there with the same --facts, --seed and --files",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds of the load phases; each phase's figure is its median round",
    )
    add_results_option(parser, HERE / "results.jsonl")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="run on PostgreSQL: a database URL whose role may CREATE DATABASE",
    )
    args = parser.parse_args(argv)
    # Stopped by a signal, still kill the running phase, drop the PostgreSQL databases, undo
    # reload-one's edit of a reused collection and remove the temporary directory (SystemExit
    # unwinds through every `finally`).
    signal.signal(signal.SIGTERM, _stop)
    # reload-one edits a file holding a whole document (three figures of the narration).
    if args.facts < FACTS_PER_DOCUMENT:
        parser.error(f"--facts must be at least {FACTS_PER_DOCUMENT} (one whole document)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    files = default_files(args.facts) if args.files is None else args.files
    if not 1 <= files <= Plan(args.facts, args.seed).documents:
        parser.error(f"--files must be between 1 and the number of documents ({files} given)")
    if args.collection is not None:
        problem = collection_problem(args.collection, args.facts, args.seed, files)
        if problem:
            parser.error(f"--collection {args.collection}: {problem}")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: the directory must be new or empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        result = run(args.keep, args, files)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as work:
            result = run(Path(work), args, files)
    print(report(result))
    append_result(args.results, result)
    return 0 if result["valid"] else 1


def _stop(signum: int, _frame: object) -> None:
    """Leave as if interrupted, cleaning up on the way out."""
    raise SystemExit(128 + signum)


def run(work: Path, args: argparse.Namespace, files: int) -> dict[str, Any]:
    """The benchmark on SQLite, or on PostgreSQL given a URL, in `repeat` rounds, on the
    collection of --collection or one generated under `work`."""
    summary, reused = collection(work, args.collection, args.facts, args.seed, files)
    restore = args.collection is not None
    if args.postgresql:
        result = benchmark_postgresql(
            summary, args.seed, args.postgresql, args.repeat, restore=restore
        )
    else:
        result = benchmark(work, summary, args.seed, args.repeat, restore=restore)
    if args.collection is not None:
        result["collection"] = {"path": str(args.collection), "reused": reused}
    return result


# --- A collection kept between runs ------------------------------------------------------------


def collection_problem(directory: Path, facts: int, seed: int, files: int) -> str | None:
    """Why `directory` cannot take or give the collection of these sizes (None: it can): it
    is a file, or holds something other than a finished collection of the same sizes."""
    if not directory.exists():
        return None
    if not directory.is_dir():
        return "not a directory"
    if not any(directory.iterdir()):
        return None
    manifest = directory / MANIFEST
    if not manifest.is_file():
        return (
            f"holds no collection this benchmark finished generating (no {MANIFEST}): "
            "choose a new or empty directory"
        )
    made = json.loads(manifest.read_text())
    wanted = {"facts": facts, "seed": seed, "files": files}
    if {key: made.get(key) for key in wanted} != wanted:
        return (
            f"holds the collection of --facts {made['facts']} --seed {made['seed']} --files "
            f"{made['files']}: run with those, or choose a new or empty directory"
        )
    return None


def collection(
    work: Path, directory: Path | None, facts: int, seed: int, files: int
) -> tuple[Summary, bool]:
    """The collection to load and whether it was reused: the one generated earlier into
    `directory` (checked by collection_problem), or a new one generated into `directory` (and
    its manifest written once it is complete), or without `directory` under `work`."""
    if directory is None:
        return generate(work / "collection", facts, seed=seed, files=files), False
    manifest = directory / MANIFEST
    if manifest.is_file():
        made = json.loads(manifest.read_text())
        summary = Summary(
            **made["sizes"],
            data_dir=directory / made["data_dir"],
            seeds_dir=directory / made["seeds_dir"],
        )
        return summary, True
    summary = generate(directory, facts, seed=seed, files=files)
    made = {
        "facts": facts,
        "seed": seed,
        "files": files,
        "sizes": summary.as_dict(),
        "data_dir": str(summary.data_dir.relative_to(directory)),
        "seeds_dir": str(summary.seeds_dir.relative_to(directory)),
    }
    manifest.write_text(json.dumps(made, indent=1) + "\n")
    return summary, False


if __name__ == "__main__":
    sys.exit(main())
