"""How much the database holds: rows per table, the span of the timeline, sources by kind."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.queries.common import (
    EVENTS,
    FIGURES,
    PARTICIPANTS,
    PARTIES,
    PEOPLE,
    QUOTES,
    ROLES,
    SOURCES,
    Reader,
    Row,
)

_TABLES = (SOURCES, PARTIES, PEOPLE, ROLES, QUOTES, FIGURES, EVENTS, PARTICIPANTS)


def stats(reader: Reader) -> Row:
    """{'rows': {table: count}, 'events': {first, last, dated, undated}, 'sources_by_kind': {}}."""
    rows = {
        t.name: reader.execute(select(func.count()).select_from(t)).scalar_one() for t in _TABLES
    }
    first, last, dated = reader.execute(
        select(func.min(EVENTS.c.date), func.max(EVENTS.c.date), func.count(EVENTS.c.date))
    ).one()
    kinds = reader.execute(
        select(SOURCES.c.kind, func.count()).group_by(SOURCES.c.kind).order_by(SOURCES.c.kind)
    )
    return {
        "rows": rows,
        # Min and max of ISO text: a coarse date counts as the start of its period.
        "events": {"first": first, "last": last, "dated": dated, "undated": rows["events"] - dated},
        "sources_by_kind": {kind: count for kind, count in kinds},
    }
