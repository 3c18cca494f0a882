"""validate() and load(): stream, check and ground a collection, then merge it in one transaction.

The pipeline: hash the data files and skip those unchanged since the last load; stream the
others record by record (read, check, ground) into staging tables, in worker processes for a
large load (kb.loader.parallel); run the cross-record checks in SQL; merge into kb's tables
with set-based SQL; record which file defines each record. Memory holds a batch of rows and a
bounded cache of source texts, never the collection.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from kb.db import describe_url, make_engine, migrate, writing
from kb.errors import KbError
from kb.loader.checking import check_record
from kb.loader.crosscheck import CrossCheck
from kb.loader.documents import DocumentHelper
from kb.loader.fingerprints import FilePlan, plan_files, record_files, size
from kb.loader.lookup import refresh_names
from kb.loader.merge import Merger
from kb.loader.parallel import (
    PARALLEL_MIN_BYTES,
    Task,
    Workers,
    bytes_up_to,
    default_jobs,
    read_in_workers,
    tasks,
)
from kb.loader.problems import Problems, display_path
from kb.loader.progress import Progress, ProgressCallback, ignore
from kb.loader.reading import data_files, read_file
from kb.loader.report import LoadReport, TableChange, ValidationSummary
from kb.loader.spec import TABLES
from kb.loader.staging import Stage
from kb.loader.stream import Grounder
from kb.lock import DEFAULT_WAIT_S, Notice, writing_alone
from kb.paths import bundled_data_dir

# How often (in records) the progress callback hears about the read.
PROGRESS_EVERY = 2_000


def locations(path: Path | None, seeds_dir: Path | None) -> tuple[Path, Path]:
    """The data path (default: the bundled collection) and the seeds directory beside it."""
    data = bundled_data_dir() if path is None else Path(path)
    if seeds_dir is None:
        seeds_dir = (data if data.is_dir() else data.parent).parent / "seeds"
    return data, Path(seeds_dir)


def validate(
    path: Path | None = None, *, seeds_dir: Path | None = None, jobs: int | None = None
) -> ValidationSummary:
    """Read, check and ground every file without a database; raise LoadError listing problems.

    The checks run in a scratch SQLite file that is deleted afterwards. `jobs` as for load().
    """
    data, seeds = locations(path, seeds_dir)
    with _scratch() as engine:
        problems = Problems()
        files = data_files(data, problems)
        with writing(engine, commit=False) as connection, Workers() as workers:
            migrate(connection)
            run = _Run(
                connection,
                files,
                seeds,
                problems,
                prune=False,
                remember=False,
                jobs=jobs,
                workers=workers,
            )
            run.read(ignore)
            if problems:
                raise problems.error(display_path(data), loading=False)
            return ValidationSummary(files, run.counts())


def load(
    engine: Engine,
    path: Path | None = None,
    *,
    seeds_dir: Path | None = None,
    dry_run: bool = False,
    prune: bool = False,
    reread: bool = False,
    progress: ProgressCallback | None = None,
    jobs: int | None = None,
    observe: Observer | None = None,
    wait: float | None = DEFAULT_WAIT_S,
    notice: Notice | None = None,
) -> LoadReport:
    """Migrate the database, validate, ground and write the collection, all in one transaction.

    References may resolve to rows already in the database. Files unchanged since the last
    load are skipped, unless `reread` or `prune` is given. With `dry_run` the report is
    computed (and the writes tried) but rolled back; with `prune`, rows absent from the files
    are deleted. On any problem nothing is written and LoadError lists every problem found.
    `progress` hears where the load is (see kb.loader.progress). `jobs` is how many worker
    processes read, check and ground the files (1: none, all in this process); by default one
    per CPU for a large load, none for a small one. `observe` (if given) is called on the
    load's connection once the files are checked, before anything is written, and again after
    the writes, before the commit: its two results are the report's `observed` (what the
    caller wants to compare, such as the conflicts between sources). kb's writers into one
    database take turns (kb.lock): if another load or migration is writing, `notice` hears so
    once and the load waits for it, at most `wait` seconds (None: no limit), then fails with
    KbError.
    """
    progress = progress or ignore
    options = _Options(
        path, seeds_dir, dry_run, prune, reread, progress, jobs, observe, wait, notice
    )
    if dry_run and _missing_sqlite_file(engine):
        # A dry run must not create the database: rehearse on an empty scratch one.
        with _scratch() as scratch:
            return _load(scratch, options)
    new_file = _missing_sqlite_file(engine)
    try:
        return _load(engine, options)
    except Exception:
        if new_file:
            # The database was "as before" when it did not exist: leave no empty file behind.
            _remove_sqlite_file(engine)
        raise


# Called on the load's connection before and after the writes (see load()).
Observer = Callable[[Connection], Any]


@dataclass(frozen=True)
class _Options:
    """What load() was asked to do."""

    path: Path | None
    seeds_dir: Path | None
    dry_run: bool
    prune: bool
    reread: bool
    progress: ProgressCallback
    jobs: int | None
    observe: Observer | None
    wait: float | None
    notice: Notice | None


def _load(engine: Engine, options: _Options) -> LoadReport:
    """The load itself (see load())."""
    data, seeds = locations(options.path, options.seeds_dir)
    problems = Problems()
    files = data_files(data, problems)
    try:
        # The helper outlives the load's transaction: it drops its schema once that has ended.
        with (
            DocumentHelper(engine, sweep=not options.dry_run) as helper,
            writing_alone(
                engine, commit=not options.dry_run, wait=options.wait, notice=options.notice
            ) as connection,
            Workers() as workers,
        ):
            migrate(connection)
            run = _Run(
                connection,
                files,
                seeds,
                problems,
                prune=options.prune,
                reread=options.reread or options.prune,
                jobs=options.jobs,
                workers=workers,
            )
            run.read(options.progress)
            if problems:
                raise problems.error(display_path(data), loading=True)
            changes, observed = _write(connection, run, options, helper)
    except DBAPIError as error:
        # Validation should have caught everything; if the database still refuses, say so
        # plainly (the transaction was rolled back, so nothing was written).
        reason = str(error.orig).strip() or type(error.orig).__name__
        raise KbError(
            f"Cannot load into {describe_url(engine.url)}: {reason}. Nothing was written."
        ) from error
    skipped = [files[i] for i in sorted(run.plan.skipped)]
    return LoadReport(
        files,
        changes,
        dry_run=options.dry_run,
        pruned=options.prune,
        skipped=skipped,
        observed=observed,
    )


def _write(
    connection: Connection, run: _Run, options: _Options, helper: DocumentHelper
) -> tuple[dict[str, TableChange], tuple[Any, Any] | None]:
    """Merge the checked rows (on PostgreSQL, with `helper` building search tables beside
    the load), refresh the name keys and record the files read; with an observer, what it saw
    before and after."""
    observe = options.observe
    before = observe(connection) if observe is not None else None
    options.progress(run.progress("writing"))
    merger = Merger(connection, options.prune, run.plan.skipped_rows, run.counts(), helper=helper)
    changes = merger.run()
    refresh_names(connection, pruned=options.prune)
    record_files(connection, run.plan, run.stage.rows_per_file(), run.seeds)
    # Last: the helper builds the last search tables while the load writes its bookkeeping.
    merger.write_documents()
    observed = (before, observe(connection)) if observe is not None else None
    run.stage.drop()
    options.progress(run.progress("done"))
    return changes, observed


@dataclass
class _Counter:
    """Progress of the read: bytes of finished files, records, files."""

    bytes_total: int
    bytes_done: int = 0
    records: int = 0
    files_done: int = 0
    current: str | None = None


class _Run:
    """One pass over the data files: plan, stream, ground, stage and cross-check."""

    def __init__(
        self,
        connection: Connection,
        files: list[Path],
        seeds: Path,
        problems: Problems,
        *,
        prune: bool,
        reread: bool = False,
        remember: bool = True,
        jobs: int | None = None,
        workers: Workers | None = None,
    ) -> None:
        self.connection = connection
        self.files = files
        self.seeds = seeds
        self.jobs = jobs
        self.problems = problems
        self.prune = prune
        self.workers = workers
        if workers is not None and jobs != 1 and (reread or self._nothing_loaded()):
            self._start_workers(workers)
        self.plan: FilePlan = plan_files(connection, files, seeds, reread=reread, remember=remember)
        self.stage = Stage(connection)
        self.grounder = Grounder(
            connection,
            self.stage,
            seeds,
            problems,
            database_sources=self._skipped_sources(),
            prune=prune,
        )
        self.counter = _Counter(self.plan.bytes_to_read)

    def _nothing_loaded(self) -> bool:
        """Whether no file was loaded into the database yet (so that every file is read)."""
        return self.connection.exec_driver_sql("SELECT 1 FROM _kb_files LIMIT 1").first() is None

    def _start_workers(self, workers: Workers) -> None:
        """Start the workers a read of every file will use, before the files are planned."""
        jobs = self.jobs
        if jobs is None:
            jobs = default_jobs(bytes_up_to(PARALLEL_MIN_BYTES, self.files))
        if jobs > 1:
            workers.start(jobs, self.seeds, self.prune)

    def _skipped_sources(self) -> set[str]:
        """Slugs of the sources that skipped files define: their texts are final."""
        if not self.plan.skipped:
            return set()
        from sqlalchemy import text

        rows = self.connection.execute(
            text(
                "SELECT k.slug FROM _kb_records k JOIN kb_skipped_files f "
                "ON f.file_id = k.file_id WHERE k.tablename = 'sources'"
            )
        )
        return {row[0] for row in rows}

    def progress(self, phase: str) -> Progress:
        """Where the run is now."""
        counter = self.counter
        return Progress(
            phase,
            counter.bytes_done,
            counter.bytes_total,
            counter.records,
            counter.files_done,
            len(self.files),
            counter.current,
        )

    def read(self, progress: ProgressCallback) -> None:
        """Stream every file that is not skipped into the stage, then cross-check."""
        shown = [display_path(file) for file in self.files]
        jobs = self.jobs if self.jobs is not None else default_jobs(self.counter.bytes_total)
        if jobs > 1:
            self._read_in_workers(jobs, shown, progress)
        else:
            self._read_here(shown, progress)
        counter = self.counter
        counter.files_done, counter.current = len(self.files), None
        progress(self.progress("reading"))
        self.grounder.finish()
        self.stage.index()  # after the last rows are in (see Stage._index_keys)
        CrossCheck(
            self.connection,
            shown,
            self.problems,
            prune=self.prune,
            skipped=bool(self.plan.skipped),
            distinct=frozenset(self.stage.distinct),
        ).run()

    def _read_here(self, shown: list[str], progress: ProgressCallback) -> None:
        """Read, check, ground and stage the files one record at a time, in this process."""
        counter = self.counter
        for index, file in enumerate(self.files):
            counter.files_done = index
            if index in self.plan.skipped:
                continue
            counter.current = shown[index]
            progress(self.progress("reading"))
            for raw in read_file(file, self.problems):
                self.grounder.add(check_record(raw, self.problems), index)
                counter.records += 1
                if counter.records % PROGRESS_EVERY == 0:
                    progress(self.progress("reading"))
            counter.bytes_done += size(file)

    def _read_in_workers(self, jobs: int, shown: list[str], progress: ProgressCallback) -> None:
        """Read, check and ground the files in worker processes; stage their rows in order."""
        counter = self.counter

        def done(task: Task, records: int) -> None:
            last = task[-1]
            counter.bytes_done += sum(piece.size for piece in task)
            counter.records += records
            counter.files_done = last.file + (last.part.end is None)
            counter.current = shown[last.file]
            progress(self.progress("reading"))

        work = tasks(self.files, self.plan.skipped)
        started = self.workers.take(jobs) if self.workers is not None else None
        read_in_workers(jobs, self.grounder, self.problems, self.seeds, work, done, started)

    def counts(self) -> dict[str, int]:
        """Rows staged per table: records per type, roles and participants included."""
        return {name: self.stage.count(name) for name in TABLES}


@contextmanager
def _scratch() -> Iterator[Engine]:
    """An engine on a new SQLite file in a temporary directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="kb-") as directory:
        engine = make_engine(f"sqlite:///{Path(directory) / 'scratch.sqlite3'}")
        try:
            yield engine
        finally:
            engine.dispose()


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
