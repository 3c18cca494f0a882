"""The selects every reader of quotes, figures and events builds on: each row's columns and the
readable names it refers to, and cutting a select to its first rows.

Below both the listings (kb.queries.facts) and the conflict checks (kb.queries.conflicts),
which each build on these without importing the other.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    String,
    any_,
    bindparam,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.sql.expression import TableClause

from kb.errors import KbError
from kb.queries.common import Reader, Row, fetch
from kb.tables import (
    EVENTS,
    FIGURES,
    METRICS,
    PARTICIPANTS,
    PARTIES,
    PEOPLE,
    QUOTES,
    SOURCE_SLUGS,
    SOURCES,
)


def check_limit(limit: int | None) -> int | None:
    """`limit` if it is a usable row limit (None: no limit); else a KbError."""
    if limit is not None and limit < 1:
        raise KbError(f"--limit must be 1 or more, not {limit}.")
    return limit


def first_rows(
    statement: Select[Any], table: TableClause, where: list[ColumnElement[bool]], limit: int | None
) -> Select[Any]:
    """`statement` filtered by `where`; with `limit`, cut to its first `limit` rows.

    The ids of those rows are found first (matching_ids()) and only their rows are read
    whole: rows carry long texts, and sorting every match with all its columns to keep a few
    costs far more than sorting ids.
    """
    if limit is None:
        return statement.where(*where)
    ids = matching_ids(statement.where(*where), table, limit)
    return statement.where(table.c.id.in_(ids.scalar_subquery()))


def matching_ids(statement: Select[Any], table: TableClause, limit: int | None) -> Select[Any]:
    """The ids of the rows of `table` that `statement` returns: the first `limit` of them in
    its order, or all of them (in no order) when `limit` is None."""
    ids = statement.with_only_columns(table.c.id)
    return ids.order_by(None) if limit is None else ids.limit(check_limit(limit))


def quote_select() -> Select[Any]:
    """Every quote column, with the speaker's slug and name and the source's slug and title."""
    q, p, s = QUOTES, PEOPLE, SOURCES
    return (
        select(
            *q.c,
            p.c.slug.label("speaker_slug"),
            p.c.name.label("speaker_name"),
            s.c.slug.label("source_slug"),
            s.c.title.label("source_title"),
        )
        .join_from(q, p, q.c.speaker_id == p.c.id)
        .join(s, q.c.source_id == s.c.id)
        .order_by(s.c.slug, q.c.text_start, q.c.id)
    )


# Aliases: a figure reaches its speaker through its quote.
_FIGURE_QUOTE = QUOTES.alias("figure_quote")
_SPEAKER = PEOPLE.alias("speaker")


def figure_select() -> Select[Any]:
    """Every figure column, with its metric, subject, source, and the quote and speaker that
    state it; in kb figures' order (source, then position in its text)."""
    return _figure_columns().order_by(*_by_source(SOURCES))


def figures_in_time_order() -> Select[Any]:
    """figure_select() by subject (figures without one last), then in time order: the as-of
    date or the start of the period (an open start first, figures without a time last), then
    kb figures' order. Coarse dates come first among those they hold ('2023' before
    '2023-02-02'): ISO text sorts so."""
    party = PARTIES
    return _figure_columns().order_by(
        party.c.slug.is_(None), party.c.slug, *_in_time(), *_by_source(SOURCES)
    )


def _by_source(sources: TableClause) -> list[ColumnElement[Any]]:
    """kb figures' order: by source (the slug in `sources`), then position in its text."""
    return [sources.c.slug, FIGURES.c.surface_start, FIGURES.c.id]


def _in_time() -> list[ColumnElement[Any]]:
    """Figures in time order, those without a time last (see figures_in_time_order())."""
    f = FIGURES
    timeless = f.c.as_of.is_(None) & f.c.period_start.is_(None) & f.c.period_end.is_(None)
    # '' sorts before every date (an open start), '~' after every one (an open end).
    start = func.coalesce(f.c.as_of, f.c.period_start, literal("", String()))
    end = func.coalesce(f.c.as_of, f.c.period_end, literal("~", String()))
    return [timeless, start, end]


def figure_ids(where: list[ColumnElement[bool]], *, in_time: bool = False) -> Select[Any]:
    """The ids of the figures matching `where` (conditions on their own columns), in
    figure_select()'s order, or with `in_time` in figures_in_time_order()'s among figures
    about a subject (or among those about none).

    Read from the figures and the slugs of their sources (and subjects) alone: the other
    tables figure_select() joins would cost a look-up for every figure matching, for a page
    of a few. Ordered by the source's slug as an expression (`|| ''`), not as the column:
    by the column, PostgreSQL may walk every source in slug order looking for the figures
    that match, as if they were most of them; this way it looks each figure's source up.
    """
    f, s, party = FIGURES, SOURCE_SLUGS, PARTIES
    source = s.c.slug.concat(literal_column("''"))
    order: list[ColumnElement[Any]] = [source, f.c.surface_start, f.c.id]
    if in_time:
        subject = select(party.c.slug).where(party.c.id == f.c.subject_id).scalar_subquery()
        order = [subject, *_in_time(), *order]
    ids = select(f.c.id).join_from(f, s, f.c.source_id == s.c.id)
    return ids.where(*where).order_by(*order)


