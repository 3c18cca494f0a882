"""Event conflicts: records of one happening (linked by same_as) whose dates do not overlap.

Records are linked directly or through other records (a -> b -> c, or a -> c <- b): each
connected set is one happening, so a cycle is one too. The links are walked in SQL from the
records asked about, through the primary key and the index on same_as_id; the dates of each
happening's records are then compared here (a happening has a few records).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, CompoundSelect, ScalarSelect, Select, select
from sqlalchemy.sql.expression import FromClause

from kb.queries.common import Reader, Row, fetch
from kb.queries.conflicts.times import Span, date_span
from kb.queries.selects import event_select
from kb.tables import EVENTS, PARTICIPANTS, PEOPLE, QUOTES

# A select of event ids (one select, or a union of several).
Ids = Select[Any] | CompoundSelect[Any]


class Record(NamedTuple):
    """One source's record of a happening, as the comparison needs it."""

    id: int
    slug: str
    date: str | None

    @property
    def span(self) -> Span:
        """The days its date covers (only for a dated record)."""
        assert self.date is not None
        return date_span(self.date)


def linked() -> Select[Any]:
    """The ids of the records that name another record of their happening: every happening
    of two or more records has one."""
    return select(EVENTS.c.id).where(EVENTS.c.same_as_id.is_not(None))


def walk(seeds: Ids) -> Select[Any]:
    """(origin, member id, member slug, member date) for each record `seeds` selects (by id)
    and each record of the same happening, itself included.

    The links are walked first up (each record names at most one other), which reaches the
    happening's first record or its cycle, then down from every record met on the way up,
    which reaches every record of the happening.
    """
    e = EVENTS
    start = seeds.cte("seeds")
    up = select(start.c.id.label("origin"), start.c.id.label("member")).cte("up", recursive=True)
    linked_ = e.alias("linked")
    # A scalar subquery, not a join: SQLite would build a Bloom filter over the whole table
    # for the join. UNION (not UNION ALL) drops pairs already found: a walk ends on a cycle.
    parent = select(linked_.c.same_as_id).where(linked_.c.id == up.c.member).scalar_subquery()
    up = up.union(select(up.c.origin, parent).where(parent.is_not(None)))
    down = select(up.c.origin, up.c.member).cte("down", recursive=True)
    down = down.union(
        select(down.c.origin, linked_.c.id).join_from(
            down, linked_, linked_.c.same_as_id == down.c.member
        )
    )
    # Each member's slug and date looked up by id: PostgreSQL estimates a recursive walk at
    # many more rows than it finds, and joined the events to it by reading the primary key
    # from its start.
    member = e.alias("member")

    def of_member(column: ColumnElement[Any]) -> ScalarSelect[Any]:
        """`column` of the member's row."""
        return select(column).where(member.c.id == down.c.member).scalar_subquery()

    return select(down.c.origin, down.c.member, of_member(member.c.slug), of_member(member.c.date))


def happenings(reader: Reader, seeds: Ids) -> dict[int, list[Record]]:
    """The records of the happening of each record `seeds` selects, by that record's id."""
    found: dict[int, list[Record]] = defaultdict(list)
    for origin, id_, slug, date in reader.execute(walk(seeds)):
        found[origin].append(Record(id_, slug, date))
    return found


def distinct(groups: Iterable[list[Record]]) -> list[list[Record]]:
    """Each happening once (records of one happening found from several of its records)."""
    seen: dict[frozenset[int], list[Record]] = {}
    for records in groups:
        seen.setdefault(frozenset(r.id for r in records), records)
    return list(seen.values())


def pairs(records: list[Record]) -> Iterator[tuple[Record, Record]]:
    """The dated records of one happening whose dates do not overlap, the earlier first."""
    dated = sorted((r for r in records if r.date is not None), key=_order)
    for index, a in enumerate(dated):
        for b in dated[index + 1 :]:
            if not a.span.overlaps(b.span):
                yield (a, b) if _order(a) <= _order(b) else (b, a)


def _order(record: Record) -> tuple[str, str]:
    """Records by the first day of their date, then slug."""
    return record.span.first, record.slug


