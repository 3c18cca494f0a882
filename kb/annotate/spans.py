"""The grounded spans of a source: what `annotate` marks, read with one select per table.

A mark is one span of one record: a quote's words, a figure's surface and (a second mark) its
evidence, an event's evidence, a role's evidence. Marks are read by source id, one set-based
select per table (each through that table's source_id index), never row by row; a figure's
conflicts are found by kb.queries.conflicts among the figures that measure the same thing.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.engine import Connection

from kb.queries.conflicts import FigureGroups
from kb.queries.conflicts.figures import QUALIFIER_WORDS, GroupKey
from kb.tables import EVENTS, FIGURES, METRICS, PEOPLE, QUOTES, ROLES

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


@dataclass(frozen=True)
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


def text_order(mark: Mark) -> tuple[int, int, int, int]:
    """Sort key of marks in text order: by start, the longer (enclosing) first, then by kind
    (outermost first) and id."""
    return (mark.start, -mark.end, RANK[mark.kind], mark.row_id)


def marks_of(connection: Connection, source_id: int) -> list[Mark]:
    """Every mark of the source `source_id`, in text order: one select per table.

    Rows are unpacked by position: reading a field of a database row by name costs more than
    making the mark, and a long source has thousands.
    """
    parameters = {"source_id": source_id}
    found: list[Mark] = [
        Mark("quote", "quotes", id_, start, end, status, speaker)
        for id_, status, start, end, speaker in connection.execute(_quotes(), parameters).all()
    ]
    figures = connection.execute(_figures(), parameters).all()
    partners = _partners(connection, figures)
    for id_, status, s_start, s_end, e_start, e_end, surface, qualifier, metric, *_ in figures:
        label = f"{metric}: {QUALIFIER_WORDS.get(qualifier, '')}{surface}"
        others = partners.get(id_, ())
        found.append(Mark("figure-surface", "figures", id_, s_start, s_end, status, label, others))
        found.append(Mark("figure-evidence", "figures", id_, e_start, e_end, status, label, others))
    found += [
        Mark("event", "events", id_, start, end, status, f"{name} ({date})" if date else name)
        for id_, status, start, end, name, date in connection.execute(_events(), parameters).all()
    ]
    found += [
        Mark("role", "roles", id_, start, end, status, f"{person}: {title}")
        for id_, status, start, end, person, title in connection.execute(_roles(), parameters).all()
    ]
    found.sort(key=text_order)
    return found


def _partners(
    connection: Connection, figures: Sequence[Sequence[Any]]
) -> dict[int, tuple[int, ...]]:
    """For each of `figures` (_figures() rows) in conflict: the ids of the figures it
    disagrees with, in kb figures' order. Only the figures that measure the same things are
    read."""
    if not figures:
        return {}
    ids = {row[0] for row in figures}
    keys: set[GroupKey] = {(row[9], row[10], row[11], row[12]) for row in figures}
    groups = FigureGroups.measuring(connection, keys)
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
# Each built once: building a select costs more than running it on a short source.


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
    )


@functools.cache
def _figures() -> Select[Any]:
    """A source's figures: id, status, both spans, what it states and what it measures."""
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
            f.c.metric_id,
            f.c.kind,
            f.c.unit,
        )
        .join_from(f, m, m.c.id == f.c.metric_id)
        .where(_by_source(f))
    )


@functools.cache
def _events() -> Select[Any]:
    """A source's events: id, status, evidence span, name and date."""
    e = EVENTS
    return select(
        e.c.id,
        e.c.status,
        e.c.evidence_start.label("start"),
        e.c.evidence_end.label("end"),
        e.c.name,
        e.c.date,
    ).where(_by_source(e))


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
    )
