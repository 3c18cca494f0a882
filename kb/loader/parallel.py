"""Read, check and ground data files in worker processes; stage their rows in file order.

Most of a large load's time is Python work per record: decoding, checking, finding each
passage in its source text. Worker processes do that work a task at a time: about a megabyte of
consecutive small files, or a part of a large JSON Lines file. The loading process stages what
they send back in load order, so the staged rows, the problems found and their order are those
of a load without workers.

A worker grounds what its task can ground alone: records whose sources (and, for a figure,
whose quote) come earlier in the same task. A task that sends back many records citing sources
of earlier tasks is sent again with those sources' texts (as the loading process knows them,
so readiness is the same). Any other record a worker sends back checked but not grounded, and
the loading process grounds it exactly as it would without workers
(kb.loader.stream.Grounder), deferring it when it must wait. A task that defines a source
already defined earlier in the load is read again by the loading process, so that, as without
workers, the first definition is the one used. (A quote slug defined twice is reported as a
duplicate either way, but a figure naming it may then be checked against its own task's
definition rather than the first: the load fails on the duplicate in both cases.)
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NamedTuple, cast

from kb.errors import KbError
from kb.loader.checking import Record, check_record
from kb.loader.fingerprints import size
from kb.loader.grounding import Text
from kb.loader.jsonl import WHOLE, Part
from kb.loader.problems import Problem, Problems
from kb.loader.reading import is_jsonl, read_file
from kb.loader.spec import TABLES
from kb.loader.staging import row_fields
from kb.loader.stream import Grounder, Grounding, cited_quote, cited_sources
from kb.loader.texts import SeedFiles

# Below this many bytes to read, a load does its work in its own process: starting workers
# (a fresh interpreter each, importing the loader) costs about half a second.
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
# JSON Lines files larger than this are read in parts of about this size, cut at line starts.
PART_BYTES = 1024 * 1024
# Smaller files go to a worker together, about this many bytes at a time: each task sent costs
# the loading process a little, whatever its size.
TASK_BYTES = 1024 * 1024
# More workers than this gain little: the loading process stages every row itself.
MAX_JOBS = 8
# A task whose worker sent back at least this many records that cite sources of earlier tasks
# (people whose roles cite the documents, say) is sent again with those sources' texts, for the
# worker to ground them: fewer, and the loading process grounds them itself.
RESEND_AT = 64
# Characters of source texts sent along with the tasks sent again at one time, at most (about
# as many bytes: the texts wait in kb's process until a worker takes their task).
RESEND_CHARS = 32 * 1024 * 1024
# Tasks sent ahead per worker: enough to keep every worker busy, few enough that results
# waiting for their turn stay small.
AHEAD = 4
_BLOCK = 1 << 20

# What a worker sends back besides rows, in order: a problem, or a record left to the loading
# process; each with how many rows of each table came before it.
PROBLEM, RECORD = 0, 1
Event = tuple[int, Any, int, tuple[int, ...]]
Rows = dict[str, list[tuple[Any, ...]]]
# Texts of sources by slug (None: the source has no usable text).
Texts = dict[str, str | None]


class Piece(NamedTuple):
    """A data file, or a part of one: its index in the load's list of files, path, part, and
    size in bytes."""

    file: int
    path: str
    part: Part
    size: int


# What a worker is given at a time: pieces in load order.
Task = tuple[Piece, ...]


class Result(NamedTuple):
    """What a worker made of a task: its rows per table, in order (as Stage.add_rows takes
    them); problems and records left to the loading process, in order; the slugs of the
    sources it defines; how many records it read."""

    rows: Rows
    events: list[Event]
    sources: list[str]
    records: int


def default_jobs(bytes_to_read: int) -> int:
    """Worker processes for a load of this many bytes: one per CPU, or none (1) when small."""
    if bytes_to_read < PARALLEL_MIN_BYTES:
        return 1
    return max(1, min(available_cpus(), MAX_JOBS))


def bytes_up_to(limit: int, files: list[Path]) -> int:
    """The bytes of `files`, counted until they reach `limit` (all that default_jobs() needs
    to know of a large collection: a stat per file costs 40-70 ms at 10,000 files)."""
    total = 0
    for file in files:
        total += size(file)
        if total >= limit:
            break
    return total


def available_cpus() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def tasks(files: list[Path], skipped: set[int]) -> Iterator[Task]:
    """The work of a load in tasks of about TASK_BYTES or more, in load order."""
    task: list[Piece] = []
    gathered = 0
    for piece in pieces(files, skipped):
        task.append(piece)
        gathered += piece.size
        if gathered >= TASK_BYTES:
            yield tuple(task)
            task, gathered = [], 0
    if task:
        yield tuple(task)


def pieces(files: list[Path], skipped: set[int]) -> Iterator[Piece]:
    """The files to read, in load order: whole, or in parts when large JSON Lines."""
    for index, file in enumerate(files):
        if index in skipped:
            continue
        length = size(file)
        if is_jsonl(file) and length > PART_BYTES:
            for part in split(file, PART_BYTES):
                end = length if part.end is None else part.end
                yield Piece(index, str(file), part, end - part.start)
        else:
            yield Piece(index, str(file), WHOLE, length)


def split(path: Path, part_bytes: int) -> Iterator[Part]:
    """Parts of `part_bytes` or a little more covering a file, each cut at the start of a
    line; the file is read a block at a time, counting lines."""
    start, line, newlines = 0, 1, 0  # the part's start, its first line, its line ends so far
    offset = 0  # where the block read last begins in the file
    try:
        with path.open("rb") as stream:
            while block := stream.read(_BLOCK):
                scanned = 0  # where the current part's bytes not yet counted begin, in block
                while (wanted := start + part_bytes - offset) <= len(block):
                    # The part ends after the first line end at or past its wanted size.
                    cut = block.find(b"\n", max(wanted - 1, scanned)) + 1
                    if cut == 0:
                        break
                    newlines += block.count(b"\n", scanned, cut)
                    yield Part(start, offset + cut, line)
                    start, line, newlines, scanned = offset + cut, line + newlines, 0, cut
                newlines += block.count(b"\n", scanned)
                offset += len(block)
    except OSError:
        pass  # the read of the rest reports it
    if start < offset or start == 0:
        yield Part(start, None, line)


class Workers:
    """The worker processes of a load, which may be started before its files are planned.

    A worker takes half a second to start (a fresh interpreter importing the loader). A load
    that reads every file starts workers before it hashes and plans the files, which takes
    one CPU: on the others, so that the first tasks find them ready (0.4 s sooner at a
    million facts on two CPUs; starting both workers slowed the planning as much). Used as a
    context manager: on leaving it, the workers stop, whether they read or not.
    """

    def __init__(self) -> None:
        self.jobs = 0
        self.pool: ProcessPoolExecutor | None = None

    def start(self, jobs: int, seeds_dir: Path, prune: bool) -> None:
        """A pool of `jobs` workers, as many of them started now as planning leaves CPUs
        idle (the rest start when the read sends its first tasks)."""
        self.jobs = jobs
        self.pool = _pool(jobs, seeds_dir, prune)
        # The pool starts a worker for each task sent while none is idle; a task that does
        # nothing makes one start now (a worker takes far longer to start than a send). As
        # many as the CPUs the planning leaves idle: more would slow it.
        for _ in range(min(jobs, max(1, available_cpus() - 1))):
            self.pool.submit(_started)

    def take(self, jobs: int) -> ProcessPoolExecutor | None:
        """The workers started, when there are `jobs` of them (the read then owns them)."""
        pool, self.pool = self.pool, None
        if pool is not None and self.jobs != jobs:  # the plan changed the count: a new pool
            pool.shutdown(wait=True, cancel_futures=True)
            return None
        return pool

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _pool(jobs: int, seeds_dir: Path, prune: bool) -> ProcessPoolExecutor:
    """A pool of `jobs` worker processes (started as tasks are sent)."""
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start, initargs=(str(seeds_dir), prune)
    )


def read_in_workers(
    jobs: int,
    grounder: Grounder,
    problems: Problems,
    seeds_dir: Path,
    work: Iterator[Task],
    done: Callable[[Task, int], None],
    started: ProcessPoolExecutor | None = None,
) -> None:
    """Read, check and ground every task in `jobs` workers (those `started`, if given),
    staging the results in order; `done(task, records)` hears of each task once its rows are
    staged. A worker that dies is a KbError."""
    with (
        _dead_worker_is_an_error(),
        started or _pool(jobs, seeds_dir, grounder.prune) as pool,
    ):
        # Each task sent: the task, its future, whether it was sent with known texts, and its
        # result once loaded.
        pending: deque[list[Any]] = deque()

        def send() -> None:
            task = next(work, None)
            if task is not None:
                pending.append([task, pool.submit(_ground_pickled, task), False, None])

        def result_of(entry: list[Any]) -> Result:
            # Unpickled here rather than by the pool's thread: while that thread unpickles,
            # each step of a SQLite statement here (which lets go of the GIL) waits for it.
            if entry[3] is None:
                entry[3] = pickle.loads(entry[1].result())
            return cast(Result, entry[3])

        def resend(entry: list[Any]) -> int | None:
            # Texts known now were known when the task began: sending them is always right.
            # The characters of text sent, or None when the task is not sent again.
            known = _known_texts(result_of(entry), grounder)
            if known is None:
                return None
            entry[1:] = [pool.submit(_ground_pickled, entry[0], known), True, None]
            return sum(len(text) for text in known.values() if text is not None)

        for _ in range(jobs * AHEAD):
            send()
        while pending:
            if not pending[0][2] and resend(pending[0]) is not None:
                # Later tasks already back that need texts too go along now, so that the
                # workers ground them back to back; within RESEND_CHARS of texts at a time.
                room = RESEND_CHARS
                for entry in list(pending)[1:]:
                    if room > 0 and not entry[2] and entry[1].done() and not entry[1].exception():
                        room -= resend(entry) or 0
                continue
            entry = pending.popleft()
            result = result_of(entry)
            send()
            records = _stage(entry[0], result, grounder, problems)
            done(entry[0], records)


@contextmanager
def _dead_worker_is_an_error() -> Iterator[None]:
    """Turn a worker's death into a KbError that says what to do."""
    try:
        yield
    except BrokenProcessPool as error:
        # Raised by the result of a task the dead worker held, or by sending the next task.
        raise KbError(_BROKEN) from error


