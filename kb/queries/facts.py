"""Quotes, figures and events, each row with every column plus readable joined names."""

from __future__ import annotations

import functools
from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, select
from sqlalchemy.sql.expression import TableClause

from kb.errors import KbError
from kb.queries.common import (
    EVENTS,
    FIGURES,
    PARTICIPANTS,
    PARTIES,
    PEOPLE,
    QUOTES,
    SOURCES,
    Reader,
    Row,
    fetch,
    party_ids,
    person_ids,
    source_ids,
)
from kb.queries.dates import (
    check_date,
    common_prefix_order,
    ends_on_or_after,
    starts_on_or_before,
)


def quotes(
    reader: Reader,
    *,
    by: str | None = None,
    source: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Quotes, by source and position in its text; `by` names a person, `source` a source.

    With `limit`, only the first `limit` of them.
    """
    where: list[ColumnElement[bool]] = []
    if by is not None:
        where.append(QUOTES.c.speaker_id.in_(person_ids(reader, by)))
    if source is not None:
        where.append(QUOTES.c.source_id.in_(source_ids(reader, source)))
    return fetch(reader, first_rows(quote_select(), QUOTES, where, limit))


def _limit(limit: int | None) -> int | None:
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
    return ids.order_by(None) if limit is None else ids.limit(_limit(limit))


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


# SQLite refuses LIKE patterns past 50,000 bytes ("pattern too complex"); no metric is that long.
MAX_METRIC_FILTER = 1000


def _metric_filter(metric: str) -> str:
    """The --metric text, refused with a clear message when it is longer than any metric."""
    if len(metric) > MAX_METRIC_FILTER:
        raise KbError(
            f"--metric is {len(metric):,} characters long; give at most {MAX_METRIC_FILTER:,} "
            "(a word or phrase from the metric, such as 'investment')."
        )
    return metric


def figures(
    reader: Reader,
    *,
    subject: str | None = None,
    metric: str | None = None,
    source: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Figures, by source and position; filter by subject party, metric substring, source.

    Each row says whether it conflicts with another figure (`in_conflict`, and the slugs in
    `conflicts_with`), at kb.conflicts' default tolerance. With `limit`, only the first
    `limit` figures.
    """
    parties = party_ids(reader, subject) if subject is not None else None
    where: list[ColumnElement[bool]] = []
    if metric is not None:
        where.append(FIGURES.c.metric.icontains(_metric_filter(metric), autoescape=True))
    if source is not None:
        where.append(FIGURES.c.source_id.in_(source_ids(reader, source)))
    if parties is not None:
        return _figures_about(reader, parties, where, _limit(limit))
    rows = fetch(reader, first_rows(figure_select(), FIGURES, where, limit))
    # Imported here: kb.conflicts builds on this module.
    from kb import conflicts

    return conflicts.mark(rows, conflicts.figure_partners(reader, rows))


def _figures_about(
    reader: Reader, parties: list[int], where: list[ColumnElement[bool]], limit: int | None
) -> list[Row]:
    """figures() about `parties`, also matching `where`: one read of every figure about them
    (kb.conflicts.FiguresAbout) says both which of them the page shows and what they conflict
    with, so that neither reads them again."""
    from kb import conflicts

    about = conflicts.FiguresAbout.read(reader, parties, and_(*where) if where else None)
    if limit is None:
        rows = fetch(reader, figure_select().where(FIGURES.c.subject_id.in_(parties), *where))
    else:
        rows = fetch(reader, _figures_by_id(), {"ids": about.listed(limit)})
    return conflicts.mark(rows, about.partners(reader, [row["id"] for row in rows]))


@functools.cache
def _figures_by_id() -> Select[Any]:
    """figure_select() of the figures whose ids are in the parameter `ids`. Built once:
    building it again costs about as much as running it."""
    return figure_select().where(FIGURES.c.id.in_(bindparam("ids", expanding=True)))


# Aliases: a figure reaches its speaker through its quote.
_FIGURE_QUOTE = QUOTES.alias("figure_quote")
_SPEAKER = PEOPLE.alias("speaker")


def figure_select() -> Select[Any]:
    """Every figure column, with subject, source, and the quote and speaker that state it."""
    f, s, party, q, sp = FIGURES, SOURCES, PARTIES, _FIGURE_QUOTE, _SPEAKER
    joins = (
        f.join(s, f.c.source_id == s.c.id)
        .outerjoin(party, f.c.subject_id == party.c.id)
        .outerjoin(q, f.c.quote_id == q.c.id)
        .outerjoin(sp, q.c.speaker_id == sp.c.id)
    )
    return (
        select(
            *f.c,
            party.c.slug.label("subject_slug"),
            party.c.name.label("subject_name"),
            q.c.slug.label("quote_slug"),
            sp.c.slug.label("speaker_slug"),
            sp.c.name.label("speaker_name"),
            s.c.slug.label("source_slug"),
            s.c.title.label("source_title"),
        )
        .select_from(joins)
        .order_by(s.c.slug, f.c.surface_start, f.c.id)
    )


def speaker_is(person_id: int) -> ColumnElement[bool]:
    """Filter for figure_select(): figures stated in a quote of the given person."""
    return _SPEAKER.c.id == person_id


def events(
    reader: Reader,
    *,
    date_from: str | None = None,
    date_to: str | None = None,
    limit: int | None = None,
) -> list[Row]:
    """Events in date order ('1995' before '1995-01-23', undated last), within the bounds.

    A bound matches an event whose date, at the event's own precision, overlaps it: '1995'
    matches date_from='1995-06-01'. With a bound, undated events are left out. Each row says
    whether another source's record of the same happening dates it differently (`in_conflict`,
    and the slugs in `conflicts_with`). With `limit`, only the first `limit` events.
    """
    first = check_date(date_from) if date_from is not None else None
    last = check_date(date_to) if date_to is not None else None
    if first and last and not common_prefix_order(first, last):
        raise KbError(f"Empty date range: from {first} is after to {last}.")
    where: list[ColumnElement[bool]] = []
    if first:
        where.append(ends_on_or_after(EVENTS.c.date, first))
    if last:
        where.append(starts_on_or_before(EVENTS.c.date, last))
    # A bound leaves undated events out.
    dated = bool(where)
    rows = events_where(reader, where, dated=dated, limit=limit)
    ids = matching_ids(event_select(dated=dated).where(*where), EVENTS, limit)
    # Imported here: kb.conflicts builds on this module.
    from kb import conflicts

    return conflicts.mark(rows, conflicts.event_partners(reader, ids))


def events_where(
    reader: Reader,
    where: list[ColumnElement[bool]],
    *,
    dated: bool = False,
    limit: int | None = None,
) -> list[Row]:
    """Events matching `where`, in date order, each with its list of participants; with
    `limit`, the first `limit` of them. `dated`: `where` selects dated events only."""
    statement = event_select(dated=dated)
    rows = fetch(reader, first_rows(statement, EVENTS, where, limit))
    found = participants(reader, matching_ids(statement.where(*where), EVENTS, limit))
    for row in rows:
        row["participants"] = found.get(row["id"], [])
    return rows


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
    if dated:
        return statement.order_by(e.c.date, e.c.id)
    # ISO text sorts '1995' before '1995-01' before '1995-01-23': coarse dates first.
    return statement.order_by(e.c.date.is_(None), e.c.date, e.c.id)


def participants(reader: Reader, event_ids: Select[Any]) -> dict[int, list[Row]]:
    """Participants of the events selected by `event_ids`, keyed by event id, in file order."""
    ep, party, person = PARTICIPANTS, PARTIES, PEOPLE
    statement = (
        select(
            ep.c.event_id,
            party.c.slug.label("party"),
            person.c.slug.label("person"),
            party.c.name.label("party_name"),
            person.c.name.label("person_name"),
            ep.c.role,
        )
        .select_from(
            ep.outerjoin(party, ep.c.party_id == party.c.id).outerjoin(
                person, ep.c.person_id == person.c.id
            )
        )
        .where(ep.c.event_id.in_(event_ids.scalar_subquery()))
        .order_by(ep.c.id)
    )
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in fetch(reader, statement):
        grouped[row.pop("event_id")].append(_participant(row))
    return grouped


def _participant(row: Row) -> Row:
    """A participant as {type, slug, name, role}: a party or a person."""
    kind = "party" if row["party"] is not None else "person"
    return {"type": kind, "slug": row[kind], "name": row[f"{kind}_name"], "role": row["role"]}
