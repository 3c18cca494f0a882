"""One load at a time per database: a second load waits for the first, says so, or gives up.

A load is one transaction (kb.db.writing). Two loads into one database must not interleave: the
second must start from what the first committed (file fingerprints, rows, schema), and two first
loads into an empty database must not both create the tables. writing_alone() is
kb.db.writing() once no other load writes to the database:

- PostgreSQL: the transaction's first statements make it READ COMMITTED (whatever the server's
  default) and take the transaction-level advisory lock LOAD_LOCK_KEY, before the load reads
  anything. If another load holds it, the load says who and since when (`notice`), then waits
  in pg_advisory_xact_lock. The lock ends with the transaction (commit, rollback, or the
  connection dropped by a dying process). Each statement after the wait takes a new snapshot,
  so it sees what the other load committed; a REPEATABLE READ snapshot would have been taken
  by the lock statement itself, before the wait. Readers take no lock and never wait.
- SQLite: the load's BEGIN IMMEDIATE (kb.db) takes the write lock before reading, but its busy
  timeout waits only BUSY_TIMEOUT_MS. Before it, a probe connection tries the write lock
  without waiting; if another process holds it, the load says so and the probe waits for it.

After `wait` seconds (None: no limit; 0: none at all) the load fails with KbError, having
written nothing.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from kb.db import describe_url, writing
from kb.errors import KbError

# Called once with a sentence for the user, when the load starts to wait.
Notice = Callable[[str], None]

# How long a load waits for another one by default (`kb load --wait`).
DEFAULT_WAIT_S = 600
# The advisory lock every kb load takes: the first 8 bytes of SHA-256("kb load") as a signed
# 64-bit integer. Advisory locks belong to one database: loads into others never wait.
LOAD_LOCK_KEY = int.from_bytes(hashlib.sha256(b"kb load").digest()[:8], "big", signed=True)
# A load's application_name while its transaction lasts, so a waiting load can name it.
APPLICATION_PREFIX = "kb load: "
# The longest lock_timeout / busy timeout (milliseconds) both databases accept.
MAX_WAIT_MS = 2**31 - 1
LOCK_TIMEOUT = "55P03"  # PostgreSQL's SQLSTATE for lock_timeout

HOLDER = text(
    "SELECT a.pid, a.application_name, a.xact_start "
    "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND (CAST(l.classid AS bigint) << 32 | CAST(l.objid AS bigint)) = :key"
)


@contextmanager
def writing_alone(
    engine: Engine,
    *,
    commit: bool = True,
    wait: float | None = DEFAULT_WAIT_S,
    notice: Notice | None = None,
) -> Iterator[Connection]:
    """kb.db.writing(engine, commit=commit), once no other load writes to the database.

    If one does, `notice` hears it once; after `wait` seconds KbError says who kept it.
    """
    say = notice or _silent
    if engine.dialect.name == "sqlite":
        _wait_for_sqlite_writer(engine, wait, say)
    with writing(engine, commit=commit) as connection:
        if connection.dialect.name == "postgresql":
            _lock_postgresql(connection, wait, say)
        yield connection


def _lock_postgresql(connection: Connection, wait: float | None, notice: Notice) -> None:
    """Take the load lock at the start of the transaction, waiting for its holder if need be."""
    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    name = f"{APPLICATION_PREFIX}pid {os.getpid()} on {socket.gethostname()}"
    taken = connection.execute(
        text("SELECT set_config('application_name', :name, true), pg_try_advisory_xact_lock(:key)"),
        {"name": name, "key": LOAD_LOCK_KEY},
    ).one()[1]
    if taken:
        return
    where = describe_url(connection.engine.url)
    if wait == 0:
        raise KbError(
            f"Cannot load into {where}: another kb load is writing to it{_holder(connection)}. "
            "Nothing was written; load again once it has finished (--wait waits for it)."
        )
    notice(
        f"Another kb load is writing to this database{_holder(connection)}; "
        "waiting for it to finish…"
    )
    try:
        with connection.begin_nested():  # a timeout rolls back to here: the holder can be named
            previous = None
            if wait is not None:
                query = text("SELECT current_setting('lock_timeout')")
                previous = connection.execute(query).scalar_one()
                _set_lock_timeout(connection, f"{_milliseconds(wait)}ms")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOAD_LOCK_KEY})
            if previous is not None:
                _set_lock_timeout(connection, previous)
    except DBAPIError as error:
        if wait is None or getattr(error.orig, "sqlstate", None) != LOCK_TIMEOUT:
            raise
        raise KbError(
            f"Cannot load into {where}: another kb load is still writing to it"
            f"{_holder(connection)}; gave up after waiting {_duration(wait)}. Nothing was "
            "written; load again once it has finished (--wait sets how long to wait)."
        ) from None


def _set_lock_timeout(connection: Connection, value: str) -> None:
    """Set lock_timeout until the end of the transaction."""
    connection.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": value})


def _holder(connection: Connection) -> str:
    """' (pid 4242 on host, since 14:03:27)': who holds the load lock, or '' if none now."""
    row = connection.execute(HOLDER, {"key": LOAD_LOCK_KEY}).first()
    if row is None:
        return ""
    pid, application, since = row
    if application and application.startswith(APPLICATION_PREFIX):
        who = application.removeprefix(APPLICATION_PREFIX)
    else:
        who = f"server process {pid}"
    when = f", since {since.astimezone():%H:%M:%S}" if since is not None else ""
    return f" ({who}{when})"


def _wait_for_sqlite_writer(engine: Engine, wait: float | None, notice: Notice) -> None:
    """Return once no other process holds the SQLite file's write lock (as far as a probe can
    tell: a writer slipping in just after meets the load's own busy timeout)."""
    database = engine.url.database
    if database in (None, "", ":memory:") or not Path(str(database)).exists():
        return  # nobody else can be writing to a file that is not there yet
    path = Path(str(database))
    try:
        probe = sqlite3.connect(
            path.resolve().as_uri() + "?mode=rw", uri=True, timeout=0, isolation_level=None
        )
    except sqlite3.Error:
        return  # the load itself will meet the problem and say what it is
    with closing(probe):
        if _write_lock_free(probe):
            return
        where = describe_url(engine.url)
        if wait == 0:
            raise KbError(
                f"Cannot load into {where}: another process is writing to it. Nothing was "
                "written; load again once it has finished (--wait waits for it)."
            )
        notice("Another process is writing to this database; waiting for it to finish…")
        limit = MAX_WAIT_MS if wait is None else _milliseconds(wait)
        probe.execute(f"PRAGMA busy_timeout = {limit}")
        if not _write_lock_free(probe):
            raise KbError(
                f"Cannot load into {where}: another process is still writing to it; gave up "
                f"after waiting {_duration(limit / 1000)}. Nothing was written; load again "
                "once it has finished (--wait sets how long to wait)."
            )


def _write_lock_free(probe: sqlite3.Connection) -> bool:
    """Take the write lock (within the probe's busy timeout) and give it back at once: True,
    unless another process kept it."""
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as error:
        # Busy: another writer. Anything else (a file that is not a database): the load
        # itself meets it and says what it is.
        return not getattr(error, "sqlite_errorname", "").startswith(
            ("SQLITE_BUSY", "SQLITE_LOCKED")
        )
    probe.execute("ROLLBACK")
    return True


def _milliseconds(seconds: float) -> int:
    """`seconds` as whole milliseconds, at least 1 (0 means 'no limit' to both databases)."""
    return min(max(round(seconds * 1000), 1), MAX_WAIT_MS)


def _duration(seconds: float) -> str:
    """'10 minutes', '1 second', '2.5 seconds'."""
    if seconds >= 60 and seconds % 60 == 0:
        minutes = int(seconds // 60)
        return f"{minutes} minute{'s' * (minutes != 1)}"
    return f"{seconds:g} second{'s' * (seconds != 1)}"


def _silent(_: str) -> None:
    """A notice that goes nowhere (the default)."""
