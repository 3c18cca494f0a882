"""Run one SQL query a user wrote, on a connection the database itself keeps read-only.

The query is executed as written, with values only as bound parameters. Three layers keep it
from changing anything: the statement must be a query (SELECT, WITH, VALUES, EXPLAIN or
TABLE) and exactly one statement; the connection cannot write (SQLite: the file opened
read-only, `PRAGMA query_only`, and an authorizer that allows nothing but reads; PostgreSQL:
a READ ONLY transaction in a session whose default is read-only, rolled back at the end);
and multiple statements are refused by the drivers themselves.

On PostgreSQL the query also runs as kb's reader role (kb.reader), never as the URL's role: a
superuser's read-only transaction may still read server files or signal other sessions, and
nothing it runs can give the reader such rights. A query that runs longer than its timeout
is stopped (SQLite: a progress handler; PostgreSQL: statement_timeout).
"""

from __future__ import annotations

import datetime
import decimal
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from kb.db import BUSY_TIMEOUT_MS, describe_url
from kb.errors import KbError

Row = dict[str, Any]

# The statements kb sql runs: queries. Anything else is refused before it reaches the database.
QUERY_KEYWORDS = ("select", "with", "values", "explain", "table")

# SQLite authorizer: the actions a read needs, with the functions, PRAGMAs and schema updates
# below; everything else is denied.
READ_ACTIONS = frozenset({sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE})
# Functions that reach outside the database: loading native code, and FTS3's tokenizer
# registration, which takes a raw pointer.
DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer"})
# PRAGMAs that only report (none has a setting to change). FTS5 reads data_version on every
# query; the others back the pragma_table_info(…) style table-valued functions.
READ_PRAGMAS = frozenset(
    {
        "data_version",
        "foreign_key_list",
        "index_info",
        "index_list",
        "index_xinfo",
        "table_info",
        "table_list",
        "table_xinfo",
    }
)
# SQLite asks for UPDATE on its schema table while it declares the columns of a virtual table
# (an FTS5 index, a pragma function); nothing can be written there: the file is open
# read-only, query_only is on, and SQLite refuses to modify its schema table anyway.
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema"})
_ACTIONS = [
    "ALTER_TABLE", "ANALYZE", "ATTACH", "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX",
    "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER", "CREATE_TEMP_VIEW", "CREATE_TRIGGER",
    "CREATE_VIEW", "CREATE_VTABLE", "DELETE", "DETACH", "DROP_INDEX", "DROP_TABLE",
    "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER",
    "DROP_VIEW", "DROP_VTABLE", "FUNCTION", "INSERT", "PRAGMA", "READ", "REINDEX", "SAVEPOINT",
    "SELECT", "TRANSACTION", "UPDATE",
]  # fmt: skip
ACTION_NAMES = {getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ") for name in _ACTIONS}
DENIED = "kb_denied"  # connection-record key: what the authorizer refused, for the message

READ_ONLY_STATE = "25006"  # PostgreSQL: read_only_sql_transaction
CANCELED_STATE = "57014"  # PostgreSQL: query_canceled (statement_timeout)
# PostgreSQL: insufficient_privilege, and what dblink says when a role that is not a superuser
# gives no password.
PRIVILEGE_STATES = ("42501", "2F003")
# How long a query may run unless --timeout says otherwise (0: no limit).
DEFAULT_TIMEOUT_S = 30
# SQLite: the virtual machine instructions between two looks at the clock.
PROGRESS_STEPS = 10_000
TIMED_OUT = "kb_timed_out"  # connection-record key: the SQLite progress handler stopped it
# SQLite's own refusals, behind the authorizer: the read-only file, query_only, its schema.
WRITE_REFUSED = ("readonly database", "may not be modified")
UNCHANGED = "Nothing was changed."
ONE_STATEMENT = (
    "kb sql runs exactly one statement, and this SQL holds more than one: remove everything "
    "after the first ';'. Nothing was run."
)


@dataclass(frozen=True)
class Answer:
    """The result of a query: its column names, in order, and its rows as dicts."""

    columns: list[str]
    rows: list[Row]


def query(
    url: str,
    sql: str,
    params: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> Answer:
    """Run one read-only query with `params` bound to its :name placeholders, stopping it
    after `timeout` seconds (0: no limit)."""
    values = dict(params or {})
    dialect = make_url(url).get_backend_name()
    tokens = Tokens(sql, dialect)
    require_query(tokens)
    require_params(tokens.params(), values)
    with read_only(url, timeout) as connection:
        try:
            return _fetch(connection, tokens.for_driver(), values)
        except exc.DBAPIError as error:
            raise refusal(connection, error, url, timeout) from error


def _fetch(connection: Connection, statement: str, values: dict[str, str]) -> Answer:
    """Execute `statement` and read all of its rows (SQLite may fail on any of them)."""
    result = connection.exec_driver_sql(statement, values)
    if not result.returns_rows:
        return Answer([], [])
    columns = unique(list(result.keys()))
    rows = [dict(zip(columns, map(plain, row), strict=True)) for row in result]
    return Answer(columns, rows)


# --- The statement ------------------------------------------------------------------------

# Literals, quoted names and comments, where a ':' or ';' is text, not syntax.
_SINGLE = r"'(?:[^']|'')*'"
_DOUBLE = r'"(?:[^"]|"")*"'
_QUOTED = {
    "sqlite": "|".join((_SINGLE, _DOUBLE, r"`(?:[^`]|``)*`", r"\[[^\]]*\]")),
    # PostgreSQL adds E'…' strings with backslash escapes and $tag$…$tag$ dollar quoting.
    "postgresql": "|".join(
        (
            r"[Ee]'(?:[^'\\]|\\.|'')*'",
            _SINGLE,
            _DOUBLE,
            r"\$(?P<tag>(?:[A-Za-z_]\w*)?)\$.*?\$(?P=tag)\$",
        )
    ),
}
_COMMENT = r"--[^\n]*|/\*.*?(?:\*/|\Z)"
_TOKEN = (
    r"(?P<quoted>{quoted})|(?P<comment>{comment})|(?P<cast>::)"
    r"|(?<![:\w]):(?P<param>[A-Za-z_]\w*)|(?P<word>[A-Za-z_]\w*)|(?P<other>\S)"
)
_TOKENS = {
    dialect: re.compile(_TOKEN.format(quoted=quoted, comment=_COMMENT), re.S)
    for dialect, quoted in _QUOTED.items()
}


class Tokens:
    """A statement cut into tokens, enough to find its keyword and :name placeholders."""

    def __init__(self, sql: str, dialect: str) -> None:
        """Tokenize `sql` by the quoting rules of `dialect` ('sqlite' or 'postgresql')."""
        if dialect not in _TOKENS:
            raise KbError(f"kb sql runs on SQLite and PostgreSQL, not {dialect}.")
        self.sql = sql
        self.dialect = dialect
        self.matches = list(_TOKENS[dialect].finditer(sql))

    def first_word(self) -> str | None:
        """The statement's first keyword (lower case), or None when there is none."""
        for match in self.matches:
            if match.lastgroup == "comment":
                continue
            return match.group().lower() if match.lastgroup == "word" else None
        return None

    def is_empty(self) -> bool:
        """Whether the text holds nothing but whitespace and comments."""
        return all(match.lastgroup == "comment" for match in self.matches)

    def params(self) -> list[str]:
        """The names of the :name placeholders, in order of first use."""
        names = (match.group("param") for match in self.matches if match.lastgroup == "param")
        return list(dict.fromkeys(names))

    def for_driver(self) -> str:
        """The statement in the driver's parameter style.

        sqlite3 takes :name itself. psycopg takes %(name)s and reads every other '%' as the
        start of a placeholder, so each one is doubled (in literals too: it does not parse SQL).
        """
        if self.dialect == "sqlite":
            return self.sql
        parts: list[str] = []
        end = 0
        for match in self.matches:
            parts.append(self.sql[end : match.start()].replace("%", "%%"))
            name = match.group("param") if match.lastgroup == "param" else None
            parts.append(f"%({name})s" if name else match.group().replace("%", "%%"))
            end = match.end()
        parts.append(self.sql[end:].replace("%", "%%"))
        return "".join(parts)


def require_query(tokens: Tokens) -> None:
    """Refuse a statement that is empty or is not a query."""
    if tokens.is_empty():
        raise KbError("No SQL to run: give a SELECT statement, as an argument or on stdin.")
    word = tokens.first_word()
    if word not in QUERY_KEYWORDS:
        begins = f"begins with {word.upper()}" if word else "does not begin with a keyword"
        raise KbError(
            "kb sql only reads: it runs one query (SELECT, WITH … SELECT, VALUES, EXPLAIN or "
            f"TABLE), and this statement {begins}. {UNCHANGED}"
        )


def require_params(used: list[str], given: Mapping[str, str]) -> None:
    """Every :name in the query has a value, and every value given is used."""
    missing = [name for name in used if name not in given]
    if missing:
        names = ", ".join(f":{name}" for name in missing)
        raise KbError(f"The query uses {names} but no value was given: add -p {missing[0]} VALUE.")
    unused = [name for name in given if name not in used]
    if unused:
        uses = ", ".join(f":{name}" for name in used) or "no parameters"
        raise KbError(
            f"-p {unused[0]} is not used: the query has no :{unused[0]} (it uses {uses})."
        )


# --- The read-only connection -------------------------------------------------------------


@contextmanager
def read_only(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> Iterator[Connection]:
    """A connection to an existing database that cannot change it (on PostgreSQL, as kb's
    reader role), whose statements stop after `timeout` seconds; rolled back when done."""
    engine = read_only_engine(url, timeout)
    try:
        try:
            connection = engine.connect()
        except exc.DBAPIError as error:
            raise _cannot_open(url, engine, error) from error
        with connection:
            yield connection
            connection.rollback()
    finally:
        engine.dispose()


def read_only_engine(url: str, timeout: float = DEFAULT_TIMEOUT_S) -> Engine:
    """An engine whose connections can only read (see the module docstring)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed.database or "", timeout)
    if parsed.get_driver_name() != "psycopg":
        raise KbError("kb sql on PostgreSQL needs the psycopg driver: postgresql+psycopg://…")
    options = "-c default_transaction_read_only=on"
    if timeout > 0:
        options += f" -c statement_timeout={max(1, round(timeout * 1000))}"
    return create_engine(
        reader_url(url),
        poolclass=NullPool,
        # prepare_threshold=0 prepares every statement, and PostgreSQL refuses to prepare
        # more than one: psycopg would otherwise send a query without parameters as a
        # "simple query", which may hold several statements (a COMMIT, then a write).
        connect_args={"prepare_threshold": 0, "options": options},
        execution_options={"postgresql_readonly": True},
    )


def reader_url(url: str) -> URL:
    """`url` with kb's reader role and its password in place of the URL's own role (read
    with the URL's role; the URL itself when it already names the reader)."""
    from kb.reader import NEEDS, stored

    parsed = make_url(url)
    engine = create_engine(
        parsed, poolclass=NullPool, connect_args={"options": "-c default_transaction_read_only=on"}
    )
    try:
        with engine.connect() as connection:
            found = stored(connection)
            current = connection.exec_driver_sql("SELECT current_user").scalar()
    except exc.DBAPIError as error:
        raise KbError(f"Cannot open {describe_url(url)}: {_first_line(error)}.") from error
    finally:
        engine.dispose()
    setup = f"run `kb db reader --db URL` with the URL of {NEEDS}"
    if found is None:
        raise KbError(
            "kb sql on PostgreSQL runs queries as a read-only role of its own, and this "
            f"database has none yet: {setup} (after `kb db upgrade` if it is older)."
        )
    if current == found.role:
        return parsed
    if not found.exists:
        raise KbError(f"kb sql's reader role {found.role} no longer exists: {setup}.")
    if found.password is None:
        raise KbError(
            f"kb sql on PostgreSQL runs queries as the role {found.role}, whose password only "
            f"the database's owner may read: connect as {found.role}, or as the owner."
        )
    return parsed.set(username=found.role, password=found.password)


def _cannot_open(url: str, engine: Engine, error: exc.DBAPIError) -> KbError:
    """The message for a connection that failed; for kb's reader, what to fix."""
    reason = _first_line(error)
    role = engine.url.username
    if engine.dialect.name == "postgresql" and role != make_url(url).username:
        host = str(engine.url.query.get("host") or engine.url.host or "")
        socket = (
            " This URL reaches the server by a Unix socket, where pg_hba.conf usually has "
            "`peer`, which only the operating-system user of the same name passes: give the "
            "URL a host (…@localhost/…)."
            if not host or host.startswith("/")
            else ""
        )
        return KbError(
            f"kb sql logs in to {describe_url(url)} as its read-only role {role}, and the "
            f"server refused it: {reason}. The server must accept a password for it "
            f"(a pg_hba.conf line for it with scram-sha-256 or md5), or, if the password "
            f"is wrong, `kb db reader` gives it a new one.{socket}"
        )
    return KbError(f"Cannot open {describe_url(url)}: {reason}.")


def _sqlite_engine(path: str, timeout: float = DEFAULT_TIMEOUT_S) -> Engine:
    """An engine on the SQLite file at `path`, opened read-only and locked down."""
    if path in ("", ":memory:"):
        raise KbError("kb sql needs a database file, not an in-memory database.")
    if not Path(path).exists():
        raise KbError(
            f"No database at {path}. Build one with `kb load` "
            "(or choose another with --db / KB_DATABASE_URL)."
        )
    uri = f"file:{quote(path)}?mode=ro"
    busy_s = BUSY_TIMEOUT_MS / 1000  # waiting for a writer's lock, not the query's --timeout

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=busy_s)

    engine = create_engine("sqlite://", creator=connect, poolclass=NullPool)
    # A "connect" listener runs after SQLAlchemy's first-connect setup, which itself reads
    # a PRAGMA; from here on the connection may only read.
    event.listen(engine, "connect", _lock_down)
    if timeout > 0:
        event.listen(engine, "connect", _stopping_after(timeout))
    return engine


def _lock_down(dbapi_connection: sqlite3.Connection, record: Any) -> None:
    """Make a SQLite connection refuse every write: query_only, then a reads-only authorizer."""
    dbapi_connection.execute("PRAGMA query_only = ON")
    dbapi_connection.set_authorizer(_authorizer(record.info.setdefault(DENIED, [])))


def _stopping_after(timeout: float) -> Callable[[sqlite3.Connection, Any], None]:
    """A connect listener: the connection's statements stop `timeout` seconds after it opens
    (kb sql runs one statement per connection), noting on the record that they were."""

    def listen(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        deadline = time.monotonic() + timeout

        def past_deadline() -> int:
            if time.monotonic() < deadline:
                return 0
            record.info[TIMED_OUT] = True
            return 1  # non-zero: SQLite interrupts the statement

        dbapi_connection.set_progress_handler(past_deadline, PROGRESS_STEPS)

    return listen


def _authorizer(denied: list[str]) -> Callable[..., int]:
    """An authorizer that allows reads only, noting in `denied` what it refused."""

    def authorize(action: int, arg1: str | None, arg2: str | None, *_context: Any) -> int:
        if _allowed(action, arg1, arg2):
            return sqlite3.SQLITE_OK
        denied.append(_action(action, arg1, arg2))
        return sqlite3.SQLITE_DENY

    return authorize


def _allowed(action: int, arg1: str | None, arg2: str | None) -> bool:
    """Whether an authorizer request is part of reading (see READ_ACTIONS and the lists)."""
    if action == sqlite3.SQLITE_FUNCTION:
        return (arg2 or "").lower() not in DENIED_FUNCTIONS
    if action == sqlite3.SQLITE_PRAGMA:
        return (arg1 or "").lower() in READ_PRAGMAS
    if action == sqlite3.SQLITE_UPDATE:
        return (arg1 or "").lower() in SCHEMA_TABLES
    return action in READ_ACTIONS


def _action(action: int, arg1: str | None, arg2: str | None) -> str:
    """An authorizer request in words: 'DELETE on quotes', 'PRAGMA writable_schema = 1'."""
    name = ACTION_NAMES.get(action, f"action {action}")
    if action == sqlite3.SQLITE_FUNCTION:
        return f"{arg2}()"
    if action == sqlite3.SQLITE_PRAGMA:
        return f"PRAGMA {arg1}" + (f" = {arg2}" if arg2 is not None else "")
    if action == sqlite3.SQLITE_ATTACH:
        return f"ATTACH '{arg1}'"
    if action in (sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE):
        return f"{name} on {arg1}"
    target = arg2 if action == sqlite3.SQLITE_ALTER_TABLE else arg1
    return f"{name} {target}" if target else name


# --- Errors and values --------------------------------------------------------------------


def refusal(
    connection: Connection, error: exc.DBAPIError, url: str, timeout: float = DEFAULT_TIMEOUT_S
) -> KbError:
    """The message for a failed statement: stopped, refused as a write or for want of a
    privilege, several statements, or an error."""
    reason = _first_line(error)
    state = getattr(error.orig, "sqlstate", None)
    if connection.info.get(TIMED_OUT) or state == CANCELED_STATE:
        return KbError(
            f"kb sql stopped the query after {timeout:g} s (--timeout {timeout:g}): narrow it "
            f"(a WHERE, a LIMIT), or give a larger --timeout (0: no limit). {UNCHANGED}"
        )
    if state in PRIVILEGE_STATES:
        return KbError(
            f"kb sql only reads the database: the statement was refused ({reason}). kb sql "
            f"runs as the read-only role {connection.engine.url.username}, which may only read "
            f"kb's tables and views. {UNCHANGED}"
        )
    denied: list[str] = connection.info.get(DENIED, [])
    if denied:
        return KbError(
            f"kb sql only reads the database: the statement was refused because it needs "
            f"{denied[0]}. {UNCHANGED}"
        )
    if state == READ_ONLY_STATE or any(words in reason for words in WRITE_REFUSED):
        return KbError(
            f"kb sql only reads the database: the statement was refused ({reason}). {UNCHANGED}"
        )
    if "one statement at a time" in reason or "multiple commands" in reason:
        return KbError(ONE_STATEMENT)
    if "file is not a database" in reason:
        return KbError(f"{describe_url(url)} is not a SQLite database ({reason}).")
    hint = ""
    if "no such table" in reason or (reason.startswith("relation") and "does not exist" in reason):
        hint = " `kb schema` lists the tables and views."
    return KbError(f"SQL error: {reason}{_position(error)}.{hint}")


def _first_line(error: exc.DBAPIError) -> str:
    """The driver's message, first line only (PostgreSQL adds LINE and caret lines)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0].rstrip(".") if lines else type(error.orig).__name__


def _position(error: exc.DBAPIError) -> str:
    """' (at character N)' when PostgreSQL says where in the statement the error is."""
    diag = getattr(error.orig, "diag", None)
    position = getattr(diag, "statement_position", None)
    return f" (at character {position})" if position else ""


def unique(names: list[str]) -> list[str]:
    """Column names made unique: a repeated name gets _2, _3… (rows are keyed by name)."""
    seen: set[str] = set()
    result = []
    for name in names:
        candidate, n = name, 1
        while candidate in seen:
            n += 1
            candidate = f"{name}_{n}"
        seen.add(candidate)
        result.append(candidate)
    return result


def plain(value: Any) -> Any:
    """A value JSON and CSV can carry: numbers, text, booleans, None, lists and objects."""
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)
