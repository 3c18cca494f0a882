"""Readers keep getting answers while a load runs, and never see a half-applied load.

A load is one transaction. Other processes reading meanwhile — `kb stats`, `kb quotes`, a
plain database client — must exit 0 and see either everything before the load or everything
after it: never quotes without their figures, never a quote whose speaker is not there yet.
On SQLite that rests on WAL (readers read the last commit while the writer writes) and the busy
timeout (a reader or writer waits rather than failing with "database is locked"); on
PostgreSQL on its transactions.

Loads and migrations take turns (kb.lock): a second load, `kb db upgrade`, `downgrade` or
`reader` says on stderr that it waits, writes nothing until the first has committed, then
starts from what it committed, even into an empty database both would migrate; after --wait
seconds it gives up with a message naming the first.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import synthetic
from helpers.processes import (
    finish,
    milestones,
    run_kb,
    said,
    start_load,
    start_traced,
    wait_for,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kb.cli.common import WAIT_S
from kb.db import (
    BUSY_TIMEOUT_MS,
    HEAD_REVISION,
    VERSION_TABLE,
    current_revision,
    describe_url,
    make_engine,
)
from kb.lock import DEFAULT_WAIT_S
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


def waiting_for_the_load_lock(url: str) -> int:
    """PostgreSQL: how many connections to this database wait for an advisory lock."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    text(
                        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                        "WHERE d.datname = current_database() AND l.locktype = 'advisory' "
                        "AND NOT l.granted"
                    )
                ).scalar_one()
            )
    finally:
        engine.dispose()


def waiting_notice(url: str, first: subprocess.Popen[str], command: str = "kb load") -> str:
    """The line a writer prints on stderr while `first` (running `command`) writes to `url`,
    up to its start time."""
    if is_sqlite(url):
        return "Another process is writing to this database; waiting for it to finish…"
    holder = f"pid {first.pid} on {socket.gethostname()}"
    return f"Another {command} is writing to this database ({holder}, since "


def assert_waits(
    url: str, first: subprocess.Popen[str], second: Load, command: str = "kb load"
) -> None:
    """The `second` writer says once, on stderr, that it waits for `first` (running
    `command`); and it goes on waiting, having written nothing."""
    said(second.log, "waiting for it to finish", second.process)
    time.sleep(1.0)
    assert second.process.poll() is None
    lines = second.log.read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith(waiting_notice(url, first, command)), lines
    assert re.search(r"(since \d\d:\d\d:\d\d\)|database); waiting for it to finish…$", lines[0])
    # SQLite: its probe waits for the write lock before the load's BEGIN IMMEDIATE. PostgreSQL:
    # the load's transaction waits for the advisory lock before reading anything.
    assert "write" not in milestones(second.trace)
    if not is_sqlite(url):
        assert waiting_for_the_load_lock(url) == 1


@dataclass(frozen=True)
class Load:
    """A load started in another process, its trace and its stderr."""

    process: subprocess.Popen[str]
    trace: Path
    log: Path


def start_second(url: str, collection: synthetic.Synthetic | None, tmp_path: Path) -> Load:
    """Start the second of two loads, its stderr in second.log."""
    trace, log = tmp_path / "second.trace", tmp_path / "second.log"
    return Load(start_load(url, collection, trace, log=log), trace, log)


# SQLite has one isolation level; a PostgreSQL server may default to another.
@pytest.mark.parametrize(
    ("backend", "isolation"),
    [("sqlite", "default"), ("postgresql", "default"), ("postgresql", "repeatable read")],
    indirect=["backend"],
)
def test_a_second_load_waits_for_the_first_then_succeeds(
    seeded_db: str, tmp_path: Path, isolation: str
) -> None:
    if isolation != "default":
        # The load's transaction is READ COMMITTED whatever the server's default, and takes the
        # lock before any snapshot: else it would not see the rows the first load committed.
        set_default_isolation(seeded_db, isolation)
    collection = synthetic.write(tmp_path / "synthetic", count=300, events=50)
    before = direct_read(seeded_db)
    one_after_the_other(seeded_db, (collection, None), "figures", tmp_path)
    # The second load (the bundled collection, --prune) ran after the first had committed:
    # it found the synthetic rows the first one wrote, and deleted them.
    assert direct_read(seeded_db) == before


