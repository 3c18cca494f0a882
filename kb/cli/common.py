"""Options every command shares, and the translation of library errors into Click errors."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

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


def examples(*lines: str) -> str:
    """A help epilog listing example command lines; `\b` keeps Click from rewrapping them."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


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


def user_error(error: BaseException) -> str | None:
    """The message for an error a user can fix (KbError, database failure), else None.

    The library and SQLAlchemy are imported only by the commands that use them; if an
    exception type's module was never imported, the error cannot be one of its types.
    """
    from kb.errors import KbError

    if isinstance(error, KbError):
        return str(error)
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(error, sa_exc.DBAPIError):
        return f"Database error: {str(error.orig).strip() or type(error.orig).__name__}."
    alembic_exc = sys.modules.get("alembic.util.exc")
    if alembic_exc is not None and isinstance(error, alembic_exc.CommandError):
        return f"Migration error: {error}"
    return None


class KbGroup(click.Group):
    """A group whose commands' user errors end as 'Error: …' and exit 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the subcommand, turning user errors into click.ClickException."""
        try:
            return super().invoke(ctx)
        except click.ClickException:
            raise
        except Exception as error:
            message = user_error(error)
            if message is None:
                raise
            raise click.ClickException(message) from error
