"""Data commands: load files into the database, or validate them without one."""

from __future__ import annotations

from pathlib import Path

import click

from kb.cli import views
from kb.cli.common import db_option, describe, examples, format_option, opened, wait_option
from kb.cli.output import to_json

path_argument = click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
seeds_option = click.option(
    "--seeds",
    "seeds_dir",
    metavar="DIR",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Directory of the source texts.  [default: PATH's ../seeds]",
)
jobs_option = click.option(
    "--jobs",
    "-j",
    metavar="N",
    type=click.IntRange(min=1),
    help="Processes that read, check and ground the files; 1 reads them in kb's own process.  "
    "[default: one per CPU when there are 32 MB or more to read, else 1]",
)


@click.command(
    epilog=examples(
        "kb load",
        "kb load seeds_data/ --dry-run",
        "kb load my_data/ --seeds my_texts/ --prune --db my.sqlite3",
        "kb load --jobs 2",
    )
)
@path_argument
@seeds_option
@jobs_option
@click.option("--dry-run", is_flag=True, help="Report what would change; write no records.")
@click.option("--prune", is_flag=True, help="Delete records that are no longer in the files.")
@click.option(
    "--reread",
    is_flag=True,
    help="Read every file, even those unchanged since the last load (skipped by default).",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="No progress line on stderr; only the final summary."
)
@wait_option
@db_option
@format_option("table", "json")
def load(
    path: Path | None,
    seeds_dir: Path | None,
    jobs: int | None,
    dry_run: bool,
    prune: bool,
    reread: bool,
    quiet: bool,
    wait: int,
    db: str | None,
    fmt: str,
) -> None:
    """Validate and load data files into the database.

    Loading is one transaction, after migrating the database to the newest schema. PATH is a
    data file or a directory of them (default: the collection bundled with kb).
    Reloading the same files changes nothing: files whose bytes (and source texts) are
    unchanged since the last load are skipped, unless --reread or --prune is given. Records in
    the database that are missing from the files are listed and kept, unless --prune is given.
    On a terminal, a load that takes more than a second shows its progress on stderr
    (records, rate, time left, current file). A load that changes anything says which
    conflicts between figures or event dates it adds and which it removes, one line each
    (what, both sides, both sources; JSON: every field, as kb conflicts gives them).
    Loads and migrations of one database take turns: while another writes, this one says so
    on stderr and waits (at most --wait seconds), then starts from what the other committed.
    """
    from kb.cli.progress import notices, progress_line
    from kb.loader import load as load_files
    from kb.loader.progress import ignore
    from kb.queries.conflicts.changes import ConflictWatch, changes

    line = progress_line(quiet)
    with opened(db) as engine:
        try:
            report = load_files(
                engine,
                path,
                seeds_dir=seeds_dir,
                dry_run=dry_run,
                prune=prune,
                reread=reread,
                progress=line or ignore,
                jobs=jobs,
                observe=ConflictWatch(prune=prune),
                wait=wait,
                notice=notices(quiet, line),
            )
        finally:
            if line is not None:
                line.close()  # erased before the summary or the error is printed
        where = describe(engine)
    found = changes(report.observed)
    if fmt == "json":
        conflicts = found.to_dict() if found is not None else None
        click.echo(to_json({"database": where, **report.to_dict(), "conflicts": conflicts}))
    else:
        click.echo(views.load_text(report, where, found))


@click.command(
    epilog=examples("kb validate", "kb validate my_data/ --seeds my_texts/", "kb validate --jobs 2")
)
@path_argument
@seeds_option
@jobs_option
@format_option("table", "json")
def validate(path: Path | None, seeds_dir: Path | None, jobs: int | None, fmt: str) -> None:
    """Check data files without touching a database.

    Checks fields, slugs, references and grounding (every span is in its source). PATH is a data
    file or a directory of them (default: the collection bundled with kb).
    Prints the records per type and 'ok', or every problem found (exit status 1).
    """
    from kb.loader import validate as validate_files

    summary = validate_files(path, seeds_dir=seeds_dir, jobs=jobs)
    if fmt == "json":
        click.echo(to_json({**summary.to_dict(), "ok": True}))
    else:
        click.echo(views.validation_text(summary))
