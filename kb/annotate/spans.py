"""The grounded spans of a source: what `annotate` marks, read with one select per table.

A mark is one span of one record: a quote's words, a figure's surface and (a second mark) its
evidence, an event's evidence, a role's evidence. Marks are read by source id, one set-based
select per table (each through that table's source_id index), never row by row; a figure's
conflicts are found by kb.queries.conflicts among the figures that measure the same thing,
read only for what more than one figure measures (most figures of a source are alone in
measuring what they measure).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from itertools import chain
from operator import attrgetter
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal, select
from sqlalchemy.engine import Connection

from kb.queries.conflicts import FigureGroups
from kb.queries.conflicts.figures import QUALIFIER_WORDS, UNKNOWN_UNIT, Figure
from kb.tables import EVENTS, FIGURES, METRICS, PEOPLE, QUOTES, ROLES, SOURCE_SLUGS

# The kinds of mark, outermost first: of two marks over the same characters the earlier kind
# encloses the later (a figure's evidence holds its surface; a quote may hold both).
KINDS = ("quote", "event", "role", "figure-evidence", "figure-surface")
RANK = {kind: rank for rank, kind in enumerate(KINDS)}
# The table each kind of mark points into.
TABLES = {
    "quote": "quotes",
    "figure-surface": "figures",
    "figure-evidence": "figures",
    "event": "events",
    "role": "roles",
}


@dataclass(frozen=True, slots=True)
class Mark:
    """One grounded span of one record: [start, end) character offsets into the source text.

    `kind` is quote, figure-surface, figure-evidence, event or role; `table` and `row_id` name
    the record (a figure's two marks share them); `status` is reviewed or draft; `label` is a
    short description (a quote's speaker, a figure's metric and surface as stated, an event's
    name and date, a role's person and title); `conflict_with` holds the ids of the figures a
    figure disagrees with (kb.queries.conflicts, default tolerance).
    """

    kind: str
    table: str
    row_id: int
    start: int
    end: int
    status: str
    label: str
    conflict_with: tuple[int, ...] = ()


# Each field's slot, set directly: _mark() makes a Mark in half the time of Mark(), which sets
# each field of a frozen dataclass through object.__setattr__ (a long source has thousands).
_SET_KIND, _SET_TABLE, _SET_ID, _SET_START, _SET_END, _SET_STATUS, _SET_LABEL, _SET_OTHERS = (
    getattr(Mark, field.name).__set__ for field in fields(Mark)
)


def _mark(
    kind: str,
    table: str,
    row_id: int,
    start: int,
    end: int,
    status: str,
    label: str,
    conflict_with: tuple[int, ...],
) -> Mark:
    """Mark(kind, table, row_id, start, end, status, label, conflict_with), made faster."""
    mark = object.__new__(Mark)
    _SET_KIND(mark, kind)
    _SET_TABLE(mark, table)
    _SET_ID(mark, row_id)
    _SET_START(mark, start)
    _SET_END(mark, end)
    _SET_STATUS(mark, status)
    _SET_LABEL(mark, label)
    _SET_OTHERS(mark, conflict_with)
    return mark


@dataclass(frozen=True)
class Annotation:
    """A source's text with its marks in text order, and its uncovered sentences: the
    [start, end) spans of the sentences holding a number or a quotation mark that no mark
    overlaps (kb.annotate.coverage)."""

    source_id: int
    slug: str
    title: str
    text: str
    marks: tuple[Mark, ...]
    uncovered: tuple[tuple[int, int], ...]


_START, _END = attrgetter("start"), attrgetter("end")


def text_order(mark: Mark) -> tuple[int, int, int, int]:
    """Sort key of marks in text order: by start, the longer (enclosing) first, then by kind
    (outermost first) and id."""
    return (mark.start, -mark.end, RANK[mark.kind], mark.row_id)


def marks_of(connection: Connection, source_id: int) -> list[Mark]:
    """Every mark of the source `source_id`, in text order: one select per table.

    Rows are unpacked by position: reading a field of a database row by name costs more than
    making the mark, and a long source has thousands. The marks are put in text_order() by two
    stable sorts on plain numbers: each kind's in order of id, the kinds outermost first, then
    by end (the longer first), then by start.
    """
    parameters = {"source_id": source_id}
    mark = _mark
    by_kind: dict[str, list[Mark]] = {}
    by_kind["quote"] = [
        mark("quote", "quotes", id_, start, end, status, speaker, ())
        for id_, status, start, end, speaker in connection.execute(_quotes(), parameters)
    ]
    by_kind["event"] = [
        mark("event", "events", id_, start, end, status, f"{name} ({date})" if date else name, ())
        for id_, status, start, end, name, date in connection.execute(_events(), parameters)
    ]
    by_kind["role"] = [
        mark("role", "roles", id_, start, end, status, f"{person}: {title}", ())
        for id_, status, start, end, person, title in connection.execute(_roles(), parameters)
    ]
    figures = connection.execute(_figures(), parameters).all()
    partners = _partners(connection, source_id, figures)
    words = QUALIFIER_WORDS
    # What a figure's two marks share: its label and the figures it conflicts with.
    labels = [
        f"{metric}: {words.get(qualifier, '')}{surface}"
        for _, _, _, _, _, _, surface, qualifier, metric, _ in figures
    ]
    others = [partners.get(row[0], ()) for row in figures] if partners else [()] * len(figures)
    by_kind["figure-evidence"] = [
        mark("figure-evidence", "figures", id_, start, end, status, label, conflicts)
        for (id_, status, _, _, start, end, _, _, _, _), label, conflicts in zip(
            figures, labels, others, strict=True
        )
    ]
    by_kind["figure-surface"] = [
        mark("figure-surface", "figures", id_, start, end, status, label, conflicts)
        for (id_, status, start, end, _, _, _, _, _, _), label, conflicts in zip(
            figures, labels, others, strict=True
        )
    ]
    found = list(chain.from_iterable(by_kind[kind] for kind in KINDS))
    found.sort(key=_END, reverse=True)  # stable, as is the next
    found.sort(key=_START)
    return found


def _partners(
    connection: Connection, source_id: int, figures: Sequence[Sequence[Any]]
) -> dict[int, tuple[int, ...]]:
    """For each of `figures` (_figures() rows of the source `source_id`) in conflict: the ids
    of the figures it disagrees with, in kb figures' order.

    Only a figure whose group (what it measures: the same subject, metric, kind and a known
    unit) holds another figure can conflict, and most figures of a source measure what no
    other figure does: one select reads the figures of the groups of more than one figure
    (_shared()), and only those are paired.
    """
    if not figures:
        return {}
    without = any(row[9] is None for row in figures)
    groups = FigureGroups(connection.execute(_shared(without), {"source_id": source_id}).all())
    if not groups.figures:
        return {}
    ids = {row[0] for row in figures}
    found: dict[int, list[int]] = defaultdict(list)
    for a, b in groups.pairs(focus=ids):
        found[a].append(b)
        found[b].append(a)
    if not found:
        return {}
    rank = {figure[0]: position for position, figure in enumerate(groups.figures)}
    return {
        id_: tuple(sorted(others, key=rank.__getitem__))
        for id_, others in found.items()
        if id_ in ids
    }


def spans_by_source(connection: Connection) -> Iterator[tuple[int, int, int]]:
    """(source_id, start, end) of every mark of every source: one select per span column."""
    for spanned, start, end in (
        (QUOTES, "text_start", "text_end"),
        (FIGURES, "surface_start", "surface_end"),
        (FIGURES, "evidence_start", "evidence_end"),
        (EVENTS, "evidence_start", "evidence_end"),
        (ROLES, "evidence_start", "evidence_end"),
    ):
        statement = select(spanned.c.source_id, spanned.c[start], spanned.c[end])
        for part in connection.execute(statement).partitions(1000):
            yield from ((row[0], row[1], row[2]) for row in part)


# --- the selects, one per table, by source id -------------------------------------------------
# Each built once: building a select costs more than running it on a short source. Rows come
# in order of id (the source_id index already holds them so: nothing to sort).


def _by_source(table: Any) -> Any:
    """WHERE <table>.source_id = :source_id."""
    return table.c.source_id == bindparam("source_id")


@functools.cache
def _quotes() -> Select[Any]:
    """A source's quotes: id, status, span and the speaker's name."""
    q, p = QUOTES, PEOPLE
    return (
        select(
            q.c.id,
            q.c.status,
            q.c.text_start.label("start"),
            q.c.text_end.label("end"),
            p.c.name.label("speaker"),
        )
        .join_from(q, p, p.c.id == q.c.speaker_id)
        .where(_by_source(q))
        .order_by(q.c.id)
    )


@functools.cache
def _figures() -> Select[Any]:
    """A source's figures: id, status, both spans, what it states, its metric and subject."""
    f, m = FIGURES, METRICS
    return (
        select(
            f.c.id,
            f.c.status,
            f.c.surface_start,
            f.c.surface_end,
            f.c.evidence_start,
            f.c.evidence_end,
            f.c.surface,
            f.c.qualifier,
            m.c.name.label("metric"),
            f.c.subject_id,
        )
        .join_from(f, m, m.c.id == f.c.metric_id)
        .where(_by_source(f))
        .order_by(f.c.id)
    )


@functools.cache
def _shared(without: bool) -> Select[Any]:
    """The figures (kb.queries.conflicts' Figure rows, in kb figures' order) of every group of
    more than one figure (the same subject, metric, kind and a known unit) about a subject of
    the source's figures and measuring a metric of theirs; with `without`, of the groups
    without a subject too. Found by counting in the index of figures by subject, then read
    group by group through it."""
    f, mine, member, s = FIGURES, FIGURES.alias("mine"), FIGURES.alias("member"), SOURCE_SLUGS
    about: ColumnElement[bool] = f.c.subject_id.in_(
        select(mine.c.subject_id).where(_by_source(mine))
    )
    if without:
        about = about | f.c.subject_id.is_(None)
    measuring = f.c.metric_id.in_(select(mine.c.metric_id).where(_by_source(mine)))
    key = (f.c.subject_id, f.c.metric_id, f.c.kind, f.c.unit)
    shared = (
        select(*key)
        .where(about, measuring, f.c.unit != UNKNOWN_UNIT)
        .group_by(*key)
        .having(func.count() > 1)
        .subquery("shared")
    )
    same_subject = (
        member.c.subject_id.is_not_distinct_from(shared.c.subject_id)
        if without
        else member.c.subject_id == shared.c.subject_id
    )
    in_group = (
        same_subject
        & (member.c.metric_id == shared.c.metric_id)
        & (member.c.kind == shared.c.kind)
        & (member.c.unit == shared.c.unit)
    )
    columns = [
        *(member.c[name] for name in Figure._fields[:-3]),
        s.c.slug.label("source_slug"),
        member.c.surface_start.label("position"),
        literal(1).label("listed"),
    ]
    return (
        select(*columns)
        .select_from(shared.join(member, in_group).join(s, s.c.id == member.c.source_id))
        .order_by(s.c.slug, member.c.surface_start, member.c.id)
    )


@functools.cache
def _events() -> Select[Any]:
    """A source's events: id, status, evidence span, name and date."""
    e = EVENTS
    return (
        select(
            e.c.id,
            e.c.status,
            e.c.evidence_start.label("start"),
            e.c.evidence_end.label("end"),
            e.c.name,
            e.c.date,
        )
        .where(_by_source(e))
        .order_by(e.c.id)
    )


@functools.cache
def _roles() -> Select[Any]:
    """A source's roles: id, status, evidence span, the person's name and the title."""
    r, p = ROLES, PEOPLE
    return (
        select(
            r.c.id,
            r.c.status,
            r.c.evidence_start.label("start"),
            r.c.evidence_end.label("end"),
            p.c.name.label("person"),
            r.c.title,
        )
        .join_from(r, p, p.c.id == r.c.person_id)
        .where(_by_source(r))
        .order_by(r.c.id)
    )
