"""kb's tables as light Core constructs for reading: names and typed columns, no ORM, no models.

The read side (kb.queries) and full-text search (kb.search) both build their selects on these:
a read command then imports neither the ORM nor kb.models, which are most of its start-up
time. This module sits below both, so neither imports the other for them.
tests/test_queries.py checks that they match kb.models column for column, type for type.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, column, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import TypeEngine


def _table(name: str, /, **columns: type[TypeEngine[Any]]) -> TableClause:
    """A light table for Core selects: its name and its columns with their types."""
    return table(name, *(column(key, kind()) for key, kind in columns.items()))


SOURCES = _table(
    "sources",
    id=Integer,
    slug=String,
    status=String,
    title=Text,
    kind=String,
    outlet=Text,
    url=Text,
    published=String,
    published_precision=String,
    published_inferred=Boolean,
    author=Text,
    language=String,
    path=Text,
    text=Text,
    sha256=String,
    retrieved=String,
)


class IndexedTable(TableClause):
    """A light table that SQLite reads through the named index (`FROM name INDEXED BY index`);
    other databases choose their own way.

    SQLite looks a row up by id in the table itself even when an index holds every column
    wanted, and a table whose rows are long (sources: their texts) then costs a page per row.
    """

    __visit_name__ = "table"
    # The index is part of the statement: SQLAlchemy's cache of compiled statements keys on it.
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's own form)
        *TableClause._traverse_internals,
        ("index", InternalTraversal.dp_string),
    ]

    def __init__(self, table: TableClause, index: str) -> None:
        super().__init__(table.name, *(column(c.key, c.type) for c in table.c))
        self.index = index


@compiles(IndexedTable, "sqlite")
def _indexed_by(element: IndexedTable, compiler: SQLCompiler, **kw: Any) -> str:
    """The table's name, and in a FROM clause the index SQLite must read it through."""
    name = compiler.visit_table(element, **kw)  # type: ignore[no-untyped-call]
    return f"{name} INDEXED BY {element.index}" if kw.get("asfrom") else name


PARTIES = _table(
    "parties", id=Integer, slug=String, status=String, name=Text, kind=String, aliases=JSON
)
METRICS = _table(
    "metrics",
    id=Integer,
    slug=String,
    status=String,
    name=Text,
    aliases=JSON,
    description=Text,
    kind=String,
    unit=Text,
)
# Sources for their slugs only, looked up by id in ix_sources_id_slug (see IndexedTable).
SOURCE_SLUGS = IndexedTable(SOURCES, "ix_sources_id_slug")
PEOPLE = _table("people", id=Integer, slug=String, status=String, name=Text, aliases=JSON)
ROLES = _table(
    "roles",
    id=Integer,
    status=String,
    person_id=Integer,
    title=Text,
    party_id=Integer,
    source_id=Integer,
    evidence=Text,
    evidence_start=Integer,
    evidence_end=Integer,
)
ALIASES = _table(
    "aliases",
    id=Integer,
    status=String,
    person_id=Integer,
    party_id=Integer,
    name=Text,
    source_id=Integer,
    name_start=Integer,
    name_end=Integer,
)
QUOTES = _table(
    "quotes",
    id=Integer,
    slug=String,
    status=String,
    text=Text,
    speaker_id=Integer,
    source_id=Integer,
    kind=String,
    text_start=Integer,
    text_end=Integer,
    said_on=String,
    said_on_precision=String,
    said_on_inferred=Boolean,
)
FIGURES = _table(
    "figures",
    id=Integer,
    slug=String,
    status=String,
    source_id=Integer,
    quote_id=Integer,
    subject_id=Integer,
    metric_id=Integer,
    kind=String,
    surface=Text,
    value=Float,
    unit=Text,
    qualifier=String,
    base=Text,
    period_start=String,
    period_start_precision=String,
    period_start_inferred=Boolean,
    period_end=String,
    period_end_precision=String,
    period_end_inferred=Boolean,
    as_of=String,
    as_of_precision=String,
    as_of_inferred=Boolean,
    evidence=Text,
    evidence_start=Integer,
    evidence_end=Integer,
    surface_start=Integer,
    surface_end=Integer,
)
EVENTS = _table(
    "events",
    id=Integer,
    slug=String,
    status=String,
    name=Text,
    kind=String,
    occurrence=String,
    source_id=Integer,
    same_as_id=Integer,
    date=String,
    date_precision=String,
    date_inferred=Boolean,
    evidence=Text,
    evidence_start=Integer,
    evidence_end=Integer,
)
PARTICIPANTS = _table(
    "event_participants",
    id=Integer,
    status=String,
    event_id=Integer,
    party_id=Integer,
    person_id=Integer,
    role=Text,
    source_id=Integer,
    evidence=Text,
    evidence_start=Integer,
    evidence_end=Integer,
)


# Every light table by name.
TABLES: dict[str, TableClause] = {
    t.name: t
    for t in (
        SOURCES,
        PARTIES,
        METRICS,
        PEOPLE,
        ROLES,
        ALIASES,
        QUOTES,
        FIGURES,
        EVENTS,
        PARTICIPANTS,
    )
}
