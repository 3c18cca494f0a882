"""The `kb` command line: a root group and one module per command family.

Only Click and the standard library are imported here; a command's module is imported when
that command runs (kb.cli.group), and the command imports the library (SQLAlchemy, Alembic,
YAML) only then, so `kb --help` starts about as fast as Click itself.
"""

from __future__ import annotations

import click

from kb.cli.group import KbGroup, Lazy, LazyCommands, examples

# Every command: where it lives and the summary `kb --help` shows (the first sentence of its
# help; tests/test_startup.py checks they agree, so a changed docstring fails there).
COMMANDS = {
    "load": Lazy("kb.cli.load:load", "Validate and load data files into the database."),
    "validate": Lazy("kb.cli.load:validate", "Check data files without touching a database."),
    "sources": Lazy("kb.cli.browse:sources", "List the source documents."),
    "parties": Lazy("kb.cli.browse:parties", "List the countries and organizations."),
    "metrics": Lazy(
        "kb.cli.browse:metrics", "List the metrics: what figures measure, shared by every source."
    ),
    "people": Lazy("kb.cli.browse:people", "List the people named in the sources."),
    "person": Lazy("kb.cli.browse:person", "Show one person's roles, quotes, figures and events."),
    "quotes": Lazy("kb.cli.browse:quotes", "List quotes verbatim, with speaker and source."),
    "figures": Lazy("kb.cli.browse:figures", "List the figures (numbers) the sources state."),
    "events": Lazy("kb.cli.browse:events", "List events in date order."),
    "stats": Lazy("kb.cli.browse:stats", "Show how much the database holds."),
    "conflicts": Lazy(
        "kb.cli.conflicts:conflicts",
        "Show where the sources disagree: figures and event dates that contradict each other.",
    ),
    "check": Lazy("kb.cli.check:check", "Audit the database; exit status 1 when any check fails."),
    "search": Lazy(
        "kb.cli.search:search",
        "Search quotes, figures, events, source titles, people's and metrics' names, best first.",
    ),
    "serve": Lazy("kb.cli.serve:serve", "Browse the database in Datasette, with kb's plugin."),
    "draft": Lazy(
        "kb.cli.draft:draft",
        "Draft people, quotes, figures and events from a plain-text article.",
    ),
    "db": Lazy("kb.cli.db:db", "Manage the schema migrations (Alembic)."),
    "sql": Lazy("kb.cli.sql:sql", "Run one read-only SQL query and print its rows."),
    "schema": Lazy(
        "kb.cli.schema:schema", "Describe every table, view and column: type and what it holds."
    ),
    "metadata": Lazy(
        "kb.cli.schema:metadata", "Write Datasette metadata for a kb database, as JSON."
    ),
    "export": Lazy(
        "kb.cli.schema:export",
        "Write every table and view to DIRECTORY, one <name>.csv or <name>.json file each.",
    ),
}


@click.group(
    name="kb",
    cls=KbGroup,
    commands=LazyCommands(COMMANDS),
    epilog=examples("kb load", "kb quotes --by Jankauskas", "kb events --from 1995 --format json"),
)
@click.version_option(package_name="kb", prog_name="kb")
def cli() -> None:
    """A knowledge base of facts from news documents: events, figures, people and quotes.

    Every fact names its source and the exact span of text that supports it. Commands take
    --db PATH_OR_URL (or KB_DATABASE_URL; default ./kb.sqlite3). Exit status: 0 success,
    1 an error kb can explain, 2 a usage error.
    """


def main() -> None:
    """Console-script entry point: run the `kb` group."""
    cli()
