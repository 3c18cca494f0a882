"""Indexes that find a page of figures or events without reading every row that matches.

- ix_figures_by_subject is led by what a figure measures: (subject_id, metric_id, kind, unit),
  then the columns it held (source, position, id, and those the conflict rule compares). A
  figure's group (the figures it may conflict with) and a subject's figures of one metric are
  each one range of it: `kb figures --limit N` marks a page's conflicts from the figures of
  its groups whose times may overlap its own, rather than every figure about its subjects,
  and `kb figures --metric M --limit N` lists subject by subject, where it read the metric's
  figures whole and sorted them. A subject's figures are still one range holding every column
  `kb figures --subject` sorts by (but the source's slug). Same columns, same size.
- ix_events_date is on (date, id), the order events are listed in: on PostgreSQL a page of
  `kb events --from --to --limit N` is then its first N entries, where the events of one date
  (all those dated '2001', say) were read from the table to be sorted by id. On SQLite an
  index entry already ends with the rowid (the id): the same order as before.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 03:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as of this revision (kb/models.py holds the current definitions), and as before it.
FIGURES_BY_SUBJECT = [
    "subject_id", "metric_id", "kind", "unit", "source_id", "surface_start", "id", "qualifier",
    "value", "period_start", "period_end", "as_of", "slug",
]  # fmt: skip
OLD_FIGURES_BY_SUBJECT = [
    "subject_id", "source_id", "surface_start", "id", "kind", "unit", "metric_id", "qualifier",
    "value", "period_start", "period_end", "as_of", "slug",
]  # fmt: skip
EVENTS_DATE = ["date", "id"]
OLD_EVENTS_DATE = ["date"]


def _replace(index: str, table: str, columns: list[str]) -> None:
    """Make `index` on `table` again, on `columns`."""
    op.drop_index(index, table_name=table)
    op.create_index(index, table, columns)


def upgrade() -> None:
    """Apply this revision."""
    _replace("ix_figures_by_subject", "figures", FIGURES_BY_SUBJECT)
    _replace("ix_events_date", "events", EVENTS_DATE)


def downgrade() -> None:
    """Revert this revision."""
    _replace("ix_events_date", "events", OLD_EVENTS_DATE)
    _replace("ix_figures_by_subject", "figures", OLD_FIGURES_BY_SUBJECT)
