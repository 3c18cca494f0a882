"""Benchmark kb's start-up: `kb --help` and `kb quotes --by` against the imports they cannot avoid.

Usage: .venv/bin/python benchmarks/startup_bench.py [--repeat 15] [--warmup 2]
                                                    [--results benchmarks/results-startup.jsonl]

Loads the bundled collection into a new SQLite file in a temporary directory, then runs each
command as a new process, `--warmup` times unmeasured and `--repeat` times measured, in rounds
that run every command once (so a busy spell of the machine slows all of them alike). Reports
the median wall-clock time of each and the ratios the targets are stated in:

- `kb --help` / `python -c "import click"` (target <= 1.5);
- `kb quotes --by kestutis-jankauskas` / `python -c "import click, sqlalchemy.orm"` (<= 1.2).

`python -c pass` is measured too, to show how much of each time is the interpreter's own start.
Prints a table and appends one JSON line with the machine and the figures to the results file.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from machine import add_results_option, append_result, provenance

HERE = Path(__file__).resolve().parent
PERSON = "kestutis-jankauskas"
# (name of the ratio, measured command, baseline command, target)
RATIOS = (
    ("help_over_click", "kb --help", "import click", 1.5),
    ("quotes_over_click_orm", "kb quotes --by", "import click, sqlalchemy.orm", 1.2),
)


def kb_script() -> list[str]:
    """The installed `kb` console script beside this interpreter (else on PATH), as argv."""
    found = shutil.which("kb", path=str(Path(sys.executable).parent)) or shutil.which("kb")
    if found is None:
        raise SystemExit("No `kb` console script: install kb (pip install -e .) first.")
    return [found]


def commands(kb: list[str], database: Path) -> dict[str, list[str]]:
    """Every measured command line, by the name the report gives it."""
    python = [sys.executable, "-c"]
    return {
        "python": [*python, "pass"],
        "import click": [*python, "import click"],
        "import click, sqlalchemy.orm": [*python, "import click, sqlalchemy.orm"],
        "kb --help": [*kb, "--help"],
        "kb quotes --by": [*kb, "quotes", "--by", PERSON, "--db", str(database)],
    }


def environment() -> dict[str, str]:
    """The environment of every run: no database from outside, a fixed terminal width."""
    env = {k: v for k, v in os.environ.items() if k != "KB_DATABASE_URL"}
    env["COLUMNS"] = "100"
    return env


def run_once(argv: list[str], env: dict[str, str]) -> float:
    """Wall-clock seconds of one run of `argv`; a failing command stops the benchmark."""
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr.decode(errors='replace')}")
    return elapsed


def measure(argvs: dict[str, list[str]], repeat: int, warmup: int) -> dict[str, list[float]]:
    """Times in seconds of `repeat` rounds, each running every command once, after `warmup`."""
    env = environment()
    times: dict[str, list[float]] = {name: [] for name in argvs}
    for round_number in range(warmup + repeat):
        for name, argv in argvs.items():
            elapsed = run_once(argv, env)
            if round_number >= warmup:
                times[name].append(elapsed)
    return times


def load_bundled(kb: list[str], database: Path) -> None:
    """Load the bundled collection into a new database at `database`."""
    done = subprocess.run(
        [*kb, "load", "--db", str(database)],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"kb load failed:\n{done.stderr}")


def benchmark(repeat: int, warmup: int) -> dict[str, Any]:
    """Measure every command on a freshly loaded bundled database and gather the figures."""
    kb = kb_script()
    with tempfile.TemporaryDirectory(prefix="kb-startup-") as work:
        database = Path(work) / "kb.sqlite3"
        load_bundled(kb, database)
        times = measure(commands(kb, database), repeat, warmup)
    figures = {
        name: {
            "median_ms": round(statistics.median(values) * 1000, 1),
            "min_ms": round(min(values) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
        }
        for name, values in times.items()
    }
    ratios = {
        name: round(figures[measured]["median_ms"] / figures[baseline]["median_ms"], 3)
        for name, measured, baseline, _target in RATIOS
    }
    return {
        **provenance(),
        "repeat": repeat,
        "warmup": warmup,
        "commands": figures,
        "ratios": ratios,
        "targets": {name: target for name, _m, _b, target in RATIOS},
    }


def report(result: dict[str, Any]) -> str:
    """The figures of a run as a small table, then the ratios against their targets."""
    lines = [
        f"{result['repeat']} runs of each command (after {result['warmup']} warm-ups), "
        "wall-clock milliseconds",
        "",
        f"{'command':<30} {'median':>8} {'min':>8} {'max':>8}",
    ]
    for name, figures in result["commands"].items():
        lines.append(
            f"{name:<30} {figures['median_ms']:>8.1f} {figures['min_ms']:>8.1f} "
            f"{figures['max_ms']:>8.1f}"
        )
    lines.append("")
    for name, measured, baseline, target in RATIOS:
        ratio = result["ratios"][name]
        verdict = "ok" if ratio <= target else "OVER TARGET"
        lines.append(f"{measured} / {baseline}: {ratio:.2f}×  (target <= {target}: {verdict})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the figures and append them to the results file."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="measured runs of each command")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured runs first")
    add_results_option(parser, HERE / "results-startup.jsonl")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0:
        parser.error("--repeat must be at least 1 and --warmup at least 0")
    result = benchmark(args.repeat, args.warmup)
    print(report(result))
    append_result(args.results, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
