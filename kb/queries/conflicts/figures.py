"""Figure conflicts: figures that measure the same thing over overlapping times and disagree.

The figures are read by indexed selects (through ix_figures_by_subject, led by what a figure
measures and holding every column the rule needs), grouped by what they measure, and paired by
kb.queries.conflicts.pairing: only figures of one group are ever compared. For a page of
figures, only those of their groups whose times may overlap theirs are read.
"""

from __future__ import annotations

import functools
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Generator, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.sql.expression import FromClause

from kb.queries.common import Reader, Row, dialect_name, fetch
from kb.queries.conflicts.pairing import DEFAULT_TOLERANCE, Member, pairs
from kb.queries.conflicts.times import figure_span
from kb.queries.selects import among, figures_by_id
from kb.tables import FIGURES, SOURCE_SLUGS

# Qualifiers that bound a figure's value on one side only; the others allow v itself.
AT_LEAST = ("more_than", "at_least")
AT_MOST = ("less_than", "at_most")
QUALIFIER_WORDS = {
    "exact": "",
    "about": "about ",
    "almost": "almost ",
    "more_than": "more than ",
    "at_least": "at least ",
    "less_than": "less than ",
    "at_most": "at most ",
}
# Amounts in an unknown currency are compared with nothing.
UNKNOWN_UNIT = "unknown"
# Rows converted at once when reading figures (see FigureGroups.read).
ROWS_AT_ONCE = 256
# Figures whose details one select reads (an expanding IN of bound parameters).
DETAILS_AT_ONCE = 500
# At most this many figures are looked up by id for their conflicts (FigureGroups.around), as
# bound parameters; more are all the figures of their groups.
PAGE = DETAILS_AT_ONCE
# From this many figures of one group on, FigureGroups.around reads the group once, over the
# years of them all, rather than once for each (a metric's page holds a few groups, most of
# each). Read once, it may return figures that none of them overlaps, which costs more than
# reading its range a few more times: measured, from eight on it is cheaper.
TOGETHER = 8


class Figure(NamedTuple):
    """The layout of a row FigureGroups reads (rows are unpacked by position: reading a
    field of a database row by name costs more than the comparisons themselves)."""

    id: int
    slug: str
    subject_id: int | None
    metric_id: int
    kind: str
    unit: str
    qualifier: str
    value: float
    as_of: str | None
    period_start: str | None
    period_end: str | None
    source_slug: str
    position: int  # where its surface starts in the source's text
    listed: int  # 1 (unused here; kb.annotate.spans selects it too)


# What a figure measures: figures with the same key are compared.
GroupKey = tuple[int | None, int, str, str]


def group_key(figure: Sequence[Any]) -> GroupKey:
    """(subject, metric, kind, unit) of a Figure row."""
    return (figure[2], figure[3], figure[4], figure[5])


def member(figure: Sequence[Any]) -> Member:
    """What decides the conflicts of a Figure row."""
    qualifier, value = figure[6], figure[7]
    return Member(
        figure[0],
        (figure[11], figure[12], figure[0]),
        figure_span(figure[8], figure[9], figure[10]),
        -math.inf if qualifier in AT_MOST else value,
        math.inf if qualifier in AT_LEAST else value,
    )


