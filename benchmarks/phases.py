"""The timed phases of the load benchmark, each run in a process of its own.

Usage (load_bench.py calls it): python benchmarks/phases.py PHASE SOURCE TARGET

A TARGET (or SOURCE) with "://" in it is a database URL (PostgreSQL); anything else is the path
of a SQLite file.

- kb:     kb.loader.load() of the data directory SOURCE into a new database TARGET — read,
          validate, ground, migrate, write, indexes and full-text index: the real `kb load`.
- reload: kb.loader.load() of SOURCE again into the database TARGET it was loaded into (after
          the collection changed, or not): what `kb load` costs when little or nothing changed.
- floor:  the rows of kb's loaded database SOURCE written into TARGET in kb's own schema as fast
          as the database allows. SQLite: plain sqlite3 `executemany`, one transaction, tables
          first without their secondary indexes, then the indexes, triggers and views, then one
          FTS5 'rebuild' per `<table>_fts`. PostgreSQL: a database migrated by kb, its secondary
          indexes (GIN ones included) and foreign keys dropped before the clock starts; then
          `COPY ... FROM STDIN` of every table, the indexes and foreign keys made again and the
          id sequences set, in one transaction — pg_restore's order.
- peer:   (SQLite) sqlite-utils `insert_all` of the same rows into TARGET in one transaction (a
          batch as large as it allows), then the same indexes and `enable_fts` on the columns
          kb indexes.

The rows are those of kb's eight tables and of its loader bookkeeping (`_kb_*` tables), so all
phases write the same rows. Prints one JSON object: the phase, its seconds, the rows in each
table afterwards, the load report (kb and reload), and the peak resident memory of this process
(ru_maxrss) just before the phase and at its end; for a load that started worker processes,
the peak adds the largest worker's peak once per worker. On PostgreSQL also "server": the peak
memory of the server backends that served the phase's connections and the database's size
before and after it (pgserver.py). On a virtual machine whose kernel counts them, what the host
took while the phase ran (machine.host_counters): "host_reported_mib", the freed memory handed
back to it (machine.PAGE_REPORTING), and "host_steal_s", the CPU seconds it ran something else
when this machine's CPUs were ready (machine.PROC_STAT). Times cover the phase only:
interpreter start-up, imports and reading the rows to insert come before the clock starts (and
so are in the "before" peak: for floor and peer, the rows held in memory).
"""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from machine import host_counters
from pgserver import BackendWatch, database_mib

from kb.models import Base
from kb.search import FTS_TABLES, is_index_object

# kb's tables in an order that inserts parents before children.
TABLES = tuple(table.name for table in Base.metadata.sorted_tables)
# The loader's bookkeeping tables (migration 0004) start with this; their rows are kb's work too.
BOOKKEEPING = "_kb_"
VERSION_TABLE = "_alembic_version"
# kb sql's reader role's table (PostgreSQL): no load writes it.
READER = "_kb_sql_reader"
# The pragmas kb's engine sets (kb/db.py), so every phase writes the same way.
PRAGMAS = ("PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL")
# sqlite-utils caps a batch at 999 bound values; asking for more gives the largest it allows.
PEER_BATCH = 100_000
# A load report lists at most this many missing rows by name (the count is always there).
MISSING_SHOWN = 20

# A phase, ready to run: everything it needs is read before the clock starts. It returns
# figures to add to the measurement (the load report), or None.
Work = Callable[[], dict[str, Any] | None]


def is_url(target: str) -> bool:
    """True for a database URL, False for the path of a SQLite file."""
    return "://" in target


# --- kb ---------------------------------------------------------------------------------------


def prepare_kb(source: str, target: str, watch: BackendWatch | None = None) -> Work:
    """kb.loader.load() of the data directory `source` into a new database `target`."""
    if not is_url(target) and Path(target).exists():
        raise SystemExit(f"kb: {target} exists; the kb phase loads into a new database")
    return _load_work(source, target, watch)


def prepare_reload(source: str, target: str, watch: BackendWatch | None = None) -> Work:
    """kb.loader.load() of `source` into the database `target` it was loaded into before."""
    if not is_url(target) and not Path(target).exists():
        raise SystemExit(f"reload: no database at {target}; run the kb phase first")
    return _load_work(source, target, watch)


