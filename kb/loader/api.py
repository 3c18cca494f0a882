"""validate() and load(): read, check and ground a collection, then write it in one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from kb.db import describe_url, make_engine, migrate, writing
from kb.errors import KbError
from kb.loader.checking import Record, check_record
from kb.loader.collection import Existing, build, counts
from kb.loader.problems import Problems, display_path
from kb.loader.reading import data_files, read_file
from kb.loader.report import LoadReport, ValidationSummary
from kb.loader.writer import apply, check_kept_spans, diff, fetch
from kb.paths import bundled_data_dir


def locations(path: Path | None, seeds_dir: Path | None) -> tuple[Path, Path]:
    """The data path (default: the bundled collection) and the seeds directory beside it."""
    data = bundled_data_dir() if path is None else Path(path)
    if seeds_dir is None:
        seeds_dir = (data if data.is_dir() else data.parent).parent / "seeds"
    return data, Path(seeds_dir)


def read(path: Path, problems: Problems) -> tuple[list[Path], list[Record]]:
    """Read and check every record of the data files at `path`."""
    files = data_files(path, problems)
    records = [check_record(raw, problems) for file in files for raw in read_file(file, problems)]
    return files, records


def validate(path: Path | None = None, *, seeds_dir: Path | None = None) -> ValidationSummary:
    """Read, check and ground every file without a database; raise LoadError listing problems."""
    data, seeds = locations(path, seeds_dir)
    problems = Problems()
    files, records = read(data, problems)
    build(records, seeds, Existing(), problems)
    if problems:
        raise problems.error(display_path(data), loading=False)
    return ValidationSummary(files, counts(records))


def load(
    engine: Engine,
    path: Path | None = None,
    *,
    seeds_dir: Path | None = None,
    dry_run: bool = False,
    prune: bool = False,
) -> LoadReport:
    """Migrate the database, validate, ground and write the collection, all in one transaction.

    References may resolve to rows already in the database. With `dry_run` the report is
    computed (and the writes tried) but rolled back; with `prune`, rows absent from the files
    are deleted. On any problem nothing is written and LoadError lists every problem found.
    """
    new_file = _missing_sqlite_file(engine)
    if dry_run and new_file:
        # A dry run must not create the database: rehearse on an empty one in memory.
        engine, new_file = make_engine("sqlite://"), False
    try:
        return _load(engine, path, seeds_dir=seeds_dir, dry_run=dry_run, prune=prune)
    except Exception:
        if new_file:
            # The database was "as before" when it did not exist: leave no empty file behind.
            _remove_sqlite_file(engine)
        raise


def _load(
    engine: Engine, path: Path | None, *, seeds_dir: Path | None, dry_run: bool, prune: bool
) -> LoadReport:
    """The load itself (see load())."""
    data, seeds = locations(path, seeds_dir)
    problems = Problems()
    files, records = read(data, problems)
    try:
        with writing(engine, commit=not dry_run) as connection:
            migrate(connection)
            snapshot = fetch(connection)
            collection = build(records, seeds, snapshot.existing(prune=prune), problems)
            plan = diff(collection, snapshot)
            if not prune:
                check_kept_spans(collection, snapshot, plan, problems)
            if problems:
                raise problems.error(display_path(data), loading=True)
            apply(connection, plan, snapshot, prune=prune)
    except DBAPIError as error:
        # Validation should have caught everything; if the database still refuses, say so
        # plainly (the transaction was rolled back, so nothing was written).
        reason = str(error.orig).strip() or type(error.orig).__name__
        raise KbError(
            f"Cannot load into {describe_url(engine.url)}: {reason}. Nothing was written."
        ) from error
    return LoadReport(files, plan.changes, dry_run=dry_run, pruned=prune)


def _remove_sqlite_file(engine: Engine) -> None:
    """Delete a SQLite database file (and its WAL companions) that this load created."""
    engine.dispose()
    database = Path(str(engine.url.database))
    for suffix in ("", "-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)


def _missing_sqlite_file(engine: Engine) -> bool:
    """True when `engine` is a SQLite file database whose file does not exist yet."""
    database = engine.url.database
    return (
        engine.url.get_backend_name() == "sqlite"
        and database not in (None, "", ":memory:")
        and not Path(database).exists()
    )