class FigureGroups:
    """Figures in the order `kb figures` lists them (by source, then position), grouped by
    what they measure: enough to choose the figures a listing shows and to pair them."""

    def __init__(self, figures: Sequence[Sequence[Any]]) -> None:
        self.figures = figures

    @classmethod
    def read(
        cls, reader: Reader, statement: Select[Any], parameters: Row | None = None
    ) -> FigureGroups:
        """The figures `statement` (a members_select()) selects."""
        result = reader.execute(statement, parameters)
        # Plain tuples, a few hundred rows at a time: database rows kept alive throughout
        # would be moved to the garbage collector's oldest generation and make its full
        # collections (tens of milliseconds in a big process) frequent.
        return cls([tuple(row) for part in result.partitions(ROWS_AT_ONCE) for row in part])

    @classmethod
    def about(cls, reader: Reader, subjects: Collection[int | None]) -> FigureGroups:
        """Every figure about `subjects` (None: figures without one)."""
        if not subjects:
            return cls([])
        about = sorted(subject for subject in subjects if subject is not None)
        return cls.read(reader, _about(bool(about), None in subjects), {"subjects": about})

    @classmethod
    def measuring(cls, reader: Reader, keys: Collection[GroupKey]) -> FigureGroups:
        """Every figure of the groups `keys` name (read by subject and metric, then kept when
        its kind and unit agree too)."""
        if not keys:
            return cls([])
        subjects = sorted(key[0] for key in keys if key[0] is not None)
        metrics = sorted({key[1] for key in keys})
        arms = _subject_arms(bool(subjects), any(key[0] is None for key in keys))
        statement = members_select([arm & FIGURES.c.metric_id.in_(metrics) for arm in arms])
        read = cls.read(reader, statement, {"subjects": subjects})
        wanted = set(keys)
        return cls([figure for figure in read.figures if group_key(figure) in wanted])

    @classmethod
    def around(cls, reader: Reader, rows: Sequence[Row]) -> FigureGroups:
        """The figures of `rows` (figure rows, a page's: a few hundred at most) and every
        figure they may conflict with: those of their groups whose times may overlap one of
        theirs."""
        if not rows:
            return cls([])
        without = any(row["subject_id"] is None for row in rows)
        keys = [(r["subject_id"], r["metric_id"], r["kind"], r["unit"]) for r in rows]
        shown = Counter(keys)
        ids: dict[str, list[int]] = {"apart": [], "together": []}
        for row, key in zip(rows, keys, strict=True):
            ids["together" if shown[key] >= TOGETHER else "apart"].append(row["id"])
        return cls.read(reader, _around(dialect_name(reader), without=without), ids)

    def groups(self) -> dict[GroupKey, list[Member]]:
        """The comparable figures (a known unit) by what they measure."""
        found: dict[GroupKey, list[Member]] = defaultdict(list)
        for figure in self.figures:
            if figure[5] != UNKNOWN_UNIT:
                found[group_key(figure)].append(member(figure))
        return found

    def pairs(
        self, tolerance: float = DEFAULT_TOLERANCE, focus: Collection[int] | None = None
    ) -> Iterator[tuple[int, int]]:
        """(a id, b id) of every conflicting pair, group by group, a first in kb figures'
        order; with `focus` (ids), only pairs with a side in it. Lazy."""
        for members in self.groups().values():
            for a, b in pairs(members, tolerance / 100, focus):
                yield a.id, b.id

    def partners(self, shown: Collection[int]) -> dict[int, list[str]]:
        """For each figure of `shown` (ids of figures read) in conflict, at the default
        tolerance: the slugs of the figures it conflicts with, in kb figures' order."""
        shown = set(shown)
        ranks = {figure[0]: (rank, figure[1]) for rank, figure in enumerate(self.figures)}
        found: dict[int, list[int]] = defaultdict(list)
        for a, b in self.pairs(focus=shown):
            found[a].append(b)
            found[b].append(a)
        return {
            id_: [ranks[other][1] for other in sorted(others, key=lambda o: ranks[o][0])]
            for id_, others in found.items()
            if id_ in shown
        }


def members_select(arms: Sequence[ColumnElement[bool]]) -> Select[Any]:
    """The Figure fields of the figures each of `arms` selects (a union, so each arm may use
    its own index), in kb figures' order."""
    f, s = FIGURES, SOURCE_SLUGS
    columns = _member_columns()
    return _in_order(
        [select(*columns).join_from(f, s, f.c.source_id == s.c.id).where(arm) for arm in arms]
    )


def _in_order(arms: Sequence[Select[Any]]) -> Select[Any]:
    """The Figure rows of every one of `arms` (selects of _member_columns()), in kb figures'
    order."""
    found = union_all(*arms).subquery("found")
    return select(*(found.c[name] for name in Figure._fields)).order_by(
        found.c.source_slug, found.c.position, found.c.id
    )


def _member_columns() -> list[ColumnElement[Any]]:
    """The columns of a Figure row (the select joins FIGURES to SOURCE_SLUGS)."""
    f, s = FIGURES, SOURCE_SLUGS
    flag = literal(1)
    return [
        *(f.c[name] for name in Figure._fields[:-3]),
        s.c.slug.label("source_slug"),
        f.c.surface_start.label("position"),
        flag.label("listed"),
    ]


def in_groups(where: ColumnElement[bool] | None, *, subject_first: bool = False) -> Select[Any]:
    """Figure rows of the figures `where` selects (None: all), group after group, so that a
    reader can stop after any group: by metric, then subject, kind and unit (SQLite walks
    ix_figures_metric_id and sorts only within a metric), or with `subject_first` in the
    order of ix_figures_by_subject (PostgreSQL walks it rather than sorting every figure
    before the first row)."""
    f, s = FIGURES, SOURCE_SLUGS
    statement = select(*_member_columns()).join_from(f, s, f.c.source_id == s.c.id)
    if where is not None:
        statement = statement.where(where)
    if subject_first:
        return statement.order_by(f.c.subject_id, f.c.metric_id, f.c.kind, f.c.unit)
    return statement.order_by(f.c.metric_id, f.c.subject_id, f.c.kind, f.c.unit)


