"""What each table, view and column of a kb database holds, in one line each.

Tables and their columns are described by the `comment`s in kb/models.py; the views (created
by migrations 0003 and 0006) are described here. describe() reads the tables, views and columns a
database really has and attaches those descriptions; `kb schema`, docs/schema.md and the
Datasette metadata (kb/metadata.py) are all made from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, column, inspect, select, table
from sqlalchemy.types import NullType

from kb.models import Base
from kb.search.index import INDEXED_APART, QUOTES_FTS_SOURCE, fts_table

# Kinds of relation, in the order docs list them.
KINDS = ("table", "view", "search index", "internal")
FTS_SHADOWS = {
    "data": "FTS5 index data",
    "idx": "FTS5 segment index",
    "docsize": "FTS5 document sizes",
    "config": "FTS5 settings",
    "content": "FTS5 copy of the indexed text",
}
VERSION_TABLE_DOC = (
    "Alembic's record of the schema revision the database is at.",
    {"version_num": "The revision id (`kb db current` shows it)."},
)
# The loader's bookkeeping (migrations 0004, 0006): how a reload recognises unchanged files,
# and the look-up keys of names.
BOOKKEEPING_DOCS = {
    "_kb_files": (
        "The data files the last loads read, by content hash: `kb load` skips a file whose "
        "bytes (and source texts) are unchanged. Deleting rows is safe: the next load rereads.",
        {
            "id": "Row id.",
            "path": "Absolute path of the data file.",
            "sha256": "SHA-256 of the file's bytes when it was loaded.",
            "counts": "JSON: how many rows of each table the file defines.",
        },
    ),
    "_kb_records": (
        "Which data file (and line) defines each record, so that a reload that skips a file "
        "keeps its records (a role or participant written inside its person or event belongs "
        "to that record's file).",
        {
            "tablename": "The record's table (sources, parties, people, quotes, ...).",
            "slug": "The record's slug; for a role, alias or participant written as a record of "
            "its own, its key (e.g. person, source and title, separated by spaces).",
            "file_id": "The file that defines it (_kb_files.id).",
            "line": "The line of the record in that file.",
        },
    ),
    "_kb_names": (
        "The look-up keys of every name of a person or party (folded, transliteration-proof "
        "forms: kb/names.py), so that `kb draft` finds the people and parties an article names "
        "with an indexed query. Kept current by every load.",
        {
            "kind": "person or party.",
            "slug": "The slug of the person or party the name is of.",
            "key": "A key of one of its names (full name, surname, initials, adjective).",
            "origin": "The table the name is in: people, parties or aliases.",
            "origin_key": "That record's slug, or the alias row's key.",
        },
    ),
    "_kb_texts": (
        "Size, modification time and SHA-256 of each source text file loaded, so that a reload "
        "rehashes only the texts whose size or time changed.",
        {
            "path": "Absolute path of the text file.",
            "size": "Its size in bytes when it was loaded.",
            "mtime_ns": "Its modification time (nanoseconds since the epoch).",
            "sha256": "SHA-256 of its bytes.",
        },
    ),  # PostgreSQL only (migration 0008).
    "_kb_sql_reader": (
        "PostgreSQL only: the role kb sql logs in as (SELECT on kb's tables and views, "
        "nothing else; an upgrade by a role that may create roles, or `kb db reader`, makes "
        "it) and its password, readable by the owner only.",
        {
            "role": "The reader role's name (kb_reader_<database>; a copy made from a "
            "template names the template's until `kb db reader` gives it its own).",
            "password": "Its password (random; `kb db reader` sets a new one).",
        },
    ),
}


@dataclass(frozen=True)
class ColumnDoc:
    """A column: its name, declared type ('' when it has none) and description."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Relation:
    """A table or view: its name, kind (see KINDS), description and columns."""

    name: str
    kind: str
    description: str
    columns: tuple[ColumnDoc, ...]


# --- The views --------------------------------------------------------------------------


@dataclass(frozen=True)
class ViewDoc:
    """A view's description and its columns' descriptions, in the view's column order."""

    description: str
    columns: tuple[ColumnDoc, ...]


def same(reference: str, description: str | None = None) -> ColumnDoc:
    """A view column that shows table.column: its type, and its description unless given."""
    table_name, name = reference.split(".")
    source = Base.metadata.tables[table_name].c[name]
    text = description or str(source.comment)
    return ColumnDoc(name, str(source.type), text)


def named(name: str, base: ColumnDoc) -> ColumnDoc:
    """`base` under another name (a view renames speaker.name to speaker_name)."""
    return ColumnDoc(name, base.type, base.description)


def computed(name: str, type_: str, description: str) -> ColumnDoc:
    """A view column computed by the view."""
    return ColumnDoc(name, type_, description)


