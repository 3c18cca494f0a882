"""Options every command shares: --db, --format, the database to read or write, examples."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from kb.cli.group import examples as examples  # re-exported: the commands import it from here
from kb.cli.output import FORMATS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

F = TypeVar("F", bound=Callable[..., Any])

db_option = click.option(
    "--db",
    metavar="PATH_OR_URL",
    envvar="KB_DATABASE_URL",
    show_envvar=True,
    help="Database file or SQLAlchemy URL.  [default: ./kb.sqlite3]",
)


def format_option(*choices: str) -> Callable[[F], F]:
    """--format with the given choices (default: every format), 'table' by default."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices or FORMATS),
        default="table",
        show_default=True,
        help="Output format.",
    )


def read_options(command: F) -> F:
    """The options of every read command: --db and --format."""
    return db_option(format_option()(command))


def reading(db: str | None) -> AbstractContextManager[Connection]:
    """A connection to the existing database named by --db / KB_DATABASE_URL / ./kb.sqlite3."""
    from kb.config import database_url
    from kb.queries import reading as open_for_reading

    return open_for_reading(database_url(db))


@contextmanager
def opened(db: str | None, *, must_exist: bool = False) -> Iterator[Engine]:
    """An engine on the database named by --db (created on first write unless `must_exist`)."""
    from kb.config import database_url
    from kb.db import make_engine

    engine = make_engine(database_url(db), must_exist=must_exist)
    try:
        yield engine
    finally:
        engine.dispose()


def describe(engine: Engine) -> str:
    """How messages name the database: its file path, or its URL without the password."""
    from kb.db import describe_url

    return describe_url(engine.url)


# List commands show this many rows unless told otherwise: at a million facts a filter can
# match thousands, and a terminal page is what a reader looks at first.
DEFAULT_LIMIT = 100

# kb.lock.DEFAULT_WAIT_S, not imported: kb starts without SQLAlchemy (a test checks both).
WAIT_S = 600
wait_option = click.option(
    "--wait",
    metavar="SECONDS",
    type=click.IntRange(min=0),
    default=WAIT_S,
    show_default=True,
    help="How long to wait for another kb command writing to the same database (a load, a "
    "migration); 0 gives up at once.",
)
limit_option = click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show at most this many rows (0: all of them).",
)


def fetch_limit(limit: int) -> int | None:
    """How many rows to ask the library for: one more than shown, to know if there are more."""
    return None if limit == 0 else limit + 1


def cut(rows: list[Any], limit: int) -> tuple[list[Any], str | None]:
    """The rows to show, and a note when some were left out."""
    if limit == 0 or len(rows) <= limit:
        return rows, None
    return rows[:limit], f"Showing the first {limit:,} rows; --limit N shows more, --limit 0 all."