def _load_work(source: str, target: str, watch: BackendWatch | None) -> Work:
    """A kb load of `source` into `target` that returns its report; on PostgreSQL, `watch`
    follows the server backends of every connection the load opens."""
    from kb.db import make_engine
    from kb.loader import load
    from kb.queries.conflicts.changes import ConflictWatch

    engine = make_engine(target if is_url(target) else f"sqlite:///{target}")
    if watch is not None:
        watch.watch_engine(engine)

    def work() -> dict[str, Any]:
        # No progress callback: the loader's default, what a library caller or a non-terminal
        # `kb load` gets; the progress display is not part of what is measured. The conflicts
        # the load adds and removes are, as `kb load` reports them.
        report = load(engine, Path(source), observe=ConflictWatch())
        engine.dispose()
        return {"report": summarise_report(report), "workers": workers_used(report)}

    return work


def workers_used(report: Any) -> int:
    """How many worker processes the load started: as many as its default for the bytes it
    read (kb.loader.parallel.default_jobs), or none (1 job: the load's own process)."""
    from kb.loader.parallel import default_jobs

    skipped = set(report.skipped)
    read = sum(path.stat().st_size for path in report.files if path not in skipped)
    jobs = default_jobs(read)
    return jobs if jobs > 1 else 0


def summarise_report(report: Any) -> dict[str, Any]:
    """A LoadReport as JSON: whether it changed anything, and each table's counts (the names of
    missing rows only when there are few)."""
    tables = {}
    for name, change in report.tables.items():
        figures = change.to_dict()
        missing = figures.pop("missing")
        figures["missing_count"] = len(missing)
        figures["missing"] = missing[:MISSING_SHOWN]
        tables[name] = figures
    return {"changed": report.changed, "files": len(report.files), "tables": tables}


# --- The SQLite floor and peer ---------------------------------------------------------------


def prepare_floor(source: str, target: str, watch: BackendWatch | None = None) -> Work:
    """The fastest load of kb's rows into kb's schema: SQLite or PostgreSQL by `target`."""
    if is_url(target):
        return prepare_pg_floor(source, target, watch)
    return prepare_sqlite_floor(Path(source), Path(target))


def prepare_sqlite_floor(source: Path, target: Path) -> Work:
    """Plain executemany of kb's rows into kb's schema; indexes, triggers, views and FTS after."""
    schema = _schema(source)
    rows = {table: _rows(source, table)[1] for table in (*copied_tables(source), VERSION_TABLE)}

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


def prepare_peer(source: str, target: str, _watch: BackendWatch | None = None) -> Work:
    """sqlite-utils: insert kb's rows in one transaction, the same indexes, enable_fts."""
    import sqlite_utils

    database = Path(source)
    tables = copied_tables(database)
    rows = {table: _rows(database, table) for table in tables}
    keys = {table: _primary_key(database, table) for table in tables}
    indexes = {table: _indexes(database, table) for table in tables}

    def work() -> None:
        db = sqlite_utils.Database(target)
        for pragma in PRAGMAS:
            db.execute(pragma)
        with db.atomic():
            for table, (columns, values) in rows.items():
                records = (dict(zip(columns, row, strict=True)) for row in values)
                db[table].insert_all(records, pk=keys[table], batch_size=PEER_BATCH)
            for table, table_indexes in indexes.items():
                # sqlite-utils makes a table with its first row: an empty one is not there.
                for columns, unique in table_indexes if rows[table][1] else ():
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


def copied_tables(database: Path) -> list[str]:
    """The tables whose rows every phase writes: kb's eight, then the loader's bookkeeping."""
    with _reader(database) as connection:
        names = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
    return [*TABLES, *sorted(n for n in names if n.startswith(BOOKKEEPING))]


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
    """Column names and every row of `table`, in primary key order."""
    order = ", ".join(f'"{c}"' for c in _primary_key(database, table) or ["rowid"])
    with _reader(database) as connection:
        # Table names come from kb's own schema (identifiers cannot be bound parameters).
        cursor = connection.execute(f'SELECT * FROM "{table}" ORDER BY {order}')  # noqa: S608
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()


