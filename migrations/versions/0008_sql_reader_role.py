"""PostgreSQL: the table naming kb sql's reader role (its name and password).

`kb sql` runs a user's query as a login role of its own that may only SELECT kb's tables and
views (kb/reader.py), so that no query can read or change the server even when the URL's role
is a superuser. `_kb_sql_reader` holds that role's name and password: one row, readable by the
database's owner and superusers; anyone may read the name. `kb db reader` creates the role and
fills the row. SQLite has no roles: kb sql opens its file read-only, and this revision does
nothing there.

Upgrading also makes the role when the migrating role may create roles (kb.reader.refresh,
run by kb after every upgrade, not by this script).

Downgrade drops the table, takes from the role what this database granted it, and drops the
role too when it can (this role may drop roles, and no other database, such as a copy made
from this one as a template, still grants it anything); otherwise the role stays, holding
nothing here, and `kb db downgrade` prints a warning naming it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 08:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

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
    exists = (
        role is not None
        and bind.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
        ).scalar()
    )
    if not exists:
        return
    schema = bind.execute(text("SELECT current_schema()")).scalar()
    # What this database granted it (DROP OWNED BY would need membership in the role).
    op.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"')
    op.execute(f'REVOKE ALL ON SCHEMA "{schema}" FROM "{role}"')
    savepoint = bind.begin_nested()
    try:
        bind.execute(text(f'DROP ROLE "{role}"'))
        savepoint.commit()
    except DBAPIError as error:  # used by another database (a copy), or no right to drop it
        savepoint.rollback()
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        _warn(
            f"kb sql's reader role {role} was kept ({reason}): it holds nothing in this "
            "database any more. Drop it (DROP ROLE) once no other database uses it."
        )


def _warn(message: str) -> None:
    """Leave a warning for kb db downgrade to print (kb.db.NOTES, frozen here)."""
    config = op.get_context().config
    if config is not None:
        config.attributes.setdefault("kb_notes", []).append(message)
