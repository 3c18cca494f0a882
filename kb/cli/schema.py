"""`kb schema`, `kb metadata`, `kb export`: the database described, and copied for other tools."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kb.cli.common import db_option, examples, reading
from kb.cli.output import Column, emit_records, field, table, to_json

if TYPE_CHECKING:
    from kb.export import Exported
    from kb.schema import Relation

SCHEMA_FORMATS = ("table", "markdown", "json", "jsonl", "csv")
SCHEMA_COLUMNS = [field("column"), field("type"), field("description", wrap=True)]
EXPORT_COLUMNS = [
    Column("file", lambda r: r["path"].name),
    Column("rows", lambda r: r["rows"], right=True),
]


@click.command(
    epilog=examples(
        "kb schema", "kb schema --format markdown", "kb schema --db my.sqlite3 --format json"
    )
)
@click.option(
    "--db",
    metavar="PATH_OR_URL",
    help="Describe this database instead of the schema kb's migrations create.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(SCHEMA_FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)
def schema(db: str | None, fmt: str) -> None:
    """Describe every table, view and column: type and what it holds.

    Without --db, describes the schema kb's migrations create (on SQLite, in memory), so it
    needs no database; docs/schema.md is `kb schema --format markdown`. With --db, describes
    that database as it is. KB_DATABASE_URL does not apply here.
    """
    from kb import schema as docs

    if db is None:
        revision, relations = docs.reference()
    else:
        from kb.db import current_revision

        with reading(db) as connection:
            relations = docs.describe(connection)
            revision = current_revision(connection.engine)
    if fmt == "markdown":
        click.echo(docs.markdown(relations, revision), nl=False)
    elif fmt == "json":
        click.echo(to_json([_relation_json(r) for r in relations]))
    elif fmt == "table":
        click.echo(schema_text(relations))
    else:
        emit_records(docs.records(relations), fmt)


def schema_text(relations: list[Relation]) -> str:
    """Each relation as a heading line with its description, then a table of its columns."""
    blocks = []
    for rel in relations:
        heading = f"{rel.name} ({rel.kind}): {rel.description or '(not described)'}"
        blocks.append(heading + "\n\n" + table(_column_rows(rel), SCHEMA_COLUMNS))
    return "\n\n".join(blocks)


def _column_rows(rel: Relation) -> list[dict[str, str]]:
    """The columns of a relation as table rows."""
    return [{"column": c.name, "type": c.type, "description": c.description} for c in rel.columns]


def _relation_json(rel: Relation) -> dict[str, object]:
    """A relation as a JSON object with its list of columns."""
    return {
        "name": rel.name,
        "kind": rel.kind,
        "description": rel.description,
        "columns": _column_rows(rel),
    }


@click.command(
    epilog=examples("kb metadata", "kb metadata -o metadata.json --db my.sqlite3"),
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option("--name", help="Datasette's name for the database.  [default: the file's stem]")
@db_option
def metadata(output: Path | None, name: str | None, db: str | None) -> None:
    """Write Datasette metadata for a kb database, as JSON.

    Descriptions of every table, view and column, the column that labels each table's rows,
    internal and full-text-index tables hidden, and canned queries (quotes by a speaker,
    figures on a subject, the timeline, figures that disagree, quote search). Serve with
    `datasette kb.sqlite3 -m metadata.json`. Datasette serves SQLite files only.
    """
    from kb.config import database_url
    from kb.errors import KbError
    from kb.metadata import metadata as build

    url = database_url(db)
    if not url.startswith("sqlite"):
        raise KbError("Datasette serves SQLite files only: give a SQLite database with --db.")
    with reading(db) as connection:
        document = build(connection, name or Path(connection.engine.url.database or "kb").stem)
    text = to_json(document) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Wrote Datasette metadata to {output}.")


@click.command(
    epilog=examples("kb export exported", "kb export exported --format json --db my.sqlite3"),
)
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("csv", "json")),
    default="csv",
    show_default=True,
    help="File format.",
)
@click.option("--force", is_flag=True, help="Overwrite files already in DIRECTORY.")
@db_option
def export(directory: Path, fmt: str, force: bool, db: str | None) -> None:
    """Write every table and view to DIRECTORY, one <name>.csv or <name>.json file each.

    The files open in pandas, spreadsheets and other tools without options: CSV is UTF-8
    with a header row; JSON is a list of objects. Internal tables (Alembic's version table)
    and SQLite's full-text indexes are not exported. DIRECTORY is created if missing;
    existing files are overwritten only with --force.
    """
    from kb.export import export as write
    from kb.export import left_out

    with reading(db) as connection:
        written = write(connection, directory, fmt, force=force)
        skipped = left_out(connection)
    click.echo(export_text(written, skipped, directory, fmt))


def export_text(written: list[Exported], skipped: list[str], directory: Path, fmt: str) -> str:
    """What an export wrote: a line, each file with its row count, and what it left out."""
    rows = [{"path": e.path, "rows": e.rows} for e in written]
    head = f"Exported {len(written)} tables and views to {directory} as {fmt.upper()}."
    text = head + "\n\n" + table(rows, EXPORT_COLUMNS)
    if skipped:
        text += (
            f"\n\nNot exported: {', '.join(skipped)} "
            "(internal tables, and full-text indexes with their storage)."
        )
    return text