def _primary_key(database: Path, table: str) -> list[str]:
    """The primary key columns of `table`, in key order (none for a table without one)."""
    with _reader(database) as connection:
        info = connection.execute(f'PRAGMA table_info("{table}")').fetchall()
    return [name for _cid, name, *_, pk in sorted(info, key=lambda c: c[-1]) if pk]


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


# --- The PostgreSQL floor --------------------------------------------------------------------

# Indexes that do not back a primary key, unique or exclusion constraint: made after the COPY.
_PG_SECONDARY_INDEXES = """
SELECT index_class.relname, pg_get_indexdef(i.indexrelid)
FROM pg_index i
JOIN pg_class index_class ON index_class.oid = i.indexrelid
JOIN pg_namespace n ON n.oid = index_class.relnamespace
WHERE n.nspname = current_schema()
  AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.contype <> 'f'
  )
ORDER BY index_class.relname
"""
_PG_FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
WHERE c.contype = 'f' AND n.nspname = current_schema()
ORDER BY c.conrelid::regclass::text, c.conname
"""
# Columns whose values come from a sequence (serial or identity): set to max() after the COPY.
_PG_SEQUENCE_COLUMNS = """
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = current_schema()
  AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')
ORDER BY table_name, column_name
"""
_PG_PRIMARY_KEY = """
SELECT a.attname FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
WHERE i.indrelid = %s::regclass AND i.indisprimary
ORDER BY array_position(i.indkey::int2[], a.attnum)
"""
_PG_COLUMNS = """
SELECT attname FROM pg_attribute
WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
ORDER BY attnum
"""


def pg_conninfo(url: str) -> str:
    """A libpq URL for psycopg from a SQLAlchemy URL (postgresql+psycopg://…)."""
    from sqlalchemy.engine import make_url

    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def pg_connection(url: str, *, json_as_text: bool = False) -> Iterator[Any]:
    """A psycopg connection to `url`, closed at the end; JSON columns read back as their text
    (so COPY writes them back unchanged) with `json_as_text`."""
    import psycopg
    from psycopg.types.string import TextLoader

    connection = psycopg.connect(pg_conninfo(url))
    if json_as_text:
        for type_name in ("json", "jsonb"):
            connection.adapters.register_loader(type_name, TextLoader)
    try:
        yield connection
    finally:
        connection.close()


def pg_tables(connection: Any, *, every: bool = False) -> list[str]:
    """The tables whose rows the floor copies: kb's eight, then the loader's bookkeeping (with
    `every`, the names of all tables there are)."""
    names = [
        row[0]
        for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    ]
    if every:
        return names
    return [*TABLES, *sorted(n for n in names if n.startswith(BOOKKEEPING) and n != READER)]


def prepare_pg_floor(source: str, target: str, watch: BackendWatch | None = None) -> Work:
    """COPY kb's rows (read from kb's database `source`) into `target`, migrated by kb, with its
    secondary indexes and foreign keys made after the rows, in one transaction; `watch`
    follows the server backend of the connection that does it."""
    from kb.db import make_engine
    from kb.migrating import upgrade

    engine = make_engine(target)
    upgrade(engine)  # kb's own schema, made by kb's migrations (the version row included)
    engine.dispose()
    with pg_connection(source, json_as_text=True) as reader:
        data = {table: _pg_rows(reader, table) for table in pg_tables(reader)}
    connection = _pg_open(target)
    if watch is not None:
        watch.opened(connection)
    deferred = _pg_drop_deferred(connection)
    sequences = connection.execute(_PG_SEQUENCE_COLUMNS).fetchall()
    connection.commit()

    def work() -> None:
        with connection.cursor() as cursor:
            for table, (columns, rows) in data.items():
                names = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            for sql in deferred:
                cursor.execute(sql)
            for table, column in sequences:
                cursor.execute(
                    f'SELECT setval(pg_get_serial_sequence(%s, %s), max("{column}")) '  # noqa: S608
                    f'FROM "{table}"',
                    (f'"{table}"', column),
                )
        connection.commit()
        if watch is not None:
            watch.closing(connection)
        connection.close()

    return work


def _pg_open(url: str) -> Any:
    """A psycopg connection that the phase closes itself."""
    import psycopg

    return psycopg.connect(pg_conninfo(url))


def _pg_rows(connection: Any, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names (generated ones aside) and every row of `table`, in primary key order."""
    quoted = f'"{table}"'
    columns = [row[0] for row in connection.execute(_PG_COLUMNS, (quoted,))]
    key = [row[0] for row in connection.execute(_PG_PRIMARY_KEY, (quoted,))]
    names = ", ".join(f'"{c}"' for c in columns)
    order = " ORDER BY " + ", ".join(f'"{c}"' for c in key) if key else ""
    # Table and column names come from the catalog of kb's own database.
    rows = connection.execute(f"SELECT {names} FROM {quoted}{order}").fetchall()  # noqa: S608
    return columns, rows


def _pg_drop_deferred(connection: Any) -> list[str]:
    """Drop the foreign keys and secondary indexes; return the SQL that makes them again
    (indexes first, then the foreign keys that may rely on them)."""
    indexes = connection.execute(_PG_SECONDARY_INDEXES).fetchall()
    foreign_keys = connection.execute(_PG_FOREIGN_KEYS).fetchall()
    for table, name, _definition in foreign_keys:
        connection.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        connection.execute(f'DROP INDEX "{name}"')
    return [definition for _name, definition in indexes] + [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in foreign_keys
    ]


# --- Measuring --------------------------------------------------------------------------------


def row_counts(target: str) -> dict[str, int]:
    """Rows in each table the phases write (kb's and the bookkeeping) in database `target`;
    a table that is not there counts 0."""
    if is_url(target):
        with pg_connection(target) as connection:
            tables = pg_tables(connection)
            present = set(pg_tables(connection, every=True))
            return {
                t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                if t in present
                else 0
                for t in tables
            }
    database = Path(target)
    with _reader(database) as connection:
        present = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        return {
            t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]  # noqa: S608
            if t in present
            else 0
            for t in copied_tables(database)
        }


PHASES: dict[str, Callable[[str, str, BackendWatch | None], Work]] = {
    "kb": prepare_kb,
    "reload": prepare_reload,
    "floor": prepare_floor,
    "peer": prepare_peer,
}


def _peak_mib(who: int = resource.RUSAGE_SELF) -> float:
    """Peak resident set size of this process so far (or of its largest finished child), in
    MiB (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(who).ru_maxrss
    return round(peak / (1 << 20 if sys.platform == "darwin" else 1 << 10), 1)


def main(argv: list[str]) -> int:
    """Run one phase and print its measurement as JSON."""
    phase, source, target = argv[0], argv[1], argv[2]
    watch = None
    if is_url(target):
        with pg_connection(target) as connection:
            watch = BackendWatch(connection)
    work = PHASES[phase](source, target, watch)
    if watch is not None:
        with pg_connection(target) as connection:
            database_before = database_mib(connection)
    before = _peak_mib()
    host_before = host_counters()
    start = time.perf_counter()
    figures = work()
    seconds = time.perf_counter() - start
    host_after = host_counters()
    figures = figures or {}
    # What the host took while the phase ran, from every process here: freed memory it took
    # back (which the phase may have waited for it to fault in again) and CPU time.
    for name, value in host_before.items():
        if name in host_after:
            figures[name] = round(host_after[name] - value, 1)
    own = _peak_mib()
    # A load's worker processes have ended (and been waited for): each peaked at most as
    # high as the largest, so the sum is at most this.
    workers = figures.pop("workers", 0)
    worker_peak = _peak_mib(resource.RUSAGE_CHILDREN) if workers else 0.0
    if watch is not None:
        with pg_connection(target) as connection:
            figures["server"] = watch.figures(connection, database_before)
    result = {
        "phase": phase,
        "seconds": round(seconds, 4),
        "rows": row_counts(target),
        "peak_rss_mib_before": before,
        "peak_rss_mib": round(own + workers * worker_peak, 1),
        "peak_rss_mib_own": own,
        "workers": workers,
        "worker_peak_rss_mib": worker_peak,
        **figures,
    }
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