VIEWS: dict[str, ViewDoc] = {
    "quotes_view": ViewDoc(
        "Each quote with its speaker and source, in the order the source prints them.",
        (
            same("quotes.id", "The quote's id (quotes.id)."),
            same("quotes.slug", "The quote's slug (quotes.slug)."),
            named("speaker_name", same("people.name", "Name of the speaker.")),
            same("quotes.text"),
            same("quotes.kind"),
            same("quotes.said_on"),
            same("quotes.said_on_precision"),
            same("quotes.said_on_inferred"),
            named("source_title", same("sources.title", "Title of the source printing it.")),
            same("sources.outlet", "Outlet of the source."),
            same("sources.url", "Where the source was published."),
            same("sources.published", "Publication date of the source, ISO-8601."),
            same("sources.published_precision"),
            same("sources.published_inferred", "True when the publication date was inferred."),
            same("quotes.text_start"),
            same("quotes.text_end"),
            named("speaker_slug", same("people.slug", "Slug of the speaker (people.slug).")),
            named("source_slug", same("sources.slug", "Slug of the source (sources.slug).")),
            same("quotes.status"),
        ),
    ),
    "figures_view": ViewDoc(
        "Each figure with its subject, its unit and qualifier, who states it, and its source.",
        (
            same("figures.id", "The figure's id (figures.id)."),
            same("figures.slug", "The figure's slug (figures.slug)."),
            named("subject_name", same("parties.name", "Party the figure is about, if any.")),
            named("metric", same("metrics.name", "What the figure measures (metrics.name).")),
            same("figures.surface"),
            same("figures.value"),
            same("figures.unit"),
            same("figures.qualifier"),
            same("figures.kind"),
            same("figures.base"),
            same("figures.period_start"),
            same("figures.period_start_precision"),
            same("figures.period_start_inferred"),
            same("figures.period_end"),
            same("figures.period_end_precision"),
            same("figures.period_end_inferred"),
            same("figures.as_of"),
            same("figures.as_of_precision"),
            same("figures.as_of_inferred"),
            named(
                "stated_by",
                same("people.name", "Who states it: the speaker of its quote; NULL: narration."),
            ),
            named("quote_slug", same("quotes.slug", "Slug of the quote stating it, if any.")),
            named("source_title", same("sources.title", "Title of the source stating it.")),
            named("source_slug", same("sources.slug", "Slug of the source (sources.slug).")),
            named("subject_slug", same("parties.slug", "Slug of the subject (parties.slug).")),
            named("metric_slug", same("metrics.slug", "Slug of the metric (metrics.slug).")),
            same("figures.evidence"),
            same("figures.surface_start"),
            same("figures.surface_end"),
            same("figures.status"),
        ),
    ),
    "events_view": ViewDoc(
        "Each event with its participants and the sources reporting it; dated events first, "
        "in date order.",
        (
            same("events.id", "The event's id (events.id)."),
            same("events.slug", "The event's slug (events.slug)."),
            same("events.name"),
            same("events.kind"),
            same("events.occurrence"),
            same("events.date"),
            same("events.date_precision"),
            same("events.date_inferred"),
            computed(
                "participants",
                "TEXT",
                "Who takes part, in file order: 'Kazakhstan (signatory); European Union'; a "
                "participant another source states names it: 'Anna Berg [example-follow-up]'.",
            ),
            named("source_title", same("sources.title", "Title of the source reporting it.")),
            named("source_slug", same("sources.slug", "Slug of the source (sources.slug).")),
            computed(
                "same_as_group",
                "TEXT",
                "Names the happening: the alphabetically first slug among this event and the "
                "records same_as links it to, directly or through others.",
            ),
            computed(
                "reported_by",
                "TEXT",
                "Slugs of every source reporting the same happening, this one included.",
            ),
            same("events.status"),
        ),
    ),
    "timeline": ViewDoc(
        "Every dated event of every source in date order, a coarse date before the finer "
        "dates in its period (1995 before 1995-01-23).",
        (
            same("events.date"),
            same("events.date_precision"),
            same("events.date_inferred"),
            same("events.name"),
            same("events.kind"),
            same("events.occurrence"),
            computed(
                "same_as_group",
                "TEXT",
                "Names the happening: equal for every source's record of it (see events_view).",
            ),
            named("source_slug", same("sources.slug", "Slug of the source reporting it.")),
            named("source_title", same("sources.title", "Title of the source reporting it.")),
            same("events.slug", "The event's slug (events.slug)."),
            same("events.id", "The event's id (events.id)."),
        ),
    ),
}


# --- Describing a database ------------------------------------------------------------------


