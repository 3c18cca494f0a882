"""One writer at a time per database: `kb load`, `kb db upgrade`, `kb db downgrade` and `kb db
reader` take turns; a second writer waits, says so, or gives up.

A load, or a migration, is one transaction (kb.db.writing). Two writers into one database must
not interleave: the second must start from what the first committed (file fingerprints, rows,
schema), and two writers into an empty database must not both create the tables (an upgrade
that met another's uncommitted tables failed on a duplicate catalog key). writing_alone() is
kb.db.writing() once no other kb writer writes to the database:

- PostgreSQL: the transaction's first statements make it READ COMMITTED (whatever the server's
  default) and take the transaction-level advisory lock WRITE_LOCK_KEY, before the writer reads
  anything. If another writer holds it, this one says who and since when (`notice`), then
  waits in pg_advisory_xact_lock. The lock ends with the transaction (commit, rollback, or the
  connection dropped by a dying process). Each statement after the wait takes a new snapshot,
  so it sees what the other writer committed; a REPEATABLE READ snapshot would have been taken
  by the lock statement itself, before the wait. Readers take no lock and never wait.
- SQLite: the writer's BEGIN IMMEDIATE (kb.db) takes the write lock before reading, but its
  busy timeout waits only BUSY_TIMEOUT_MS. Before it, a probe connection tries the write lock
  without waiting; if another process holds it, the writer says so and the probe waits for it.

After `wait` seconds (None: no limit; 0: none at all) the writer fails with KbError, having
written nothing.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from kb.db import describe_url, writing
from kb.errors import KbError

# How long a writer waits for another by default (`--wait`).
DEFAULT_WAIT_S = 600
# Called once with a sentence for the user, when the writer starts to wait.
Notice = Callable[[str], None]


@dataclass(frozen=True)
class Writer:
    """A kb command that writes, as messages name it: `command` ("kb load"; the start of its
    transaction's application_name, so that another writer can name it), what it would do to
    a database ("load into"), and how to try again ("load again")."""

    command: str
    doing: str
    again: str

    def refused(self, where: str, holder: str, who: str = "") -> KbError:
        """The error when `holder` ('kb load', 'process'; `who`: ' (pid …)') writes to
        `where` and this writer may not wait."""
        return KbError(
            f"Cannot {self.doing} {where}: another {holder} is writing to it{who}. Nothing was "
            f"written; {self.again} once it has finished (--wait waits for it)."
        )

    def gave_up(self, where: str, holder: str, who: str, waited: float) -> KbError:
        """The error when `holder` still writes to `where` after `waited` seconds."""
        return KbError(
            f"Cannot {self.doing} {where}: another {holder} is still writing to it{who}; gave up "
            f"after waiting {_duration(waited)}. Nothing was written; {self.again} once it has "
            "finished (--wait sets how long to wait)."
        )


LOAD = Writer("kb load", "load into", "load again")
UPGRADE = Writer("kb db upgrade", "upgrade", "run kb db upgrade again")
DOWNGRADE = Writer("kb db downgrade", "downgrade", "run kb db downgrade again")
READER = Writer("kb db reader", "set up kb sql's reader in", "run kb db reader again")

# The advisory lock every kb writer takes: the first 8 bytes of SHA-256("kb load") (the first
# writer to take it) as a signed 64-bit integer. Advisory locks belong to one database:
# writers into others never wait.
WRITE_LOCK_KEY = int.from_bytes(hashlib.sha256(b"kb load").digest()[:8], "big", signed=True)
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
    writer: Writer = LOAD,
    commit: bool = True,
    wait: float | None = DEFAULT_WAIT_S,
    notice: Notice | None = None,
) -> Iterator[Connection]:
    """kb.db.writing(engine, commit=commit), once no other kb writer writes to the database.

    If one does, `notice` hears it once; after `wait` seconds KbError says who kept it.
    """
    say = notice or _silent
    if engine.dialect.name == "sqlite":
        _wait_for_sqlite_writer(engine, writer, wait, say)
    with writing(engine, commit=commit) as connection:
        if connection.dialect.name == "postgresql":
            _lock_postgresql(connection, writer, wait, say)
        yield connection


def _lock_postgresql(
    connection: Connection, writer: Writer, wait: float | None, notice: Notice
) -> None:
    """Take the write lock at the start of the transaction, waiting for its holder if need be."""
    connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
    name = f"{writer.command}: pid {os.getpid()} on {socket.gethostname()}"
    taken = connection.execute(
        text("SELECT set_config('application_name', :name, true), pg_try_advisory_xact_lock(:key)"),
        {"name": name, "key": WRITE_LOCK_KEY},
    ).one()[1]
    if taken:
        return
    where = describe_url(connection.engine.url)
    command, who = _holder(connection)
    if wait == 0:
        raise writer.refused(where, command, who)
    notice(f"Another {command} is writing to this database{who}; waiting for it to finish…")
    try:
        with connection.begin_nested():  # a timeout rolls back to here: the holder can be named
            previous = None
            if wait is not None:
                query = text("SELECT current_setting('lock_timeout')")
                previous = connection.execute(query).scalar_one()
                _set_lock_timeout(connection, f"{_milliseconds(wait)}ms")
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            if previous is not None:
                _set_lock_timeout(connection, previous)
    except DBAPIError as error:
        if wait is None or getattr(error.orig, "sqlstate", None) != LOCK_TIMEOUT:
            raise
        raise writer.gave_up(where, *_holder(connection), wait) from None


def _set_lock_timeout(connection: Connection, value: str) -> None:
    """Set lock_timeout until the end of the transaction."""
    connection.execute(text("SELECT set_config('lock_timeout', :value, true)"), {"value": value})


def _holder(connection: Connection) -> tuple[str, str]:
    """('kb load', ' (pid 4242 on host, since 14:03:27)'): which kb command holds the write
    lock, and who and since when (('kb command', '') if it has just let it go)."""
    row = connection.execute(HOLDER, {"key": WRITE_LOCK_KEY}).first()
    if row is None:
        return "kb command", ""
    pid, application, since = row
    command, mark, who = (application or "").partition(": ")
    if not (mark and command.startswith("kb ")):
        command, who = "kb command", f"server process {pid}"
    when = f", since {since.astimezone():%H:%M:%S}" if since is not None else ""
    return command, f" ({who}{when})"


def _wait_for_sqlite_writer(
    engine: Engine, writer: Writer, wait: float | None, notice: Notice
) -> None:
    """Return once no other process holds the SQLite file's write lock (as far as a probe can
    tell: a writer slipping in just after meets this one's own busy timeout)."""
    database = engine.url.database
    if database in (None, "", ":memory:") or not Path(str(database)).exists():
        return  # nobody else can be writing to a file that is not there yet
    path = Path(str(database))
    try:
        probe = sqlite3.connect(
            path.resolve().as_uri() + "?mode=rw", uri=True, timeout=0, isolation_level=None
        )
    except sqlite3.Error:
        return  # the writer itself will meet the problem and say what it is
    with closing(probe):
        if _write_lock_free(probe):
            return
        where = describe_url(engine.url)
        if wait == 0:
            raise writer.refused(where, "process")
        notice("Another process is writing to this database; waiting for it to finish…")
        limit = MAX_WAIT_MS if wait is None else _milliseconds(wait)
        probe.execute(f"PRAGMA busy_timeout = {limit}")
        if not _write_lock_free(probe):
            raise writer.gave_up(where, "process", "", limit / 1000)


def _write_lock_free(probe: sqlite3.Connection) -> bool:
    """Take the write lock (within the probe's busy timeout) and give it back at once: True,
    unless another process kept it."""
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as error:
        # Busy: another writer. Anything else (a file that is not a database): the writer
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
