"""A load killed with SIGKILL at any moment leaves the database as it was (SQLite only).

SQLite is where a kill can tear a file: the writer is the killed process itself. (On PostgreSQL
the server outlives a killed client and rolls its transaction back.) The test loads a synthetic
collection — a few hundred KB of source text and thousands of quotes, figures and events —
into a database that already holds the bundled collection, and kills `kb load` again and again
at moments spread over the load, most while it is writing. After every kill the file must pass
SQLite's own checks and hold exactly the rows it held before; at the end a load succeeds.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import time
from contextlib import closing
from pathlib import Path

from helpers import synthetic
from helpers.processes import milestones, run_kb, start_load, wait_for

from kb.check import audit
from kb.models import Base
from kb.search.index import FTS_TABLES, fts_table

KILLS = 20
SEED = 20230202  # the kill moments are random, but the same on every run
TABLES = tuple(Base.metadata.tables)
Counts = dict[str, int]


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def audited_counts(path: Path) -> Counts:
    """Check the file as any SQLite tool would, and return its row count per table.

    PRAGMA integrity_check must say ok, PRAGMA foreign_key_check must find nothing, and each
    FTS5 index must pass its own 'integrity-check' against its content table (rank = 1).
    """
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert fts5_tables(db) == sorted(fts_table(name) for name in FTS_TABLES)
        for fts in fts5_tables(db):
            db.execute(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)")
        return {name: db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in TABLES}


def fts5_tables(db: sqlite3.Connection) -> list[str]:
    """The FTS5 tables in the file: named *_fts and created as virtual tables."""
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_fts' ESCAPE '\\' "
        "AND upper(sql) LIKE 'CREATE VIRTUAL TABLE%' ORDER BY name"
    )
    return [name for (name,) in rows]


def measure(path: Path, collection: synthetic.Synthetic, trace: Path) -> tuple[float, float]:
    """Load once without a kill: seconds from start to the first write and to the commit."""
    start = time.monotonic()
    process = start_load(sqlite_url(path), collection, trace)
    times: dict[str, float] = {}
    while process.poll() is None:
        for milestone in milestones(trace):
            times.setdefault(milestone, time.monotonic() - start)
        time.sleep(0.002)
    _, stderr = process.communicate()
    assert process.returncode == 0, stderr
    assert {"write", "commit"} <= set(milestones(trace)), milestones(trace)
    return times["write"], times["commit"]


Moment = tuple[str | None, float]  # (milestone to wait for, or None for the start; delay)


def kill_moments(rng: random.Random, write: float, commit: float) -> list[Moment]:
    """When to kill: half spread evenly over the whole load up to its commit (timed from the
    start), half over its writing (timed from its first write, so that a slower machine still
    kills mid-write), each at a random point of its own slice of the measured time."""
    half = KILLS // 2

    def spread(length: float) -> list[float]:
        return [rng.uniform(i * length / half, (i + 1) * length / half) for i in range(half)]

    return [(None, delay) for delay in spread(commit)] + [
        ("write", delay) for delay in spread(commit - write)
    ]


def kill_at(moment: Moment, path: Path, collection: synthetic.Synthetic, trace: Path) -> list[str]:
    """Start a load, SIGKILL it at `moment`, and return the milestones it had reached."""
    milestone, delay = moment
    process = start_load(sqlite_url(path), collection, trace)
    if milestone is not None:
        wait_for(trace, milestone, process)
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode in (-signal.SIGKILL, 0)
    return milestones(trace)


def test_a_load_killed_at_any_moment_leaves_the_database_intact(
    seeded_sqlite: Path, tmp_path: Path
) -> None:
    collection = synthetic.write(tmp_path / "synthetic")
    before = audited_counts(seeded_sqlite)
    after = {name: before[name] + collection.rows[name] for name in TABLES}
    pristine, scratch = tmp_path / "before.sqlite3", tmp_path / "scratch.sqlite3"
    pristine.write_bytes(seeded_sqlite.read_bytes())
    scratch.write_bytes(pristine.read_bytes())
    write, commit = measure(scratch, collection, tmp_path / "measure.trace")
    assert audited_counts(scratch) == after

    mid_write = 0
    for index, moment in enumerate(kill_moments(random.Random(SEED), write, commit)):
        reached = kill_at(moment, seeded_sqlite, collection, tmp_path / f"kill-{index}.trace")
        counts = audited_counts(seeded_sqlite)
        context = f"kill {index} at {moment} reached {reached}"
        if "commit" in reached:
            # Killed after it sent COMMIT: the load is then all there or not at all.
            assert counts in (before, after), context
            if counts == after:
                _restore(seeded_sqlite, pristine)
        else:
            assert counts == before, context
            mid_write += "write" in reached
    # A good share of the kills must land while the load is writing, or the test proves little.
    assert mid_write >= KILLS // 4

    result = run_kb(
        "load", str(collection.data), "--seeds", str(collection.seeds), "--db", str(seeded_sqlite)
    )
    assert result.returncode == 0, result.stderr
    assert audited_counts(seeded_sqlite) == after
    assert audit(sqlite_url(seeded_sqlite)).ok


def _restore(path: Path, pristine: Path) -> None:
    """Put back the before-state after a kill that came too late (the load had committed)."""
    for suffix in ("-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    path.write_bytes(pristine.read_bytes())
