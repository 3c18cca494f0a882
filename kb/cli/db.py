"""`kb db`: the schema migrations (Alembic) — upgrade, downgrade, current, history — and
kb sql's reader role on PostgreSQL."""

from __future__ import annotations

import click

from kb.cli.common import db_option, examples, opened, wait_option


@click.group(epilog=examples("kb db current", "kb db upgrade", "kb db history"))
def db() -> None:
    """Manage the schema migrations (Alembic)."""


@db.command(epilog=examples("kb db upgrade", "kb db upgrade 0001 --db my.sqlite3"))
@click.argument("revision", default="head")
@wait_option
@db_option
def upgrade(revision: str, wait: int, db: str | None) -> None:
    """Migrate the database up to REVISION (default: head).

    head is the newest schema. A database file that does not exist is created. On PostgreSQL
    an upgrade also creates kb sql's read-only role when the database has none and the URL's
    role may create roles (see `kb db reader`), and grants it what the migrations added.
    Migrations and loads of one database take turns: while another writes, this one says so
    on stderr and waits (at most --wait seconds).
    """
    from kb.cli.progress import notices
    from kb.migrating import upgrade as migrate_up

    with opened(db) as engine:
        done = migrate_up(engine, revision, wait=wait, notice=notices(False, None))
    click.echo(_moved(done.before, done.after))
    note = done.note  # kb sql's reader: made (said with the migration), or a warning
    if note is not None:
        click.echo(f"Warning: {note.text}" if note.warning else note.text, err=note.warning)


@db.command(
    # So that `-1` (one step down) is read as a revision, not as an unknown option.
    context_settings={"ignore_unknown_options": True},
    epilog=examples("kb db downgrade -1", "kb db downgrade base   # removes every kb table"),
)
@click.argument("revision")
@wait_option
@db_option
def downgrade(revision: str, wait: int, db: str | None) -> None:
    """Migrate the database down to REVISION.

    REVISION is a revision id, -N (N steps down), or base (removes every kb table and its data).
    It waits for a load or a migration writing to the same database (at most --wait seconds).
    """
    from kb.cli.progress import notices
    from kb.migrating import downgrade as migrate_down

    with opened(db, must_exist=True) as engine:
        done = migrate_down(engine, revision, wait=wait, notice=notices(False, None))
    click.echo(_moved(done.before, done.after))
    for warning in done.warnings:
        click.echo(f"Warning: {warning}", err=True)


def _moved(before: str | None, after: str | None) -> str:
    """'Migrated from A to B.' or 'Already at B.', with base for a database without kb tables."""
    if before == after:
        return f"Already at {after or 'base'}; nothing to do."
    return f"Migrated from {before or 'base'} to {after or 'base'}."


@db.command(epilog=examples("kb db current", "kb db current --db my.sqlite3"))
@db_option
def current(db: str | None) -> None:
    """Show the database's schema revision, and whether it is the newest (head)."""
    from kb.db import current_revision, head_revision

    with opened(db, must_exist=True) as engine:
        revision, head = current_revision(engine), head_revision()
    if revision is None:
        click.echo("base (no kb tables): run `kb db upgrade` or `kb load`")
    elif revision == head:
        click.echo(f"{revision} (head)")
    else:
        click.echo(f"{revision} (head is {head}: run `kb db upgrade`)")


@db.command(epilog=examples("kb db history", "kb db history --db my.sqlite3"))
@db_option
def history(db: str | None) -> None:
    """List the migrations, newest first, marking head and the database's revision."""
    from kb.db import history as revisions

    at = _revision_if_any(db)
    for index, (revision, down, message) in enumerate(revisions()):
        marks = (["head"] if index == 0 else []) + (["current"] if revision == at else [])
        label = f" ({', '.join(marks)})" if marks else ""
        click.echo(f"{down or '<base>'} -> {revision}{label}, {message}")


def _revision_if_any(db: str | None) -> str | None:
    """The database's revision, or None when there is no database file (history needs none)."""
    from kb.config import database_url
    from kb.db import current_revision, make_engine
    from kb.errors import KbError

    try:
        engine = make_engine(database_url(db), must_exist=True)
    except KbError:
        return None
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


@db.command(
    epilog=examples(
        "kb db reader --db postgresql+psycopg://admin:secret@localhost/kb",
    )
)
@wait_option
@db_option
def reader(wait: int, db: str | None) -> None:
    """Create or repair kb sql's read-only role (PostgreSQL).

    kb sql logs in as this role (kb_reader_<database>), which may only SELECT kb's tables and
    views, so no query can read or change the server, whoever the URL's role is. `kb db
    upgrade` and `kb load` create it when their URL's role may create roles; otherwise run
    this once, with a URL whose role may (a superuser, or one with CREATEROLE). Run it again
    to give the role a new password and its grants back. A database copied from another as a
    template shares that one's role until this gives it its own. Upgrades keep its grants
    current. It waits for a load or a migration writing to the database (at most --wait
    seconds).
    """
    from kb.cli.progress import notices
    from kb.lock import READER, writing_alone
    from kb.reader import ensure

    say = notices(False, None)
    with (
        opened(db, must_exist=True) as engine,  # no new SQLite file for a PostgreSQL command
        writing_alone(engine, writer=READER, wait=wait, notice=say) as connection,
    ):
        found, created = ensure(connection)
    done = "Created" if created else "Repaired"
    instead = (
        f" It takes the place of {found.replaced}, which this database shared with the one it "
        "was copied from."
        if found.replaced
        else ""
    )
    click.echo(
        f"{done} the role {found.role}: kb sql runs as it, with SELECT on kb's tables and "
        f"views.{instead}"
    )