def _figure_columns() -> Select[Any]:
    """The columns of figure_select(), unordered."""
    f, s, m, party, q, sp = FIGURES, SOURCES, METRICS, PARTIES, _FIGURE_QUOTE, _SPEAKER
    joins = (
        f.join(s, f.c.source_id == s.c.id)
        .join(m, f.c.metric_id == m.c.id)
        .outerjoin(party, f.c.subject_id == party.c.id)
        .outerjoin(q, f.c.quote_id == q.c.id)
        .outerjoin(sp, q.c.speaker_id == sp.c.id)
    )
    return select(
        *f.c,
        m.c.slug.label("metric_slug"),
        m.c.name.label("metric_name"),
        party.c.slug.label("subject_slug"),
        party.c.name.label("subject_name"),
        q.c.slug.label("quote_slug"),
        sp.c.slug.label("speaker_slug"),
        sp.c.name.label("speaker_name"),
        s.c.slug.label("source_slug"),
        s.c.title.label("source_title"),
    ).select_from(joins)


@functools.cache
def figures_by_id(dialect: str, *, in_time: bool = False) -> Select[Any]:
    """figure_select() (with `in_time`, figures_in_time_order()) of the figures whose ids are
    in the parameter `ids`, for `dialect`. Built once: building it again costs about as much
    as running it."""
    ordered = figures_in_time_order() if in_time else figure_select()
    return ordered.where(among(FIGURES.c.id, "ids", dialect))


def among(
    column: ColumnElement[int], name: str, dialect: str, ids: list[int] | None = None
) -> ColumnElement[bool]:
    """`column` holds one of the ids in the parameter `name` (a list; `ids`, or given when the
    statement runs): on PostgreSQL an array, one parameter (SQLAlchemy and psycopg would
    otherwise write, and parse, one for each id: a millisecond for a page of a hundred),
    elsewhere an expanding IN."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, ids, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, ids, expanding=True))


def speaker_is(person_id: int) -> ColumnElement[bool]:
    """Filter for figure_select(): figures stated in a quote of the given person."""
    return _SPEAKER.c.id == person_id


_SAME_AS = EVENTS.alias("same_as")


def event_select(*, dated: bool = False) -> Select[Any]:
    """Every event column, with its source and the slug of the event it is the same as.

    `dated` says the caller selects dated events only: the order is then (date, id), which
    the index on date gives without sorting.
    """
    e, s, same = EVENTS, SOURCES, _SAME_AS
    statement = select(
        *e.c,
        same.c.slug.label("same_as_slug"),
        s.c.slug.label("source_slug"),
        s.c.title.label("source_title"),
    ).select_from(e.join(s, e.c.source_id == s.c.id).outerjoin(same, e.c.same_as_id == same.c.id))
    return statement.order_by(*event_order(dated=dated))


def event_order(*, dated: bool = False) -> list[ColumnElement[Any]]:
    """The order of event_select(), in the events' own columns: (date, id) for dated events;
    else undated last. ISO text sorts '1995' before '1995-01' before '1995-01-23': coarse
    dates first."""
    e = EVENTS
    if dated:
        return [e.c.date, e.c.id]
    return [e.c.date.is_(None), e.c.date, e.c.id]


def participants(reader: Reader, event_ids: Select[Any]) -> dict[int, list[Row]]:
    """Participants of the events selected by `event_ids`, keyed by event id: those the event's
    own source states, then those other sources state (naming the source), in file order."""
    ep, party, person, stated = PARTICIPANTS, PARTIES, PEOPLE, SOURCES
    statement = (
        select(
            ep.c.event_id,
            party.c.slug.label("party"),
            person.c.slug.label("person"),
            party.c.name.label("party_name"),
            person.c.name.label("person_name"),
            ep.c.role,
            stated.c.slug.label("source_slug"),
        )
        .select_from(
            ep.outerjoin(party, ep.c.party_id == party.c.id)
            .outerjoin(person, ep.c.person_id == person.c.id)
            .outerjoin(stated, ep.c.source_id == stated.c.id)
        )
        .where(ep.c.event_id.in_(event_ids.scalar_subquery()))
        .order_by(ep.c.source_id.is_not(None), ep.c.id)
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in fetch(reader, statement):
        grouped[row.pop("event_id")].append(_participant(row))
    return grouped


def _participant(row: Row) -> Row:
    """A participant as {type, slug, name, role, source_slug}: a party or a person, and the
    source stating it when that is not the event's own (else None)."""
    kind = "party" if row["party"] is not None else "person"
    return {
        "type": kind,
        "slug": row[kind],
        "name": row[f"{kind}_name"],
        "role": row["role"],
        "source_slug": row["source_slug"],
    }
