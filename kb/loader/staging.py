"""Staging tables: every record read goes into a temporary table first, in bulk, in slug space.

A load streams its records into one temporary table per kb table (`kb_stage_<table>`), so
memory holds a batch, not the collection. Cross-record checks (duplicate slugs, references)
and the merge into the real tables are then set-based SQL over these tables. On SQLite rows go
in by the driver's executemany; on PostgreSQL by COPY.

Each staged row carries where it came from: `_seq` (its order in its table, numbered by the
database as rows go in), `_file` (an index into the load's list of files), `_line` (the
record's line), `_label` (the record's slug or #N), `_lines` (JSON of field path -> line, for
YAML files; NULL otherwise) and `_path` (for a role or participant: its place in the record,
e.g. "roles[0]"; NULL for a record of its own).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Integer, MetaData, String, Table, Text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.types import TypeEngine

from kb.db import copy_types, driver_insert
from kb.loader.spec import TABLES
from kb.loader.tables import SPECS

META = ("_seq", "_file", "_line", "_label", "_lines", "_path")
BATCH = 5_000
# Staged columns that are not the record's: a source text file's size and modification time
# as it was read, which _kb_texts remembers (kb.loader.fingerprints); the look-up keys of a
# person's, party's or alias's names, as JSON, which _kb_names holds (kb.loader.lookup).
STAGED_ONLY = {
    "sources": ("_text_size", "_text_mtime_ns"),
    "parties": ("_keys",),
    "people": ("_keys",),
    "aliases": ("_keys",),
}
_STAGED_ONLY_TYPES = {"_text_size": BigInteger, "_text_mtime_ns": BigInteger, "_keys": Text}

# Staged columns that must be indexed before the checks and the merge: the natural keys.
_INDEXED = {
    "roles": ("person", "source", "title"),
    "aliases": ("person", "party", "source"),
    "event_participants": ("event",),
}


def row_fields() -> dict[str, Any]:
    """Per table, a function from a row's values (by field name) to its fields in order."""
    # A C-level getter per table: staging a row costs one call, not one per field.
    return {name: itemgetter(*_fields(name)) for name in TABLES}


def _fields(table: str) -> tuple[str, ...]:
    """The fields a staged row of `table` carries: its record's, then the staging-only ones."""
    return (*SPECS[table].fields, *STAGED_ONLY.get(table, ()))


def stage_name(table: str) -> str:
    """The staging table of a kb table."""
    return f"kb_stage_{table}"


def staged_columns(table: str) -> tuple[str, ...]:
    """The columns a row of a staging table gives, in order (all but `_seq`)."""
    return (*META[1:], *_fields(table))


def _stage_table(metadata: MetaData, name: str) -> Table:
    """The SQLAlchemy definition of a staging table: meta columns, then the fields."""
    spec = SPECS[name]
    real = spec.table
    columns: list[Column[Any]] = [
        # Numbered by the database in insert order, so rows come in without it.
        Column("_seq", Integer, primary_key=True, autoincrement=True),
        Column("_file", Integer, nullable=False),
        # The one staged integer no size limit bounds (a JSON Lines file may have any number of
        # lines), and psycopg's binary COPY wraps an int4 out of range: wider than kb's own.
        Column("_line", BigInteger, nullable=False),
        Column("_label", Text, nullable=False),
        Column("_lines", Text),
        Column("_path", Text),
    ]
    for field in spec.columns:
        kind = real.c[field].type
        # JSON goes in as its text (see Stage.add), so both dialects compare it as text.
        columns.append(Column(field, _byte_order(Text() if isinstance(kind, JSON) else kind)))
    columns.extend(Column(ref, _byte_order(String(200))) for ref in spec.refs)
    columns.extend(Column(extra, _STAGED_ONLY_TYPES[extra]) for extra in STAGED_ONLY.get(name, ()))
    return Table(stage_name(name), metadata, *columns, prefixes=["TEMPORARY"])


