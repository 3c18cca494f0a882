"""The root group's machinery: commands imported only when used, and user errors as 'Error: …'.

Importing every command module costs more than Click itself (their decorators, their helpers and
the standard-library modules they need), so the group knows each command by name, module and
summary, and imports a command's module only when that command runs or shows its own help.
`kb --help` lists the summaries without importing any command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from typing import Any, NamedTuple

import click


def examples(*lines: str) -> str:
    """A help epilog listing example command lines; `\b` keeps Click from rewrapping them."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


class Lazy(NamedTuple):
    """Where a command lives ("module:attribute") and the summary `kb --help` shows for it.

    The summary is the first sentence of the command's help; a test checks they agree.
    """

    target: str
    summary: str

    def load(self) -> click.Command:
        """Import the command's module and return the command."""
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command


class LazyCommands(MutableMapping[str, click.Command]):
    """Commands by name, each imported on first access; membership and listing import nothing."""

    def __init__(self, lazy: dict[str, Lazy]) -> None:
        self.lazy = dict(lazy)
        self.loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        """The command `name`, imported now if it was not yet."""
        if name not in self.loaded:
            self.loaded[name] = self.lazy[name].load()
        return self.loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        """Register an already imported command (Click's add_command)."""
        self.loaded[name] = command

    def __delitem__(self, name: str) -> None:
        """Forget the command `name`."""
        if name not in self:
            raise KeyError(name)
        self.lazy.pop(name, None)
        self.loaded.pop(name, None)

    def __contains__(self, name: object) -> bool:
        """Whether a command is called `name` (without importing it)."""
        return name in self.lazy or name in self.loaded

    def __iter__(self) -> Iterator[str]:
        """The command names, lazy ones first, in registration order."""
        return iter(dict.fromkeys([*self.lazy, *self.loaded]))

    def __len__(self) -> int:
        """How many commands there are."""
        return len(self.lazy.keys() | self.loaded.keys())


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
    """The root group: user errors end as 'Error: …' with exit 1, never a traceback.

    Given `commands=LazyCommands(...)`, its help lists the commands without importing them
    (Click reads `commands` as a mapping: get, in, iteration; so a lazy one fits).
    """

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands with their summaries, importing none that is not yet imported."""
        commands = self.commands
        if not isinstance(commands, LazyCommands):
            super().format_commands(ctx, formatter)
            return
        listed = [(name, self._listing(commands, name)) for name in self.list_commands(ctx)]
        listed = [(name, command) for name, command in listed if not command.hidden]
        if not listed:
            return
        # The same width Click gives the summaries (three times the usual spacing).
        limit = formatter.width - 6 - max(len(name) for name, _ in listed)
        with formatter.section("Commands"):
            formatter.write_dl([(name, cmd.get_short_help_str(limit)) for name, cmd in listed])

    @staticmethod
    def _listing(commands: LazyCommands, name: str) -> click.Command:
        """The command itself if imported, else a stand-in that carries its summary."""
        if name in commands.loaded:
            return commands.loaded[name]
        return click.Command(name, help=commands.lazy[name].summary)

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
