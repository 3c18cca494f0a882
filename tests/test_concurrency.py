"""Readers keep getting answers while a load runs, and never see a half-applied load.

A load is one transaction. Other processes reading meanwhile — `kb stats`, `kb quotes`, a
plain database client — must exit 0 and see either everything before the load or everything
after it: never quotes without their figures, never a quote whose speaker is not there yet.
On SQLite that rests on WAL (readers read the last commit while the writer writes) and the busy
timeout (a reader or writer waits rather than failing with "database is locked"); on
PostgreSQL on its transactions.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers import synthetic
from helpers.processes import finish, milestones, run_kb, start_load, wait_for
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kb.db import BUSY_TIMEOUT_MS
from kb.models import Base

TABLES = tuple(Base.metadata.tables)
Counts = dict[str, int]
ORPHAN_QUOTES = (
    "SELECT count(*) FROM quotes LEFT JOIN people ON people.id = quotes.speaker_id "
    "WHERE people.id IS NULL"
)


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def direct_read(url: str) -> tuple[Counts, int]:
    """Row counts per table and quotes without a speaker, read in one transaction by a plain
    client (the sqlite3 module with kb's busy timeout, or psycopg through SQLAlchemy)."""
    queries = [f'SELECT count(*) FROM "{name}"' for name in TABLES] + [ORPHAN_QUOTES]
    if is_sqlite(url):
        path = make_url(url).database
        with closing(sqlite3.connect(f"{path}", timeout=BUSY_TIMEOUT_MS / 1000)) as db:
            db.execute("BEGIN")
            values = [db.execute(query).fetchone()[0] for query in queries]
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                values = [connection.execute(text(query)).scalar_one() for query in queries]
        finally:
            engine.dispose()
    return dict(zip(TABLES, values, strict=False)), values[-1]


def kb_stats(url: str) -> Counts:
    """`kb stats --format json` in another process: it must succeed; its row counts."""
    result = run_kb("stats", "--format", "json", "--db", url)
    assert result.returncode == 0, result.stderr
    rows: Counts = json.loads(result.stdout)["rows"]
    return rows


def kb_quotes(url: str) -> list[dict[str, Any]]:
    """`kb quotes --format json` in another process: it must succeed; its rows."""
    result = run_kb("quotes", "--format", "json", "--limit", "0", "--db", url)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def write_transaction_is_open(url: str) -> bool:
    """True when another connection holds an open transaction that has written.

    SQLite: taking the write lock without waiting fails. PostgreSQL: a backend of this database
    is idle in a transaction that has been given a transaction id (it wrote).
    """
    if is_sqlite(url):
        with closing(sqlite3.connect(f"{make_url(url).database}", timeout=0)) as db:
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                return "locked" in str(error)
            db.rollback()
            return False
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                        "AND state = 'idle in transaction' AND backend_xid IS NOT NULL"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def grow(counts: Counts, collection: synthetic.Synthetic) -> Counts:
    """The counts after loading `collection` on top of `counts`."""
    return {name: counts[name] + collection.rows[name] for name in TABLES}


def test_readers_see_the_state_before_a_load_until_it_commits(
    seeded_db: str, tmp_path: Path
) -> None:
    collection = synthetic.write(tmp_path / "synthetic", count=300, events=50)
    before, _ = direct_read(seeded_db)
    slugs_before = [row["slug"] for row in kb_quotes(seeded_db)]
    release, trace = tmp_path / "release", tmp_path / "load.trace"
    # The load stops inside its transaction after writing the new source, people and quotes,
    # just before its first figure.
    load = start_load(seeded_db, collection, trace, hold=("figures", release))
    try:
        wait_for(trace, "hold", load)
        assert "insert quotes" in milestones(trace)
        assert write_transaction_is_open(seeded_db)

        assert kb_stats(seeded_db) == before
        assert [row["slug"] for row in kb_quotes(seeded_db)] == slugs_before
        assert direct_read(seeded_db) == (before, 0)
        assert write_transaction_is_open(seeded_db)  # the readers did not wait for the load
    finally:
        release.touch()
    finish(load)

    after = grow(before, collection)
    assert direct_read(seeded_db) == (after, 0)
    assert kb_stats(seeded_db) == after
    assert len(kb_quotes(seeded_db)) == after["quotes"]


def test_a_second_load_waits_for_the_first_then_succeeds(
    seeded_sqlite: Path, tmp_path: Path
) -> None:
    collection = synthetic.write(tmp_path / "synthetic", count=300, events=50)
    url = f"sqlite:///{seeded_sqlite}"
    before = direct_read(url)
    release, trace = tmp_path / "release", tmp_path / "first.trace"
    first = start_load(url, collection, trace, hold=("figures", release))
    try:
        wait_for(trace, "hold", first)
        second = start_load(url, None, tmp_path / "second.trace")
        wait_for(tmp_path / "second.trace", "begin", second)
        time.sleep(1.0)
        # Its BEGIN IMMEDIATE is still waiting for the write lock (the busy timeout): it has
        # neither failed with "database is locked" nor written anything.
        assert second.poll() is None
        assert milestones(tmp_path / "second.trace") == ["begin"]
    finally:
        release.touch()
    finish(first)
    finish(second)
    # The second load (the bundled collection, --prune) ran after the first had committed:
    # it found the synthetic rows the first one wrote, and deleted them.
    assert direct_read(url) == before


@dataclass
class Loads:
    """Loads run one after another; which trace belongs to the load running now."""

    current: Path | None = None
    done: bool = False

    def writing(self) -> Path | None:
        """The trace of the load that is writing but has not committed, if any."""
        trace = self.current
        if trace is None:
            return None
        reached = milestones(trace)
        return trace if "write" in reached and "commit" not in reached else None


@dataclass
class Observed:
    """What the readers saw: states, failures, and how many reads fell inside a write."""

    states: list[Counts] = field(default_factory=list)
    quote_counts: list[int] = field(default_factory=list)
    orphans: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    during_write: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def keep_reading(loads: Loads, read: Callable[[], None], observed: Observed) -> None:
    """Call `read` until the loads are done, recording anything it raises as a failure."""
    while not loads.done:
        try:
            read()
        except Exception as error:  # any failure of a reader fails the test, with its message
            with observed.lock:
                observed.failures.append(repr(error))


def test_readers_keep_answering_during_loads(seeded_sqlite: Path, tmp_path: Path) -> None:
    collection = synthetic.write(tmp_path / "synthetic")
    url = f"sqlite:///{seeded_sqlite}"
    before, _ = direct_read(url)
    after = grow(before, collection)
    loads, observed = Loads(), Observed()

    def stats() -> None:
        rows = kb_stats(url)
        with observed.lock:
            observed.states.append(rows)

    def quotes() -> None:
        rows = kb_quotes(url)
        assert all(row["speaker_name"] for row in rows)
        with observed.lock:
            observed.quote_counts.append(len(rows))

    def direct() -> None:
        writing = loads.writing()
        counts, orphans = direct_read(url)
        inside = writing is not None and loads.writing() == writing
        with observed.lock:
            observed.states.append(counts)
            observed.orphans.append(orphans)
            observed.during_write += inside
        time.sleep(0.005)

    readers = [
        threading.Thread(target=keep_reading, args=(loads, read, observed))
        for read in (stats, quotes, direct)
    ]
    for reader in readers:
        reader.start()
    try:
        # Add the synthetic collection, then prune it away by loading the bundled one.
        for index, load in enumerate([collection, None]):
            loads.current = tmp_path / f"load-{index}.trace"
            finish(start_load(url, load, loads.current))
    finally:
        loads.done = True
        for reader in readers:
            reader.join()

    assert observed.failures == []
    assert all(state in (before, after) for state in observed.states)
    assert set(observed.quote_counts) <= {before["quotes"], after["quotes"]}
    assert set(observed.orphans) == {0}
    assert len(observed.quote_counts) >= 2
    assert observed.during_write > 0
    assert direct_read(url) == (before, 0)