def _byte_order(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """A staged column's type: text in byte order on PostgreSQL, as kb's own columns are
    (migration 0011), so that staged slugs compared with kb's use the staging indexes too
    (an index in the database's default order cannot serve a comparison in "C")."""
    if not isinstance(kind, String):
        return kind.copy()
    in_bytes = kind.copy()
    in_bytes.collation = "C"
    return kind.copy().with_variant(in_bytes, "postgresql")


class Stage:
    """The staging tables of one load, with a write buffer per table."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.metadata = MetaData()
        self.tables = {name: _stage_table(self.metadata, name) for name in TABLES}
        self.buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        self.getters = row_fields()
        # Staged rows go in by binary COPY on PostgreSQL (kb.db.driver_insert).
        self.types = {
            name: copy_types(table, staged_columns(name)) for name, table in self.tables.items()
        }
        # Rows written per table and data file (by index), for _kb_files.
        self.per_file: dict[str, Counter[int]] = {name: Counter() for name in TABLES}
        # Staging tables indexed on their keys, and those whose slugs the index found
        # distinct (see index()).
        self.indexed: set[str] = set()
        self.distinct: set[str] = set()
        # Staging tables analyzed while rows still come in (see analyze_early()).
        self.analyzed: set[str] = set()
        if self.dialect == "sqlite":
            # Some builds (Debian's, for one) zero every freed page by default: dropping the
            # staged rows at the end of a load would write them all once more. The temporary
            # database is private to this connection and deleted when it closes.
            self.connection.exec_driver_sql("PRAGMA temp.secure_delete = OFF")
        for table in self.tables.values():
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
            table.create(connection)
        if self.dialect == "postgresql":
            # The staged source texts are read back while grounding and once by the merge:
            # stored uncompressed, no pass compresses or decompresses them (about 3 s of a
            # million-fact load).
            self.connection.exec_driver_sql(
                f"ALTER TABLE {stage_name('sources')} ALTER COLUMN text SET STORAGE EXTERNAL"
            )
        # Grounding looks source texts up by slug while rows stream in: index them at once.
        self._create_index("sources")

    def add(self, table: str, meta: tuple[Any, ...], values: dict[str, Any]) -> None:
        """Buffer one row: `meta` is (file, line, label, lines, path); values by field name,
        lists already as JSON text (json_text)."""
        self.add_row(table, meta, self.getters[table](values))

    def add_row(self, table: str, meta: tuple[Any, ...], fields: tuple[Any, ...]) -> None:
        """Buffer one row whose fields are already in the table's order (row_fields())."""
        buffer = self.buffers[table]
        buffer.append((*meta, *fields))
        if len(buffer) >= BATCH:
            self.flush(table)

    def add_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Buffer whole rows of a table: meta, then the fields in order (staged_columns())."""
        buffer = self.buffers[table]
        buffer.extend(rows)
        if len(buffer) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        """Write the buffered rows (of one table, or of all)."""
        for name in (table,) if table is not None else TABLES:
            rows = self.buffers[name]
            if rows:
                self._write(name, rows)
                self.buffers[name] = []

    def _write(self, name: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert rows into a staging table (kb.db.driver_insert)."""
        columns = staged_columns(name)
        target = stage_name(name)
        # Counted a batch at a time in C (a row's first value is its file): a GROUP BY over
        # the staged rows at the end cost half a second at a million rows.
        self.per_file[name].update(map(itemgetter(0), rows))
        driver_insert(self.connection, target, columns, rows, self.types[name])

    def index_quotes(self, *, unique: bool) -> None:
        """Index the staged quotes' slugs before the rest (grounding the records deferred to
        the end of the read looks quotes up by slug); `unique`: no quote comes in after."""
        self.flush("quotes")
        if "quotes" in self.indexed:
            return
        if unique:
            self._index_keys("quotes")
        else:
            self._create_index("quotes")

    def analyze_early(self, name: str) -> None:
        """PostgreSQL: statistics for a staging table that is looked up by many slugs at once
        while rows still come in; once per load.

        Without them the planner takes `slug IN (500 slugs)` to match every row (0.5 % a
        slug) and scans the whole table each time: the texts of the sources that 27,778
        people's roles cite took 56 scans of the staged sources, 2.2 s, at a million facts.
        With them (slugs distinct, however many rows come after) it uses the index.
        """
        if self.dialect != "postgresql" or name in self.analyzed:
            return
        self.flush(name)
        with self._small_sample():
            self.connection.exec_driver_sql(f"ANALYZE {stage_name(name)}")
        self.analyzed.add(name)

    def index(self) -> None:
        """Index the staged keys, once every row is in (the checks and the merge join on them)."""
        self.flush()
        with self._small_sample():
            for name in TABLES:
                if name not in self.indexed:
                    self._index_keys(name)
                if self.dialect == "postgresql":
                    # Temporary tables get no statistics unless asked: without them the
                    # planner takes a million staged rows for a handful and picks nested scans.
                    self.connection.exec_driver_sql(f"ANALYZE {stage_name(name)}")

    @contextmanager
    def _small_sample(self) -> Iterator[None]:
        """PostgreSQL: ANALYZE samples 3,000 rows, not 30,000, inside the block: enough for
        the planner to know staged rows."""
        if self.dialect != "postgresql":
            yield
            return
        self.connection.exec_driver_sql("SET LOCAL default_statistics_target = 10")
        yield
        # kb's own tables keep the full sample when the merge analyzes them.
        self.connection.exec_driver_sql("SET LOCAL default_statistics_target TO DEFAULT")

    def _index_keys(self, name: str) -> None:
        """Index a staging table on its natural key: slugs by a unique index when they are
        distinct (as in any collection that loads), so that the check for slugs defined twice
        need not look (a GROUP BY of every staged slug: 0.5 s at a million facts). No row may
        come in after it: a repeated slug would be refused rather than reported."""
        if name in _INDEXED:
            self._create_index(name)
            return
        try:
            with self.connection.begin_nested():  # a refused index rolls back to here
                self._create_index(name, unique=True)
        except IntegrityError:
            self._create_index(name)  # a slug defined twice: the check names both places
        else:
            self.distinct.add(name)

    def _create_index(self, name: str, *, unique: bool = False) -> None:
        """Index a staging table on its natural key."""
        columns = _INDEXED.get(name, ("slug",))
        self.connection.exec_driver_sql(
            f"CREATE {'UNIQUE ' if unique else ''}INDEX {stage_name(name)}_key "
            f"ON {stage_name(name)} ({', '.join(columns)})"
        )
        self.indexed.add(name)

    def rows_per_file(self) -> dict[int, dict[str, int]]:
        """Rows of each table each file defines (by file index), kept with the file's hash."""
        self.flush()
        found: defaultdict[int, dict[str, int]] = defaultdict(dict)
        for name in TABLES:
            for file, rows in sorted(self.per_file[name].items()):
                found[file][name] = rows
        return dict(found)

    def count(self, table: str) -> int:
        """How many rows a staging table holds (counted as they went in: a count(*) reads
        the whole table, 0.05–0.1 s for each large one at a million facts)."""
        self.flush(table)
        return sum(self.per_file[table].values())

    def drop(self) -> None:
        """Drop the staging tables (a committed load leaves nothing behind)."""
        for name in TABLES:
            self.connection.exec_driver_sql(f"DROP TABLE IF EXISTS {stage_name(name)}")


def json_text(items: Iterable[str] | None) -> str:
    """A list (aliases) as the JSON text its column stores; staged and compared as text."""
    return json.dumps(list(items or ()), ensure_ascii=False)


def lines_json(lines: dict[str, int], line: int) -> str | None:
    """The `_lines` column: field lines that differ from the record's line, as JSON."""
    if not lines:  # JSON Lines: every field is on the record's line
        return None
    differing = {path: number for path, number in lines.items() if number != line}
    return json.dumps(differing) if differing else None


def line_of(lines: str | None, path: str | None, line: int) -> int:
    """The line of a field, from a staged row's `_lines` and `_line`."""
    if lines is None or path is None:
        return line
    return int(json.loads(lines).get(path, line))
