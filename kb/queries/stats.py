"""How much the database holds: rows per table, the span of the timeline, sources by kind."""

from __future__ import annotations

from sqlalchemy import func, select

from kb.queries.common import Reader, Row
from kb.tables import EVENTS, SOURCES, TABLES


def stats(reader: Reader) -> Row:
    """{'rows': {table: count}, 'events': {first, last, dated, undated}, 'sources_by_kind': {}}."""
    count = select(func.count())
    rows = {name: reader.execute(count.select_from(t)).scalar_one() for name, t in TABLES.items()}
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
