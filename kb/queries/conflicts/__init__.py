"""Do the sources agree? Figures and event dates that contradict each other, and why.

Figures. Two figures measure the same thing when they have
- the same subject (subject_id); two figures without a subject count as having the same one,
  so the metric alone says what they measure;
- the same metric record (metric_id): figures from different sources are compared because
  they name the same metric, never because their words match;
- the same kind and the same unit. Amounts in different currencies are never compared (kb has
  no exchange rates), and an amount whose unit is 'unknown' is compared with nothing.
They are compared only when the times they cover overlap. A figure as of a date covers the
days of that date at its precision (as_of '2017' is all of 2017, '2023-02-02' one day); a
figure over a period covers it from the first day of period_start to the last of period_end,
open at the start without a period_start and at the end without a period_end; a figure with
neither covers all time. So a level as of 2017 and one as of 2023 are never compared, while
'2023' and '2023-02-02' are.
They disagree when the values they allow are too far apart. A figure allows the value v itself
when its qualifier is exact, about or almost ("almost v" is just below v: the tolerance covers
the difference), v or more for more_than (v, ∞) and at_least [v, ∞), v or less for less_than
(-∞, v) and at_most (-∞, v]. Ranges that intersect agree; otherwise their nearest values a and
b disagree when |a - b| / max(|a|, |b|) is more than the tolerance (default 10 %). So "more than
100" and "about 120" agree; "more than US$160 billion" and "almost US$77 billion" do not.
Figures may conflict within one source or across sources.

Events. Records of one happening are linked by same_as, directly or through other records.
Two dated records of a happening conflict when the periods their dates cover do not overlap:
'1995' (all of 1995) and '1995-01-23' agree, '2005' and '2015-12-21' do not. A record without
a date never conflicts.

Who states a side: for a figure, the speaker of its quote; for an event, the speaker of the
quote whose span holds the event's evidence. Otherwise the narration (speaker None).

The modules: `times` (the days dates and figures cover), `pairing` (the figure rule, in
Python), `figures` and `events` (reading and reporting each kind), `changes` (what a load
adds and removes, for `kb load`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select

from kb.errors import KbError
from kb.queries.common import Reader, Row, party_ids
from kb.queries.conflicts import events, figures
from kb.queries.conflicts.figures import FigureGroups, GroupKey
from kb.queries.conflicts.pairing import DEFAULT_TOLERANCE, check_tolerance

TYPES = ("figure", "event")

__all__ = [
    "DEFAULT_TOLERANCE",
    "TYPES",
    "FigureGroups",
    "check_tolerance",
    "conflicts",
    "event_partners",
    "figure_partners",
    "mark",
]


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
        found += events.conflicts(reader, parties)
    return found


def figure_conflicts(reader: Reader, tolerance: float, parties: list[int] | None) -> list[Row]:
    """Pairs of figures that measure the same thing over overlapping times and disagree by
    more than `tolerance` percent, in kb figures' order of side a then side b; with `parties`,
    only figures about one of them."""
    read = FigureGroups.read(reader, figures.comparable(parties))
    rank = {figure[0]: index for index, figure in enumerate(read.figures)}
    found = sorted(read.pairs(tolerance), key=lambda pair: (rank[pair[0]], rank[pair[1]]))
    return figures.records(reader, found, tolerance)


def figure_partners(reader: Reader, rows: Sequence[Row]) -> dict[int, list[str]]:
    """For each of `rows` (figure rows) in conflict, at the default tolerance: the slugs of
    the figures it conflicts with, in the order `kb figures` lists them.

    Partners measure the same thing: only the figures of the groups of `rows` are read, and
    for a page of rows only those whose times may overlap theirs.
    """
    ids = [row["id"] for row in rows]
    if len(rows) <= figures.PAGE:
        return FigureGroups.around(reader, rows).partners(ids)
    keys: set[GroupKey] = {(r["subject_id"], r["metric_id"], r["kind"], r["unit"]) for r in rows}
    return FigureGroups.measuring(reader, keys).partners(ids)


def event_partners(reader: Reader, among: Select[Any]) -> dict[int, list[str]]:
    """For each event `among` selects (by id) whose date another record of the same happening
    contradicts: the slugs of those records, by date."""
    return events.partners(reader, among)


def mark(rows: list[Row], conflicting: dict[int, list[str]]) -> list[Row]:
    """Add `in_conflict` and `conflicts_with` (slugs) to figure or event rows; return them."""
    for row in rows:
        others = conflicting.get(row["id"], [])
        row["in_conflict"] = bool(others)
        row["conflicts_with"] = others
    return rows
