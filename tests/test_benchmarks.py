"""The load benchmark keeps working: load_bench.py runs kb, the floor, the peer and the two
reloads on ~10,000 facts on SQLite, and two rounds of kb and the COPY floor and the two reloads
on PostgreSQL at a small size, with the server's side of each phase; the query benchmark runs
its commands on a PostgreSQL database kb's loader built.

Nothing here asserts a time (DESIGN.md §6): the benchmark's figures are for people to read; these
tests only make sure it never rots, and that a reload's load report is checked for exactly the
changes made. The generator has its own tests (test_generate.py).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import statistics
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from helpers.expected import KB_TABLES
from helpers.processes import run_benchmark

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
BOOKKEEPING = ("_kb_files", "_kb_names", "_kb_records", "_kb_texts")
# Whether the kernel counts the CPU time a host takes (the steal of /proc/stat: Linux does).
STEAL_COUNTED = Path("/proc/stat").exists()


def appended(results: Path) -> dict[str, Any]:
    """The run a benchmark appended to a results file that held one earlier line."""
    lines = results.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == '{"earlier": "run"}'
    result: dict[str, Any] = json.loads(lines[1])
    return result


def stolen(phases: list[str], rounds: int) -> str:
    """The pattern of the printed line of the CPU seconds the host took in each round of each
    phase (Linux counts it)."""
    each = (rf"{phase}( [\d.]+){{{rounds}}}" for phase in phases)
    return "CPU seconds the host took, round by round: " + "   ".join(each)


def check_phases(result: dict[str, Any], phases: list[str], facts: int) -> None:
    """Every phase loaded the same rows (kb's tables and its bookkeeping), the figures are
    there and positive, and the machine is described."""
    counts = {phase: figures["rows"] for phase, figures in result["phases"].items()}
    assert list(counts) == phases
    assert all(rows == counts["kb"] for rows in counts.values())
    assert set(counts["kb"]) == {*KB_TABLES, *BOOKKEEPING}
    assert counts["kb"]["quotes"] + counts["kb"]["figures"] + counts["kb"]["events"] == facts
    assert sum(counts["kb"][t] for t in KB_TABLES) == result["sizes"]["rows"]
    assert result["rows_equal"] is True and result["valid"] is True
    for figures in result["phases"].values():
        assert figures["seconds"] > 0 and figures["rows_per_second"] > 0
        assert figures["peak_rss_mib"] >= figures["peak_rss_mib_before"] > 0
        # Only a kernel that counts the memory it hands back to the host (machine.py) says.
        reporting = result["machine"]["page_reporting"]
        counted = reporting is not None and "reported_kib" in reporting
        assert ("host_reported_mib" in figures) is counted
        assert figures.get("host_reported_mib", 0) >= 0
        assert ("host_steal_s" in figures) is STEAL_COUNTED
        assert figures.get("host_steal_s", 0) >= 0
    assert all(isinstance(v, float) and v > 0 for v in result["ratios"].values())
    assert result["timestamp"]
    assert {"platform", "cpu_count", "python", "sqlite", "page_reporting"} <= set(result["machine"])


def check_reloads(result: dict[str, Any], edited: str) -> None:
    """Both reloads ran into kb's database, each timed against the kb phase: the first reported
    no change, the second exactly the edit of the file `edited`."""
    reloads = result["reloads"]
    assert list(reloads) == ["reload", "reload-one"]
    for reload in reloads.values():
        assert reload["ok"] is True and reload["problems"] == []
        assert reload["seconds"] > 0 and reload["target_fraction"] == 0.05
        assert reload["fraction_of_kb"] == pytest.approx(
            reload["seconds"] / result["phases"]["kb"]["seconds"], abs=1e-4
        )
        assert reload["peak_rss_mib"] > 0
        assert ("host_steal_s" in reload) is STEAL_COUNTED
        assert reload.get("host_steal_s", 0) >= 0
    assert reloads["reload"]["report"]["changed"] is False
    one = reloads["reload-one"]
    assert one["report"]["changed"] is True
    assert one["expected"]["file"] == edited
    tables = one["report"]["tables"]
    assert (tables["quotes"]["updated"], tables["figures"]["updated"]) == (1, 1)
    assert tables["figures"]["missing"] == one["expected"]["missing"]["figures"]
    # The figure deleted from the file is reported missing, not deleted: still in kb's rows.
    assert one["rows"]["figures"] == result["phases"]["kb"]["rows"]["figures"]


def check_rounds(result: dict[str, Any], count: int) -> None:
    """Each phase's figure is its median round (the lower middle one of an even count), and
    every round's ratios and the median of each ratio over the rounds are there."""
    rounds = result["rounds"]
    for phase, figures in result["phases"].items():
        seconds = rounds["seconds"][phase]
        assert len(seconds) == count and figures["seconds"] == sorted(seconds)[(count - 1) // 2]
    seconds = rounds["seconds"]
    expected = [
        {"kb_over_floor": round(seconds["kb"][i] / seconds["floor"][i], 3)}
        | (
            {"peer_over_kb": round(seconds["peer"][i] / seconds["kb"][i], 3)}
            if "peer" in seconds
            else {}
        )
        for i in range(count)
    ]
    assert rounds["ratios"] == expected
    assert rounds["median_ratios"] == {
        name: round(statistics.median(r[name] for r in expected), 3) for name in result["ratios"]
    }
    # Each round's memory handed back to the host, where the kernel counts it, and CPU time
    # the host took (machine.py).
    for name in ("host_reported_mib", "host_steal_s"):
        if name in result["phases"]["kb"]:
            assert [len(m) for m in rounds[name].values()] == [count] * len(seconds)
        else:
            assert name not in rounds


def test_benchmark_runs_every_phase_on_sqlite(tmp_path: Path) -> None:
    """load_bench.py on ~10,000 facts in one file per document: kb, floor and peer load the same
    rows; reloading changes nothing, and after one file is edited the reload reports exactly
    that file's changes. The figures are printed and appended as one JSON line."""
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    work = tmp_path / "work"
    done = run_benchmark("load_bench.py", "--facts", "10000", "--seed", "3", "--keep", work,
               "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    result = appended(results)
    check_phases(result, ["kb", "floor", "peer"], 10_000)
    assert result["backend"] == "sqlite" and result["seed"] == 3
    assert result["sizes"] == {
        "facts": 10_000,
        "documents": 556,
        "people": 278,
        "parties": 48,
        "metrics": 40,
        "files": 556,
        "rows": 17_866,
    }
    assert set(result["ratios"]) == {"kb_over_floor", "peer_over_kb"}
    assert {p.name for p in work.glob("*.sqlite3")} == {
        "kb.sqlite3",
        "floor.sqlite3",
        "peer.sqlite3",
    }

    check_reloads(result, "docs/0278.jsonl")

    printed = done.stdout.splitlines()
    assert printed[0] == (
        "10,000 facts in 556 documents (556 files), 278 people, 48 parties, 40 metrics: "
        "17,866 rows "
        "(seed 3, sqlite)"
    )
    assert [line.split()[0] for line in printed[3:6]] == ["kb", "floor", "peer"]
    assert re.fullmatch(r"kb/floor [\d.]+×   peer/kb [\d.]+×   kb [\d,]+ facts/s", printed[7])
    assert re.fullmatch(r"reload +[\d.]+ s = [\d.]+% of kb .*: no change, as expected", printed[8])
    assert re.fullmatch(
        r"reload-one +[\d.]+ s = [\d.]+% of kb .*: docs/0278.jsonl: updated quotes 1, "
        r"figures 1; missing figures 1, as expected",
        printed[9],
    )
    assert printed[-1] == f"Appended to {results}"


def test_benchmark_repeats_rounds_and_reports_medians(
    tmp_path: Path, load_bench: ModuleType
) -> None:
    """--repeat 3: the load phases run three rounds; each phase's figure is its median round,
    each round's seconds and ratios are kept with their medians, and only the first round's
    databases remain. --collection generates the collection into its directory, keeps it, and
    puts the file reload-one edited back as it was."""
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    work, collection = tmp_path / "work", tmp_path / "collection"
    done = run_benchmark("load_bench.py", "--facts", "500", "--files", "5", "--repeat", "3",
               "--keep", work, "--collection", collection, "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    result = appended(results)
    check_phases(result, ["kb", "floor", "peer"], 500)
    check_rounds(result, 3)
    assert result["reloads"]["reload-one"]["ok"] is True
    assert {p.name for p in work.glob("*.sqlite3")} == {
        "kb.sqlite3",
        "floor.sqlite3",
        "peer.sqlite3",
    }
    printed = done.stdout.splitlines()
    assert printed[8].startswith("each phase above is its median of 3 rounds")
    assert re.fullmatch(
        r"kb/floor( [\d.]+×){3} \(median [\d.]+×\)   peer/kb( [\d.]+×){3} \(median [\d.]+×\)",
        printed[9],
    )
    if STEAL_COUNTED:
        assert re.fullmatch(stolen(["kb", "floor", "peer"], 3), printed[10])

    assert result["collection"] == {"path": str(collection), "reused": False}
    assert json.loads((collection / "load_bench.json").read_text())["facts"] == 500
    fresh = load_bench.generate(tmp_path / "fresh", 500, seed=1, files=5)
    docs = sorted((fresh.data_dir / "docs").iterdir())
    assert [(collection / "seeds_data" / "docs" / p.name).read_bytes() for p in docs] == [
        p.read_bytes() for p in docs
    ]


def test_median_round_takes_the_middle_time_and_the_highest_memory(
    load_bench: ModuleType,
) -> None:
    """A phase's figures over rounds: the round of median seconds (the lower middle one of an
    even count), with the highest peak memory any round had, its own and the server's."""

    def measured(seconds: float, peak: float) -> dict[str, Any]:
        return {
            "seconds": seconds,
            "peak_rss_mib": peak,
            "peak_rss_mib_before": peak / 2,
            "peak_rss_mib_own": peak,
            "rows": {"quotes": int(seconds * 10)},
        }

    chosen = load_bench.median_round([measured(3.0, 100), measured(1.0, 300), measured(2.0, 50)])
    assert chosen["seconds"] == 2.0 and chosen["rows"] == {"quotes": 20}
    assert (chosen["peak_rss_mib"], chosen["peak_rss_mib_before"]) == (300, 150)
    assert load_bench.median_round([measured(4.0, 1), measured(2.0, 1)])["seconds"] == 2.0
    # On PostgreSQL: the server's figures of the round whose backend peaked highest (or known).
    servers = [(3.0, 90.0), (1.0, 120.0), (2.0, None)]
    rounds = [
        measured(seconds, 1) | {"server": {"peak_rss_mib": peak}} for seconds, peak in servers
    ]
    assert load_bench.median_round(rounds)["server"] == {"peak_rss_mib": 120.0}


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_benchmark_runs_on_postgresql(tmp_path: Path, backend: str) -> None:
    """load_bench.py --postgresql --repeat 2: two rounds, each of kb loading into a new database
    and the floor COPYing the same rows into another made by kb's migrations; then the two
    reloads into the last round's kb database. Every phase reports the server's side (its
    backend's peak memory, the database's size) in the output and the results, and every
    database is dropped afterwards."""
    url = os.environ["KB_TEST_POSTGRESQL_URL"]
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    done = run_benchmark("load_bench.py", "--facts", "1000", "--files", "10", "--repeat", "2",
               "--postgresql", url, "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    result = appended(results)
    check_phases(result, ["kb", "floor"], 1_000)
    assert result["backend"] == "postgresql"
    assert result["sizes"]["files"] == 10
    assert set(result["ratios"]) == {"kb_over_floor"}
    check_rounds(result, 2)
    check_reloads(result, "docs/0005.jsonl")
    assert ":***@" in result["postgresql"]["server"] or "@" not in url
    assert result["postgresql"]["version"].split(".")[0].isdigit()
    assert result["postgresql"]["shared_buffers"]

    measurable = server_measurable(url)
    for server in [
        *(figures["server"] for figures in result["phases"].values()),
        *(reload["server"] for reload in result["reloads"].values()),
    ]:
        check_server(server, measurable)
    kb = result["phases"]["kb"]["server"]
    assert kb["database_mib"] > kb["database_mib_before"]
    for key in ("server_peak_rss_mib", "server_database_mib"):
        assert [len(result["rounds"][key][phase]) for phase in ("kb", "floor")] == [2, 2]

    printed = done.stdout.splitlines()
    assert printed[2].split() == ["phase", "seconds", "rows/s", "peak", "MiB", "server", "MiB",
                                  "db", "MiB"]  # fmt: skip
    peak = r"[\d.]+" if measurable else "unknown"
    for line, phase in zip(printed[3:5], ["kb", "floor"], strict=True):
        assert re.fullmatch(rf"{phase} +[\d.]+ +[\d,]+ +[\d.]+ +{peak} +[\d.]+( .*)?", line)
    assert re.fullmatch(r"kb/floor [\d.]+×   kb [\d,]+ facts/s", printed[6])
    assert printed[7].startswith("each phase above is its median of 2 rounds")
    assert re.fullmatch(r"kb/floor [\d.]+× [\d.]+× \(median [\d.]+×\)", printed[8])
    if STEAL_COUNTED:
        assert re.fullmatch(stolen(["kb", "floor"], 2), printed.pop(9))
    server = rf"\(server {peak}, db [\d.]+\)"
    assert re.fullmatch(
        rf"reload +[\d.]+ s = [\d.]+% of kb .* MiB {server}: no change, as expected", printed[9]
    )
    assert re.fullmatch(
        rf"reload-one +[\d.]+ s = [\d.]+% of kb .* MiB {server}: docs/0005.jsonl: updated quotes "
        r"1, figures 1; missing figures 1, as expected",
        printed[10],
    )
    assert printed[12].startswith("server MiB: the largest peak resident set size")
    assert not existing_databases(url, result["postgresql"]["databases"])


def server_measurable(url: str) -> bool:
    """Whether the benchmark can read the memory of the server's backends: the server is on
    this machine (as the test's is, CI's included) and /proc is there."""
    from sqlalchemy.engine import make_url

    local = make_url(url).host in (None, "", "localhost", "127.0.0.1", "::1")
    return local and Path("/proc/self/status").exists()


def check_server(server: dict[str, Any], measurable: bool) -> None:
    """A phase's server figures: its backends by pid, their peaks (the largest is the phase's)
    or why they are unknown, and the database's size before and after."""
    assert set(server) == {
        "peak_rss_mib",
        "unknown",
        "backends",
        "database_mib_before",
        "database_mib",
    }
    assert server["database_mib"] > 0 and server["database_mib_before"] > 0
    backends = server["backends"]
    assert backends and all(backend["pid"] > 0 for backend in backends)
    if not measurable:
        assert server["peak_rss_mib"] is None and server["unknown"]
        return
    assert server["unknown"] is None
    assert server["peak_rss_mib"] == max(backend["peak_rss_mib"] for backend in backends)
    for backend in backends:
        assert backend["peak_rss_mib"] >= backend["rss_mib"] >= backend["shared_rss_mib"] >= 0
        assert backend["peak_rss_mib"] > 0


def existing_databases(url: str, names: list[str]) -> list[str]:
    """Which of `names` are databases on the server of `url`."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text("SELECT datname FROM pg_database WHERE datname = ANY(:names)"),
                {"names": names},
            )
            return [row[0] for row in found]
    finally:
        engine.dispose()


# --- The query benchmark on PostgreSQL (its SQLite run is tested in test_query_plans.py) ----

LIST_COMMANDS = ("quotes --by", "figures --subject", "figures --metric", "events --from --to")
# The p95 targets (ms) of the searches; a list command's page has 20, a whole list none.
SEARCH_TARGETS = {
    "search, one word": 20.0,
    "search, two words": 20.0,
    "search, most common word": 100.0,
}
# --samples 4: half of them one word, half two; the most common word is searched 20 times.
SEARCH_SAMPLES = {"search, one word": 2, "search, two words": 2, "search, most common word": 20}
QUERY_SIZES = {"sources": 23, "people": 11, "quotes": 134, "figures": 133, "events": 133}


def run_query_bench(url: str, results: Path, *options: str) -> dict[str, Any]:
    """query_bench.py --postgresql URL with few samples; the run it appended to `results`
    (which held one earlier line), and its printed lines under "printed"."""
    results.write_text('{"earlier": "run"}\n')
    done = run_benchmark("query_bench.py", "--postgresql", url, *options, "--samples", "4",
               "--limit", "5", "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return appended(results) | {"printed": done.stdout.splitlines()}


def check_query_run(result: dict[str, Any], database: str) -> None:
    """Every command of the SQLite run was measured on PostgreSQL by kb's own functions, with
    its figures, its target and whether it met it, printed as a table."""
    assert result["backend"] == "postgresql"
    assert result["sizes"] == QUERY_SIZES and result["limit"] == 5
    names = [
        *(f"{command} --limit 5" for command in LIST_COMMANDS),
        *(f"{command} (no limit)" for command in LIST_COMMANDS),
        *SEARCH_TARGETS,
    ]
    assert list(result["results"]) == names
    printed = result["printed"]
    assert re.fullmatch(
        r"400 facts \(23 sources, 11 people, 134 quotes, 133 figures, 133 events\) on "
        rf"postgresql \d+\.\d+.*, database {database}",
        printed[0],
    )
    for name, figures in result["results"].items():
        assert figures["max_ms"] >= figures["p95_ms"] >= figures["p50_ms"] > 0
        assert figures["cpu_p95_ms"] >= figures["cpu_p50_ms"] >= 0
        samples = SEARCH_SAMPLES.get(name, 1 if "no limit" in name else 4)
        assert figures["samples"] == samples
        target = SEARCH_TARGETS.get(name, None if "no limit" in name else 20.0)
        assert figures["target_p95_ms"] == target
        assert figures["met"] is (None if target is None else figures["p95_ms"] <= target)
        [line] = [line for line in printed if line.startswith(f"{name} ")]
        assert line.endswith("–" if target is None else "met" if figures["met"] else "OVER")
    # The most common word and words of the index's own vocabulary are found.
    assert result["results"]["search, most common word"]["rows_median"] > 0
    assert result["results"]["search, one word"]["rows_median"] > 0
    over = [name for name, figures in result["results"].items() if figures["met"] is False]
    assert result["targets"] == {"facts": 1_000_000, "met": not over, "over": over}
    assert printed[2].split() == ["command", "n", "p50", "ms", "p95", "ms", "max", "ms", "cpu",
                                  "p50", "cpu", "p95", "rows", "p95", "target"]  # fmt: skip
    assert printed[3 + len(names)] == ""
    assert printed[4 + len(names)].startswith("p95 targets (the issue's, for 1,000,000 facts): ")
    calls = result["calls"]
    assert set(calls) == {*LIST_COMMANDS, *SEARCH_TARGETS}
    assert all(calls[command].startswith("kb.queries.") for command in LIST_COMMANDS)
    assert {calls[name] for name in SEARCH_TARGETS} == {"kb.search.run.search"}
    assert ":***@" in result["postgresql"]["server"]
    assert result["postgresql"]["version"].split(".")[0].isdigit()


def others(who: str) -> str:
    """A pattern of the sessions a drop names: `who`, with any background processes around."""
    background = r"a background process \(pid \d+\)|autovacuum worker \(pid \d+\)"
    return rf"(?:(?:{background}), )*{re.escape(who)}(?:, (?:{background}))*"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_benchmark_database_is_dropped_once_another_role_leaves_it(
    backend: str, load_bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    """A session of the benchmark's own role is ended by the drop. Another role's, which the
    benchmark's may not end, is waited for, saying so, and a drop that waits too long ends with
    a clear message rather than a traceback."""
    import psycopg
    from helpers.servers import superuser_url
    from sqlalchemy.engine import make_url

    other = superuser_url()
    if other is None:
        pytest.skip("needs a second role: a superuser's URL on the test server")
    benchmark_module("phases")  # PgServer's connections import it when they open
    server = load_bench.PgServer(os.environ["KB_TEST_POSTGRESQL_URL"])
    name = server.prefix + "drop"

    def session(url: str) -> Any:
        """A psycopg connection to the database `name`, on the server of `url`."""
        target = make_url(url).set(drivername="postgresql", database=name)
        return psycopg.connect(target.render_as_string(hide_password=False), autocommit=True)

    server.create("drop")
    with session(os.environ["KB_TEST_POSTGRESQL_URL"]):  # left open: ended by the drop
        server.drop("drop")
    assert not existing_databases(server.url_of("postgres"), [name])
    assert "Waiting" not in capsys.readouterr().err

    server.create("drop")
    stronger = session(other)
    who = f"{make_url(other).username} (pid {stronger.info.backend_pid})"
    try:
        with pytest.raises(SystemExit) as stopped:
            server.drop_database(name, wait_s=0)
        # The sessions named: the other role's, and any autovacuum worker that happens to be
        # visiting the new database (the benchmark names those too, by their kind).
        assert re.fullmatch(
            rf"Could not drop database {name} on {re.escape(server.shown())}: "
            rf"{others(who)} still use it after 0 s\. "
            rf"Drop it with DROP DATABASE {name} once they end\.",
            str(stopped.value),
        )
        assert capsys.readouterr().err == ""
        assert existing_databases(server.url_of("postgres"), [name]) == [name]
        # The server waits 5 s for the session to leave, then refuses; the benchmark says
        # whom it waits for, tries again, and drops the database once the session has gone.
        # The session ends once the benchmark has looked it up (not on a timer, which a busy
        # machine may let run out during the server's own wait).
        look_up = server.sessions_in

        def sessions_then_leave(database: str) -> str:
            found = look_up(database)
            stronger.close()
            return found

        server.sessions_in = sessions_then_leave
        server.drop_database(name, wait_s=30)
    finally:
        stronger.close()
        server.drop("drop")
    assert not existing_databases(server.url_of("postgres"), [name])
    assert re.fullmatch(
        rf"Waiting for {others(who)} to leave database {name}…\n", capsys.readouterr().err
    )


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_query_benchmark_runs_on_postgresql(tmp_path: Path, backend: str) -> None:
    """query_bench.py --postgresql: kb's loader loads the generated collection into a new
    database, the list commands and searches are timed on it, and it is dropped afterwards."""
    url = os.environ["KB_TEST_POSTGRESQL_URL"]
    result = run_query_bench(url, tmp_path / "results.jsonl", "--facts", "400")
    database = result["postgresql"]["database"]
    assert re.fullmatch(r"kb_bench_\d+_queries", database)
    check_query_run(result, database)
    assert result["database"] is None
    assert result["postgresql"]["built"] is True and result["postgresql"]["kept"] is False
    built = result["built"]
    assert built["builder"].startswith("kb.loader.load") and built["facts"] == 400
    assert {table: built["rows"][table] for table in QUERY_SIZES} == QUERY_SIZES
    assert result["printed"][-1].startswith("Appended to ")
    assert not existing_databases(url, [database])


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_query_benchmark_keeps_and_reuses_a_postgresql_database(
    tmp_path: Path, backend: str, postgres: Any
) -> None:
    """--keep-postgresql keeps the loaded database and says how to measure it again;
    --pg-database measures it without building anything, and leaves it there."""
    url = os.environ["KB_TEST_POSTGRESQL_URL"]
    kept = run_query_bench(url, tmp_path / "kept.jsonl", "--facts", "400", "--keep-postgresql")
    database = kept["postgresql"]["database"]
    try:
        assert kept["postgresql"]["kept"] is True
        assert f"--pg-database {database};" in kept["printed"][-1]
        assert existing_databases(url, [database]) == [database]

        again = run_query_bench(url, tmp_path / "again.jsonl", "--pg-database", database)
        check_query_run(again, database)
        assert again["built"] is None and again["database"] == database
        assert again["postgresql"]["built"] is False
        assert existing_databases(url, [database]) == [database]
    finally:
        postgres.drop(database)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--postgresql", "sqlite:///x"], "wants a postgresql:// URL"),
        (["--pg-database", "kb"], "--pg-database and --keep-postgresql need --postgresql URL"),
        (["--keep-postgresql"], "--pg-database and --keep-postgresql need --postgresql URL"),
        (
            [
                "--postgresql",
                "postgresql://kb@localhost/kb",
                "--pg-database",
                "kb",
                "--keep-postgresql",
            ],
            "--pg-database measures an existing database",
        ),
    ],
)
def test_query_benchmark_refuses_options_that_do_not_fit(
    tmp_path: Path, options: list[str], message: str
) -> None:
    """PostgreSQL options need a PostgreSQL URL, and a database reused is neither built nor
    kept: anything else is refused before a database is touched."""
    done = run_benchmark("query_bench.py", *options, "--results", tmp_path / "r.jsonl")
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "r.jsonl").exists()


def test_benchmark_keeps_only_into_an_empty_directory(tmp_path: Path) -> None:
    """--keep never writes over an earlier run's files."""
    (tmp_path / "old.txt").write_text("earlier run")
    done = run_benchmark("load_bench.py", "--facts", "100", "--keep", tmp_path, "--results",
               tmp_path / "r.jsonl")  # fmt: skip
    assert done.returncode == 2
    assert "the directory must be new or empty" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--facts", "17"], "--facts must be at least 18 (one whole document)"),
        (["--facts", "100", "--files", "7"], "--files must be between 1 and the number of"),
        (["--facts", "100", "--postgresql", "sqlite:///x"], "wants a postgresql:// URL"),
        (["--facts", "100", "--repeat", "0"], "--repeat must be at least 1"),
    ],
)
def test_benchmark_refuses_sizes_it_cannot_run(
    tmp_path: Path, options: list[str], message: str
) -> None:
    """reload-one edits a whole document's file, a file holds whole documents, --postgresql
    wants a PostgreSQL URL and --repeat a round at least: anything else is refused with the
    reason."""
    done = run_benchmark("load_bench.py", *options, "--results", tmp_path / "r.jsonl")
    assert done.returncode != 0
    assert message in done.stderr
    assert not (tmp_path / "r.jsonl").exists()


def benchmark_module(name: str) -> ModuleType:
    """A module of benchmarks/ (they import their neighbours by their names)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.fixture(scope="module")
def load_bench() -> ModuleType:
    """benchmarks/load_bench.py as a module."""
    return benchmark_module("load_bench")


@pytest.fixture(scope="module")
def pgserver() -> ModuleType:
    """benchmarks/pgserver.py (the server's side of a phase) as a module."""
    return benchmark_module("pgserver")


def test_free_page_reporting_is_described_where_the_kernel_has_it(tmp_path: Path) -> None:
    """The machine's description gives the kernel's free page reporting parameters that are
    numbers, and the memory reported so far in MiB where the kernel counts it; a kernel
    without them gives None, not an error."""
    machine = benchmark_module("machine")
    parameters = tmp_path / "parameters"
    parameters.mkdir()
    (parameters / "page_reporting_order").write_text("9\n")
    (parameters / "free_bitmap_enable").write_text("Y\n")
    assert machine.page_reporting(parameters) == {"page_reporting_order": 9}
    assert machine.reported_mib(parameters) is None
    (parameters / "reported_kib").write_text("3072\n")
    assert machine.page_reporting(parameters) == {"page_reporting_order": 9, "reported_kib": 3072}
    assert machine.reported_mib(parameters) == 3.0
    missing = tmp_path / "none"
    assert machine.page_reporting(missing) is None
    assert machine.reported_mib(missing) is None
    assert "page_reporting" in machine.describe()


def test_cpu_time_the_host_took_is_read_where_the_kernel_counts_it(tmp_path: Path) -> None:
    """The host's steal is the eighth number of /proc/stat's first line, in clock ticks; a
    kernel that does not count it gives None, and the counters a phase reads name only what
    the kernel counts."""
    machine = benchmark_module("machine")
    stat = tmp_path / "stat"
    stat.write_text("cpu  120087 0 31995 386621 2474 0 1133 1986 0 0\ncpu0 1 2 3 4 5 6 7 8\n")
    assert machine.steal_s(stat) == 1986 / os.sysconf("SC_CLK_TCK")
    stat.write_text("cpu  120087 0 31995 386621\n")  # an old kernel: no steal
    assert machine.steal_s(stat) is None
    assert machine.steal_s(tmp_path / "none") is None
    counters = machine.host_counters()
    assert set(counters) <= set(machine.HOST_FIELDS)
    assert ("host_steal_s" in counters) is STEAL_COUNTED


def test_a_collection_is_generated_once_and_then_reused(
    tmp_path: Path, load_bench: ModuleType
) -> None:
    """--collection DIR: a new directory gets the collection and a manifest of its sizes; a
    later run of the same sizes reuses it; other sizes, or a directory without the manifest (a
    generation cut short, or anything else), are refused with the reason."""
    directory, problem = tmp_path / "collection", load_bench.collection_problem
    assert problem(directory, 100, 1, 3) is None
    summary, reused = load_bench.collection(tmp_path, directory, 100, 1, 3)
    assert reused is False and summary.files == 3
    assert problem(directory, 100, 1, 3) is None
    assert load_bench.collection(tmp_path, directory, 100, 1, 3) == (summary, True)
    assert problem(directory, 100, 2, 3) == (
        "holds the collection of --facts 100 --seed 1 --files 3: run with those, or choose a "
        "new or empty directory"
    )
    (directory / "load_bench.json").unlink()
    assert "no load_bench.json" in problem(directory, 100, 1, 3)
    assert problem(directory / "seeds_data" / "parties.jsonl", 100, 1, 3) == "not a directory"


def test_reload_one_puts_a_reused_collection_back(
    tmp_path: Path, load_bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file reload-one edits is put back as it was when the collection is to be reused,
    also when the run is stopped during reload-one (SIGTERM raises SystemExit); otherwise the
    edit stays."""
    summary, _ = load_bench.collection(tmp_path, tmp_path / "collection", 100, 1, 3)
    docs = sorted((summary.data_dir / "docs").iterdir())
    generated = [path.read_bytes() for path in docs]
    phases: list[str] = []

    def run_phase(phase: str, source: Path, target: str) -> dict[str, Any]:
        phases.append(phase)
        if len(phases) == 2:
            raise SystemExit(143)
        return {}

    monkeypatch.setattr(load_bench, "run_phase", run_phase)
    with pytest.raises(SystemExit):
        load_bench.run_reloads(summary.data_dir, "kb", restore=True)
    assert [path.read_bytes() for path in docs] == generated

    monkeypatch.setattr(load_bench, "run_phase", lambda *_: {})
    _, edit = load_bench.run_reloads(summary.data_dir, "kb", restore=True)
    assert edit["file"] == "docs/0001.jsonl"
    assert [path.read_bytes() for path in docs] == generated
    load_bench.run_reloads(summary.data_dir, "kb", restore=False)
    assert [path.read_bytes() for path in docs] != generated


class FakeServer:
    """A psycopg connection to a server, as far as pgserver asks one: where the server is and
    which backend serves it, how many of some backends are alive, the database's size."""

    def __init__(self, address: str | None, pid: int) -> None:
        self.row: tuple[Any, ...] = (address, pid)
        self.info = type("Info", (), {"backend_pid": pid})()

    def execute(self, sql: str, _parameters: Any = None) -> FakeServer:
        if "pg_stat_activity" in sql:
            self.row = (0,)
        elif "pg_database_size" in sql:
            self.row = (8 << 20,)
        return self

    def fetchone(self) -> tuple[Any, ...]:
        return self.row

    def commit(self) -> None:
        pass


def test_server_memory_is_unknown_where_proc_cannot_tell(pgserver: ModuleType) -> None:
    """The backends' memory is read only for a server on this machine whose backend shows in
    /proc as a PostgreSQL process; anywhere else it is unknown, with the reason, and the phase
    still has its backends and the database's size."""
    why = pgserver.why_unmeasurable
    assert why(FakeServer("192.0.2.1", 1)) == "the server is at 192.0.2.1, not on this machine"
    # No pid reaches 2**22 (Linux's largest pid_max): as if /proc could not show the backend.
    assert why(FakeServer("127.0.0.1", 1 << 22)) == (
        f"/proc/{1 << 22}/status (the server's backend) cannot be read"
    )
    # This test's own process is no server backend (a server in another pid namespace).
    mine = os.getpid()
    assert why(FakeServer(None, mine)).startswith(f"process {mine} here is not the server's")

    watch = pgserver.BackendWatch(FakeServer("192.0.2.1", 1))
    connection = FakeServer("192.0.2.1", 4321)
    watch.opened(connection)
    watch.closing(connection)
    assert watch.figures(FakeServer("192.0.2.1", 2), 7.5) == {
        "peak_rss_mib": None,
        "unknown": "the server is at 192.0.2.1, not on this machine",
        "backends": [{"pid": 4321}],
        "database_mib_before": 7.5,
        "database_mib": 8.0,
    }
    assert pgserver.describe(watch.figures(FakeServer(None, 2), 7.5)) == "unknown"


def reload_report(**changes: dict[str, Any]) -> dict[str, Any]:
    """A reload's load report as phases.py prints it: no change, except `changes` per table."""
    tables = {}
    for table in KB_TABLES:
        change = {"inserted": 0, "updated": 0, "unchanged": 5, "deleted": 0, "missing": []}
        change |= changes.get(table, {})
        change["missing_count"] = len(change["missing"])
        tables[table] = change
    return {"changed": bool(changes), "files": 3, "tables": tables}


EDIT = {
    "file": "docs/0001.jsonl",
    "updated": {"quotes": 1, "figures": 1},
    "missing": {"figures": ["f-2"]},
}


def test_a_reload_report_must_show_exactly_the_edit(load_bench: ModuleType) -> None:
    """The check of reload-one's report accepts exactly the edit's changes: a row more or less
    updated, anything inserted or deleted, or another row missing, is reported as wrong."""
    problems = load_bench.report_problems
    right = {"quotes": {"updated": 1}, "figures": {"updated": 1, "missing": ["f-2"]}}
    assert problems(reload_report(**right), EDIT) == []
    assert problems(reload_report(), EDIT) == [
        "quotes: 0 updated, want 1",
        "figures: 0 updated, want 1",
        "figures: 0 missing [], want ['f-2']",
    ]
    wrong = right | {"events": {"updated": 3, "inserted": 1}, "figures": {"updated": 1}}
    assert problems(reload_report(**wrong), EDIT) == [
        "figures: 0 missing [], want ['f-2']",
        "events: 1 inserted, 0 deleted, want none",
        "events: 3 updated, want 0",
    ]
    nothing = {"file": None, "updated": {}, "missing": {}}
    assert problems(reload_report(), nothing) == []
    assert problems(reload_report(people={"missing": ["p-1"]}), nothing) == [
        "people: 1 missing ['p-1'], want []"
    ]


def test_page_benchmark_serves_both_pages() -> None:
    result = run_benchmark("page_bench.py", "--kb", "30", "--runs", "1")
    assert result.returncode == 0, result.stderr
    assert "the annotated page" in result.stdout
    assert "Datasette's row page" in result.stdout