def one_after_the_other(
    url: str,
    collections: tuple[synthetic.Synthetic | None, synthetic.Synthetic | None],
    hold: str,
    tmp_path: Path,
) -> None:
    """A first load held inside its transaction where it reaches `hold`, and a second started
    meanwhile, which must wait without writing; both finish once the first is released."""
    release, trace = tmp_path / "release", tmp_path / "first.trace"
    first = start_load(url, collections[0], trace, hold=(hold, release))
    try:
        wait_for(trace, "hold", first)
        second = start_second(url, collections[1], tmp_path)
        assert_waits(url, first, second)
    finally:
        release.touch()
    finish(first)
    finish(second.process, second.log)


def set_default_isolation(url: str, isolation: str) -> None:
    """Make `isolation` the default of new transactions in the PostgreSQL database `url`."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            database = connection.execute(text("SELECT current_database()")).scalar_one()
            connection.exec_driver_sql(
                f"ALTER DATABASE \"{database}\" SET default_transaction_isolation = '{isolation}'"
            )
    finally:
        engine.dispose()


def test_two_first_loads_into_an_empty_database_both_migrate_safely(
    new_db: str, tmp_path: Path
) -> None:
    collection = synthetic.write(tmp_path / "synthetic", count=100, events=10)
    # The first load stops inside its migration: the first migration's tables are created (not
    # committed) and its revision is about to be recorded. The second finds the schema
    # migrated: no duplicate table, no second migration.
    one_after_the_other(new_db, (collection, collection), VERSION_TABLE, tmp_path)
    assert direct_read(new_db) == ({name: collection.rows[name] for name in TABLES}, 0)
    engine = make_engine(new_db)
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()


def test_a_second_load_gives_up_after_wait_seconds(seeded_db: str, tmp_path: Path) -> None:
    collection = synthetic.write(tmp_path / "synthetic", count=300, events=50)
    before, _ = direct_read(seeded_db)
    release, trace, log = tmp_path / "release", tmp_path / "first.trace", tmp_path / "second.log"
    first = start_load(seeded_db, collection, trace, hold=("figures", release))
    try:
        wait_for(trace, "hold", first)
        for wait in ("0", "1"):
            second = start_load(
                seeded_db, None, tmp_path / "second.trace", log=log, options=("--wait", wait)
            )
            assert second.wait(timeout=30) == 1
            message = log.read_text()
            where = describe_url(seeded_db)
            who = "another process" if is_sqlite(seeded_db) else "another kb load"
            if wait == "0":
                assert message.startswith(f"Error: Cannot load into {where}: {who} is writing")
                assert "(--wait waits for it)" in message
            else:
                assert message.startswith(waiting_notice(seeded_db, first))
                assert f"Error: Cannot load into {where}: {who} is still writing to it" in message
                assert "gave up after waiting 1 second. Nothing was written;" in message
            if not is_sqlite(seeded_db):
                assert f"(pid {first.pid} on {socket.gethostname()}, since " in message
            assert "write" not in milestones(tmp_path / "second.trace")
        assert write_transaction_is_open(seeded_db)  # the first load is still writing
    finally:
        release.touch()
    finish(first)
    assert direct_read(seeded_db) == (grow(before, collection), 0)


def test_the_command_waits_as_long_as_the_loader_by_default() -> None:
    assert WAIT_S == DEFAULT_WAIT_S


def kb_writer(which: str, url: str, collection: synthetic.Synthetic) -> list[str]:
    """The arguments of the kb command `which` ('load' of `collection`, or 'upgrade') on `url`."""
    if which == "upgrade":
        return ["db", "upgrade", "--db", url]
    return ["load", str(collection.data), "--seeds", str(collection.seeds), "--db", url]


@pytest.mark.parametrize(
    ("first", "second"), [("load", "upgrade"), ("upgrade", "load"), ("upgrade", "upgrade")]
)
def test_loads_and_upgrades_of_an_empty_database_take_turns(
    new_db: str, tmp_path: Path, first: str, second: str
) -> None:
    # Two upgrades at once of an empty PostgreSQL database used to fail: the second met the
    # first's uncommitted tables (a duplicate key in pg_type). The first stops inside its
    # migration here, its first tables made and its revision about to be recorded.
    collection = synthetic.write(tmp_path / "synthetic", count=100, events=10)
    release, trace, out = tmp_path / "release", tmp_path / "first.trace", tmp_path / "second.out"
    first_out = tmp_path / "first.out"
    holder = start_traced(
        kb_writer(first, new_db, collection), trace, hold=(VERSION_TABLE, release), out=first_out
    )
    try:
        wait_for(trace, "hold", holder)
        log, second_trace = tmp_path / "second.log", tmp_path / "second.trace"
        command = kb_writer(second, new_db, collection)
        waiter = Load(start_traced(command, second_trace, log=log, out=out), second_trace, log)
        assert_waits(new_db, holder, waiter, f"kb {'db ' * (first == 'upgrade')}{first}")
    finally:
        release.touch()
    finish(holder)
    finish(waiter.process, waiter.log)
    if first == "upgrade":
        assert first_out.read_text().startswith(f"Migrated from base to {HEAD_REVISION}.\n")
    if second == "upgrade":  # it found the schema the first had migrated, and did nothing
        assert out.read_text() == f"Already at {HEAD_REVISION}; nothing to do.\n"
    engine = make_engine(new_db)
    try:
        assert current_revision(engine) == HEAD_REVISION
    finally:
        engine.dispose()
    loaded = {name: collection.rows[name] for name in TABLES}
    assert direct_read(new_db) == (
        loaded if "load" in (first, second) else dict.fromkeys(loaded, 0),
        0,
    )


def test_migrations_during_a_load_give_up_after_wait_seconds(
    seeded_db: str, tmp_path: Path
) -> None:
    collection = synthetic.write(tmp_path / "synthetic", count=300, events=50)
    before, _ = direct_read(seeded_db)
    release, trace = tmp_path / "release", tmp_path / "first.trace"
    load = start_load(seeded_db, collection, trace, hold=("figures", release))
    where = describe_url(seeded_db)
    holder = "another process" if is_sqlite(seeded_db) else "another kb load"
    try:
        wait_for(trace, "hold", load)
        # A database at the newest schema needs no upgrade: it is said at once, without waiting.
        done = run_kb("db", "upgrade", "--wait", "0", "--db", seeded_db)
        assert (done.returncode, done.stdout) == (
            0,
            f"Already at {HEAD_REVISION}; nothing to do.\n",
        )
        commands = [("downgrade", "-1", "--wait", "0"), ("downgrade", "-1", "--wait", "1")]
        if not is_sqlite(seeded_db):
            commands.append(("reader", "--wait", "0"))
        for command in commands:
            refused = run_kb("db", *command, "--db", seeded_db)
            assert refused.returncode == 1, refused.stderr
            doing = "downgrade" if command[0] == "downgrade" else "set up kb sql's reader in"
            still = "still " if command[-1] == "1" else ""
            assert f"Error: Cannot {doing} {where}: {holder} is {still}writing" in refused.stderr
            if not is_sqlite(seeded_db):
                assert f"(pid {load.pid} on {socket.gethostname()}, since " in refused.stderr
        assert write_transaction_is_open(seeded_db)  # the load is still writing
    finally:
        release.touch()
    finish(load)
    assert direct_read(seeded_db) == (grow(before, collection), 0)
    engine = make_engine(seeded_db)
    try:
        assert current_revision(engine) == HEAD_REVISION  # no downgrade ran
    finally:
        engine.dispose()


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