def partners(reader: Reader, among: Select[Any]) -> dict[int, list[str]]:
    """For each event `among` selects (by id) whose date another record of the same happening
    contradicts: the slugs of those records, by date then slug."""
    found: dict[int, list[str]] = {}
    for origin, records in happenings(reader, among).items():
        (own,) = (r for r in records if r.id == origin)
        if own.date is None:
            continue
        others = sorted(
            (r for r in records if r.date is not None and not r.span.overlaps(own.span)),
            key=_order,
        )
        if others:
            found[origin] = [r.slug for r in others]
    return found


def conflicts(reader: Reader, parties: list[int] | None) -> list[Row]:
    """Pairs of records of one happening whose dates do not overlap, by the first's date;
    with `parties`, pairs where one of them takes part in either record."""
    every = distinct(happenings(reader, linked()).values())
    found = [pair for records in every for pair in pairs(records)]
    if parties is not None:
        taking_part = _taking_part(reader, {r.id for pair in found for r in pair}, parties)
        found = [(a, b) for a, b in found if a.id in taking_part or b.id in taking_part]
    found.sort(key=lambda pair: (_order(pair[0]), _order(pair[1])))
    return records(reader, [(a.id, b.id) for a, b in found])


def _taking_part(reader: Reader, ids: set[int], parties: list[int]) -> set[int]:
    """Those of the events `ids` in which one of `parties` takes part."""
    if not ids:
        return set()
    p = PARTICIPANTS
    statement = select(p.c.event_id).where(p.c.event_id.in_(ids), p.c.party_id.in_(parties))
    return set(reader.execute(statement).scalars())


def records(reader: Reader, found: list[tuple[int, int]]) -> list[Row]:
    """A conflict record for each (a id, b id) of `found`, in that order."""
    ids = {id_ for pair in found for id_ in pair}
    if not ids:
        return []
    rows = {row["id"]: row for row in fetch(reader, _details().where(EVENTS.c.id.in_(ids)))}
    return [conflict_record(rows[a], rows[b]) for a, b in found]


def _details() -> Select[Any]:
    """Every event column, with the quote that states the event and its speaker, if any."""
    quote, speaker = QUOTES.alias("stating_quote"), PEOPLE.alias("stating_speaker")
    return (
        event_select()
        .order_by(None)
        .add_columns(
            quote.c.slug.label("quote_slug"),
            speaker.c.slug.label("speaker_slug"),
            speaker.c.name.label("speaker_name"),
        )
        .outerjoin(quote, quote.c.id == _quote_holding(EVENTS))
        .outerjoin(speaker, speaker.c.id == quote.c.speaker_id)
    )


def _quote_holding(event: FromClause) -> ScalarSelect[Any]:
    """The id of the innermost quote of the event's source whose span holds its evidence."""
    q = QUOTES
    return (
        select(q.c.id)
        .where(
            q.c.source_id == event.c.source_id,
            q.c.text_start <= event.c.evidence_start,
            event.c.evidence_end <= q.c.text_end,
        )
        .order_by(q.c.text_end - q.c.text_start, q.c.id)
        .limit(1)
        .scalar_subquery()
    )


def conflict_record(a: Row, b: Row) -> Row:
    """One event conflict: the happening, the reason, then each side's fields."""
    return {
        "type": "event",
        "what": a["name"],
        "reason": f"{_period(a)} and {_period(b)} do not overlap",
        "kind": a["kind"],
        **_side("a", a),
        **_side("b", b),
    }


# One side of an event conflict: these fields of its row, in this order, after slug and stated.
EVENT_SIDE = (
    "name",
    "date",
    "date_precision",
    "date_inferred",
    "source_slug",
    "quote_slug",
    "speaker_slug",
    "speaker_name",
)


def _side(side: str, event: Row) -> Row:
    """The fields of one side of an event conflict, prefixed 'a_' or 'b_'.

    `stated` is the date as kb tables print it ('~2005' when inferred); the speaker is None
    when the narration reports the event.
    """
    stated = f"{'~' if event['date_inferred'] else ''}{event['date']}"
    fields = {"slug": event["slug"], "stated": stated}
    fields |= {name: event[name] for name in EVENT_SIDE}
    return {f"{side}_{name}": value for name, value in fields.items()}


def _period(row: Row) -> str:
    """A date with the period its precision gives it: 'the year 2005', 'the day 2015-12-21'."""
    return f"the {row['date_precision']} {row['date']}"
