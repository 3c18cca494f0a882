"""Run the kb command line, noting its write milestones; optionally pause the load part-way.

Usage: python traced_kb.py TRACE_FILE [--hold TABLE RELEASE_FILE] -- KB_ARGS...

Milestones are appended to TRACE_FILE as they happen, each flushed and fsync'ed before the
statement runs, so a test that kills this process knows how far the load had got:

- "begin" before the first BEGIN (on SQLite a writer's BEGIN IMMEDIATE waits for the lock);
- "write" before the first INSERT, UPDATE or DELETE the command sends;
- "insert TABLE" before the first INSERT into each table;
- "hold" when, with --hold, the first INSERT into TABLE is about to run: the process then waits
  (inside the load's open transaction) until RELEASE_FILE exists;
- "commit" before the COMMIT.

The command itself is kb's own, unchanged: these are SQLAlchemy event listeners that watch it.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from kb.cli import main

WRITES = ("INSERT", "UPDATE", "DELETE")
HOLD_LIMIT_S = 60.0
POLL_S = 0.005


class Tracer:
    """Appends milestones to a trace file, each once; pauses before a chosen table's inserts."""

    def __init__(self, path: Path, hold: tuple[str, Path] | None) -> None:
        self.path = path
        self.hold = hold
        self.seen: set[str] = set()

    def note(self, milestone: str) -> None:
        """Append `milestone` to the trace (once), durably, before going on."""
        if milestone in self.seen:
            return
        self.seen.add(milestone)
        with self.path.open("a") as trace:
            trace.write(milestone + "\n")
            trace.flush()
            os.fsync(trace.fileno())

    def before_execute(self, _conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        """Note the first BEGIN and writes; hold before the first INSERT into the chosen table."""
        words = statement.split(None, 3)
        verb = words[0].upper() if words else ""
        if verb == "BEGIN":
            self.note("begin")
        if verb in WRITES:
            self.note("write")
        if verb == "INSERT" and len(words) > 2:
            table = words[2].strip('"')
            if self.hold is not None and table == self.hold[0] and "hold" not in self.seen:
                self.note("hold")
                self.wait(self.hold[1])
            self.note(f"insert {table}")

    def before_commit(self, _conn: Connection) -> None:
        """Note the commit."""
        self.note("commit")

    @staticmethod
    def wait(release: Path) -> None:
        """Wait until `release` exists (a test creates it); give up after HOLD_LIMIT_S."""
        deadline = time.monotonic() + HOLD_LIMIT_S
        while not release.exists():
            if time.monotonic() > deadline:
                raise SystemExit(f"traced_kb: {release} never appeared")
            time.sleep(POLL_S)


def parse(argv: list[str]) -> tuple[Tracer, list[str]]:
    """The tracer and the kb arguments from this script's command line."""
    split = argv.index("--")
    options, kb_args = argv[:split], argv[split + 1 :]
    hold = None
    if len(options) == 4 and options[1] == "--hold":
        hold = (options[2], Path(options[3]))
    elif len(options) != 1:
        raise SystemExit(__doc__)
    return Tracer(Path(options[0]), hold), kb_args


if __name__ == "__main__":
    tracer, args = parse(sys.argv[1:])
    event.listen(Engine, "before_cursor_execute", tracer.before_execute)
    event.listen(Engine, "commit", tracer.before_commit)
    sys.argv = ["kb", *args]
    main()
