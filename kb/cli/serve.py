"""`kb serve`: browse the database in Datasette, with kb's plugin."""

from __future__ import annotations

import subprocess

import click

from kb.cli.common import db_option
from kb.cli.group import examples


@click.command(
    epilog=examples("kb serve", "kb serve --port 8080 --db my.sqlite3", "kb serve --host 0.0.0.0")
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port to listen on.",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on; 0.0.0.0 serves other machines too.",
)
@db_option
def serve(port: int, host: str, db: str | None) -> None:
    """Browse the database in Datasette, with kb's plugin.

    Every table and view described, internal tables hidden, canned queries for the common
    questions, and for each source a page with its text and every quote, figure, event and
    role marked where it stands (linked from the source's row). Needs Datasette
    (`pip install 'kb[datasette]'`); serves SQLite databases only. Ctrl-C stops it.
    """
    from kb.config import database_url
    from kb.serve import datasette_command

    command = datasette_command(database_url(db), host, port)
    click.echo(f"Serving {command[4]} at http://{host}:{port}/ (Ctrl-C stops).", err=True)
    try:
        raise SystemExit(subprocess.call(command))
    except KeyboardInterrupt:
        raise SystemExit(130) from None
