"""The three timed phases of the load benchmark, each run in a process of its own.

Usage (load_bench.py calls it): python benchmarks/phases.py kb|floor|peer SOURCE TARGET

- kb:    kb.loader.load() of the data directory SOURCE into a new SQLite file TARGET — read,
         validate, ground, migrate, write, indexes and full-text index: the real `kb load`.
- floor: plain sqlite3 `executemany` of the rows of kb's loaded database SOURCE into TARGET, in
         kb's own schema, one transaction: tables first without their secondary indexes, then
         the indexes, triggers and views, then one FTS5 'rebuild' per `<table>_fts`.
- peer:  sqlite-utils `insert_all` of the same rows into TARGET in one transaction (a batch as
         large as it allows), then the same indexes and `enable_fts` on the columns kb indexes.

Prints one JSON object: the phase, its seconds, the rows in each table afterwards, and the peak
resident memory of this process (ru_maxrss) just before the phase and at its end. Times cover
the phase only: interpreter start-up, imports and reading the rows to insert come before the
clock starts (and so are in the "before" peak: for floor and peer, the rows held in memory).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from kb.models import Base
from kb.search import FTS_TABLES, is_index_object

# kb's tables in an order that inserts parents before children.
TABLES = tuple(table.name for table in Base.metadata.sorted_tables)
# The pragmas kb's engine sets (kb/db.py), so every phase writes the same way.
PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")
# sqlite-utils caps a batch at 999 bound values; asking for more gives the largest it allows.
PEER_BATCH = 100_000

# A phase, ready to run: everything it needs is read before the clock starts.
Work = Callable[[], None]


def prepare_kb(source: Path, target: Path) -> Work:
    """kb.loader.load() of the data directory `source` into a new SQLite file `target`."""
    from kb.db import make_engine
    from kb.loader import load

    engine = make_engine(f"sqlite:///{target}")

    def work() -> None:
        load(engine, source)
        engine.dispose()

    return work


def prepare_floor(source: Path, target: Path) -> Work:
    """Plain executemany of kb's rows into kb's schema; indexes, triggers, views and FTS after."""
    schema = _schema(source)
    rows = {table: _rows(source, table)[1] for table in (*TABLES, "_alembic_version")}

    def work() -> None:
        with closing(_connect(target)) as connection:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("BEGIN")
            # Rows may point forward within a table (events.same_as_id): check at commit.
            connection.execute("PRAGMA defer_foreign_keys = ON")
            for sql in schema["table"]:
                connection.execute(sql)
            for table, values in rows.items():
                if values:
                    marks = ", ".join("?" * len(values[0]))
                    # The table names come from kb's own schema, never from a user.
                    insert = f'INSERT INTO "{table}" VALUES ({marks})'  # noqa: S608
                    connection.executemany(insert, values)
            for kind in ("index", "trigger", "view"):
                for sql in schema[kind]:
                    connection.execute(sql)
            for table in FTS_TABLES:
                fts = f"{table}_fts"
                rebuild = f"INSERT INTO {fts}({fts}) VALUES ('rebuild')"  # noqa: S608
                connection.execute(rebuild)
            connection.execute("COMMIT")

    return work


def prepare_peer(source: Path, target: Path) -> Work:
    """sqlite-utils: insert kb's rows in one transaction, the same indexes, enable_fts."""
    import sqlite_utils

    rows = {table: _rows(source, table) for table in TABLES}
    indexes = {table: _indexes(source, table) for table in TABLES}

    def work() -> None:
        db = sqlite_utils.Database(target)
        for pragma in PRAGMAS:
            db.execute(pragma)
        with db.atomic():
            for table, (columns, values) in rows.items():
                records = (dict(zip(columns, row, strict=True)) for row in values)
                db[table].insert_all(records, pk="id", batch_size=PEER_BATCH)
            for table, table_indexes in indexes.items():
                for columns, unique in table_indexes:
                    db[table].create_index(columns, unique=unique)
            for table, fts_columns in FTS_TABLES.items():
                db[table].enable_fts(fts_columns, create_triggers=True)
        db.close()

    return work


def _connect(path: Path) -> sqlite3.Connection:
    """A sqlite3 connection that leaves transactions to the caller, with kb's pragmas."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in PRAGMAS:
        connection.execute(pragma)
    return connection


def _schema(database: Path) -> dict[str, list[str]]:
    """kb's schema as SQL, by kind, in creation order: tables (FTS5 tables last, without
    their shadow tables, which FTS5 creates itself), indexes, triggers, views."""
    schema: dict[str, list[str]] = {"table": [], "index": [], "trigger": [], "view": []}
    virtual: list[str] = []
    with _reader(database) as connection:
        found = connection.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid"
        )
        for kind, name, sql in found:
            if kind == "table" and is_index_object(name, "table"):
                if sql.upper().startswith("CREATE VIRTUAL TABLE"):
                    virtual.append(sql)
            elif not name.startswith("sqlite_"):
                schema[kind].append(sql)
    schema["table"].extend(virtual)
    return schema


def _rows(database: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and every row of `table`, in id order where there is one."""
    with _reader(database) as connection:
        # Table names come from kb's own schema (identifiers cannot be bound parameters).
        cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid')  # noqa: S608
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()


def _indexes(database: Path, table: str) -> list[tuple[list[str], bool]]:
    """The secondary indexes kb has on `table`: (columns, unique) for each, primary key aside."""
    found: list[tuple[list[str], bool]] = []
    with _reader(database) as connection:
        for _seq, name, unique, origin, _partial in connection.execute(
            f'PRAGMA index_list("{table}")'
        ):
            if origin == "pk":
                continue
            info = connection.execute(f'PRAGMA index_info("{name}")').fetchall()
            found.append(([column for _rank, _cid, column in info], bool(unique)))
    return found


def _reader(database: Path) -> closing[sqlite3.Connection]:
    """A short-lived read-only sqlite3 connection to `database`, closed by `with`."""
    return closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True))


def row_counts(database: Path) -> dict[str, int]:
    """Rows in each of kb's tables in `database`."""
    with _reader(database) as connection:
        return {
            table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in TABLES
        }


PHASES: dict[str, Callable[[Path, Path], Work]] = {
    "kb": prepare_kb,
    "floor": prepare_floor,
    "peer": prepare_peer,
}


def _peak_mib() -> float:
    """Peak resident set size of this process so far, in MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def main(argv: list[str]) -> int:
    """Run one phase and print its measurement as JSON."""
    phase, source, target = argv[0], Path(argv[1]), Path(argv[2])
    work = PHASES[phase](source, target)
    before = _peak_mib()
    start = time.perf_counter()
    work()
    seconds = time.perf_counter() - start
    result = {
        "phase": phase,
        "seconds": round(seconds, 4),
        "rows": row_counts(target),
        "peak_rss_mib_before": before,
        "peak_rss_mib": _peak_mib(),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
