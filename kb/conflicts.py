"""Do the sources agree? Figures and event dates that contradict each other, and why.

Figures. Two figures measure the same thing when they have
- the same subject (subject_id); two figures without a subject count as having the same one,
  so the metric alone says what they measure;
- the same metric, ignoring case and runs of whitespace (spaces, tabs, line breaks, no-break
  spaces). Case is folded by the database's lower(): on SQLite that folds ASCII letters only;
- the same kind and the same unit. Amounts in different currencies are never compared (kb has
  no exchange rates), and an amount whose unit is 'unknown' is compared with nothing.
They are compared only when their periods overlap. A period is the interval its dates cover at
their precision: period_start '1993' starts on 1993-01-01, period_end '1993' ends on
1993-12-31; without a period_start it is open at the start, without a period_end open at the
end, so a figure without any period overlaps every other.
They disagree when the values they allow are too far apart. A figure allows the value v itself
when its qualifier is exact, about or almost ("almost v" is just below v: the tolerance covers
the difference), v or more for more_than (v, ∞) and at_least [v, ∞), v or less for less_than
(-∞, v) and at_most (-∞, v]. Ranges that intersect agree; otherwise their nearest values a and
b disagree when |a - b| / max(|a|, |b|) is more than the tolerance (default 10 %). So "more than
100" and "about 120" agree; "more than US$160 billion" and "almost US$77 billion" do not.
Figures may conflict within one source or across sources.

Events. Records of one happening are linked by same_as, directly or through other records
(a -> b -> c, or a -> c <- b: each chain is one group, found by following the links both ways,
so a cycle is a group too). Two dated records of a group conflict when the periods their dates
cover do not overlap: '1995' (all of 1995) and '1995-01-23' agree, '2005' and '2015-12-21' do
not. A record without a date never conflicts.

Who states a side: for a figure, the speaker of its quote; for an event, the speaker of the
quote whose span holds the event's evidence. Otherwise the narration (speaker None).
"""

from __future__ import annotations

import functools
import math
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    ColumnElement,
    Float,
    ScalarSelect,
    Select,
    String,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.sql.expression import FromClause

from kb.errors import KbError
from kb.queries.common import (
    EVENTS,
    FIGURES,
    PARTICIPANTS,
    PEOPLE,
    QUOTES,
    SOURCE_SLUGS,
    SOURCES,
    Reader,
    Row,
    fetch,
    party_ids,
)
from kb.queries.facts import event_select, figure_select

DEFAULT_TOLERANCE = 10.0  # percent
TYPES = ("figure", "event")

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
# Figures without a subject join each other on this key (kb's integer ids start at 1).
NO_SUBJECT = 0
# Collapsing runs of spaces in portable SQL (SQLite has no regexp_replace): ' ' -> OPEN CLOSE,
# drop every CLOSE OPEN, then OPEN CLOSE -> ' '. The markers are control characters, which
# curated text does not contain.
OPEN, CLOSE = "\x01", "\x02"
WHITESPACE = ("\t", "\n", "\r", "\u00a0")


def conflicts(
    reader: Reader,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    only: str | None = None,
    subject: str | None = None,
) -> list[Row]:
    """Every conflict, figures first then events, as flat records of both sides and the reason.

    `tolerance` is in percent; `only` is 'figure' or 'event'; `subject` names a party (slug,
    name or alias): figures about it, events it takes part in (in either record).
    """
    tolerance = check_tolerance(tolerance)
    if only is not None and only not in TYPES:
        raise KbError(f"Unknown conflict type {only!r}: choose figure or event.")
    parties = party_ids(reader, subject) if subject is not None else None
    found: list[Row] = []
    if only in (None, "figure"):
        found += figure_conflicts(reader, tolerance, parties)
    if only in (None, "event"):
        found += event_conflicts(reader, parties)
    return found


def check_tolerance(percent: float) -> float:
    """Return `percent` if it is a usable tolerance (a finite number, 0 or more); else KbError."""
    if not math.isfinite(percent) or percent < 0:
        raise KbError(f"Tolerance must be a percentage of 0 or more (e.g. 10), not {percent:g}.")
    return float(percent)


def figure_partners(reader: Reader, figures: Sequence[Row]) -> dict[int, list[str]]:
    """For each of `figures` (rows with id and subject_id) in conflict, at the default
    tolerance: the slugs of the figures it conflicts with, in the order `kb figures` lists
    them.

    Partners measure the same thing, so they share the subject: only the figures about the
    subjects of `figures` are read (FiguresAbout), then paired in Python.
    """
    subjects = {figure["subject_id"] for figure in figures}
    about = FiguresAbout.read(reader, subjects)
    return about.partners(reader, [figure["id"] for figure in figures])


