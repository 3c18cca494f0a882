"""The `kb` command line: a root group and one module per command family.

Only Click and the standard library are imported here and at the top of the command modules;
each command imports the library (SQLAlchemy, Alembic, YAML) when it runs, so `kb --help`
starts in a few tens of milliseconds.
"""

from __future__ import annotations

import click

from kb.cli import browse, check, conflicts, draft, load, schema, search, sql
from kb.cli.common import KbGroup, examples
from kb.cli.db import db


@click.group(
    name="kb",
    cls=KbGroup,
    epilog=examples("kb load", "kb quotes --by Jankauskas", "kb events --from 1995 --format json"),
)
@click.version_option(package_name="kb", prog_name="kb")
def cli() -> None:
    """A knowledge base of facts from news documents: events, figures, people and quotes.

    Every fact names its source and the exact span of text that supports it. Commands take
    --db PATH_OR_URL (or KB_DATABASE_URL; default ./kb.sqlite3). Exit status: 0 success,
    1 an error kb can explain, 2 a usage error.
    """


for command in (
    load.load,
    load.validate,
    browse.sources,
    browse.parties,
    browse.people,
    browse.person,
    browse.quotes,
    browse.figures,
    browse.events,
    browse.stats,
    conflicts.conflicts,
    check.check,
    search.search,
    draft.draft,
    db,
    sql.sql,
    schema.schema,
    schema.metadata,
    schema.export,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point: run the `kb` group."""
    cli()
