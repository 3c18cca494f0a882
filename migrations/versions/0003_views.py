"""Views for the common questions: quotes_view, figures_view, events_view and timeline.

Each view joins what a reader needs to see a fact without writing joins: a quote with its
speaker and source, a figure with its subject and who states it, an event with its
participants and the sources that report it, and the dated events in order. kb/schema.py
describes every view column (`kb schema`, docs/schema.md).

The SQL is portable except for string aggregation: SQLite's group_concat, PostgreSQL's
string_agg. A later migration that rebuilds a viewed table on SQLite (batch mode copies,
drops and renames it) must drop these views first and create them again afterwards: SQLite
refuses to rename a table while a view names a table that is missing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUOTES_VIEW = """
CREATE VIEW quotes_view AS
SELECT
    q.id,
    q.slug,
    p.name AS speaker_name,
    q.text,
    q.kind,
    q.said_on,
    q.said_on_precision,
    q.said_on_inferred,
    s.title AS source_title,
    s.outlet,
    s.url,
    s.published,
    s.published_precision,
    s.published_inferred,
    q.text_start,
    q.text_end,
    p.slug AS speaker_slug,
    s.slug AS source_slug,
    q.status
FROM quotes AS q
JOIN people AS p ON p.id = q.speaker_id
JOIN sources AS s ON s.id = q.source_id
ORDER BY s.slug, q.text_start, q.id
"""

FIGURES_VIEW = """
CREATE VIEW figures_view AS
SELECT
    f.id,
    f.slug,
    subject.name AS subject_name,
    f.metric,
    f.surface,
    f.value,
    f.unit,
    f.qualifier,
    f.kind,
    f.base,
    f.period_start,
    f.period_start_precision,
    f.period_start_inferred,
    f.period_end,
    f.period_end_precision,
    f.period_end_inferred,
    speaker.name AS stated_by,
    q.slug AS quote_slug,
    s.title AS source_title,
    s.slug AS source_slug,
    subject.slug AS subject_slug,
    f.evidence,
    f.surface_start,
    f.surface_end,
    f.status
FROM figures AS f
JOIN sources AS s ON s.id = f.source_id
LEFT JOIN parties AS subject ON subject.id = f.subject_id
LEFT JOIN quotes AS q ON q.id = f.quote_id
LEFT JOIN people AS speaker ON speaker.id = q.speaker_id
ORDER BY s.slug, f.surface_start, f.id
"""

# The records of one happening are the events linked by same_as, in either direction and
# through any chain (A same_as B, C same_as B). `linked` pairs each event with every record of
# its happening (UNION, not UNION ALL, so a cycle of links still ends); the group is named by
# the alphabetically first slug among them, which does not depend on load order.
# The participant and source lists aggregate an ordered subquery: SQLite before 3.44 has no
# ORDER BY inside group_concat and concatenates in the order the subquery delivers.
EVENTS_VIEW = """
CREATE VIEW events_view AS
WITH RECURSIVE
links (event_id, other_id) AS (
    SELECT id, same_as_id FROM events WHERE same_as_id IS NOT NULL
    UNION ALL
    SELECT same_as_id, id FROM events WHERE same_as_id IS NOT NULL
),
linked (event_id, other_id) AS (
    SELECT id, id FROM events
    UNION
    SELECT linked.event_id, links.other_id
    FROM linked JOIN links ON links.event_id = linked.other_id
),
happenings (event_id, same_as_group) AS (
    SELECT linked.event_id, min(other.slug)
    FROM linked JOIN events AS other ON other.id = linked.other_id
    GROUP BY linked.event_id
),
reporters (same_as_group, reported_by) AS (
    SELECT same_as_group, {reporters}
    FROM (
        SELECT DISTINCT h.same_as_group, s.slug AS source_slug
        FROM happenings AS h
        JOIN events AS e ON e.id = h.event_id
        JOIN sources AS s ON s.id = e.source_id
        ORDER BY h.same_as_group, s.slug
    ) AS pairs
    GROUP BY same_as_group
),
participant_lists (event_id, participants) AS (
    SELECT event_id, {participants}
    FROM (
        SELECT
            ep.event_id,
            ep.id,
            coalesce(party.name, person.name) || coalesce(' (' || ep.role || ')', '') AS label
        FROM event_participants AS ep
        LEFT JOIN parties AS party ON party.id = ep.party_id
        LEFT JOIN people AS person ON person.id = ep.person_id
        ORDER BY ep.event_id, ep.id
    ) AS labelled
    GROUP BY event_id
)
SELECT
    e.id,
    e.slug,
    e.name,
    e.kind,
    e.occurrence,
    e.date,
    e.date_precision,
    e.date_inferred,
    pl.participants,
    s.title AS source_title,
    s.slug AS source_slug,
    h.same_as_group,
    r.reported_by,
    e.status
FROM events AS e
JOIN sources AS s ON s.id = e.source_id
JOIN happenings AS h ON h.event_id = e.id
JOIN reporters AS r ON r.same_as_group = h.same_as_group
LEFT JOIN participant_lists AS pl ON pl.event_id = e.id
ORDER BY e.date IS NULL, e.date, e.id
"""

# ISO-8601 text sorts a coarse date before the finer dates in its period: 1995, 1995-01-23.
TIMELINE = """
CREATE VIEW timeline AS
SELECT
    date,
    date_precision,
    date_inferred,
    name,
    kind,
    occurrence,
    same_as_group,
    source_slug,
    source_title,
    slug,
    id
FROM events_view
WHERE date IS NOT NULL
ORDER BY date, id
"""

# Dropped in this order on downgrade: timeline reads events_view.
VIEWS = ("timeline", "events_view", "figures_view", "quotes_view")


def upgrade() -> None:
    """Apply this revision."""
    op.execute(QUOTES_VIEW)
    op.execute(FIGURES_VIEW)
    op.execute(
        EVENTS_VIEW.format(
            reporters=_joined("source_slug", ", "), participants=_joined("label", "; ", "id")
        )
    )
    op.execute(TIMELINE)


def downgrade() -> None:
    """Revert this revision."""
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")


def _joined(column: str, separator: str, order: str | None = None) -> str:
    """SQL aggregating `column` into one text, `separator` between values, in `order`."""
    if op.get_bind().dialect.name == "sqlite":
        return f"group_concat({column}, '{separator}')"
    return f"string_agg({column}, '{separator}' ORDER BY {order or column})"
