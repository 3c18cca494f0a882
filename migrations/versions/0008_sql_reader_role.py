"""PostgreSQL: the table naming kb sql's reader role (its name and password).

`kb sql` runs a user's query as a login role of its own that may only SELECT kb's tables and
views (kb/reader.py), so that no query can read or change the server even when the URL's role
is a superuser. `_kb_sql_reader` holds that role's name and password: one row, readable by the
database's owner and superusers; anyone may read the name. `kb db reader` creates the role and
fills the row. SQLite has no roles: kb sql opens its file read-only, and this revision does
nothing there.

Downgrade drops the table, and the role too when it can (this role may drop roles, and no
other database still grants it anything); otherwise the role stays, holding nothing here.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "CREATE TABLE _kb_sql_reader (role text PRIMARY KEY, password text NOT NULL)"
COMMENT = (
    "COMMENT ON TABLE _kb_sql_reader IS 'The role kb sql logs in as (SELECT on kb''s tables "
    "and views only) and its password; the password is readable by the owner only.'"
)


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(TABLE)
    op.execute(COMMENT)
    op.execute("REVOKE ALL ON _kb_sql_reader FROM PUBLIC")
    op.execute("GRANT SELECT (role) ON _kb_sql_reader TO PUBLIC")


def downgrade() -> None:
    """Revert this revision."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    role = bind.execute(text("SELECT role FROM _kb_sql_reader")).scalar()
    op.execute("DROP TABLE _kb_sql_reader")
    if role is None:
        return
    schema = bind.execute(text("SELECT current_schema()")).scalar()
    savepoint = bind.begin_nested()
    try:
        # What this database granted it (DROP OWNED BY would need membership in the role).
        bind.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
        bind.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM "{role}"'))
        bind.execute(text(f'DROP ROLE "{role}"'))
        savepoint.commit()
    except Exception:  # a role still used elsewhere, or no right to drop it
        savepoint.rollback()