def describe(connection: Connection) -> list[Relation]:
    """Every table and view of the database, with descriptions, in KINDS order.

    kb's tables come in the order kb/models.py declares them and the views in the order of
    VIEWS; tables and views kb does not know come after them, with an empty description.
    """
    inspector = inspect(connection)
    indexes = search_indexes(connection)
    names = inspector.get_table_names() + inspector.get_view_names()
    relations = []
    for name in ordered(names):
        columns = [
            (str(c["name"]), "" if isinstance(c["type"], NullType) else str(c["type"]))
            for c in inspector.get_columns(name)
        ]
        relations.append(relation(name, columns, indexes))
    return sorted(relations, key=lambda r: KINDS.index(r.kind))


def ordered(names: list[str]) -> list[str]:
    """kb's tables in declaration order, then its views, then everything else by name."""
    known = [*Base.metadata.tables, *VIEWS]
    present = set(names)
    return [n for n in known if n in present] + sorted(present - set(known))


def relation(name: str, columns: list[tuple[str, str]], indexes: dict[str, str]) -> Relation:
    """The description of table or view `name`, which has `columns` (name, type)."""
    if name in VIEWS:
        return _view(name, columns)
    if name in Base.metadata.tables:
        model = Base.metadata.tables[name]
        described = {c.name: str(c.comment or "") for c in model.columns}
        return _relation(name, "table", str(model.comment or ""), columns, described)
    if name in indexes:
        return _search_index(name, indexes[name], columns)
    if name == QUOTES_FTS_SOURCE:
        description, described = QUOTES_FTS_SOURCE_DOC
        return _relation(name, "search index", description, columns, described)
    return _other(name, columns, indexes)


# The quotes' index holds their speakers' names too (kb/search/index.py).
QUOTES_FTS_SOURCE_DOC = (
    "What quotes_fts indexes (its external content, SQLite): each quote's words with its "
    "speaker's name and aliases.",
    {
        "id": "The quote's id (quotes.id): the index's rowid.",
        "text": "The quoted words (quotes.text).",
        "speaker_name": "Name of the speaker (people.name).",
        "speaker_aliases": "The speaker's other names (people.aliases), as JSON text.",
    },
)
PG_QUOTES_FTS_DOC = (
    "Full-text index of quotes and their speakers' names (PostgreSQL): each quote's tsvector, "
    "GIN-indexed (ix_quotes_fts), kept in sync by triggers on quotes and people.",
    {
        "id": "The quote's id (quotes.id).",
        "document": "The quote's words (label D), its speaker's name (C) and aliases (B), as "
        "a 'simple' tsvector.",
    },
)


def _search_index(name: str, base: str, columns: list[tuple[str, str]]) -> Relation:
    """A full-text index: the FTS5 table over `base` (SQLite), or the table of the quotes'
    tsvectors (PostgreSQL: its columns are id and document)."""
    if [c for c, _type in columns] == ["id", "document"]:
        description, described = PG_QUOTES_FTS_DOC
    elif base == "quotes":
        description = (
            "Full-text index of quotes and of each quote's speaker's name and aliases (SQLite "
            "FTS5, rowid = quotes.id), read through quotes_fts_source and kept in sync by "
            "triggers on quotes and people; query it with `quotes_fts MATCH 'words'`."
        )
        described = {
            "text": "Indexed copy of quotes.text.",
            "speaker_name": "Indexed copy of the speaker's name (people.name).",
            "speaker_aliases": "Indexed copy of the speaker's aliases (people.aliases).",
        }
    else:
        description = (
            f"Full-text index of {base} (SQLite FTS5, rowid = {base}.id), kept in sync by "
            f"triggers; query it with `{name} MATCH 'words'`."
        )
        described = {c: f"Indexed copy of {base}.{c}." for c, _type in columns}
    return _relation(name, "search index", description, columns, described)


def _view(name: str, columns: list[tuple[str, str]]) -> Relation:
    """A view kb documents; columns it does not document keep an empty description."""
    doc = VIEWS[name]
    documented = {c.name: c for c in doc.columns}
    docs = tuple(documented.get(c, ColumnDoc(c, t, "")) for c, t in columns)
    return Relation(name, "view", doc.description, docs)


def _other(name: str, columns: list[tuple[str, str]], indexes: dict[str, str]) -> Relation:
    """An internal table (Alembic's, an FTS5 shadow table), or one kb does not know."""
    shadow = _shadow_of(name, indexes)
    if shadow is not None:
        index, part = shadow
        text = f"{FTS_SHADOWS[part]} of {index} (SQLite's own storage; do not edit)."
        return _relation(name, "internal", text, columns, {c: text for c, _type in columns})
    if name.startswith("_alembic"):
        text, described = VERSION_TABLE_DOC
        return _relation(name, "internal", text, columns, described)
    if name in BOOKKEEPING_DOCS:
        text, described = BOOKKEEPING_DOCS[name]
        return _relation(name, "internal", text, columns, described)
    return _relation(name, "internal" if name.startswith("_") else "table", "", columns, {})


