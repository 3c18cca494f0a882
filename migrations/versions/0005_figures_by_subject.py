"""An index that answers `kb figures --subject` and its conflict marks without reading the table.

ix_figures_by_subject holds, for each figure, its subject, source, position and id, then every
column that kb.conflicts compares (kind, unit, metric, qualifier, value, period) and its slug.
Listing a subject's figures and marking which of them conflict then read this index alone: a
subject's figures lie scattered across the table, and reading their rows one by one cost more
than everything else the command does. It replaces ix_figures_subject_id, its first column.

ix_sources_id_slug holds each source's slug by id: the figures are listed by source slug, and
looking thousands of slugs up in this small index reads far fewer pages than in the table,
whose rows hold the texts (SQLite prefers the table for a lookup by id unless told otherwise).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 08:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = [
    "subject_id",
    "source_id",
    "surface_start",
    "id",
    "kind",
    "unit",
    "metric",
    "qualifier",
    "value",
    "period_start",
    "period_end",
    "slug",
]


def upgrade() -> None:
    """Create ix_figures_by_subject and ix_sources_id_slug; drop ix_figures_subject_id, which
    ix_figures_by_subject makes redundant."""
    op.create_index("ix_figures_by_subject", "figures", COLUMNS)
    op.create_index("ix_sources_id_slug", "sources", ["id", "slug"])
    op.drop_index("ix_figures_subject_id", table_name="figures")


def downgrade() -> None:
    """Restore ix_figures_subject_id; drop ix_figures_by_subject and ix_sources_id_slug."""
    op.create_index("ix_figures_subject_id", "figures", ["subject_id"])
    op.drop_index("ix_sources_id_slug", table_name="sources")
    op.drop_index("ix_figures_by_subject", table_name="figures")