def pairs_in_groups(
    reader: Reader,
    statement: Select[Any],
    focus: Callable[[int], bool],
    tolerance: float = DEFAULT_TOLERANCE,
) -> Generator[tuple[int, int], None, None]:
    """(a id, b id) of the conflicting pairs with a side in `focus` among the rows of
    `statement` (an in_groups() select), group by group as the rows come. Lazy: a caller
    that stops early reads no further."""
    members: list[Member] = []
    key: GroupKey | None = None
    # Streamed (a server-side cursor on PostgreSQL, whose driver would otherwise fetch every
    # row first), and closed with the generator: a caller that stops early reads no further.
    streamed = {"stream_results": True, "yield_per": ROWS_AT_ONCE}
    with reader.execute(statement, execution_options=streamed) as result:
        for part in result.partitions(ROWS_AT_ONCE):
            for figure in part:
                if figure[5] == UNKNOWN_UNIT:
                    continue
                if group_key(figure) != key:
                    yield from _focused(members, focus, tolerance)
                    members, key = [], group_key(figure)
                members.append(member(figure))
    yield from _focused(members, focus, tolerance)


def _focused(
    members: list[Member], focus: Callable[[int], bool], tolerance: float
) -> Iterator[tuple[int, int]]:
    """The pairs of one group with a side in `focus`."""
    chosen = {m.id for m in members if focus(m.id)}
    if chosen:
        for a, b in pairs(members, tolerance / 100, chosen):
            yield a.id, b.id


def _subject_arms(about: bool, without: bool) -> list[ColumnElement[bool]]:
    """Figures about the subjects in the parameter `subjects` (`about`; values, not a
    subquery, so the planner sees how few rows that is) and those without one (`without`)."""
    arms: list[ColumnElement[bool]] = []
    if about:
        arms.append(FIGURES.c.subject_id.in_(bindparam("subjects", expanding=True)))
    if without:
        arms.append(FIGURES.c.subject_id.is_(None))
    return arms


# The select FigureGroups.about runs when the listing asks for every figure, by which arms it
# has. Built once: building it again costs more than running it on a small database.
@functools.cache
def _about(about: bool, without: bool) -> Select[Any]:
    """members_select() of every figure about the subjects, and of those without one."""
    return members_select(_subject_arms(about, without))


@functools.cache
def _around(dialect: str, *, without: bool) -> Select[Any]:
    """The Figure rows of the figures whose ids are in the parameters `apart` and `together`
    and of the figures of their groups whose times may overlap one of theirs, in kb figures'
    order, for `dialect`; `without`: some of them are about no subject.

    Each group is a range of ix_figures_by_subject (subject, metric, kind, unit), read once for
    each figure `apart`, and once for the figures `together` of one group, over the years of
    them all (see TOGETHER). Times are compared by year, a coarser test than the rule's (which
    then decides): two times that share a day share a year.
    """
    f, s, shown_figure = FIGURES, SOURCE_SLUGS, FIGURES.alias("shown_figure")
    first, last = _time_keys(shown_figure)
    group = [
        shown_figure.c.subject_id,
        shown_figure.c.metric_id,
        shown_figure.c.kind,
        shown_figure.c.unit,
    ]
    first_year = func.substr(first, 1, 4)
    # After every date of the last year ('~' sorts after '-' and the digits).
    after_last_year = func.substr(last, 1, 4).concat("~")
    apart = select(
        *group, first_year.label("first_year"), after_last_year.label("after_last_year")
    ).where(among(shown_figure.c.id, "apart", dialect))
    together = (
        select(
            *group,
            func.min(first_year).label("first_year"),
            func.max(after_last_year).label("after_last_year"),
        )
        .where(among(shown_figure.c.id, "together", dialect))
        .group_by(*group)
    )
    shown = union_all(apart, together).cte("shown").prefix_with("MATERIALIZED")
    f_first, f_last = _time_keys(f)
    near = and_(
        f.c.metric_id == shown.c.metric_id,
        f.c.kind == shown.c.kind,
        f.c.unit == shown.c.unit,
        f_first <= shown.c.after_last_year,
        shown.c.first_year <= f_last,
    )
    # An arm for the groups of a subject, one for those of none (each group an index range);
    # the second only when needed: SQLite may read every figure about none for it.
    subjects = [f.c.subject_id == shown.c.subject_id]
    if without:
        subjects.append(f.c.subject_id.is_(None) & shown.c.subject_id.is_(None))
    return _in_order(
        [
            select(*_member_columns())
            .distinct()  # a figure near several of them
            .select_from(shown)
            .join(f, subject & near)
            .join(s, f.c.source_id == s.c.id)
            for subject in subjects
        ]
    )


def _time_keys(figure: FromClause) -> tuple[ColumnElement[str], ColumnElement[str]]:
    """The dates a row of `figure` covers from and to, as stated: its as-of date, else its
    period's start and end ('' and '~' when open). A date sorts before the days it covers,
    and its first four characters are the year of its first and last day."""
    c = figure.c
    return (
        func.coalesce(c.as_of, c.period_start, literal("", String())),
        func.coalesce(c.as_of, c.period_end, literal("~", String())),
    )


