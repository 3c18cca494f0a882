"""What the full-text index holds: the searchable tables, their columns, and the objects it adds.

Standard library only: the CLI, Alembic's env.py and `kb check` read these constants cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.sql.schema import SchemaItem

# Each searchable table and its indexed columns. On SQLite, `<table>_fts` is an external-content
# FTS5 table over them; on PostgreSQL, `ix_<table>_fts` is a GIN index on their 'simple'
# tsvector. Migrations 0002 and 0006 keep frozen copies; a test checks that they agree.
FTS_TABLES: dict[str, tuple[str, ...]] = {
    "quotes": ("text",),
    "figures": ("surface", "evidence"),
    "events": ("name", "evidence"),
    "sources": ("title",),
    "people": ("name", "aliases"),
    "metrics": ("name", "aliases"),
}

# What `kb search --type` calls a hit from each table.
HIT_TYPES: dict[str, str] = {
    "quote": "quotes",
    "figure": "figures",
    "event": "events",
    "source": "sources",
    "person": "people",
    "metric": "metrics",
}

# How many hits a search shows unless asked for another number.
DEFAULT_LIMIT = 20
# Matches of each table that a search ranks: the newest (highest ids). A word found in most
# rows would otherwise have every row scored (bm25 or ts_rank_cd), for a million facts
# nearly a second; finding the newest matches costs no ranking.
RANKED = 1000
# Matches of each table that a search counts; past this it says "more than".
COUNTED = 10_000

# Tables FTS5 creates beside each `<table>_fts` to hold the index.
FTS5_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")


def fts_table(table: str) -> str:
    """The name of the FTS5 table (SQLite) over `table`."""
    return f"{table}_fts"


def gin_index(table: str) -> str:
    """The name of the GIN expression index (PostgreSQL) over `table`."""
    return f"ix_{table}_fts"


def is_index_object(name: str | None, type_: str) -> bool:
    """True for a table or index that full-text search adds (the models do not describe them)."""
    if type_ == "table":
        return name in _fts_table_names()
    if type_ == "index":
        return name in {gin_index(table) for table in FTS_TABLES}
    return False


def include_object(
    _object: SchemaItem,
    name: str | None,
    type_: str,
    _reflected: bool,
    _compare_to: SchemaItem | None,
) -> bool:
    """Alembic's include_object hook: compare everything but full-text and loader bookkeeping.

    The loader's internal tables (`_kb_files`, `_kb_records`, migration 0004) belong to
    kb.loader.bookkeeping, not to the models.
    """
    if name is not None and name.startswith(("_kb_", "ix__kb_")):
        return False
    return not is_index_object(name, type_)


def _fts_table_names() -> set[str]:
    """Every FTS5 table and shadow table the migration creates."""
    names = {fts_table(table) for table in FTS_TABLES}
    return names | {f"{name}_{suffix}" for name in names for suffix in FTS5_SHADOW_SUFFIXES}
