"""How a load reports progress: a callback given a Progress now and then (no terminal code here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    """Where a load is: the phase, the bytes and records read so far, and the current file.

    Phases, in order: "reading" (files are read, checked and grounded; `bytes_done` grows to
    `bytes_total`), "writing" (the records are merged into the tables), "indexing" (indexes and
    the full-text index are brought up to date), "done". Skipped unchanged files count as read.
    """

    phase: str
    bytes_done: int
    bytes_total: int
    records: int
    files_done: int
    files_total: int
    current_file: str | None


ProgressCallback = Callable[[Progress], None]


def ignore(_: Progress) -> None:
    """A progress callback that does nothing (the default)."""
