"""Run kb in other processes: a traced `kb load` to watch or kill, and plain kb readers."""

from __future__ import annotations

import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

from helpers.synthetic import Synthetic

TRACED_KB = Path(__file__).with_name("traced_kb.py")
WAIT_LIMIT_S = 60.0
POLL_S = 0.002


BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"


def run_benchmark(script: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    """Run a benchmarks/ script with this interpreter (output captured, never raising)."""
    return subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def kb_command(*args: str) -> list[str]:
    """The command line that runs kb with `args` in a fresh Python process."""
    return [sys.executable, "-c", "from kb.cli import main; main()", *args]


def run_kb(*args: str) -> subprocess.CompletedProcess[str]:
    """Run kb with `args` in another process and return its exit status and output."""
    return subprocess.run(kb_command(*args), capture_output=True, text=True, timeout=120)


def start_load(
    db: str,
    collection: Synthetic | None,
    trace: Path,
    *,
    hold: tuple[str, Path] | None = None,
    log: Path | None = None,
    options: tuple[str, ...] = (),
) -> subprocess.Popen[str]:
    """Start `kb load` of `collection` (None: the bundled one, with --prune) into `db`, traced.

    With `hold=(table, release_file)` the load pauses inside its transaction just before its
    first INSERT into `table`, until `release_file` exists. With `log`, its stderr goes to that
    file as it is written (see said()); else to a pipe that finish() reads. `options` are more
    options of `kb load`.
    """
    if collection is None:
        load = ["load", "--prune"]
    else:
        load = ["load", str(collection.data), "--seeds", str(collection.seeds)]
    return start_traced([*load, *options, "--db", db], trace, hold=hold, log=log)


def start_traced(
    arguments: list[str],
    trace: Path,
    *,
    hold: tuple[str, Path] | None = None,
    log: Path | None = None,
    out: Path | None = None,
) -> subprocess.Popen[str]:
    """Start the kb command `arguments`, traced (`hold` and `log` as for start_load()); its
    stdout goes to the file `out`, if given."""
    traced = [str(trace)] + (["--hold", hold[0], str(hold[1])] if hold else [])
    command = [sys.executable, str(TRACED_KB), *traced, "--", *arguments]
    with ExitStack() as files:  # the child keeps its own copies of the files
        stdout = files.enter_context(out.open("w")) if out else subprocess.DEVNULL
        stderr = files.enter_context(log.open("w")) if log else subprocess.PIPE
        return subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True)


def milestones(trace: Path) -> list[str]:
    """The milestones a traced load has reached, in order."""
    return trace.read_text().splitlines() if trace.exists() else []


def wait_for(trace: Path, milestone: str, process: subprocess.Popen[str]) -> float:
    """Wait until the traced `process` reaches `milestone`; return the time it took (seconds)."""
    start = time.monotonic()
    while milestone not in milestones(trace):
        if process.poll() is not None:
            _, stderr = process.communicate()
            raise AssertionError(
                f"load ended ({process.returncode}) before {milestone!r}: {stderr}"
            )
        if time.monotonic() - start > WAIT_LIMIT_S:
            raise AssertionError(f"load never reached {milestone!r}")
        time.sleep(POLL_S)
    return time.monotonic() - start


def said(log: Path, words: str, process: subprocess.Popen[str], limit: float = WAIT_LIMIT_S) -> str:
    """Wait until the stderr `log` of `process` (see start_load) holds `words`; return it all."""
    start = time.monotonic()
    while True:
        ended = process.poll() is not None  # before reading: what it wrote last is read
        text = log.read_text() if log.exists() else ""
        if words in text:
            return text
        if ended:
            raise AssertionError(f"load ended ({process.returncode}) before {words!r}: {text}")
        if time.monotonic() - start > limit:
            raise AssertionError(f"load never said {words!r}: {text!r}")
        time.sleep(POLL_S)


def finish(process: subprocess.Popen[str], log: Path | None = None) -> None:
    """Wait for a load to end, and fail unless it succeeded (showing its stderr, or `log`)."""
    _, stderr = process.communicate(timeout=WAIT_LIMIT_S)
    assert process.returncode == 0, stderr if log is None else log.read_text()