def _known_texts(result: Result, grounder: Grounder) -> Texts | None:
    """The texts of the sources that records sent back cite and the loading process knows, when
    at least RESEND_AT such records would then be grounded by a worker; else None."""
    slugs: set[str] = set()
    groundable = 0
    for kind, item, _, _ in result.events:
        cited = cited_sources(item) if kind == RECORD else []
        if cited and all(grounder.known_source(slug) for slug in cited):
            slugs.update(cited)
            groundable += 1
    if groundable < RESEND_AT:
        return None
    return grounder.source_texts(slugs)


_BROKEN = (
    "A worker process reading the files stopped unexpectedly (it was killed, or ran out of "
    "memory). Nothing was written. Run the load again with --jobs 1 to read in one process; "
    'a script that calls kb.loader.load() must do so under `if __name__ == "__main__":`, '
    "because each worker imports the script that started it"
)


def _stage(task: Task, result: Result, grounder: Grounder, problems: Problems) -> int:
    """Stage a worker's result (or read the task here when it redefines a source); the
    records read."""
    if any(slug in grounder.file_sources for slug in result.sources):
        return read_here(task, grounder, problems)
    rows = result.rows
    done = dict.fromkeys(rows, 0)

    def stage_before(counts: tuple[int, ...]) -> None:
        # Rows a worker made before an event are staged before the loading process handles it.
        for table, count in zip(rows, counts, strict=True):
            if count > done[table]:
                grounder.staged(table, rows[table][done[table] : count])
                done[table] = count

    for kind, item, file, counts in result.events:
        stage_before(counts)
        if kind == PROBLEM:
            problems.add(item)
        else:
            grounder.add(item, file)
    stage_before(tuple(len(table_rows) for table_rows in rows.values()))
    return result.records