def comparable(parties: list[int] | None) -> Select[Any]:
    """members_select() of every figure with a known unit; with `parties`, of those about
    one of them."""
    arm = FIGURES.c.unit != UNKNOWN_UNIT
    if parties is not None:
        arm = arm & FIGURES.c.subject_id.in_(parties)
    return members_select([arm])


# --- conflict records -------------------------------------------------------------------------


def details(reader: Reader, ids: Collection[int]) -> dict[int, Row]:
    """figure_select() rows of the figures `ids`, by id."""
    ordered = sorted(ids)
    found: dict[int, Row] = {}
    for start in range(0, len(ordered), DETAILS_AT_ONCE):
        chunk = ordered[start : start + DETAILS_AT_ONCE]
        by_id = figures_by_id(dialect_name(reader))
        found.update((row["id"], row) for row in fetch(reader, by_id, {"ids": chunk}))
    return found


def records(
    reader: Reader, found: Sequence[tuple[int, int]], tolerance: float = DEFAULT_TOLERANCE
) -> list[Row]:
    """A conflict record for each (a id, b id) of `found`, in that order."""
    rows = details(reader, {id_ for pair in found for id_ in pair})
    return [conflict_record(rows[a], rows[b], tolerance) for a, b in found]


def conflict_record(a: Row, b: Row, tolerance: float) -> Row:
    """One figure conflict: what is measured, the reason, then each side's fields."""
    a, b = _bounded(a), _bounded(b)
    gap = round(_gap(a, b) * 100, 6)  # percent, without floating-point dust (51.875)
    return {
        "type": "figure",
        "what": a["metric_name"],
        "reason": f"{_range(a)} and {_range(b)} do not meet: {gap:.3g}% apart, "
        f"more than the {tolerance:g}% tolerance",
        "subject_slug": a["subject_slug"],
        "subject_name": a["subject_name"],
        "metric_slug": a["metric_slug"],
        "metric_name": a["metric_name"],
        "kind": a["kind"],
        "unit": a["unit"],
        "gap_percent": gap,
        "tolerance_percent": tolerance,
        **_side("a", a),
        **_side("b", b),
    }


def _bounded(figure: Row) -> Row:
    """A figure row with the range of values it allows: low and high (None: unbounded)."""
    qualifier, value = figure["qualifier"], figure["value"]
    low = None if qualifier in AT_MOST else value
    high = None if qualifier in AT_LEAST else value
    return {**figure, "low": low, "high": high}


def _gap(a: Row, b: Row) -> float:
    """Relative distance between the nearest values the ranges of a and b allow."""
    for x, y in ((a["high"], b["low"]), (b["high"], a["low"])):
        if x is not None and y is not None and x < y:
            return float((y - x) / max(abs(x), abs(y)))
    return 0.0


# One side of a figure conflict: these fields of its row, in this order, after slug and stated.
FIGURE_SIDE = (
    "surface",
    "value",
    "qualifier",
    "period_start",
    "period_start_precision",
    "period_start_inferred",
    "period_end",
    "period_end_precision",
    "period_end_inferred",
    "as_of",
    "as_of_precision",
    "as_of_inferred",
    "source_slug",
    "quote_slug",
    "speaker_slug",
    "speaker_name",
    "low",
    "high",
)


def _side(side: str, figure: Row) -> Row:
    """The fields of one side of a figure conflict, prefixed 'a_' or 'b_'.

    `stated` is the figure as the text gives it ('more than US$160 billion'); low and high
    bound the values it allows (None: unbounded).
    """
    fields = {"slug": figure["slug"], "stated": stated(figure)}
    fields |= {name: figure[name] for name in FIGURE_SIDE}
    return {f"{side}_{name}": value for name, value in fields.items()}


def stated(figure: Row) -> str:
    """A figure as its source states it: 'more than US$160 billion'."""
    return QUALIFIER_WORDS[figure["qualifier"]] + str(figure["surface"])


def _range(figure: Row) -> str:
    """The values a figure allows: '7.7e10', '(1.6e11, ∞)', '[1.6e11, ∞)', '(-∞, 5]'."""
    low, high = figure["low"], figure["high"]
    closed = figure["qualifier"] in ("at_least", "at_most")
    if high is None and low is not None:
        return f"{'[' if closed else '('}{number(low)}, ∞)"
    if low is None and high is not None:
        return f"(-∞, {number(high)}{']' if closed else ')'}"
    return number(figure["value"])


def number(value: float) -> str:
    """A value in short scientific form: 1.6e11, 120, 33.3333."""
    mantissa, _, exponent = f"{value:.6g}".partition("e")
    return f"{mantissa}e{int(exponent)}" if exponent else mantissa
