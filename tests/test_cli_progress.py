"""The progress line of `kb load`: drawn on a terminal after a delay, throttled, erased at the end;
absent with --quiet or when stderr is not a terminal."""

from __future__ import annotations

import io
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
    assert result.stdout.startswith(f"Loaded 3 files into {db}.\n\ntable ")
