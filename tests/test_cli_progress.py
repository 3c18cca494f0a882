"""The progress line of `kb load`: drawn on a terminal after a delay, throttled, erased at the end;
absent with --quiet or when stderr is not a terminal."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.cli import cli
from kb.cli.progress import ProgressLine, describe, progress_line, shorten
from kb.loader.progress import Progress

MIB = 1 << 20


class Terminal(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        """Pretend to be a terminal."""
        return True


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def progress(
    phase: str = "reading",
    done: int = 25 * MIB,
    total: int = 100 * MIB,
    records: int = 50_000,
    current: str | None = "seeds_data/documents/doc-0042.yaml",
) -> Progress:
    """A Progress with the given figures, 3 of 10 files done."""
    return Progress(phase, done, total, records, 3, 10, current)


def test_describe_shows_phase_percent_bar_records_rate_time_left_and_file() -> None:
    line = describe(progress(), elapsed=10.0, width=120)
    assert line == (
        "reading   25% [#####---------------] 50,000 records 5,000/s 0:30 left  "
        "seeds_data/documents/doc-0042.yaml"
    )


def test_describe_fits_narrow_terminals_shortening_the_file_then_the_bar() -> None:
    for width in range(30, 120):
        line = describe(progress(), elapsed=10.0, width=width)
        assert len(line) <= width
        assert line.startswith("reading   25% ")
    assert describe(progress(), elapsed=10.0, width=100) == (
        "reading   25% [#####---------------] 50,000 records 5,000/s 0:30 left  "
        "...ta/documents/doc-0042.yaml"
    )
    assert describe(progress(), elapsed=10.0, width=60) == (
        "reading   25% [###--------] 50,000 records 5,000/s 0:30 left"
    )
    assert describe(progress(), elapsed=10.0, width=50) == (
        "reading   25% 50,000 records 5,000/s 0:30 left"
    )


def test_describe_after_reading_has_no_time_left() -> None:
    line = describe(progress("writing", done=100 * MIB), elapsed=20.0, width=100)
    assert line.startswith("writing  100% [####################] 50,000 records 2,500/s  ")
    assert "left" not in line
    empty = describe(progress(done=0, total=0, records=0, current=None), elapsed=0.0, width=80)
    assert empty == "reading  100% [####################] 0 records"


def test_long_times_and_paths() -> None:
    line = describe(progress(done=MIB, total=200 * MIB), elapsed=30.0, width=120)
    assert " 1:39:30 left " in line
    assert shorten("a/b/c/file.yaml", 20) == "a/b/c/file.yaml"
    assert shorten("a/b/c/file.yaml", 10) == "...le.yaml"


def test_the_line_waits_for_the_delay_is_throttled_and_erased_at_the_end() -> None:
    clock, terminal = Clock(), Terminal()
    line = ProgressLine(terminal, width=80, delay=1.0, interval=0.1, clock=clock)
    clock.now += 0.5
    line(progress())
    assert terminal.getvalue() == ""  # a quick load never shows a line
    clock.now += 0.6
    line(progress())
    first = terminal.getvalue()
    assert first.startswith("\rreading   25% [") and "\n" not in first
    clock.now += 0.05
    line(progress(done=30 * MIB))
    assert terminal.getvalue() == first  # too soon to redraw
    clock.now += 0.1
    line(progress("writing", done=100 * MIB, current=None))
    redrawn = terminal.getvalue()[len(first) :]
    assert redrawn.startswith("\rwriting  100% [")
    assert redrawn.endswith(" ")  # padded over the longer line before it
    assert len(redrawn) == len(first)
    line(progress("done", done=100 * MIB))
    line.close()
    erased = terminal.getvalue()[len(first) + len(redrawn) :]
    assert erased == "\r" + " " * len(redrawn[1:].rstrip()) + "\r"
    line.close()
    assert terminal.getvalue().endswith(erased)  # closing twice erases once


def test_the_line_never_wraps() -> None:
    clock, terminal = Clock(), Terminal()
    line = ProgressLine(terminal, width=40, delay=0.0, clock=clock)
    clock.now += 1
    line(progress())
    assert len(terminal.getvalue()) == 1 + 39


def test_only_a_terminal_without_quiet_gets_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "90")
    shown = progress_line(False, Terminal())
    assert shown is not None and shown.width == 90 and shown.delay == 1.0
    assert progress_line(True, Terminal()) is None
    assert progress_line(False, io.StringIO()) is None
    monkeypatch.setenv("KB_PROGRESS_DELAY", "0")
    now = progress_line(False, Terminal())
    assert now is not None and now.delay == 0.0


@pytest.mark.parametrize("quiet", [[], ["--quiet"], ["-q"]])
def test_load_prints_only_its_summary_without_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, quiet: list[str]
) -> None:
    monkeypatch.setenv("KB_PROGRESS_DELAY", "0")
    monkeypatch.setenv("COLUMNS", "100")
    db = str(tmp_path / "kb.sqlite3")
    result = CliRunner().invoke(cli, ["load", *quiet, "--db", db], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout.startswith(f"Loaded 7 files into {db}.\n\ntable ")


def run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run kb with stderr on a pseudo-terminal: exit status, stdout, what the terminal got."""
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            [sys.executable, "-c", "from kb.cli import main; main()", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=follower,
            env=env,
        ) as process:
            os.close(follower)
            follower = -1
            received = read_until_closed(leader)
            stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    return process.returncode, stdout.decode(), received.decode()


def read_until_closed(leader: int) -> bytes:
    """Everything written to the terminal until its last writer closes it."""
    received = b""
    while True:  # read as it comes, so a full terminal buffer never blocks kb
        ready, _, _ = select.select([leader], [], [], 120.0)
        if not ready:
            raise TimeoutError("kb wrote nothing to the terminal for 120 s")
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: kb exited and the terminal has no writer left
            return received
        if not chunk:
            return received
        received += chunk


@pytest.mark.slow
def test_a_load_on_a_terminal_shows_the_line_then_erases_it(tmp_path: Path) -> None:
    db = str(tmp_path / "kb.sqlite3")
    env = {**os.environ, "COLUMNS": "100", "KB_PROGRESS_DELAY": "0"}
    env.pop("KB_DATABASE_URL", None)
    status, stdout, terminal = run_on_a_terminal(["load", "--db", db], env)
    assert status == 0
    assert stdout.startswith(f"Loaded 7 files into {db}.\n\ntable ")
    drawn = [piece for piece in terminal.split("\r") if piece.strip()]
    assert drawn and drawn[0].startswith("reading ")
    assert any("records" in piece and ".yaml" in piece for piece in drawn)
    assert "\n" not in terminal and all(len(piece) < 100 for piece in terminal.split("\r"))
    last = terminal.split("\r")
    assert terminal.endswith("\r") and last[-2] == " " * len(last[-2])  # erased at the end
    quiet = run_on_a_terminal(["load", "--quiet", "--db", db], env)
    assert quiet[0] == 0 and quiet[2] == ""
    assert quiet[1].startswith(f"Loaded 7 files into {db}. Of these, 7 were unchanged")