def event_partners(reader: Reader, among: Select[Any]) -> dict[int, list[str]]:
    """For each event `among` selects (by id) whose date another record of the same happening
    contradicts: the slugs of those records, by date."""
    found: dict[int, list[str]] = defaultdict(list)
    for record_id, partner in reader.execute(_event_partners(among)):
        found[record_id].append(partner)
    return dict(found)


def mark(rows: list[Row], conflicting: dict[int, list[str]]) -> list[Row]:
    """Add `in_conflict` and `conflicts_with` (slugs) to figure or event rows; return them."""
    for row in rows:
        others = conflicting.get(row["id"], [])
        row["in_conflict"] = bool(others)
        row["conflicts_with"] = others
    return rows


# --- figures ----------------------------------------------------------------------------------


def figure_conflicts(reader: Reader, tolerance: float, parties: list[int] | None) -> list[Row]:
    """Pairs of figures that measure the same thing over overlapping periods and disagree by
    more than `tolerance` percent; with `parties`, only figures about one of them."""
    pairs = figure_pairs(tolerance, parties).order_by(None).subquery("pairs")
    details = figure_select().order_by(None).subquery("details")
    a, b = details.alias("a_figure"), details.alias("b_figure")
    statement = (
        select(*pairs.c["a_low", "a_high", "b_low", "b_high", "gap"], *_sides(a, b, FIGURE_FIELDS))
        .join_from(pairs, a, a.c.id == pairs.c.a_id)
        .join(b, b.c.id == pairs.c.b_id)
        .order_by(*(side.c[k] for side in (a, b) for k in ("source_slug", "surface_start", "id")))
    )
    return [_figure_conflict(row, tolerance) for row in fetch(reader, statement)]


def _sides(a: FromClause, b: FromClause, names: tuple[str, ...]) -> list[ColumnElement[Any]]:
    """The columns `names` of two records, labelled a_<name> and b_<name>."""
    return [t.c[name].label(f"{side}_{name}") for side, t in (("a", a), ("b", b)) for name in names]


def figure_pairs(tolerance: float, parties: list[int] | None) -> Select[Any]:
    """(a_id, a_slug, a_low, a_high, b_…, gap) of each conflicting pair, side a first in the
    order `kb figures` lists them; low/high are the range of values a figure allows (NULL:
    unbounded) and gap the relative distance between the nearest values of the two ranges."""
    comparable = _comparable_figures(parties)
    a, b = comparable.alias("a"), comparable.alias("b")
    gap = _gap(a, b)
    return (
        select(*_sides(a, b, ("id", "slug", "low", "high")), gap.label("gap"))
        .where(
            tuple_(a.c.source_slug, a.c.position, a.c.id)
            < tuple_(b.c.source_slug, b.c.position, b.c.id),
            *(a.c[name] == b.c[name] for name in ("kind", "unit", "subject_key", "metric_key")),
            _periods_overlap(a, b),
            gap > literal(tolerance / 100, Float()),
        )
        .order_by(a.c.source_slug, a.c.position, b.c.source_slug, b.c.position)
    )


class _Figure(NamedTuple):
    """The layout of a row FiguresAbout reads (rows are unpacked by position: reading a
    field of a database row by name costs more than the comparisons themselves)."""

    id: int
    slug: str
    subject_id: int | None
    kind: str
    unit: str
    metric: str
    qualifier: str
    value: float
    period_start: str | None
    period_end: str | None
    listed: int  # 1 when the listing asks for the figure, else 0


# What decides a conflict of a figure: id, slug, first day, last day, low, high (_deciding()).
_Side = tuple[int, str, str | None, str | None, float | None, float | None]


# Rows converted at once by FiguresAbout.read().
ROWS_AT_ONCE = 256


