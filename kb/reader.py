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
- Upgrading the schema (`kb db upgrade`, the migration step of `kb load`; refresh(), from
  kb.db.migrate) creates it when the migrating role may create roles (a superuser, or
  CREATEROLE), and otherwise leaves it absent; `kb db reader` (ensure()) creates or repairs it
  with such a role. Every upgrade grants an existing reader SELECT on what the migrations made.
- A database cloned from a template keeps the template's row and grants, and so shares its
  reader (kb sql uses the stored name). `kb db reader` on the clone gives it a reader of its
  own rather than a new password for the shared one, which the template still uses.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import exc, text
from sqlalchemy.engine import Connection

from kb.errors import KbError

READER_TABLE = "_kb_sql_reader"
PREFIX = "kb_reader_"
MAX_NAME = 63  # PostgreSQL's longest identifier, in bytes
NEEDS = "a role that may create roles (a superuser, or one with CREATEROLE)"


@dataclass(frozen=True)
class Reader:
    """The reader role of a database: its name, its password, whether the role exists, and
    the shared reader it took the place of (see ensure())."""

    role: str
    password: str | None
    exists: bool
    replaced: str | None = None


@dataclass(frozen=True)
class Notice:
    """A sentence for the user after an upgrade; a warning when something is left to do."""

    text: str
    warning: bool = False


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
    may_read = connection.execute(
        text("SELECT has_column_privilege(:t, 'password', 'SELECT')"), {"t": READER_TABLE}
    ).scalar()
    password = None
    if may_read:
        password = connection.execute(text("SELECT password FROM _kb_sql_reader")).scalar()
    return Reader(str(role), password, _role_exists(connection, str(role)))


def may_create_roles(connection: Connection) -> bool:
    """Whether the connection's role may create the reader (a superuser, or CREATEROLE)."""
    return bool(
        connection.execute(
            text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
        ).scalar()
    )


def ensure(connection: Connection) -> tuple[Reader, bool]:
    """Create this database's reader, or repair it (a new password, its grants); return it
    and whether its role was created. Needs a role that may create roles.

    A database whose stored reader is another database's (a copy of a template, a renamed
    database) gets one of its own: a new password for the shared role would lock kb sql out
    of the others. The shared role keeps nothing here, and is dropped if nothing else uses it.
    """
    if connection.dialect.name != "postgresql":
        raise KbError("kb db reader is for PostgreSQL: on SQLite, kb sql opens the file read-only.")
    if not has_table(connection):
        raise KbError("This database has no reader table yet: run `kb db upgrade` first.")
    if not may_create_roles(connection):
        raise KbError(f"Creating kb sql's reader role needs {NEEDS}; this URL's role may not.")
    found = stored(connection)
    database = str(connection.execute(text("SELECT current_database()")).scalar())
    role = role_name(database)
    created = not _role_exists(connection, role)
    password = secrets.token_urlsafe(24)
    # Every attribute spelled out, so that a role of that name made by hand is made safe too
    # (only a superuser may give or take the superuser, replication and bypassrls ones).
    attributes = (
        f"LOGIN NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD '{_secret(connection, role, password)}'"
    )
    if created:
        attributes += " NOSUPERUSER NOREPLICATION NOBYPASSRLS"
    else:
        _refuse_powerful(connection, role)
    # A driver statement: a SCRAM secret holds ':', which text() would take for a parameter.
    connection.exec_driver_sql(f'{"CREATE" if created else "ALTER"} ROLE "{role}" {attributes}')
    if not created:
        _leave_memberships(connection, role)
    connection.execute(text("DELETE FROM _kb_sql_reader"))
    connection.execute(
        text("INSERT INTO _kb_sql_reader (role, password) VALUES (:r, :p)"),
        {"r": role, "p": password},
    )
    grant(connection, role)
    replaced = None
    if found is not None and found.role != role and found.exists:
        replaced = found.role
        _release(connection, replaced)
    return Reader(role, password, True, replaced), created


def _role_exists(connection: Connection, role: str) -> bool:
    """Whether a role of that name exists on the server."""
    return bool(
        connection.execute(
            text("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :r)"), {"r": role}
        ).scalar()
    )


def _secret(connection: Connection, role: str, password: str) -> str:
    """The password as the server stores it (SCRAM or MD5, as password_encryption says),
    computed by libpq, so that the statement setting it never holds it in clear (a server
    that logs statements would keep it). The password itself where the driver cannot."""
    pgconn = getattr(connection.connection.driver_connection, "pgconn", None)
    if pgconn is None:  # not psycopg
        return password
    # Base64 and '$', ':', '=' (or hex digits): nothing to escape in a literal.
    return str(pgconn.encrypt_password(password.encode(), role.encode()).decode())


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


def _release(connection: Connection, role: str) -> bool:
    """Take from `role` what this database granted it, then drop it if nothing else uses it
    (another database's grants keep it); return whether it was dropped."""
    schema = _schema(connection)
    connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
    connection.execute(text(f'REVOKE ALL ON SCHEMA "{schema}" FROM "{role}"'))
    savepoint = connection.begin_nested()
    try:
        connection.execute(text(f'DROP ROLE "{role}"'))
    except exc.DBAPIError:  # still granted something elsewhere
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _schema(connection: Connection) -> str:
    """The schema kb's tables are in (the connection's current schema)."""
    return str(connection.execute(text("SELECT current_schema()")).scalar())


def grant(connection: Connection, role: str) -> None:
    """SELECT on every table and view of kb's schema, USAGE on the schema; not the password."""
    schema = _schema(connection)
    connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    connection.execute(text(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
    connection.execute(text(f'REVOKE ALL ON _kb_sql_reader FROM "{role}"'))
    connection.execute(text(f'GRANT SELECT (role) ON _kb_sql_reader TO "{role}"'))


def refresh(connection: Connection) -> Notice | None:
    """After a migration: grant the reader what the migration made, or create it when the
    database has none and this role may. Returns what to tell the user when there was no
    reader: that it was made, or a warning saying how to make it."""
    if connection.dialect.name != "postgresql" or not has_table(connection):
        return None
    found = stored(connection)
    if found is not None and found.exists:
        grant(connection, found.role)
        return None
    if not may_create_roles(connection):
        return Notice(
            "kb sql has no read-only role to run as in this database, and this URL's role may "
            f"not create one: run `kb db reader --db URL` with the URL of {NEEDS}.",
            warning=True,
        )
    made, _ = ensure(connection)
    return Notice(
        f"Created the role {made.role}: kb sql runs as it, with SELECT on kb's tables and views."
    )
