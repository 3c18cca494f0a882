"""The load benchmark keeps working: load_bench.py runs kb, the floor, the peer and the two
reloads on ~10,000 facts on SQLite, and kb and the COPY floor on PostgreSQL at a small size.

Nothing here asserts a time (DESIGN.md §6): the benchmark's figures are for people to read; these
tests only make sure it never rots, and that a reload's load report is checked for exactly the
changes made. The generator has its own tests (test_generate.py).
"""

from __future__ import annotations

import importlib
import json
import os
import re
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


def appended(results: Path) -> dict[str, Any]:
    """The run a benchmark appended to a results file that held one earlier line."""
    lines = results.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == '{"earlier": "run"}'
    result: dict[str, Any] = json.loads(lines[1])
    return result


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
    assert all(isinstance(v, float) and v > 0 for v in result["ratios"].values())
    assert result["timestamp"]
    assert {"platform", "cpu_count", "python", "sqlite"} <= set(result["machine"])


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

    reloads = result["reloads"]
    assert list(reloads) == ["reload", "reload-one"]
    for reload in reloads.values():
        assert reload["ok"] is True and reload["problems"] == []
        assert reload["seconds"] > 0 and reload["target_fraction"] == 0.05
        assert reload["fraction_of_kb"] == pytest.approx(
            reload["seconds"] / result["phases"]["kb"]["seconds"], abs=1e-4
        )
        assert reload["peak_rss_mib"] > 0
    assert reloads["reload"]["report"]["changed"] is False
    one = reloads["reload-one"]
    assert one["report"]["changed"] is True
    assert one["expected"]["file"] == "docs/0278.jsonl"
    tables = one["report"]["tables"]
    assert (tables["quotes"]["updated"], tables["figures"]["updated"]) == (1, 1)
    assert tables["figures"]["missing"] == one["expected"]["missing"]["figures"]
    # The edit is in the kept collection: the figure is gone from the file, still in kb's rows.
    assert one["rows"]["figures"] == result["phases"]["kb"]["rows"]["figures"]

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


def test_benchmark_repeats_rounds_and_reports_medians(tmp_path: Path) -> None:
    """--repeat 3: the load phases run three rounds; each phase's figure is its median round,
    each round's seconds and ratios are kept, and only the first round's databases remain."""
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    work = tmp_path / "work"
    done = run_benchmark("load_bench.py", "--facts", "500", "--files", "5", "--repeat", "3",
               "--keep", work, "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    result = appended(results)
    check_phases(result, ["kb", "floor", "peer"], 500)
    rounds = result["rounds"]
    for phase, figures in result["phases"].items():
        seconds = rounds["seconds"][phase]
        assert len(seconds) == 3 and figures["seconds"] == sorted(seconds)[1]
    assert [r["kb_over_floor"] for r in rounds["ratios"]] == [
        round(kb / floor, 3)
        for kb, floor in zip(rounds["seconds"]["kb"], rounds["seconds"]["floor"], strict=True)
    ]
    assert result["reloads"]["reload-one"]["ok"] is True
    assert {p.name for p in work.glob("*.sqlite3")} == {
        "kb.sqlite3",
        "floor.sqlite3",
        "peer.sqlite3",
    }
    assert "its median of 3 rounds" in done.stdout


def test_median_round_takes_the_middle_time_and_the_highest_memory(
    load_bench: ModuleType,
) -> None:
    """A phase's figures over rounds: the round of median seconds (the lower middle one of an
    even count), with the highest peak memory any round had."""

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


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_benchmark_runs_on_postgresql(tmp_path: Path, backend: str) -> None:
    """load_bench.py --postgresql: kb loads into a new database and the floor COPYs the same
    rows into another made by kb's migrations; both databases are dropped afterwards."""
    url = os.environ["KB_TEST_POSTGRESQL_URL"]
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    done = run_benchmark("load_bench.py", "--facts", "1000", "--files", "10", "--postgresql", url,
               "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    result = appended(results)
    check_phases(result, ["kb", "floor"], 1_000)
    assert result["backend"] == "postgresql"
    assert result["sizes"]["files"] == 10
    assert set(result["ratios"]) == {"kb_over_floor"}
    assert "reloads" not in result
    assert ":***@" in result["postgresql"]["server"] or "@" not in url
    assert result["postgresql"]["version"].split(".")[0].isdigit()
    assert re.fullmatch(r"kb/floor [\d.]+×   kb [\d,]+ facts/s", done.stdout.splitlines()[6])
    assert not existing_databases(url, result["postgresql"]["databases"])


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


@pytest.fixture(scope="module")
def load_bench() -> ModuleType:
    """benchmarks/load_bench.py as a module (it imports its neighbours by their names)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        return importlib.import_module("load_bench")
    finally:
        sys.path.remove(str(BENCHMARKS))


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
