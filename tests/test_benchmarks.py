"""The load benchmark keeps working: its generator writes valid, grounded, reproducible
collections in bounded memory, and load_bench.py runs kb, the floor and the peer on ~10,000 facts.

Nothing here asserts a time (DESIGN.md §6): the benchmark's figures are for people to read; these
tests only make sure it never rots. The benchmark measures SQLite loads, so these tests are
SQLite-only.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from helpers.expected import KB_TABLES

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
TABLES = KB_TABLES


def run(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a benchmarks/ script with this interpreter."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def generate(out: Path, facts: int, *options: str) -> Path:
    """Generate a collection under `out` and return its data directory."""
    done = run("generate.py", out, "--facts", str(facts), *options)
    assert done.returncode == 0, done.stderr
    return out / "seeds_data"


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def validate_output(files: int, counts: dict[str, int]) -> str:
    """What `kb validate` prints for a collection with these record counts."""
    rows = "\n".join(f"{table:<18}  {counts[table]:>7}" for table in TABLES)
    return (
        f"type                records\n------------------  -------\n{rows}\n\n"
        f"ok: {files} files, no problems\n"
    )


# 200 facts: 11 documents of 18 (6 quotes, 6 figures, 6 events each) and one of 2 (a quote
# and a figure); a person for every two documents, each with one role; two parties per event.
COUNTS_200 = {
    "sources": 12,
    "parties": 48,
    "people": 6,
    "roles": 6,
    "quotes": 67,
    "figures": 67,
    "events": 66,
    "event_participants": 132,
}


def test_generated_json_lines_validate(tmp_path: Path, kb: Callable[..., Result]) -> None:
    """Every generated record grounds: `kb validate` accepts the JSON Lines collection."""
    data = generate(tmp_path, 200)
    assert sorted(p.name for p in data.iterdir()) == [
        "facts.jsonl",
        "parties.jsonl",
        "people.jsonl",
    ]
    result = kb("validate", str(data))
    assert result.exit_code == 0, result.output
    assert result.output == validate_output(3, COUNTS_200)


def test_generated_yaml_validates(tmp_path: Path, kb: Callable[..., Result]) -> None:
    """At small sizes the same collection can be written as YAML, one file per document."""
    data = generate(tmp_path, 200, "--format", "yaml")
    assert len(list((data / "documents").rglob("*.yaml"))) == COUNTS_200["sources"]
    result = kb("validate", str(data))
    assert result.exit_code == 0, result.output
    assert result.output == validate_output(2 + COUNTS_200["sources"], COUNTS_200)


def test_yaml_is_refused_for_bulk_collections(tmp_path: Path) -> None:
    """YAML is for small collections: past its limit the generator says to use JSON Lines."""
    done = run("generate.py", tmp_path, "--facts", "20001", "--format", "yaml")
    assert done.returncode == 2
    assert "YAML output is for small collections (at most 20,000 facts)" in done.stderr
    assert not (tmp_path / "seeds_data").exists()


def test_same_seed_same_collection(tmp_path: Path) -> None:
    """The collection depends only on the size and the seed, byte for byte."""
    first = files_of(generate(tmp_path / "a", 500, "--seed", "7").parent)
    again = files_of(generate(tmp_path / "b", 500, "--seed", "7").parent)
    other = files_of(generate(tmp_path / "c", 500, "--seed", "8").parent)
    assert first == again
    assert first.keys() == other.keys()
    assert first != other


def test_generator_memory_does_not_grow_with_the_collection(tmp_path: Path) -> None:
    """The generator writes as it goes: 20 times the facts costs (almost) no more memory."""
    probe = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]); from generate import generate; "
        "generate(__import__('pathlib').Path(sys.argv[2]), int(sys.argv[3])); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )

    def peak_kib(facts: int) -> int:
        out = tmp_path / str(facts)
        done = subprocess.run(
            [sys.executable, "-c", probe, str(BENCHMARKS), str(out), str(facts)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return int(done.stdout)

    small, large = peak_kib(2_000), peak_kib(40_000)
    written = sum(len(b) for b in files_of(tmp_path / "40000").values())
    assert written > 15 << 20  # the large collection is over 15 MiB on disk…
    assert large - small < 8 << 10  # …yet costs under 8 MiB more memory than the small one


def test_benchmark_runs_all_three_phases(tmp_path: Path) -> None:
    """load_bench.py on ~10,000 facts: kb, floor and peer load the same rows; the figures are
    printed and appended as one JSON line to the results file."""
    results = tmp_path / "results.jsonl"
    results.write_text('{"earlier": "run"}\n')
    work = tmp_path / "work"
    done = run("load_bench.py", "--facts", "10000", "--seed", "3", "--keep", work,
               "--results", results)  # fmt: skip
    assert done.returncode == 0, done.stderr

    lines = results.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == '{"earlier": "run"}'
    result = json.loads(lines[1])
    assert result["rows_equal"] is True
    counts = {phase: figures["rows"] for phase, figures in result["phases"].items()}
    assert list(counts) == ["kb", "floor", "peer"]
    assert counts["kb"] == counts["floor"] == counts["peer"]
    assert sum(counts["kb"].values()) == result["sizes"]["rows"] == 17_826
    assert counts["kb"]["quotes"] + counts["kb"]["figures"] + counts["kb"]["events"] == 10_000
    assert result["sizes"] == {
        "facts": 10_000,
        "documents": 556,
        "people": 278,
        "parties": 48,
        "rows": 17_826,
    }
    for figures in result["phases"].values():
        assert figures["seconds"] > 0 and figures["rows_per_second"] > 0
        assert figures["peak_rss_mib"] >= figures["peak_rss_mib_before"] > 0
    ratios = result["ratios"]
    assert set(ratios) == {"kb_over_floor", "peer_over_kb"}
    assert all(isinstance(value, float) and value > 0 for value in ratios.values())
    assert result["seed"] == 3 and result["timestamp"]
    assert {"platform", "cpu_count", "python", "sqlite"} <= set(result["machine"])
    assert {p.name for p in work.glob("*.sqlite3")} == {
        "kb.sqlite3",
        "floor.sqlite3",
        "peer.sqlite3",
    }

    printed = done.stdout.splitlines()
    assert printed[0] == (
        "10,000 facts in 556 documents, 278 people, 48 parties: 17,826 rows (seed 3)"
    )
    assert [line.split()[0] for line in printed[3:6]] == ["kb", "floor", "peer"]
    assert re.fullmatch(r"kb/floor [\d.]+×   peer/kb [\d.]+×   kb [\d,]+ facts/s", printed[7])
    assert printed[-1] == f"Appended to {results}"


def test_benchmark_keeps_only_into_an_empty_directory(tmp_path: Path) -> None:
    """--keep never writes over an earlier run's files."""
    (tmp_path / "old.txt").write_text("earlier run")
    done = run("load_bench.py", "--facts", "10", "--keep", tmp_path, "--results",
               tmp_path / "r.jsonl")  # fmt: skip
    assert done.returncode == 2
    assert "the directory must be new or empty" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]