class FiguresAbout:
    """Every figure about some subjects, in the order `kb figures` lists them: enough to
    choose the figures a listing shows and to find which of them conflict.

    One read, of the index ix_figures_by_subject (and of the sources, for the order). The
    figures are then paired here, group by group (same subject, metric, kind and unit), by
    the rules figure_pairs() states in SQL: a self-join in SQL compares every figure read
    with every other, where grouping compares only those that measure the same thing, and
    only for the figures shown.
    """

    def __init__(self, figures: Sequence[Sequence[Any]]) -> None:
        self.figures = figures

    @classmethod
    def read(
        cls,
        reader: Reader,
        subjects: Collection[int | None],
        listed: ColumnElement[bool] | None = None,
    ) -> FiguresAbout:
        """The figures about `subjects` (None: figures without one); `listed` says which of
        them the listing asks for (None: all of them)."""
        if not subjects:
            return cls([])
        about = sorted(subject for subject in subjects if subject is not None)
        if listed is None:
            statement = _about(bool(about), None in subjects)
        else:
            statement = _about_select(bool(about), None in subjects, listed)
        result = reader.execute(statement, {"subjects": about})
        # Plain tuples, a few hundred rows at a time: database rows kept alive throughout
        # would be moved to the garbage collector's oldest generation and make its full
        # collections (tens of milliseconds in a big process) frequent.
        return cls([tuple(row) for part in result.partitions(ROWS_AT_ONCE) for row in part])

    def listed(self, limit: int | None) -> list[int]:
        """The ids of the figures the listing asks for: the first `limit` (None: all)."""
        ids = [figure[0] for figure in self.figures if figure[-1]]
        return ids if limit is None else ids[:limit]

    def partners(self, reader: Reader, shown: Collection[int]) -> dict[int, list[str]]:
        """For each figure of `shown` (ids of figures read) in conflict, at the default
        tolerance: the slugs of the figures it conflicts with, in the order `kb figures`
        lists them."""
        shown = set(shown)
        comparable = [figure for figure in self.figures if figure[4] != "unknown"]
        keys = metric_keys(reader, {figure[5] for figure in comparable})
        groups: dict[tuple[Any, ...], list[Sequence[Any]]] = defaultdict(list)
        for figure in comparable:
            # kind, unit, subject and metric_key(metric): what the figure measures.
            groups[(figure[3], figure[4], figure[2], keys[figure[5]])].append(figure)
        tolerance = DEFAULT_TOLERANCE / 100
        found: dict[int, list[str]] = {}
        for members in groups.values():
            if shown.isdisjoint(figure[0] for figure in members):
                continue
            sides = _deciding(members)
            for side in sides:
                if side[0] in shown and (others := _disagreeing(side, sides, tolerance)):
                    found[side[0]] = others
        return found


# The select FiguresAbout runs, by which arms it has: figures about given subjects (the
# expanding parameter `subjects`) and figures without one. Built once: building it again
# costs more than running it on a small database.
@functools.cache
def _about(about: bool, without: bool) -> Select[Any]:
    """_about_select() of every figure: the listing asks for all of them."""
    return _about_select(about, without, None)


def _about_select(about: bool, without: bool, listed: ColumnElement[bool] | None) -> Select[Any]:
    """The _Figure fields of the figures about the subjects in the parameter `subjects`
    (`about`) and of those without a subject (`without`), in the order `kb figures` lists
    them; `listed` says which of them the listing asks for (None: all).

    The subjects are values, not a subquery, so the planner sees how few rows that is.
    """
    f, s = FIGURES, SOURCE_SLUGS
    flag = literal(1) if listed is None else case((listed, 1), else_=0)
    columns = (
        *(f.c[name] for name in _Figure._fields[:-1]),
        flag.label("listed"),
        s.c.slug.label("source_slug"),
        f.c.surface_start.label("position"),
    )
    arms = [f.c.subject_id.in_(bindparam("subjects", expanding=True))] if about else []
    if without:
        arms.append(f.c.subject_id.is_(None))
    found = union_all(
        *(select(*columns).join_from(f, s, f.c.source_id == s.c.id).where(arm) for arm in arms)
    ).subquery("about")
    return select(*(found.c[name] for name in _Figure._fields)).order_by(
        found.c.source_slug, found.c.position, found.c.id
    )


def _deciding(figures: list[Sequence[Any]]) -> list[_Side]:
    """What decides a conflict of each figure read: first_day(), last_day() and the range
    of values it allows as _comparable_select() computes them (None: open, or unbounded).
    Dates are 4, 7 or 10 characters long (a CHECK says so)."""
    return [
        (
            id_,
            slug,
            None if start is None else start + "-01-01"[len(start) - 4 :],
            None if end is None else end + "-12-31"[len(end) - 4 :],
            None if qualifier in AT_MOST else value,
            None if qualifier in AT_LEAST else value,
        )
        for id_, slug, _, _, _, _, qualifier, value, start, end, _ in figures
    ]


