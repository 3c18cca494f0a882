"""A dump of everything a database holds, to show that a refused operation changed nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from sqlalchemy import column, create_engine, literal_column, select, table, text
from sqlalchemy.engine import Connection, Engine, make_url

PRIMARY_KEY = """
    SELECT a.attname FROM pg_index i
    JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indrelid = CAST(quote_ident(:table) AS regclass) AND i.indisprimary
    ORDER BY array_position(i.indkey, a.attnum)
"""


def dump(url: str) -> Any:
    """Everything a database holds, to compare before and after.

    SQLite: the file's `iterdump()` (schema and rows). PostgreSQL: the names of its tables,
    views and indexes, and every table's rows ordered by primary key.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with closing(sqlite3.connect(str(parsed.database))) as connection:
            return list(connection.iterdump())
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return postgres_dump(connection)
    finally:
        engine.dispose()


def postgres_dump(connection: Connection) -> dict[str, Any]:
    """The schema objects' names and every table's rows (catalog queries: no reflection)."""

    def names(catalog: str, column_name: str) -> list[str]:
        query = f"SELECT {column_name} FROM {catalog} WHERE schemaname = 'public' ORDER BY 1"
        return list(connection.execute(text(query)).scalars())

    tables = names("pg_tables", "tablename")
    rows = {}
    for name in tables:
        key = connection.execute(text(PRIMARY_KEY), {"table": name}).scalars().all()
        query = select(literal_column("*")).select_from(table(name))
        found = [tuple(row) for row in connection.execute(query.order_by(*map(column, key)))]
        rows[name] = found if key else sorted(found, key=repr)
    views, indexes = names("pg_views", "viewname"), names("pg_indexes", "indexname")
    return {"tables": tables, "views": views, "indexes": indexes, "rows": rows}


def without_bookkeeping(dumped: Any) -> Any:
    """A dump without the rows of the loader's bookkeeping (`_kb_files`, `_kb_records`,
    `_kb_texts`: file hashes, ids and times), for comparing loads of files whose bytes differ
    but whose records agree."""
    internal = ("_kb_files", "_kb_records", "_kb_texts")
    if isinstance(dumped, list):
        return [
            line
            for line in dumped
            if not line.startswith(tuple(f'INSERT INTO "{t}"' for t in internal))
        ]
    rows = {name: found for name, found in dumped["rows"].items() if name not in internal}
    return {**dumped, "rows": rows}


def kb_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every kb table (not the bookkeeping), in id order."""
    from kb.loader.spec import TABLES

    with engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in TABLES
        }
