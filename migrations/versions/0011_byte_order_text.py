"""PostgreSQL: every text column of kb's tables compares and sorts byte by byte (COLLATE "C").

kb's text is compared and sorted in SQL as on SQLite, whose BINARY collation orders bytes:
slugs (`kb figures` lists by source slug), ISO dates, and the sentinels the conflict rule puts
around them ('' before every date, '~' after every one). A PostgreSQL database takes its
default collation from the server; with an English one (en_US, or ICU's 'en') '~' sorts
before the digits, so an open-ended period overlapped nothing and no conflict was found, and
'a-c' sorted after 'ab'. With "C" on each column, every comparison and every index on text
follows byte order whatever the database's default, and sorting is cheaper too.

A column's collation cannot change under a view that reads it: the migration drops kb's views
and makes them again from their own stored definitions, with the privileges they had (kb sql's
reader keeps SELECT on them). Indexes on text columns are rebuilt. Views that are not kb's
but read its tables stop the upgrade, changing nothing, with a message naming them (making
them again could lose what their owner gave them). SQLite: nothing to do.

Downgrade gives the columns the database's default collation again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 14:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import Connection, text

from kb.errors import KbError

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kb's tables as of this revision (the full-text tables hold no text column), and its views in
# the order they are made (timeline reads events_view).
TABLES = (
    "sources", "parties", "metrics", "aliases", "people", "roles", "quotes", "figures", "events",
    "event_participants", "_kb_files", "_kb_records", "_kb_texts", "_kb_names", "_kb_sql_reader",
)  # fmt: skip
VIEWS = ("quotes_view", "figures_view", "events_view", "timeline")

TEXT_COLUMNS = text(
    "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:tables) "
    "AND a.attnum > 0 AND NOT a.attisdropped "
    "AND a.atttypid IN ('text'::regtype, 'varchar'::regtype) "
    "ORDER BY c.relname, a.attnum"
)
VIEW_DEFINITIONS = text(
    "SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'v' "
    "AND c.relname = ANY(:views)"
)
# Views and materialized views that are not kb's and read kb's tables or views: PostgreSQL
# would refuse to change the columns under them (or to drop kb's views).
OTHER_VIEWS = text(
    "SELECT DISTINCT v.oid::regclass::text FROM pg_depend d "
    "JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class v ON v.oid = r.ev_class "
    "JOIN pg_class t ON t.oid = d.refobjid "
    "WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass "
    "AND t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(:kb) "
    "AND v.oid <> t.oid "
    "AND NOT (v.relnamespace = current_schema()::regnamespace AND v.relname = ANY(:views)) "
    "ORDER BY 1"
)
# Each privilege granted on a view, as a GRANT statement (grantee 0 is PUBLIC).
VIEW_GRANTS = text(
    "SELECT format('GRANT %s ON %I TO %s', g.privilege_type, c.relname, "
    "CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(g.grantee::regrole::text) END) "
    "FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) g "
    "WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(:views) "
    "AND g.grantee <> c.relowner"
)


def upgrade() -> None:
    """Apply this revision."""
    _collate('"C"')


def downgrade() -> None:
    """Revert this revision."""
    _collate('"default"')


def _collate(collation: str) -> None:
    """Give every text column of kb's tables `collation`, kb's views around it (PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    _refuse_other_views(bind)
    views = dict(bind.execute(VIEW_DEFINITIONS, {"views": list(VIEWS)}).all())
    grants = bind.execute(VIEW_GRANTS, {"views": list(VIEWS)}).scalars().all()
    for view in reversed(VIEWS):
        if view in views:
            op.execute(f"DROP VIEW {view}")
    for table, columns in _text_columns(bind).items():
        changes = ", ".join(
            f'ALTER COLUMN "{column}" TYPE {type_} COLLATE {collation}' for column, type_ in columns
        )
        op.execute(f'ALTER TABLE "{table}" {changes}')
    for view in VIEWS:
        if view in views:
            op.execute(f"CREATE VIEW {view} AS {views[view]}")
    for grant in grants:
        op.execute(grant)


def _refuse_other_views(bind: Connection) -> None:
    """Stop, changing nothing, when views that are not kb's read its tables or views."""
    names = {"kb": [*TABLES, *VIEWS], "views": list(VIEWS)}
    others = bind.execute(OTHER_VIEWS, names).scalars().all()
    if others:
        raise KbError(
            "Migration 0011 puts kb's text columns in byte order (the collation C), and PostgreSQL "
            "cannot change a column that a view reads. These views are not kb's and read its "
            f"tables or views: {', '.join(others)}. Keep their definitions "
            "(SELECT pg_get_viewdef('NAME')), drop them, run `kb db upgrade` again, then "
            "create them again. Nothing was changed."
        )


def _text_columns(bind: Connection) -> dict[str, list[tuple[str, str]]]:
    """Each of kb's tables with its text columns, as (name, type)."""
    found: dict[str, list[tuple[str, str]]] = {}
    for table, column, type_ in bind.execute(TEXT_COLUMNS, {"tables": list(TABLES)}):
        found.setdefault(table, []).append((column, type_))
    return found