def _disagreeing(figure: _Side, members: list[_Side], tolerance: float) -> list[str]:
    """The slugs of the members of its group that a figure conflicts with, in their order:
    _periods_overlap() and _gap() of figure_pairs() in Python (a None bound is open, or
    unbounded). A figure never conflicts with itself: its range meets itself.

    For a < b, _larger(a, b) = max(|a|, |b|) is b if b >= -a, else -a: the same value,
    without calls (this runs for every pair of a group, thousands of times a listing).
    """
    _, _, first, last, low, high = figure
    return [
        slug
        for _, slug, other_first, other_last, other_low, other_high in members
        if (first is None or other_last is None or first <= other_last)
        and (other_first is None or last is None or other_first <= last)
        and (
            (
                high is not None
                and other_low is not None
                and high < other_low
                and (other_low - high) / (other_low if other_low >= -high else -high) > tolerance
            )
            or (
                other_high is not None
                and low is not None
                and other_high < low
                and (low - other_high) / (low if low >= -other_high else -other_high) > tolerance
            )
        )
    ]


# SQLite joins at most 500 selects into one compound select: metrics go by chunks of up to
# KEYS_PER_SELECT, padded to a power of two so that few distinct selects are ever built.
KEYS_PER_SELECT = 256


def metric_keys(reader: Reader, metrics: Collection[str]) -> dict[str, str]:
    """metric_key() of each of `metrics`, computed by the database as kb conflicts' SQL
    computes it (its lower() folds case), but once per distinct metric, not once per figure."""
    ordered = sorted(metrics)
    keys: dict[str, str] = {}
    for start in range(0, len(ordered), KEYS_PER_SELECT):
        chunk = ordered[start : start + KEYS_PER_SELECT]
        size = 1 << (len(chunk) - 1).bit_length()
        padded = chunk + chunk[-1:] * (size - len(chunk))
        parameters = {f"metric_{n}": metric for n, metric in enumerate(padded)}
        keys.update(reader.execute(_keys_select(size), parameters).all())
    return keys


@functools.cache
def _keys_select(size: int) -> Select[Any]:
    """(metric, metric_key(metric)) of the parameters metric_0 … metric_<size - 1>."""
    given = union_all(
        *(select(bindparam(f"metric_{n}", type_=String()).label("metric")) for n in range(size))
    ).subquery("given")
    return select(given.c.metric, metric_key(given.c.metric))


def _comparable_figures(parties: list[int] | None) -> CTE:
    """Figures with a known unit, with the keys that say what they measure, their period as
    comparable text and the range of values they allow."""
    statement = _comparable_select()
    if parties is not None:
        statement = statement.where(FIGURES.c.subject_id.in_(parties))
    return statement.cte("comparable")


def _comparable_select() -> Select[Any]:
    """The select behind _comparable_figures(), for every figure with a known unit."""
    f, s = FIGURES, SOURCES
    statement = select(
        f.c.id,
        f.c.slug,
        f.c.kind,
        f.c.unit,
        s.c.slug.label("source_slug"),
        f.c.surface_start.label("position"),
        func.coalesce(f.c.subject_id, NO_SUBJECT).label("subject_key"),
        metric_key(f.c.metric).label("metric_key"),
        first_day(f.c.period_start).label("first_day"),
        last_day(f.c.period_end).label("last_day"),
        case((f.c.qualifier.in_(AT_MOST), null()), else_=f.c.value).label("low"),
        case((f.c.qualifier.in_(AT_LEAST), null()), else_=f.c.value).label("high"),
    ).join_from(f, s, f.c.source_id == s.c.id)
    return statement.where(f.c.unit != "unknown")


def metric_key(column: ColumnElement[Any]) -> ColumnElement[str]:
    """`column` lowercased, trimmed, with every run of whitespace made one space."""
    text = column
    for char in WHITESPACE:
        text = func.replace(text, _text(char), _text(" "))
    text = func.replace(text, _text(" "), _text(OPEN + CLOSE))
    text = func.replace(text, _text(CLOSE + OPEN), _text(""))
    text = func.replace(text, _text(OPEN + CLOSE), _text(" "))
    return func.lower(func.trim(text))


def _text(value: str) -> ColumnElement[str]:
    """A text value as a bound parameter."""
    return literal(value, String())


def first_day(date: ColumnElement[Any]) -> ColumnElement[str]:
    """The first day a date covers at its precision, as text ('1993' -> '1993-01-01');
    NULL stays NULL."""
    return date + func.substr(_text("-01-01"), func.length(date) - 3)


