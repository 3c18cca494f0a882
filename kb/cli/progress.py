"""The progress line of `kb load`: one line on stderr, redrawn in place, for loads over a second.

It shows only on a terminal and never with --quiet, so redirected output and scripts see just
the final summary. The line appears once the load has run for `delay` seconds (quick loads never
show it), is redrawn at most every `interval` seconds, and is erased when the load ends.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import click

if TYPE_CHECKING:
    from kb.loader.progress import Progress

DELAY_S = 1.0
INTERVAL_S = 0.1  # at most ten redraws a second: smooth enough, and cheap for the load
# Tests set this to 0 to see the line at once (a hidden knob, not an option for users).
DELAY_VARIABLE = "KB_PROGRESS_DELAY"
BAR_WIDTH = 20
MIN_BAR_WIDTH = 6
ELLIPSIS = "..."


class ProgressLine:
    """A progress callback for kb.loader.load that draws one self-overwriting line on `stream`."""

    def __init__(
        self,
        stream: TextIO,
        *,
        width: int,
        delay: float = DELAY_S,
        interval: float = INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.width = width
        self.delay = delay
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.drawn_at: float | None = None
        self.shown = 0  # characters of the line now on the terminal

    def __call__(self, progress: Progress) -> None:
        """Note where the load is; redraw if the delay has passed and the last draw is old."""
        now = self.clock()
        elapsed = now - self.started
        if elapsed < self.delay or progress.phase == "done":
            return
        if self.drawn_at is not None and now - self.drawn_at < self.interval:
            return
        self.drawn_at = now
        self.draw(describe(progress, elapsed, self.width - 1))  # the last column may wrap

    def draw(self, line: str) -> None:
        """Overwrite the line on the terminal with `line`."""
        padding = " " * max(self.shown - len(line), 0)
        click.echo(f"\r{line}{padding}", file=self.stream, nl=False)
        self.shown = len(line)

    def close(self) -> None:
        """Erase the line, leaving the cursor where the line began."""
        if self.shown:
            click.echo("\r" + " " * self.shown + "\r", file=self.stream, nl=False)
            self.shown = 0


def describe(progress: Progress, elapsed: float, width: int) -> str:
    """The progress line, at most `width` characters: phase, percent and bar, counts, file.

    'reading  37% [#######-------------] 120,345 records 35,210/s 0:12 left  doc-0042.yaml'
    The time left is the bytes still to read at the rate read so far; it shows while reading.
    Narrow terminals lose the file first, then the bar.
    """
    fraction = progress.bytes_done / progress.bytes_total if progress.bytes_total else 1.0
    fraction = min(max(fraction, 0.0), 1.0)
    head = f"{progress.phase:<8} {fraction:>4.0%}"
    counts = f"{progress.records:,} records"
    if elapsed > 0:
        counts += f" {progress.records / elapsed:,.0f}/s"
    left = _time_left(progress, elapsed)
    if left is not None:
        counts += f" {left} left"
    room = width - len(head) - len(counts) - 4  # two spaces and the bar's brackets
    bar_width = min(BAR_WIDTH, room)
    if bar_width >= MIN_BAR_WIDTH:
        line = f"{head} {_bar(fraction, bar_width)} {counts}"
    else:
        line = f"{head} {counts}"
    room = width - len(line) - 2
    if progress.current_file and room >= len(ELLIPSIS) + 4:
        line += "  " + shorten(progress.current_file, room)
    return line[:width]


def _bar(fraction: float, width: int) -> str:
    """'[#####-----]' with `width` cells between the brackets."""
    filled = round(fraction * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _time_left(progress: Progress, elapsed: float) -> str | None:
    """'m:ss' (or 'h:mm:ss') of reading left at the byte rate so far; None when unknown."""
    if progress.phase != "reading" or progress.bytes_done <= 0 or elapsed <= 0:
        return None
    rate = progress.bytes_done / elapsed
    seconds = round(max(progress.bytes_total - progress.bytes_done, 0) / rate)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02}:{seconds:02}" if hours else f"{minutes}:{seconds:02}"


def shorten(path: str, width: int) -> str:
    """`path` in at most `width` characters: its end (the file name) kept, '...' before it."""
    if len(path) <= width:
        return path
    return ELLIPSIS + path[len(path) - (width - len(ELLIPSIS)) :]


def progress_line(quiet: bool, stream: TextIO | None = None) -> ProgressLine | None:
    """The progress line for a load, or None with --quiet or when stderr is not a terminal."""
    stream = stream if stream is not None else sys.stderr
    if quiet or not stream.isatty():
        return None
    return ProgressLine(stream, width=columns(stream), delay=_delay())


def notices(
    quiet: bool, line: ProgressLine | None, stream: TextIO | None = None
) -> Callable[[str], None] | None:
    """How a load's notices (another load is writing; this one waits) reach the user: a line
    on stderr, terminal or not, erasing the progress line first; none with --quiet."""
    if quiet:
        return None
    out = stream if stream is not None else sys.stderr

    def say(message: str) -> None:
        if line is not None:
            line.close()
        click.echo(message, file=out)

    return say


def columns(stream: TextIO) -> int:
    """The width of the terminal `stream` writes to ($COLUMNS wins, as for tables)."""
    if "COLUMNS" not in os.environ:
        try:
            return os.get_terminal_size(stream.fileno()).columns or 80
        except (OSError, ValueError, AttributeError):
            pass
    return shutil.get_terminal_size().columns


def _delay() -> float:
    """Seconds before the line appears: DELAY_S, unless KB_PROGRESS_DELAY says otherwise."""
    try:
        return float(os.environ.get(DELAY_VARIABLE, DELAY_S))
    except ValueError:
        return DELAY_S
