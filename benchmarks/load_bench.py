"""Benchmark `kb load` against a floor (plain sqlite3) and a peer (sqlite-utils) on the same data.

Usage: .venv/bin/python benchmarks/load_bench.py [--facts 100000] [--seed 1] [--keep DIR]
                                                 [--results benchmarks/results.jsonl]

Generates a synthetic collection (benchmarks/generate.py), then runs three phases, each in a
process of its own so that its peak memory is its own (benchmarks/phases.py): `kb load` of the
collection into a new SQLite file; the floor, plain `executemany` of the rows kb wrote into kb's
schema; the peer, sqlite-utils inserting the same rows and enabling its full-text search. Prints
the times, the ratios kb/floor and peer/kb, rows per second and peak memory, and appends one
JSON line with the machine and the figures to the results file. The times are wall-clock
seconds of the phase alone; the ratios are what to compare between machines and commits.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from generate import generate
from machine import describe, git_commit

HERE = Path(__file__).resolve().parent
PHASES = ("kb", "floor", "peer")
MEMORY = "peak resident set size (ru_maxrss) of the process that ran the phase, in MiB"


def run_phase(phase: str, source: Path, target: Path) -> dict[str, Any]:
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


def benchmark(work: Path, facts: int, seed: int) -> dict[str, Any]:
    """Generate the collection under `work`, run the three phases, and gather the figures."""
    summary = generate(work / "collection", facts, seed=seed)
    databases = {phase: work / f"{phase}.sqlite3" for phase in PHASES}
    results = {"kb": run_phase("kb", summary.data_dir, databases["kb"])}
    for phase in ("floor", "peer"):
        results[phase] = run_phase(phase, databases["kb"], databases[phase])
    rows = sum(results["kb"]["rows"].values())
    phases = {
        phase: {
            "seconds": result["seconds"],
            "rows_per_second": round(rows / result["seconds"]),
            "peak_rss_mib": result["peak_rss_mib"],
            "peak_rss_mib_before": result["peak_rss_mib_before"],
            "rows": result["rows"],
        }
        for phase, result in results.items()
    }
    kb, floor, peer = (phases[phase]["seconds"] for phase in PHASES)
    return {
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "git": git_commit(),
        "machine": describe(),
        "seed": seed,
        "sizes": {**summary.as_dict(), "rows": rows},
        "phases": phases,
        "ratios": {"kb_over_floor": round(kb / floor, 3), "peer_over_kb": round(peer / kb, 3)},
        "kb_facts_per_second": round(facts / kb),
        "rows_equal": all(phases[p]["rows"] == phases["kb"]["rows"] for p in PHASES),
        "memory": MEMORY,
    }


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table."""
    sizes = result["sizes"]
    lines = [
        f"{sizes['facts']:,} facts in {sizes['documents']:,} documents, {sizes['people']:,} "
        f"people, {sizes['parties']:,} parties: {sizes['rows']:,} rows (seed {result['seed']})",
        "",
        f"{'phase':<6} {'seconds':>9} {'rows/s':>10} {'peak MiB':>9}",
    ]
    for phase, figures in result["phases"].items():
        lines.append(
            f"{phase:<6} {figures['seconds']:>9.3f} {figures['rows_per_second']:>10,} "
            f"{figures['peak_rss_mib']:>9.1f}"
        )
    ratios = result["ratios"]
    lines += [
        "",
        f"kb/floor {ratios['kb_over_floor']:.2f}×   peer/kb {ratios['peer_over_kb']:.2f}×   "
        f"kb {result['kb_facts_per_second']:,} facts/s",
        f"peak MiB: {MEMORY}",
    ]
    if not result["rows_equal"]:
        lines.append("WARNING: the phases loaded different row counts; the run is not valid.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and append them to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--facts", type=int, default=100_000, help="facts to generate")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the collection")
    parser.add_argument(
        "--keep", type=Path, help="write the collection and databases here and keep them"
    )
    parser.add_argument(
        "--results", type=Path, default=HERE / "results.jsonl", help="JSON Lines file to append to"
    )
    args = parser.parse_args(argv)
    if args.facts < 1:
        parser.error("--facts must be at least 1")
    if args.keep is not None:
        if args.keep.exists() and any(args.keep.iterdir()):
            parser.error(f"--keep {args.keep}: the directory must be new or empty")
        args.keep.mkdir(parents=True, exist_ok=True)
        result = benchmark(args.keep, args.facts, args.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as work:
            result = benchmark(Path(work), args.facts, args.seed)
    print(report(result))
    with args.results.open("a", encoding="utf-8") as results:
        results.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(f"\nAppended to {args.results}")
    return 0 if result["rows_equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