def last_day(date: ColumnElement[Any]) -> ColumnElement[str]:
    """A text key for the last day a date covers, for comparisons: '1993' -> '1993-12-31',
    '1993-02' -> '1993-02-31' (after every real day of the month); NULL stays NULL."""
    return date + func.substr(_text("-12-31"), func.length(date) - 3)


def _periods_overlap(a: FromClause, b: FromClause) -> ColumnElement[bool]:
    """The periods of figures a and b overlap; a NULL bound is open."""
    return and_(
        or_(a.c.first_day.is_(None), b.c.last_day.is_(None), a.c.first_day <= b.c.last_day),
        or_(b.c.first_day.is_(None), a.c.last_day.is_(None), b.c.first_day <= a.c.last_day),
    )


def _gap(a: FromClause, b: FromClause) -> ColumnElement[float]:
    """Relative distance between the nearest values the ranges of a and b allow; 0 when the
    ranges intersect (a NULL bound is unbounded, so a comparison with it is never true)."""
    return case(
        (a.c.high < b.c.low, (b.c.low - a.c.high) / _larger(a.c.high, b.c.low)),
        (b.c.high < a.c.low, (a.c.low - b.c.high) / _larger(b.c.high, a.c.low)),
        else_=literal(0.0, Float()),
    )


def _larger(x: ColumnElement[Any], y: ColumnElement[Any]) -> ColumnElement[Any]:
    """max(|x|, |y|), written as CASE (SQLite's max() is PostgreSQL's greatest())."""
    return case((func.abs(x) >= func.abs(y), func.abs(x)), else_=func.abs(y))


def _figure_conflict(row: Row, tolerance: float) -> Row:
    """One figure conflict: what is measured, the reason, then each side's fields."""
    a, b = _side(row, "a"), _side(row, "b")
    gap = round(row["gap"] * 100, 6)  # percent, without floating-point dust (51.875)
    return {
        "type": "figure",
        "what": a["metric"],
        "reason": f"{_range(a)} and {_range(b)} do not meet: {gap:.3g}% apart, "
        f"more than the {tolerance:g}% tolerance",
        "subject_slug": a["subject_slug"],
        "subject_name": a["subject_name"],
        "kind": a["kind"],
        "unit": a["unit"],
        "gap_percent": gap,
        "tolerance_percent": tolerance,
        **_figure_side("a", a),
        **_figure_side("b", b),
    }


def _side(row: Row, side: str) -> Row:
    """The fields of one side ('a' or 'b') of a joined row, without their prefix."""
    prefix = f"{side}_"
    return {key[len(prefix) :]: value for key, value in row.items() if key.startswith(prefix)}


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
    "source_slug",
    "quote_slug",
    "speaker_slug",
    "speaker_name",
)
# The columns a figure conflict reads of each side.
FIGURE_FIELDS = ("slug", "metric", "subject_slug", "subject_name", "kind", "unit", *FIGURE_SIDE)


def _figure_side(side: str, figure: Row) -> Row:
    """The fields of one side of a figure conflict, prefixed 'a_' or 'b_'.

    `stated` is the figure as the text gives it ('more than US$160 billion'); low and high
    bound the values it allows (None: unbounded).
    """
    stated = QUALIFIER_WORDS[figure["qualifier"]] + figure["surface"]
    fields = {"slug": figure["slug"], "stated": stated}
    fields |= {name: figure[name] for name in (*FIGURE_SIDE, "low", "high")}
    return {f"{side}_{name}": value for name, value in fields.items()}


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


# --- events -----------------------------------------------------------------------------------


def event_conflicts(reader: Reader, parties: list[int] | None) -> list[Row]:
    """Pairs of records of one happening (same_as groups) whose dates do not overlap; with
    `parties`, pairs where one of them takes part in either record."""
    pairs = event_pairs(parties).order_by(None).subquery("pairs")
    details = _event_details().subquery("details")
    a, b = details.alias("a_event"), details.alias("b_event")
    statement = (
        select(*_sides(a, b, EVENT_FIELDS))
        .join_from(pairs, a, a.c.id == pairs.c.a_id)
        .join(b, b.c.id == pairs.c.b_id)
        .order_by(pairs.c.a_first_day, a.c.slug, pairs.c.b_first_day, b.c.slug)
    )
    return [_event_conflict(_side(row, "a"), _side(row, "b")) for row in fetch(reader, statement)]


