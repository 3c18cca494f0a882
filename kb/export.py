"""Write every table and view of a database to a directory, one CSV or JSON file each.

The files are what pandas and spreadsheets read without options: CSV is UTF-8 with a header
row and standard quoting (a value holding a newline is quoted); JSON is a list of objects (pandas'
"records" orient). In both, NULL is empty or null, booleans are true/false and JSON columns
(aliases) are JSON. Internal tables (Alembic's version table) and SQLite's full-text indexes
are left out: they hold bookkeeping and index data, not facts.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, MetaData, Table, select

from kb.errors import KbError
from kb.schema import Relation, describe
from kb.sql import plain

FORMATS = ("csv", "json")
EXPORTED_KINDS = ("table", "view")
_PLAIN_NAME = re.compile(r"\w+")


@dataclass(frozen=True)
class Exported:
    """One file written: the table or view, its path and how many rows it holds."""

    name: str
    path: Path
    rows: int


def exportable(connection: Connection) -> list[Relation]:
    """The tables and views an export writes: all but internal tables and search indexes."""
    return [r for r in describe(connection) if r.kind in EXPORTED_KINDS]


def left_out(connection: Connection) -> list[str]:
    """What an export leaves out: internal `_` tables and full-text indexes, by name.

    The FTS5 storage tables of each index are left out too, and not named.
    """
    relations = describe(connection)
    return [r.name for r in relations if r.kind == "search index" or r.name.startswith("_")]


def export(
    connection: Connection, directory: Path, fmt: str = "csv", *, force: bool = False
) -> list[Exported]:
    """Write each table and view to `directory`/<name>.<fmt>; refuse to overwrite unless `force`.

    Nothing is written when any file is in the way, so a refused export leaves no partial copy.
    """
    if fmt not in FORMATS:
        raise KbError(f"Cannot export as {fmt!r}: choose csv or json.")
    relations = exportable(connection)
    targets = {r.name: directory / f"{_file_name(r.name)}.{fmt}" for r in relations}
    _check_targets(directory, list(targets.values()), force=force)
    directory.mkdir(parents=True, exist_ok=True)
    tables = _reflect(connection, list(targets))
    written = []
    for name, path in targets.items():
        with path.open("w", encoding="utf-8", newline="") as stream:
            count = WRITERS[fmt](stream, connection, tables[name])
        written.append(Exported(name, path, count))
    return written


def _file_name(name: str) -> str:
    """`name` if it is safe as a file name (letters, digits, underscores), else a KbError."""
    if not _PLAIN_NAME.fullmatch(name):
        raise KbError(f"Cannot export {name!r}: its name is not a plain file name.")
    return name


def _check_targets(directory: Path, paths: list[Path], *, force: bool) -> None:
    """Fail if `directory` is a file, or (without `force`) if a file to write exists."""
    if directory.exists() and not directory.is_dir():
        raise KbError(f"{directory} is a file, not a directory: choose a directory to export to.")
    existing = [p.name for p in paths if p.exists()]
    if existing and not force:
        shown = ", ".join(existing[:3]) + (", …" if len(existing) > 3 else "")
        raise KbError(
            f"{directory} already holds {len(existing)} of the files to write ({shown}). "
            "Add --force to overwrite them, or choose another directory. Nothing was written."
        )


def _reflect(connection: Connection, names: list[str]) -> dict[str, Table]:
    """The tables and views `names`, with their column types read from the database.

    Reflected types turn booleans and JSON into Python values on both SQLite and PostgreSQL,
    so the two backends export the same text.
    """
    metadata = MetaData()
    metadata.reflect(connection, only=names, views=True)
    return {name: metadata.tables[name] for name in names}


def rows(connection: Connection, table: Table) -> Iterator[dict[str, Any]]:
    """The rows of a table in primary-key order (a view: in its own order), as plain dicts."""
    statement = select(table).order_by(*table.primary_key.columns)
    for row in connection.execute(statement):
        yield {key: plain(value) for key, value in row._mapping.items()}


def write_csv(stream: IO[str], connection: Connection, table: Table) -> int:
    """Write `table` as CSV with a header row; return the number of rows."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    count = 0
    for row in rows(connection, table):
        writer.writerow([_csv_cell(value) for value in row.values()])
        count += 1
    return count


def _csv_cell(value: Any) -> Any:
    """A CSV cell: JSON for booleans, lists and objects (true, ["a", "b"]); '' for NULL."""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_json(stream: IO[str], connection: Connection, table: Table) -> int:
    """Write `table` as a JSON list of objects, one per line; return the number of rows."""
    count = 0
    stream.write("[")
    for row in rows(connection, table):
        stream.write(",\n" if count else "\n")
        stream.write(json.dumps(row, ensure_ascii=False))
        count += 1
    stream.write("\n]\n" if count else "]\n")
    return count


WRITERS = {"csv": write_csv, "json": write_json}