def _shadow_of(name: str, indexes: dict[str, str]) -> tuple[str, str] | None:
    """(index, part) when `name` is a shadow table of an FTS5 index, else None."""
    for index in indexes:
        for part in FTS_SHADOWS:
            if name == f"{index}_{part}":
                return index, part
    return None


def _relation(
    name: str,
    kind: str,
    description: str,
    columns: list[tuple[str, str]],
    described: dict[str, str],
) -> Relation:
    """A Relation whose columns take their descriptions from `described` ('' if missing)."""
    docs = tuple(ColumnDoc(c, t, described.get(c, "")) for c, t in columns)
    return Relation(name, kind, description, docs)


_CONTENT = re.compile(r"""content\s*=\s*["']?(\w+)""", re.I)


def search_indexes(connection: Connection) -> dict[str, str]:
    """SQLite FTS5 tables, each with the table it indexes; on PostgreSQL the tables holding
    tsvectors of their own (quotes_fts), each with its table.

    The indexed table is the one named by content="…" (for the view quotes_fts_source,
    quotes), else the index name without _fts.
    """
    if connection.dialect.name != "sqlite":
        present = set(inspect(connection).get_table_names())
        return {fts_table(t): t for t in INDEXED_APART if fts_table(t) in present}
    master = table("sqlite_master", column("name"), column("type"), column("sql"))
    rows = connection.execute(
        select(master.c.name, master.c.sql).where(
            master.c.type == "table", master.c.sql.ilike("CREATE VIRTUAL TABLE%USING fts5%")
        )
    )
    indexes = {}
    for name, sql in rows:
        found = _CONTENT.search(sql)
        content = found.group(1) if found else name.removesuffix("_fts")
        indexes[name] = "quotes" if content == QUOTES_FTS_SOURCE else content
    return indexes


def reference() -> tuple[str | None, list[Relation]]:
    """The schema kb's migrations create, read from a new in-memory SQLite database.

    Returns the revision it is at and its relations; docs/schema.md is made from this.
    """
    from kb.db import current_revision, make_engine
    from kb.migrating import upgrade

    # One in-memory database lives as long as its connection: SQLAlchemy keeps a single
    # connection for sqlite:// (SingletonThreadPool), so the migrated tables stay visible.
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            relations = describe(connection)
        return current_revision(engine), relations
    finally:
        engine.dispose()


# --- Rendering ------------------------------------------------------------------------------


def records(relations: list[Relation]) -> Iterator[dict[str, str]]:
    """One flat record per column: relation, kind, column, type, description."""
    for rel in relations:
        for col in rel.columns:
            yield {
                "relation": rel.name,
                "kind": rel.kind,
                "column": col.name,
                "type": col.type,
                "description": col.description,
            }


def markdown(relations: list[Relation], revision: str | None) -> str:
    """The schema as a Markdown document (docs/schema.md)."""
    lines = [
        "# The kb database schema",
        "",
        "<!-- Generated by `kb schema --format markdown`; do not edit. -->",
        "",
        f"Schema revision {revision or 'base'}, as kb's migrations create it on SQLite. "
        "Every column is described by a `comment` in `kb/models.py` (tables) or in "
        "`kb/schema.py` (views). Dates are ISO-8601 text whose length is its precision, "
        "with a `*_precision` column and a `*_inferred` flag. Text sorts and compares byte "
        "by byte (by code point) on either backend: SQLite's default `BINARY`, and on "
        'PostgreSQL the collation `"C"` on every text column (migration 0011), whatever the '
        "database's default. Spans are `[start, end)` "
        "character offsets into `sources.text`. Tables whose names start with `_` are "
        "internal; browsing tools such as Datasette hide them.",
    ]
    titles = {
        "table": "Tables",
        "view": "Views",
        "search index": "Full-text indexes (SQLite)",
        "internal": "Internal tables",
    }
    for kind in KINDS:
        chosen = [r for r in relations if r.kind == kind]
        if chosen:
            lines += ["", f"## {titles[kind]}"]
            lines += _internal_md(chosen) if kind == "internal" else _relations_md(chosen)
    return "\n".join(lines) + "\n"


def _relations_md(relations: list[Relation]) -> list[str]:
    """A section per relation: description, then a table of its columns."""
    lines: list[str] = []
    for rel in relations:
        lines += ["", f"### `{rel.name}`", "", rel.description or "(not described)", ""]
        lines += ["| column | type | description |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in rel.columns]
    return lines


def _internal_md(relations: list[Relation]) -> list[str]:
    """One line per internal table: its name and what it holds."""
    lines = ["", "| table | holds |", "|---|---|"]
    lines += [f"| `{r.name}` | {_cell(r.description)} |" for r in relations]
    return lines


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")
