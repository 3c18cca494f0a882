"""Helpers shared by the read-side queries: row conversion, name resolution, did-you-mean."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    String,
    Text,
    column,
    or_,
    select,
    table,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import TypeEngine

from kb.errors import KbError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Reader: TypeAlias = "Connection | Session"
Row: TypeAlias = dict[str, Any]

MAX_SUGGESTIONS = 3
CLOSE_ENOUGH = 0.6  # difflib's usual cutoff for "close"
CLOSE_MARGIN = 0.15  # suggest only names almost as close as the best: one typo, one name


def _table(name: str, /, **columns: type[TypeEngine[Any]]) -> TableClause:
    """A light table for Core selects: its name and its columns with their types."""
    return table(name, *(column(key, kind()) for key, kind in columns.items()))


# kb's tables for Core selects, as light constructs rather than kb.models' tables: a read
# command then imports neither the ORM nor the models, which are most of its start-up time.
# tests/test_queries.py checks that they match kb.models column for column, type for type.
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
# Sources for their slugs only, looked up by id in ix_sources_id_slug (see IndexedTable).
SOURCE_SLUGS = IndexedTable(SOURCES, "ix_sources_id_slug")
PEOPLE = _table("people", id=Integer, slug=String, status=String, name=Text, aliases=JSON)
ROLES = _table(
    "roles",
    id=Integer,
    person_id=Integer,
    title=Text,
    party_id=Integer,
    source_id=Integer,
    evidence=Text,
    evidence_start=Integer,
    evidence_end=Integer,
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
    metric=Text,
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
    event_id=Integer,
    party_id=Integer,
    person_id=Integer,
    role=Text,
)


# Every light table by name.
TABLES: dict[str, TableClause] = {
    t.name: t for t in (SOURCES, PARTIES, PEOPLE, ROLES, QUOTES, FIGURES, EVENTS, PARTICIPANTS)
}


def fetch(reader: Reader, statement: Select[Any], parameters: Row | None = None) -> list[Row]:
    """Run a select (with the values of its bound `parameters`, if any) and return its rows
    as dicts keyed by column label."""
    return [dict(row._mapping) for row in reader.execute(statement, parameters)]


@dataclass(frozen=True)
class Named:
    """A record that a user may name by its slug or by one of its names."""

    id: int
    slug: str
    names: tuple[str, ...]


def resolve(kind: str, value: str, records: Iterable[Named], *, listing: str) -> list[Named]:
    """The records whose slug, name or alias equals `value` (ignoring case), or a KbError.

    An unknown name is an error rather than an empty result: a typo should not look like
    "no data". The error suggests close slugs and tells which command lists them all.
    """
    pool = list(records)
    matches = matching(value, pool)
    if matches:
        return matches
    raise KbError(f"Unknown {kind} {value!r}.{did_you_mean(value, pool)} `{listing}` lists them.")


def matching(value: str, records: Iterable[Named]) -> list[Named]:
    """The records whose slug, name or alias equals `value`, ignoring case."""
    wanted = value.strip().casefold()
    return [r for r in records if wanted in {r.slug.casefold(), *(n.casefold() for n in r.names)}]


def did_you_mean(value: str, records: Sequence[Named]) -> str:
    """' Did you mean: a, b?' for records resembling `value`, or '' when none does."""
    by_key: dict[str, str] = {}
    for record in records:
        for key in (record.slug, *record.names):
            by_key.setdefault(key.casefold(), record.slug)
    wanted = value.strip().casefold()
    # Substring hits first (a surname typed for a full name), then spelling neighbours.
    keys = [k for k in by_key if wanted and wanted in k]
    keys += _close(wanted, list(by_key))
    slugs = list(dict.fromkeys(by_key[k] for k in keys))[:MAX_SUGGESTIONS]
    return f" Did you mean: {', '.join(slugs)}?" if slugs else ""


def _close(wanted: str, keys: list[str]) -> list[str]:
    """Keys spelled like `wanted`, best first; only those nearly as close as the best one."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, key).ratio(), key) for key in keys),
        reverse=True,
    )
    if not scored:
        return []
    floor = max(CLOSE_ENOUGH, scored[0][0] - CLOSE_MARGIN)
    return [key for score, key in scored if score >= floor]


def people_named(reader: Reader, where: ColumnElement[bool] | None = None) -> list[Named]:
    """Every person (or those `where` selects), nameable by slug, name or alias."""
    statement = select(PEOPLE.c.id, PEOPLE.c.slug, PEOPLE.c.name, PEOPLE.c.aliases)
    rows = reader.execute(statement if where is None else statement.where(where))
    return [Named(r.id, r.slug, (r.name, *(r.aliases or ()))) for r in rows]


def parties_named(reader: Reader) -> list[Named]:
    """Every party, nameable by slug, name or alias."""
    rows = reader.execute(select(PARTIES.c.id, PARTIES.c.slug, PARTIES.c.name, PARTIES.c.aliases))
    return [Named(r.id, r.slug, (r.name, *(r.aliases or ()))) for r in rows]


def sources_named(reader: Reader, where: ColumnElement[bool] | None = None) -> list[Named]:
    """Every source (or those `where` selects), nameable by slug or exact title."""
    statement = select(SOURCES.c.id, SOURCES.c.slug, SOURCES.c.title)
    rows = reader.execute(statement if where is None else statement.where(where))
    return [Named(r.id, r.slug, (r.title,)) for r in rows]


def people_called(reader: Reader, value: str) -> list[Named]:
    """The people `value` names (slug, name or alias, any case); unknown → KbError.

    Only likely candidates are read: the person with that slug and those whose indexed name
    and aliases hold its words (full-text index), checked exactly here. When none matches,
    everyone is read, to be sure and to suggest close names.
    """
    likely = people_named(reader, _slug_or_words(reader, PEOPLE, value))
    return matching(value, likely) or resolve(
        "person", value, people_named(reader), listing="kb people"
    )


def sources_called(reader: Reader, value: str) -> list[Named]:
    """The sources `value` names (slug or title, any case); unknown → KbError.

    Candidates are read as for people_called(): by slug, and by the words of the title.
    """
    likely = sources_named(reader, _slug_or_words(reader, SOURCES, value))
    return matching(value, likely) or resolve(
        "source", value, sources_named(reader), listing="kb sources"
    )


def _slug_or_words(reader: Reader, table: TableClause, value: str) -> ColumnElement[bool]:
    """Rows of `table` whose slug is `value`, or whose full-text index holds its words in order.

    A superset of the rows `value` names: equal text (ignoring case) has the same words. (The
    index folds case letter by letter: a name with "ß" and a query with "ss" are equal to
    Python's casefold() but not to the index; such a name is still found when nothing else
    matches, by the full read.)
    """
    from kb.search.names import holding_phrase

    by_slug = table.c.slug == value.strip().casefold()
    words = holding_phrase(_dialect(reader), table, value)
    return by_slug if words is None else or_(by_slug, words)


def _dialect(reader: Reader) -> str:
    """The name of the database dialect `reader` talks to."""
    if isinstance(reader, Connection):
        return reader.dialect.name
    return reader.get_bind().dialect.name  # an ORM Session


def person_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the people `value` names (slug, name or alias); unknown → KbError."""
    return [r.id for r in people_called(reader, value)]


def party_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the parties `value` names (slug, name or alias); unknown → KbError.

    Parties are countries and organizations, a short list: it is read whole.
    """
    return [r.id for r in resolve("party", value, parties_named(reader), listing="kb parties")]


def source_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the sources `value` names (slug or title); unknown → KbError."""
    return [r.id for r in sources_called(reader, value)]