def read_here(task: Task, grounder: Grounder, problems: Problems) -> int:
    """Read, check and ground a task in this process; the records read."""
    records = 0
    for piece in task:
        for raw in read_file(Path(piece.path), problems, piece.part):
            grounder.add(check_record(raw, problems), piece.file)
            records += 1
    return records


# In a worker -------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def _start(seeds_dir: str, prune: bool) -> None:
    """Set a worker up: its view of the seeds directory; Ctrl-C is the loading process's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker["seed_files"] = SeedFiles(Path(seeds_dir))
    _worker["prune"] = prune


def _started() -> None:
    """Nothing: a task sent to make a worker start (see Workers.start)."""


def _ground_pickled(task: Task, known: Texts | None = None) -> bytes:
    """ground_task(), its result pickled (the loading process loads it when it needs it)."""
    return pickle.dumps(ground_task(task, known), protocol=pickle.HIGHEST_PROTOCOL)


def ground_task(task: Task, known: Texts | None = None) -> Result:
    """Read, check and ground one task in a worker; `known`: texts of sources defined before
    the task, which the loading process knows (see _known_texts)."""
    rows = _Rows()
    grounder = LocalGrounder(rows, _worker["seed_files"], prune=_worker["prune"], known=known)
    records = 0
    for piece in task:
        for raw in read_file(Path(piece.path), grounder.problems, piece.part):
            grounder.add(check_record(raw, grounder.problems), piece.file)
            records += 1
    return Result(rows.rows, rows.events, list(grounder.file_sources), records)


class _Rows:
    """A worker's rows per table, whole (meta and fields in staging order), and its events."""

    def __init__(self) -> None:
        self.rows: Rows = {name: [] for name in TABLES}
        self.fields = row_fields()
        self.events: list[Event] = []

    def add(self, table: str, meta: tuple[Any, ...], values: dict[str, Any]) -> None:
        """Keep a row of `table`."""
        self.rows[table].append((*meta, *self.fields[table](values)))

    def event(self, kind: int, item: Any, file: int) -> None:
        """Keep a problem or a record (of a file), after the rows made so far."""
        counts = tuple(len(rows) for rows in self.rows.values())
        self.events.append((kind, item, file, counts))


