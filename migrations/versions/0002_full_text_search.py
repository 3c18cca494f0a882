"""Full-text search: FTS5 tables kept by triggers on SQLite, GIN tsvector indexes on PostgreSQL.

On SQLite, `<table>_fts` is an external-content FTS5 table over `<table>` (rowid = its id),
kept in sync by the triggers `<table>_ai`, `<table>_ad` and `<table>_au`. A later migration
that rebuilds one of these tables on SQLite (batch mode copies, drops and renames it) loses
its triggers with it: it must create them again and 'rebuild' the FTS5 table afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The indexed columns of each searchable table, frozen as of this revision (a migration must
# not change meaning when kb/search/index.py's FTS_TABLES later grows; a test checks that
# they agree).
FTS_TABLES: dict[str, tuple[str, ...]] = {
    "quotes": ("text",),
    "figures": ("surface", "evidence", "metric"),
    "events": ("name", "evidence"),
    "sources": ("title",),
    "people": ("name", "aliases"),
}

# PostgreSQL indexes the same columns as one 'simple' tsvector (no stemming, no stop words:
# closest to FTS5's unicode61 tokenizer). Queries must repeat these expressions exactly for
# the planner to use the index: kb/search/tsvector.py builds them from FTS_TABLES, and a test
# checks that every search uses its index.
PG_DOCUMENTS: dict[str, str] = {
    "quotes": "text",
    "figures": "surface || ' ' || evidence || ' ' || metric",
    "events": "name || ' ' || evidence",
    "sources": "title",
    # Through jsonb, whose text shows non-ASCII letters as themselves (json keeps \u escapes).
    "people": "name || ' ' || aliases::jsonb::text",
}


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for table, columns in FTS_TABLES.items():
            _create_sqlite_fts(table, columns)
    else:
        for table, document in PG_DOCUMENTS.items():
            op.execute(
                f"CREATE INDEX ix_{table}_fts ON {table} "
                f"USING gin (to_tsvector('simple', {document}))"
            )


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for table in FTS_TABLES:
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER {table}_{suffix}")
            op.execute(f"DROP TABLE {table}_fts")
    else:
        for table in PG_DOCUMENTS:
            op.execute(f"DROP INDEX ix_{table}_fts")


def _create_sqlite_fts(table: str, columns: tuple[str, ...]) -> None:
    """An external-content FTS5 table over `table`, its sync triggers, and a rebuild.

    `content="<table>"` is double-quoted because Datasette and sqlite-utils detect only that
    form; the triggers are the standard external-content pattern from the FTS5 documentation.
    """
    fts = f"{table}_fts"
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    # Names come from FTS_TABLES above, never from input, so formatting them in is safe.
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # noqa: S608
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608
    op.execute(
        f'CREATE VIRTUAL TABLE {fts} USING fts5({names}, content="{table}", content_rowid="id")'
    )
    op.execute(f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN {insert} END")
    op.execute(f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN {delete} END")
    op.execute(f"CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN {delete} {insert} END")
    # Index the rows that were there before this revision.
    op.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
