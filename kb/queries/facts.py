"""Quotes, figures and events, each row with every column plus readable joined names; figures
and events say what they conflict with (kb.queries.conflicts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select

from kb.errors import KbError
from kb.queries.common import (
    Reader,
    Row,
    dialect_name,
    fetch,
    metric_ids,
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
from kb.queries.selects import (
    among,
    check_limit,
    event_order,
    event_select,
    figure_ids,
    figure_select,
    figures_by_id,
    figures_in_time_order,
    first_rows,
    matching_ids,
    participants,
    quote_select,
)
from kb.tables import EVENTS, FIGURES, PARTIES, QUOTES


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


# No metric's name is this long; a longer --metric is refused before it is echoed in an error.
MAX_METRIC_FILTER = 1000


def _metric_filter(metric: str) -> str:
    """The --metric text, refused with a clear message when it is longer than any metric."""
    if len(metric) > MAX_METRIC_FILTER:
        raise KbError(
            f"--metric is {len(metric):,} characters long; give at most {MAX_METRIC_FILTER:,} "
            "(a metric's slug, name or alias: `kb metrics` lists them)."
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
    """Figures, by source and position; filter by subject party, metric, source.

    `metric` names a metric record (slug, name or alias; an unknown one is a KbError): its
    figures come by subject, then in time order (as-of date or period start), so that every
    source's value for it stands side by side. Each row says whether it conflicts with
    another figure (`in_conflict`, and the slugs in `conflicts_with`), at the default
    tolerance. With `limit`, only the first `limit` figures.
    """
    # Imported here, not at the top: kb quotes and the other read commands that show no
    # figures start without it (a few milliseconds of every command's start-up).
    from kb.queries.conflicts import figure_partners, mark

    limit = check_limit(limit)
    parties = party_ids(reader, subject) if subject is not None else None
    where: list[ColumnElement[bool]] = []
    if metric is not None:
        where.append(FIGURES.c.metric_id.in_(metric_ids(reader, _metric_filter(metric))))
    if source is not None:
        where.append(FIGURES.c.source_id.in_(source_ids(reader, source)))
    if parties is not None and metric is None and limit is None:
        return _figures_about(reader, parties, where)
    if parties is not None:
        where.append(FIGURES.c.subject_id.in_(parties))
    if limit is None:
        ordered = figure_select() if metric is None else figures_in_time_order()
        rows = fetch(reader, ordered.where(*where))
    else:
        # The page's ids first, from the figures and their sources' slugs alone; then its rows.
        if metric is None:
            ids = list(reader.execute(figure_ids(where).limit(limit)).scalars().all())
        else:
            ids = _by_subject(reader, where, limit, unknown=parties is None)
        page = figures_by_id(dialect_name(reader), in_time=metric is not None)
        rows = fetch(reader, page, {"ids": ids})
    return mark(rows, figure_partners(reader, rows))


def _by_subject(
    reader: Reader, where: list[ColumnElement[bool]], limit: int, *, unknown: bool
) -> list[int]:
    """The ids of the first `limit` figures matching `where` (one metric's, or a few) in
    figures_in_time_order(): those about the first subjects (by slug) that hold `limit` of
    them, then (`unknown`, if the page is not full) those about none. Each subject's are a
    range of ix_figures_by_subject: the page reads those of the subjects it shows, where
    sorting every figure of the metric by its subject's slug read them all."""
    f, p = FIGURES, PARTIES
    held = select(func.count()).where(f.c.subject_id == p.c.id, *where).scalar_subquery()
    subjects, count = [], 0
    for subject, holding in reader.execute(select(p.c.id, held).order_by(p.c.slug)).all():
        if count >= limit:
            break
        if holding:
            subjects.append(subject)
            count += holding
    ids: list[int] = []
    if subjects:
        page = figure_ids([*where, f.c.subject_id.in_(subjects)], in_time=True).limit(limit)
        ids += reader.execute(page).scalars().all()
    if unknown and len(ids) < limit:
        page = figure_ids([*where, f.c.subject_id.is_(None)], in_time=True)
        ids += reader.execute(page.limit(limit - len(ids))).scalars().all()
    return ids


def _figures_about(
    reader: Reader, parties: list[int], where: list[ColumnElement[bool]]
) -> list[Row]:
    """figures() about `parties`, also matching `where`, all of them: one read of every
    figure about them (through the index that holds what the conflict rule needs) says what
    they conflict with."""
    from kb.queries.conflicts import FigureGroups, mark  # (see figures())

    about = FigureGroups.about(reader, parties)
    rows = fetch(reader, figure_select().where(FIGURES.c.subject_id.in_(parties), *where))
    return mark(rows, about.partners([row["id"] for row in rows]))


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
    ids = listed_ids(reader, rows, event_select(dated=dated).where(*where), limit)
    from kb.queries.conflicts import event_partners, mark  # (see figures())

    return mark(rows, event_partners(reader, ids))


def listed_ids(
    reader: Reader, rows: list[Row], statement: Select[Any], limit: int | None
) -> Select[Any]:
    """The ids of the events `statement` found, for the queries about them that follow: the
    ids of `rows` themselves for a page (finding the page again costs more than the rest
    of those queries on PostgreSQL), the statement's ids for a whole list."""
    if limit is None:
        return matching_ids(statement, EVENTS, None)
    page = among(EVENTS.c.id, "page", dialect_name(reader), [row["id"] for row in rows])
    return select(EVENTS.c.id).where(page)


def events_where(
    reader: Reader,
    where: list[ColumnElement[bool]],
    *,
    dated: bool = False,
    limit: int | None = None,
) -> list[Row]:
    """Events matching `where`, in date order, each with its list of participants; with
    `limit`, the first `limit` of them. `dated`: `where` selects dated events only."""
    statement: Select[Any] = event_select(dated=dated)
    if limit is None:
        rows = fetch(reader, statement.where(*where))
    else:
        # The page's ids from the events alone: every event has its source, so the join
        # event_select() makes with sources would only cost a look-up per event in range.
        ids = select(EVENTS.c.id).where(*where).order_by(*event_order(dated=dated))
        page = ids.limit(check_limit(limit)).scalar_subquery()
        rows = fetch(reader, statement.where(EVENTS.c.id.in_(page)))
    found = participants(reader, listed_ids(reader, rows, statement.where(*where), limit))
    for row in rows:
        row["participants"] = found.get(row["id"], [])
    return rows