class _Problems(Problems):
    """A worker's problems, as events, all of them (the loading process keeps the first)."""

    def __init__(self, rows: _Rows) -> None:
        super().__init__(limit=sys.maxsize)
        self.rows = rows

    def add(self, problem: Problem) -> None:
        """Keep a problem."""
        self.rows.event(PROBLEM, problem, -1)


class LocalGrounder(Grounding):
    """Grounds the records of one task that the task alone can ground; sends the rest back."""

    def __init__(
        self, rows: _Rows, seed_files: SeedFiles, *, prune: bool, known: Texts | None
    ) -> None:
        super().__init__(rows, seed_files, _Problems(rows), prune=prune)
        self.rows = rows
        # The source of each quote of this task (first definition), grounded or not.
        self.quote_sources: dict[str, Any] = {}
        # Sources defined before the task whose texts the loading process sent along.
        self.known = set(known or ())
        for slug, text in (known or {}).items():
            self._cache(slug, Text(text) if text is not None else None)

    def add(self, record: Record, file: int) -> None:
        """Ground a record here when the task holds all it needs, else send it back."""
        self.file = file
        if record.type != "source" and not self.ready(record):
            self.rows.event(RECORD, record, file)
            return
        if record.type == "quote" and record.slug is not None:
            self.quote_sources.setdefault(record.slug, record.values["source"])
        self.handle(record)

    def ready(self, record: Record) -> bool:
        """Whether the record's sources (and a figure's quote) are in this task, in memory."""
        if any(source not in self.texts for source in cited_sources(record)):
            return False
        # A quote of this task has its source in this task too, or none that is valid.
        quote = cited_quote(record)
        return quote is None or quote in self.quotes

    def text_of(self, slug: str) -> Text | None:
        """The text of a source of this task (ready() has made sure it is in memory)."""
        self.texts.move_to_end(slug)
        return self.texts[slug]

    def _quote_row(self, slug: str) -> tuple[Any, ...] | None:
        """(source, None, None) of a quote of this task that was not grounded, as the staged
        row would give it; None when its source is not valid."""
        source = self.quote_sources[slug]
        known = isinstance(source, str) and (source in self.file_sources or source in self.known)
        return (source, None, None) if known else None
