"""Datasette metadata for a kb database: descriptions, label columns, hidden tables, queries.

`datasette kb.sqlite3 -m metadata.json` then shows every table and view with its description
and column descriptions, labels foreign keys by name or title, hides internal tables, and
offers the canned queries below. The canned queries are SQLite SQL, as Datasette serves SQLite.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from kb.models import Base, Source
from kb.schema import Relation, describe, search_indexes

TITLE = "kb: facts from news documents"
DESCRIPTION = (
    "Events, figures, people and quotes taken from news documents, each grounded in the exact "
    "span of its source's text. Start with the views: quotes_view, figures_view, events_view "
    "and timeline; figures from different sources measure the same thing when they name the "
    "same metric (the metrics table)."
)
LICENSE = (
    "MIT for kb's code, schema and curated records. The article texts (sources.text) and the "
    "words quoted from them belong to their publishers (sources.outlet, sources.url)."
)
LICENSE_URL = "https://opensource.org/license/mit"
# Which column names a row of a table, in order of preference. Quotes and figures have no
# short name (a quote's text is a paragraph); their readable slugs label them instead.
LABEL_PREFERENCE = ("name", "title", "slug")
HIDDEN_KINDS = ("internal", "search index")

QUERIES: dict[str, dict[str, str]] = {
    "quotes_by_speaker": {
        "title": "Quotes by a speaker",
        "description": "Every quote of a person, by slug or by any part of the name.",
        "sql": (
            "SELECT speaker_name, text, source_title, published, url\n"
            "FROM quotes_view\n"
            "WHERE speaker_slug = :speaker OR speaker_name LIKE '%' || :speaker || '%'"
        ),
    },
    "figures_on_subject": {
        "title": "Figures on a subject",
        "description": "The figures about a country or organization, by slug or name.",
        "sql": (
            "SELECT metric, surface, value, unit, qualifier, period_start, period_end, as_of,\n"
            "       coalesce(stated_by, '(narration)') AS stated_by, source_slug\n"
            "FROM figures_view\n"
            "WHERE subject_slug = :subject OR lower(subject_name) = lower(:subject)"
        ),
    },
    "metric_across_sources": {
        "title": "A metric across sources",
        "description": (
            "Every source's value for one metric (by slug, e.g. eu-share-of-foreign-trade, or "
            "name), by subject and in time order: a level as of a date, or a period."
        ),
        "sql": (
            "SELECT subject_name, coalesce(as_of, period_start, period_end) AS time,\n"
            "       as_of, period_start, period_end, qualifier, surface, value, unit,\n"
            "       coalesce(stated_by, '(narration)') AS stated_by, source_slug\n"
            "FROM figures_view\n"
            "WHERE metric_slug = :metric OR lower(metric) = lower(:metric)\n"
            "ORDER BY subject_name, time, source_slug"
        ),
    },
    "timeline": {
        "title": "Timeline",
        "description": "Every dated event of every source, in date order.",
        "sql": (
            "SELECT date, date_precision, date_inferred, name, source_slug, same_as_group\n"
            "FROM timeline"
        ),
    },
    "conflicting_figures": {
        "title": "Figures whose values differ",
        "description": (
            "Pairs of figures on the same subject, metric, period (or as-of date) and unit "
            "whose values differ at all, for a metric by slug or part of its name, e.g. "
            "'investment'. A first look: `kb conflicts` applies the full rules (overlapping "
            "times, qualifiers, a tolerance)."
        ),
        "sql": (
            "SELECT a.subject_name, a.metric,\n"
            "       a.surface AS first, a.qualifier AS first_qualifier,\n"
            "       coalesce(a.stated_by, '(narration)') AS first_stated_by,\n"
            "       b.surface AS second, b.qualifier AS second_qualifier,\n"
            "       coalesce(b.stated_by, '(narration)') AS second_stated_by,\n"
            "       a.source_slug AS first_source, b.source_slug AS second_source\n"
            "FROM figures_view AS a\n"
            "JOIN figures_view AS b\n"
            "  ON b.subject_slug = a.subject_slug AND b.metric_slug = a.metric_slug\n"
            " AND b.kind = a.kind AND b.unit = a.unit AND b.id > a.id\n"
            " AND coalesce(b.period_start, '') = coalesce(a.period_start, '')\n"
            " AND coalesce(b.period_end, '') = coalesce(a.period_end, '')\n"
            " AND coalesce(b.as_of, '') = coalesce(a.as_of, '')\n"
            "WHERE b.value <> a.value\n"
            "  AND (a.metric_slug = :metric OR a.metric LIKE '%' || :metric || '%')\n"
            "ORDER BY a.metric, a.id, b.id"
        ),
    },
    "search_quotes": {
        "title": "Search the quotes",
        "description": (
            "Quotes matching full-text search words (FTS5 syntax) in their words or their "
            "speaker's name and aliases ('Jankauskas investment'), best first."
        ),
        "sql": (
            "SELECT q.speaker_name, q.text, q.source_title\n"
            "FROM quotes_fts JOIN quotes_view AS q ON q.id = quotes_fts.rowid\n"
            "WHERE quotes_fts MATCH :words\n"
            "ORDER BY quotes_fts.rank"
        ),
    },
}


def metadata(connection: Connection, database: str) -> dict[str, Any]:
    """Datasette metadata for the database on `connection`, served under the name `database`."""
    document: dict[str, Any] = {
        "title": TITLE,
        "description": DESCRIPTION,
        "license": LICENSE,
        "license_url": LICENSE_URL,
    }
    document.update(source(connection))
    tables = {r.name: table_metadata(r) for r in describe(connection)}
    # Each table's search box searches its FTS5 index. Datasette finds an index created with
    # content="<table>" by itself, not the quotes', whose content is a view joining each quote
    # to its speaker: named here, the quotes' box finds "Jankauskas investment" too.
    for index, indexed in search_indexes(connection).items():
        if indexed in tables:
            tables[indexed] |= {"fts_table": index, "fts_pk": "id"}
    # Copies: Datasette adds to the queries it is given (their "name").
    queries = {name: dict(query) for name, query in QUERIES.items()}
    document["databases"] = {database: {"tables": tables, "queries": queries}}
    return document


def table_metadata(relation: Relation) -> dict[str, Any]:
    """A table's or view's entry: description, column descriptions, label column, hidden."""
    entry: dict[str, Any] = {
        "description": relation.description,
        "columns": {c.name: c.description for c in relation.columns},
    }
    if relation.kind in HIDDEN_KINDS:
        entry["hidden"] = True
    label = label_column(relation)
    if label is not None:
        entry["label_column"] = label
    return entry


def label_column(relation: Relation) -> str | None:
    """The column that names a row of one of kb's tables (None for views and link tables)."""
    if relation.kind != "table" or relation.name not in Base.metadata.tables:
        return None
    names = {c.name for c in relation.columns}
    return next((name for name in LABEL_PREFERENCE if name in names), None)


def source(connection: Connection) -> dict[str, str]:
    """'source' (the outlets of the articles) and, for a single article, its 'source_url'."""
    sources = Base.metadata.tables[Source.__tablename__]
    rows = connection.execute(
        select(sources.c.outlet, sources.c.url)
        .where(sources.c.kind == "article")
        .order_by(sources.c.published, sources.c.id)
    ).all()
    outlets = list(dict.fromkeys(r.outlet for r in rows if r.outlet))
    if not outlets:
        return {}
    found = {"source": "; ".join(outlets) + " (every document is in the sources table)"}
    if len(rows) == 1 and rows[0].url:
        found["source_url"] = rows[0].url
    return found
