"""kb sql's reader on PostgreSQL: a login role that may only SELECT kb's tables and views.

`kb sql` must not read or change the server, whoever the URL's role is. A read-only
transaction does not stop a superuser's `pg_read_file`, and a role switched with SET ROLE can
switch back (`set_config('role', …)`, even from inside a query). So kb sql logs in as a role of
its own, which holds nothing but SELECT on this database's tables and views (and USAGE on its
schema): no superuser, no CREATEROLE, no CREATEDB, no inherited memberships. Nothing a query
does can give it more.

- Its name is per database (`kb_reader_<database>`, roles being cluster-wide); its name and a
  random password are kept in `_kb_sql_reader` (migration 0008), which only the database's
  owner and superusers may read (anyone may read the name). kb sql reads them with the URL's
  role and opens a second connection as the reader, to the same server and database.
- `kb db reader` (ensure()) creates it, or repairs it, as a role that may create roles
  (superuser or CREATEROLE). Every migration that changes the schema grants it SELECT on what
  the migration made (refresh(), from kb.db.migrate).
- A database cloned from a template keeps the template's row and grants, and so its reader.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kb.errors import KbError

READER_TABLE = "_kb_sql_reader"
PREFIX = "kb_reader_"
MAX_NAME = 63  # PostgreSQL's longest identifier, in bytes
NEEDS = "a role that may create roles (a superuser, or one with CREATEROLE)"


@dataclass(frozen=True)
class Reader:
    """The reader role of a database: its name, its password, and whether the role exists."""

    role: str
    password: str | None
    exists: bool


def role_name(database: str) -> str:
    """The reader's name for `database`: kb_reader_<database>, lower case, letters, digits and
    underscores only, shortened with a hash of the full name when too long."""
    cleaned = "".join(c if c.isascii() and c.isalnum() else "_" for c in database.lower())
    name = PREFIX + cleaned
    if len(name) <= MAX_NAME and cleaned == database:
        return name
    digest = hashlib.sha256(database.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9]}_{digest}"


def has_table(connection: Connection) -> bool:
    """Whether the database has the reader table (migration 0008, PostgreSQL)."""
    return bool(
        connection.execute(text("SELECT to_regclass(:t) IS NOT NULL"), {"t": READER_TABLE}).scalar()
    )


def stored(connection: Connection) -> Reader | None:
    """The reader recorded in this database, or None. Its password is None when the
    connection's role may not read it (only the owner and superusers may)."""
    if not has_table(connection):
        return None
    role = connection.execute(text("SELECT role FROM _kb_sql_reader")).scalar()
    if role is None:
        return None
    exists = connection.execute(
        text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
    ).scalar()
    may_read = connection.execute(
        text("SELECT has_column_privilege(:t, 'password', 'SELECT')"), {"t": READER_TABLE}
    ).scalar()
    password = None
    if may_read:
        password = connection.execute(text("SELECT password FROM _kb_sql_reader")).scalar()
    return Reader(str(role), password, bool(exists))


def ensure(connection: Connection) -> tuple[Reader, bool]:
    """Create this database's reader, or repair it (a new password, its grants); return it
    and whether its role was created. Needs a role that may create roles."""
    if connection.dialect.name != "postgresql":
        raise KbError("kb db reader is for PostgreSQL: on SQLite, kb sql opens the file read-only.")
    if not has_table(connection):
        raise KbError("This database has no reader table yet: run `kb db upgrade` first.")
    may = connection.execute(
        text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not may:
        raise KbError(f"Creating kb sql's reader role needs {NEEDS}; this URL's role may not.")
    found = stored(connection)
    database = str(connection.execute(text("SELECT current_database()")).scalar())
    role = found.role if found is not None else role_name(database)
    # Letters, digits, '-' and '_': nothing to escape in the literal below.
    password = secrets.token_urlsafe(24)
    created = not (found is not None and found.exists) and not _role_exists(connection, role)
    # Every attribute spelled out, so that a role of that name made by hand is made safe too
    # (only a superuser may give or take the superuser, replication and bypassrls ones).
    attributes = f"LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '{password}'"
    if created:
        attributes += " NOSUPERUSER NOREPLICATION NOBYPASSRLS"
    else:
        _refuse_powerful(connection, role)
    connection.execute(text(f'{"CREATE" if created else "ALTER"} ROLE "{role}" {attributes}'))
    if not created:
        _leave_memberships(connection, role)
    connection.execute(text("DELETE FROM _kb_sql_reader"))
    connection.execute(
        text("INSERT INTO _kb_sql_reader (role, password) VALUES (:r, :p)"),
        {"r": role, "p": password},
    )
    grant(connection, role)
    return Reader(role, password, True), created


def _role_exists(connection: Connection, role: str) -> bool:
    """Whether a role of that name exists on the server."""
    return bool(
        connection.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
        ).scalar()
    )


def _refuse_powerful(connection: Connection, role: str) -> None:
    """Refuse to use an existing role that is a superuser or may replicate or bypass row
    security: kb sql's reader must not be able to."""
    powerful = connection.execute(
        text("SELECT rolsuper OR rolreplication OR rolbypassrls FROM pg_roles WHERE rolname = :r"),
        {"r": role},
    ).scalar()
    if powerful:
        raise KbError(
            f"A role named {role} exists and is a superuser (or may replicate, or bypass row "
            "security): kb sql cannot log in as it. Drop or rename that role, then run "
            "`kb db reader` again."
        )


def _leave_memberships(connection: Connection, role: str) -> None:
    """Take the role out of every role it was made a member of (it must hold nothing else)."""
    groups = connection.execute(
        text(
            "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
            "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = :r"
        ),
        {"r": role},
    ).scalars()
    for group in list(groups):
        connection.execute(text(f'REVOKE "{group}" FROM "{role}"'))


def grant(connection: Connection, role: str) -> None:
    """SELECT on every table and view of kb's schema, USAGE on the schema; not the password."""
    schema = str(connection.execute(text("SELECT current_schema()")).scalar())
    connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    connection.execute(text(f'REVOKE ALL ON _kb_sql_reader FROM "{role}"'))
    connection.execute(text(f'GRANT SELECT (role) ON _kb_sql_reader TO "{role}"'))


def refresh(connection: Connection) -> None:
    """After a migration: grant the reader (if the database has one) what the migration made."""
    if connection.dialect.name != "postgresql":
        return
    found = stored(connection)
    if found is not None and found.exists:
        grant(connection, found.role)