def event_pairs(parties: list[int] | None) -> Select[Any]:
    """(a_id, a_slug, a_first_day, b_…) of each pair of records of one happening whose dates
    do not overlap, the earlier first; with `parties`, pairs where one of them takes part."""
    dated = _dated_groups()
    a, b = dated.alias("a"), dated.alias("b")
    statement = select(*_sides(a, b, ("id", "slug", "first_day"))).where(
        a.c.group_id == b.c.group_id, a.c.last_day < b.c.first_day
    )
    if parties is not None:
        statement = statement.where(or_(_takes_part(a.c.id, parties), _takes_part(b.c.id, parties)))
    return statement.order_by(a.c.first_day, a.c.slug, b.c.first_day, b.c.slug)


def _event_partners(among: Select[Any]) -> Select[Any]:
    """(id, partner slug) for each event `among` selects and each record of the same happening
    whose date does not overlap its own, by id then by the partner's date and slug.

    The same_as links are walked from the selected events only, through the primary key and
    the index on same_as_id: first up (each record names at most one other), which reaches
    the group's first record or its cycle, then down from every record met on the way up,
    which reaches every record of the group.
    """
    e = EVENTS
    shown = among.cte("shown")
    up = select(shown.c.id.label("origin"), shown.c.id.label("member")).cte("up", recursive=True)
    linked = e.alias("linked")
    # A scalar subquery, not a join: SQLite would build a Bloom filter over the whole table
    # for the join. UNION (not UNION ALL) drops pairs already found: a walk ends on a cycle.
    parent = select(linked.c.same_as_id).where(linked.c.id == up.c.member).scalar_subquery()
    up = up.union(select(up.c.origin, parent).where(parent.is_not(None)))
    walk = select(up.c.origin, up.c.member).cte("walk", recursive=True)
    walk = walk.union(
        select(walk.c.origin, linked.c.id).join_from(
            walk, linked, linked.c.same_as_id == walk.c.member
        )
    )
    origin, partner = e.alias("origin"), e.alias("partner")
    return (
        select(walk.c.origin, partner.c.slug)
        .join_from(walk, origin, origin.c.id == walk.c.origin)
        .join(partner, partner.c.id == walk.c.member)
        .where(
            or_(
                last_day(origin.c.date) < first_day(partner.c.date),
                last_day(partner.c.date) < first_day(origin.c.date),
            )
        )
        .order_by(walk.c.origin, first_day(partner.c.date), partner.c.slug)
    )


def _dated_groups() -> CTE:
    """Dated events in a same_as group: id, slug, group id and the days their date covers.

    A group is a connected set of same_as links, walked both ways (so siblings and cycles
    group too); its id is the smallest event id in it.
    """
    e = EVENTS
    linked = e.c.same_as_id.is_not(None)
    links = union_all(
        select(e.c.id.label("one"), e.c.same_as_id.label("other")).where(linked),
        select(e.c.same_as_id.label("one"), e.c.id.label("other")).where(linked),
    ).cte("links")
    reach = select(links.c.one.label("id"), links.c.one.label("member")).cte(
        "reach", recursive=True
    )
    # UNION (not UNION ALL) drops rows already found, so the walk ends even on a cycle.
    reach = reach.union(
        select(reach.c.id, links.c.other).join_from(reach, links, links.c.one == reach.c.member)
    )
    groups = (
        select(reach.c.id, func.min(reach.c.member).label("group_id"))
        .group_by(reach.c.id)
        .cte("event_groups")
    )
    return (
        select(
            e.c.id,
            e.c.slug,
            groups.c.group_id,
            first_day(e.c.date).label("first_day"),
            last_day(e.c.date).label("last_day"),
        )
        .join_from(e, groups, groups.c.id == e.c.id)
        .where(e.c.date.is_not(None))
        .cte("dated")
    )


def _takes_part(event_id: ColumnElement[Any], parties: list[int]) -> ColumnElement[bool]:
    """One of `parties` takes part in the event."""
    p = PARTICIPANTS
    return exists().where(p.c.event_id == event_id, p.c.party_id.in_(parties))


def _event_details() -> Select[Any]:
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


def _event_conflict(a: Row, b: Row) -> Row:
    """One event conflict: the happening, the reason, then each side's fields."""
    return {
        "type": "event",
        "what": a["name"],
        "reason": f"{_period(a)} and {_period(b)} do not overlap",
        "kind": a["kind"],
        **_event_side("a", a),
        **_event_side("b", b),
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
# The columns an event conflict reads of each side.
EVENT_FIELDS = ("slug", "kind", *EVENT_SIDE)


def _event_side(side: str, event: Row) -> Row:
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
