"""Loading with worker processes gives exactly what loading in one process gives.

A load with `jobs` > 1 reads, checks and grounds its files in worker processes and stages
their rows in file order (kb.loader.parallel). Whatever the layout of the collection, the
database it writes, or the problems it reports, must be those of the same load with jobs=1.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.dumps import dump
from helpers.files import write
from helpers.processes import run_benchmark
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

import kb.loader.api
import kb.loader.jsonl
import kb.loader.parallel
from kb.db import driver_execute, make_engine, writing
from kb.errors import KbError
from kb.loader import load, validate
from kb.loader.checking import Record
from kb.loader.jsonl import WHOLE, Part
from kb.loader.parallel import Workers, bytes_up_to, default_jobs, split
from kb.loader.problems import LoadError, Problems
from kb.loader.progress import Progress
from kb.loader.raw import RawRecord
from kb.loader.reading import read_file
from kb.loader.staging import Stage, staged_columns
from kb.loader.stream import SLUGS_PER_QUERY, Grounder


@pytest.fixture
def small_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Parts and tasks of a few kilobytes, so that small collections make many of each."""
    monkeypatch.setattr(kb.loader.parallel, "PART_BYTES", 3_000)
    monkeypatch.setattr(kb.loader.parallel, "TASK_BYTES", 2_000)
    monkeypatch.setattr(kb.loader.parallel, "RESEND_AT", 1)


@pytest.fixture
def two_sqlite(tmp_path: Path, migrated_template: Path) -> tuple[str, str]:
    """URLs of two fresh, migrated, empty SQLite files (for layouts one backend shows)."""
    urls = []
    for name in ("one", "two"):
        urls.append(f"sqlite:///{shutil.copy(migrated_template, tmp_path / f'{name}.sqlite3')}")
    return urls[0], urls[1]


def generate(out: Path, facts: int, *options: str) -> Path:
    """A generated collection's data directory (benchmarks/generate.py)."""
    done = run_benchmark("generate.py", out, "--facts", str(facts), *options)
    assert done.returncode == 0, done.stderr
    return out / "seeds_data"


def load_both(data: Path, url: str, other_url: str, **options: Any) -> tuple[Any, Any]:
    """Load `data` with jobs=1 into one database and jobs=2 into the other; both outcomes
    (the report as a dict, or the LoadError's text). The second load must really have used
    worker processes, and the first none."""
    outcomes = []
    for jobs, target in ((1, url), (2, other_url)):
        workers: set[int | None] = set()
        watch = _watcher(workers)
        engine = make_engine(target)
        try:
            outcomes.append(load(engine, data, jobs=jobs, progress=watch, **options).to_dict())
        except LoadError as error:
            outcomes.append(str(error))
        finally:
            engine.dispose()
        assert len(workers) == (0 if jobs == 1 else 2), workers
    return outcomes[0], outcomes[1]


def _watcher(workers: set[int | None]) -> Callable[[Progress], None]:
    """A progress callback noting the worker processes alive while the load runs."""

    def watch(_: Progress) -> None:
        workers.update(child.pid for child in multiprocessing.active_children())

    return watch


def assert_same_load(data: Path, url: str, other_url: str, **options: Any) -> Any:
    """Both loads report the same and leave the same database; the report."""
    serial, parallel = load_both(data, url, other_url, **options)
    assert parallel == serial
    assert dump(other_url) == dump(url)
    return serial


# Whole loads, one process against two ----------------------------------------------------


def test_split_collection_loads_the_same(
    tmp_path: Path, empty_db: str, other_empty_db: str, small_tasks: None
) -> None:
    """Documents over several files, people and roles after them (forward references)."""
    data = generate(tmp_path, 400, "--files", "5")
    report = assert_same_load(data, empty_db, other_empty_db)
    assert report["tables"]["quotes"]["inserted"] > 100


def test_one_large_file_in_parts_loads_the_same(
    tmp_path: Path, empty_db: str, other_empty_db: str, small_tasks: None
) -> None:
    """One JSON Lines file of facts, read in parts cut at line starts."""
    data = generate(tmp_path, 300)
    facts = data / "facts.jsonl"
    assert len(list(split(facts, kb.loader.parallel.PART_BYTES))) > 10
    assert_same_load(data, empty_db, other_empty_db)


def test_facts_before_their_sources_load_the_same(
    tmp_path: Path, two_sqlite: tuple[str, str], small_tasks: None
) -> None:
    """Facts that come before their source wait until the end, in both ways of loading."""
    data = generate(tmp_path, 200, "--files", "3")
    for file in (data / "docs").iterdir():
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        file.write_text("".join(reversed(lines)), encoding="utf-8")
    assert_same_load(data, *two_sqlite)


@pytest.mark.parametrize("resend_chars", [0, kb.loader.parallel.RESEND_CHARS], ids=["one", "many"])
def test_facts_citing_earlier_files_are_grounded_by_workers(
    tmp_path: Path,
    empty_db: str,
    other_empty_db: str,
    small_tasks: None,
    monkeypatch: pytest.MonkeyPatch,
    resend_chars: int,
) -> None:
    """Every source in a first file, the facts in later ones: each task of facts comes back
    ungrounded, is sent again with the texts of the sources it cites, and loads the same,
    whether later tasks go again along with the first (within RESEND_CHARS) or not."""
    monkeypatch.setattr(kb.loader.parallel, "RESEND_CHARS", resend_chars)
    data = generate(tmp_path, 300, "--files", "4")
    sources = []
    for file in sorted((data / "docs").iterdir()):
        lines = file.read_text(encoding="utf-8").splitlines(keepends=True)
        sources += [line for line in lines if '"type": "source"' in line]
        file.write_text("".join(line for line in lines if line not in sources), encoding="utf-8")
    write(data / "a_sources.jsonl", "".join(sources))
    sent: list[int] = []
    order: list[str] = []  # "sent" again, "staged": in the order they happen
    known_texts = kb.loader.parallel._known_texts

    def counted(*args: Any) -> Any:
        known = known_texts(*args)
        if known is not None:
            sent.append(len(known))
            order.append("sent")
        return known

    left: list[int] = []  # records each staged result still left to the loading process
    stage = kb.loader.parallel._stage

    def staged(task: Any, result: Any, *args: Any) -> int:
        left.append(sum(kind == kb.loader.parallel.RECORD for kind, *_ in result.events))
        order.append("staged")
        return stage(task, result, *args)

    monkeypatch.setattr(kb.loader.parallel, "_known_texts", counted)
    monkeypatch.setattr(kb.loader.parallel, "_stage", staged)
    report = assert_same_load(data, empty_db, other_empty_db)
    assert report["tables"]["figures"]["inserted"] > 50
    assert len(sent) >= 4
    assert sum(sent) >= 17  # the documents' texts went to the workers
    # The workers grounded the facts: only figures whose quote is in another task come back.
    assert sum(left) < report["tables"]["quotes"]["inserted"] // 2
    if resend_chars == 0:
        # No room for texts beyond the first task's: one task goes again at a time.
        assert not any(a == b == "sent" for a, b in pairwise(order))


def test_yaml_and_json_lines_load_the_same(
    tmp_path: Path, two_sqlite: tuple[str, str], small_tasks: None
) -> None:
    """YAML files are read whole by a worker, like small JSON Lines files."""
    data = generate(tmp_path, 120, "--format", "yaml")
    assert any(p.suffix == ".yaml" for p in data.rglob("*"))
    assert_same_load(data, *two_sqlite)


def test_problems_are_the_same(
    tmp_path: Path, empty_db: str, other_empty_db: str, small_tasks: None
) -> None:
    """A collection with problems of every stage: the same problems, in the same order, and
    neither database is touched."""
    data = generate(tmp_path, 300, "--files", "4")
    docs = sorted((data / "docs").iterdir())
    _edit_records(docs[0], _break_first_quote)
    _edit_records(docs[1], _break_a_date)
    _edit_records(docs[2], _unknown_speaker)
    before = dump(empty_db)
    serial, parallel = load_both(data, empty_db, other_empty_db)
    assert isinstance(serial, str)
    assert "not found in source" in serial
    assert "is not a date" in serial or "date" in serial
    assert parallel == serial
    assert dump(empty_db) == before
    assert dump(other_empty_db) == before


def test_a_source_defined_twice_is_reported_the_same(
    tmp_path: Path, two_sqlite: tuple[str, str], small_tasks: None
) -> None:
    """A later file redefining an earlier source (with another text) is read by the loading
    process, so the first definition grounds its facts, as without workers."""
    data = generate(tmp_path, 200, "--files", "3")
    docs = sorted((data / "docs").iterdir())
    first = json.loads(docs[0].read_text(encoding="utf-8").splitlines()[0])
    assert first["type"] == "source"
    second_lines = docs[1].read_text(encoding="utf-8").splitlines(keepends=True)
    moved = json.loads(second_lines[0])
    # The second file's first source takes the first file's slug: its facts now cite a
    # source whose first definition has another text.
    old_slug = moved["slug"]
    text = "".join(second_lines).replace(f'"{old_slug}"', f'"{first["slug"]}"')
    docs[1].write_text(text, encoding="utf-8")
    serial, parallel = load_both(data, *two_sqlite)
    assert isinstance(serial, str)
    assert "defined twice" in serial or "twice" in serial
    assert "not found in source" in serial
    assert parallel == serial


def test_validate_with_workers(tmp_path: Path, small_tasks: None) -> None:
    """`validate` uses the workers too, and counts the same."""
    data = generate(tmp_path, 300, "--files", "4")
    assert validate(data, jobs=2).to_dict() == validate(data, jobs=1).to_dict()


def test_a_reload_with_workers_skips_unchanged_files(
    tmp_path: Path, empty_sqlite: Path, small_tasks: None
) -> None:
    """Skipped files are not sent to workers; one edited file is read again."""
    data = generate(tmp_path, 300, "--files", "4")
    engine = make_engine(f"sqlite:///{empty_sqlite}")
    load(engine, data, jobs=2)
    docs = sorted((data / "docs").iterdir())
    lines = docs[2].read_text(encoding="utf-8").splitlines(keepends=True)
    quote_line = next(i for i, line in enumerate(lines) if '"type": "quote"' in line)
    record = json.loads(lines[quote_line])
    record["kind"] = "partial" if record.get("kind") != "partial" else "direct"
    lines[quote_line] = json.dumps(record, ensure_ascii=False) + "\n"
    docs[2].write_text("".join(lines), encoding="utf-8")
    report = load(engine, data, jobs=2)
    engine.dispose()
    assert [str(path) for path in report.skipped] == [
        str(p) for p in sorted(data.rglob("*.jsonl")) if p != docs[2]
    ]
    assert report.to_dict()["tables"]["quotes"]["updated"] == 1


def test_a_load_that_reads_every_file_starts_its_workers_before_planning(
    tmp_path: Path, empty_sqlite: Path, small_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker takes half a second to start: a load that will read every file (nothing is
    loaded yet, or --reread) starts workers before it hashes and plans the files, on the CPUs
    that planning leaves idle, and reads with those; a reload that may skip files does not.
    Every worker has stopped once the load ends."""
    data = generate(tmp_path, 300, "--files", "4")
    alive: list[int] = []
    plan_files = kb.loader.api.plan_files

    def plan(*args: Any, **kwargs: Any) -> Any:
        alive.append(len(multiprocessing.active_children()))
        return plan_files(*args, **kwargs)

    monkeypatch.setattr(kb.loader.api, "plan_files", plan)
    engine = make_engine(f"sqlite:///{empty_sqlite}")
    first = load(engine, data, jobs=2).to_dict()
    assert not multiprocessing.active_children()
    load(engine, data, jobs=2)
    reread = load(engine, data, jobs=2, reread=True).to_dict()
    engine.dispose()
    # As many as the CPUs the planning leaves idle (one at least), before planning.
    early = min(2, max(1, kb.loader.parallel.available_cpus() - 1))
    assert alive == [early, 0, early]
    assert not multiprocessing.active_children()
    assert first["tables"]["quotes"]["inserted"] > 0
    assert reread["tables"]["quotes"]["unchanged"] == first["tables"]["quotes"]["inserted"]


def test_workers_started_early_stop_when_the_load_fails_before_reading(
    tmp_path: Path, empty_sqlite: Path, small_tasks: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers started before planning stop when the load fails before it reads: none is
    left running, and the database is as it was."""
    data = generate(tmp_path, 300, "--files", "4")
    url = f"sqlite:///{empty_sqlite}"
    before = dump(url)

    def plan(*args: Any, **kwargs: Any) -> Any:
        assert multiprocessing.active_children()  # started, and about to be stopped
        raise KbError("cannot plan")

    monkeypatch.setattr(kb.loader.api, "plan_files", plan)
    engine = make_engine(url)
    with pytest.raises(KbError, match="cannot plan"):
        load(engine, data, jobs=2)
    engine.dispose()
    assert not multiprocessing.active_children()
    assert dump(url) == before


def test_workers_started_for_another_count_are_stopped_not_used(tmp_path: Path) -> None:
    """Workers started early for one count of jobs are not the read's when the plan asks for
    another: they stop, and the read makes its own."""
    with Workers() as workers:
        workers.start(2, tmp_path, prune=False)
        assert multiprocessing.active_children()
        assert workers.take(3) is None
        assert not multiprocessing.active_children()
        assert workers.take(2) is None  # taken once


@pytest.mark.parametrize("prune", [False, True], ids=["load", "prune"])
def test_texts_for_a_resend_are_those_grounding_would_use(
    seeded_db: str, tmp_path: Path, prune: bool
) -> None:
    """source_texts(), which fetches a resend's texts in a few queries (and source_text(), one
    of them), gives the first staged definition's text (None when it had none), else the
    stored one (None when pruning, or when there is no such source)."""
    engine = make_engine(seeded_db)
    columns = staged_columns("sources")

    def row(slug: str, text: str | None) -> tuple[Any, ...]:
        values = {"_file": 0, "_line": 1, "_label": slug, "slug": slug, "text": text}
        return tuple(values.get(column) for column in columns)

    with writing(engine, commit=False) as connection:
        stored, stored_text = connection.exec_driver_sql("SELECT slug, text FROM sources").first()
        stage = Stage(connection)
        grounder = Grounder(
            connection, stage, tmp_path, Problems(), database_sources=set(), prune=prune
        )
        rows = [row("twice", "first"), row("none", None), row("twice", "second")]
        grounder.staged("sources", rows)
        slugs = {"twice", "none", stored, "unknown"}
        expected = {
            "twice": "first",
            "none": None,
            stored: None if prune else stored_text,
            "unknown": None,
        }
        assert grounder.source_texts(slugs) == expected
        assert {slug: grounder.source_text(slug) for slug in slugs} == expected
    engine.dispose()
    assert expected["twice"] == "first"
    assert (expected[stored] is None) == prune


def test_a_bulk_look_up_of_staged_texts_knows_how_few_rows_it_wants(
    seeded_db: str, tmp_path: Path
) -> None:
    """Texts fetched for a resend, 500 slugs a query: on PostgreSQL the staged sources are
    analyzed first (once). Without statistics the planner expects every row to match and
    scans them all for each query (at a million facts: 56 scans, 2.2 s); with them it
    expects 500 and, on a table of that size, reads them by the index."""
    engine = make_engine(seeded_db)
    columns = staged_columns("sources")
    slugs = [f"source-{number}" for number in range(20_000)]
    rows = [
        tuple({"_file": 0, "_line": 1, "_label": s, "slug": s, "text": s}.get(c) for c in columns)
        for s in slugs
    ]
    wanted = slugs[::37][:SLUGS_PER_QUERY]
    marks = ", ".join("?" * len(wanted))
    query = f"EXPLAIN SELECT slug, text FROM kb_stage_sources WHERE slug IN ({marks})"

    def expected_rows(connection: Any, query: str = query, slugs: list[str] = wanted) -> int:
        plan = driver_execute(connection, query, slugs).fetchall()
        return int(re.findall(r"rows=(\d+)", str(plan[0][0]))[0])

    analyzed: list[str] = []

    def note_analyze(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("ANALYZE"):
            analyzed.append(statement)

    event.listen(engine, "before_cursor_execute", note_analyze)
    with writing(engine, commit=False) as connection:
        stage = Stage(connection)
        grounder = Grounder(
            connection, stage, tmp_path, Problems(), database_sources=set(), prune=False
        )
        grounder.staged("sources", rows)
        postgresql = connection.dialect.name == "postgresql"
        if postgresql:
            stage.flush("sources")
            every_row = expected_rows(connection, "EXPLAIN SELECT * FROM kb_stage_sources", [])
            assert expected_rows(connection) > every_row // 2  # most of them, if not all
        assert grounder.source_texts(set(wanted)) == {slug: slug for slug in wanted}
        if postgresql:
            assert expected_rows(connection) == len(wanted)
        assert stage.analyzed == ({"sources"} if postgresql else set())
        grounder.source_texts(set(slugs[:SLUGS_PER_QUERY]))
        # Analyzed once per load, before the first bulk look-up.
        assert analyzed == (["ANALYZE kb_stage_sources"] if postgresql else [])
    engine.dispose()


# A worker that dies ------------------------------------------------------------------------


@pytest.mark.parametrize("noticed", [False, True], ids=["at-once", "noticed"])
def test_a_worker_killed_is_a_clear_error_and_nothing_is_written(
    tmp_path: Path, empty_sqlite: Path, small_tasks: None, noticed: bool
) -> None:
    """When a worker dies (killed, out of memory), the load stops with a message saying what
    happened and what to do, and the database is as it was: whether the death shows in a
    task's result or (once the pool has noticed it) in sending the next task."""
    data = generate(tmp_path, 400, "--files", "8")
    url = f"sqlite:///{empty_sqlite}"
    before = dump(url)

    def kill_workers(progress: Progress) -> None:
        children = multiprocessing.active_children()
        for child in children:
            os.kill(child.pid, signal.SIGKILL)  # type: ignore[arg-type]
        if noticed and children:
            time.sleep(1)  # the pool's own thread sees the dead worker and marks it broken

    engine = make_engine(url)
    with pytest.raises(KbError) as raised:
        load(engine, data, jobs=2, progress=kill_workers)
    engine.dispose()
    message = str(raised.value)
    assert "worker process" in message
    assert "Nothing was written" in message
    assert "--jobs 1" in message
    assert dump(url) == before


# How many workers ------------------------------------------------------------------------


def test_small_loads_use_no_workers() -> None:
    """Starting workers costs about half a second: below PARALLEL_MIN_BYTES, none."""
    assert default_jobs(0) == 1
    assert default_jobs(kb.loader.parallel.PARALLEL_MIN_BYTES - 1) == 1
    big = default_jobs(kb.loader.parallel.PARALLEL_MIN_BYTES)
    assert 1 <= big <= kb.loader.parallel.MAX_JOBS
    assert big == min(kb.loader.parallel.available_cpus(), kb.loader.parallel.MAX_JOBS)


def test_the_bytes_to_choose_workers_by_are_counted_up_to_the_limit(tmp_path: Path) -> None:
    """bytes_up_to() stops at the first file that reaches the limit (a stat per file costs
    a first load's start 40-70 ms at 10,000 files); a file it cannot stat counts 0."""
    files = [write(tmp_path / f"{n}.jsonl", "x" * 10) for n in range(5)]
    assert bytes_up_to(100, files) == 50
    assert bytes_up_to(25, files) == 30
    files[2].unlink()
    assert bytes_up_to(100, files) == 40
    assert bytes_up_to(25, [files[0], files[2], *files[3:]]) == 30


def test_cli_jobs_option(tmp_path: Path, kb: Callable[..., Result], small_tasks: None) -> None:
    """`kb load --jobs N` and `kb validate --jobs N`; N must be at least 1."""
    data = generate(tmp_path, 200, "--files", "3")
    db = tmp_path / "kb.sqlite3"
    loaded = kb("load", str(data), "--jobs", "2", "--quiet", db=db)
    assert loaded.exit_code == 0, loaded.output
    assert kb("validate", str(data), "--jobs", "2").exit_code == 0
    refused = kb("load", str(data), "--jobs", "0", db=db)
    assert refused.exit_code == 2
    assert "--jobs" in refused.output
    assert "kb load --jobs 2" in kb("load", "--help").output


# Parts of a JSON Lines file ----------------------------------------------------------------

_LINE = st.one_of(
    st.just(b""),
    st.just(b"   "),
    st.just(b'{"type": "party", "slug": "p", "name": "P", "kind": "country"}'),
    st.just(b'{"type": "party", "slug": "p", "slug": "q"}'),
    st.just(b"{not json"),
    st.just(b"\xff\xfe not utf-8"),
    st.just(b"x" * 300),  # past the (lowered) line limit
    st.binary(max_size=40).filter(lambda b: b"\n" not in b),
)


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.tuples(_LINE, st.sampled_from([b"\n", b"\r\n"])), max_size=25),
    last_newline=st.booleans(),
    part_bytes=st.integers(min_value=1, max_value=400),
)
def test_parts_read_as_the_whole_file(
    tmp_path_factory: pytest.TempPathFactory,
    lines: list[tuple[bytes, bytes]],
    last_newline: bool,
    part_bytes: int,
) -> None:
    """Parts cover the file, begin at line starts with the right line number, and reading
    them one after another gives the records and problems of reading the file whole."""
    content = b"".join(line + end for line, end in lines)
    if lines and not last_newline:
        content = content[: -len(lines[-1][1])]
    path = tmp_path_factory.mktemp("parts") / "data.jsonl"
    path.write_bytes(content)
    parts = list(split(path, part_bytes))
    assert parts[0].start == 0
    for before, after in pairwise(parts):
        assert before.end == after.start
        assert content[after.start - 1 : after.start] == b"\n"
        assert after.first_line == content[: after.start].count(b"\n") + 1
    assert parts[-1].end in (None, len(content))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kb.loader.jsonl, "MAX_LINE_BYTES", 200)
        assert _read_parts(path, parts) == _read_parts(path, [WHOLE])


def test_parts_of_a_long_line_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A line past the limit is skipped in chunks without running into the next part."""
    monkeypatch.setattr(kb.loader.jsonl, "MAX_LINE_BYTES", 100)
    monkeypatch.setattr(kb.loader.jsonl, "_SKIP_CHUNK", 7)
    good = '{"type": "party", "slug": "p%d", "name": "P", "kind": "country"}\n'
    content = good % 1 + "y" * 1_000 + "\n" + "".join(good % i for i in range(2, 40))
    path = write(tmp_path / "long.jsonl", content)
    for part_bytes in (1, 50, 500, 1_100, 5_000):
        parts = list(split(path, part_bytes))
        assert _read_parts(path, parts) == _read_parts(path, [WHOLE])


def _read_parts(path: Path, parts: list[Part]) -> tuple[list[Any], list[str]]:
    """The records (type, line, data) and problems of reading `parts` in turn."""
    problems = Problems(limit=10_000)
    records = [
        (raw.type, raw.line, raw.data) for part in parts for raw in read_file(path, problems, part)
    ]
    return records, [str(problem) for problem in problems.kept]


# Editing generated records ---------------------------------------------------------------


def _edit_records(path: Path, change: Callable[[dict[str, Any]], bool]) -> None:
    """Apply `change` to the records of a JSON Lines file until it says it changed one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        record = json.loads(line)
        if change(record):
            lines[i] = json.dumps(record, ensure_ascii=False)
            break
    else:
        raise AssertionError(f"nothing to change in {path}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _break_first_quote(record: dict[str, Any]) -> bool:
    if record["type"] != "quote":
        return False
    record["text"] = "words that are in no source at all"
    return True


def _break_a_date(record: dict[str, Any]) -> bool:
    if record["type"] != "event":
        return False
    record["date"] = "2024-02-30"
    return True


def _unknown_speaker(record: dict[str, Any]) -> bool:
    if record["type"] != "quote":
        return False
    record["speaker"] = "nobody-at-all"
    return True


@pytest.mark.parametrize("may_hold_invalid", [True, False])
def test_a_record_crosses_to_the_loading_process_whole(may_hold_invalid: bool) -> None:
    # Records a worker sends back pickle by their fields (Record.__reduce__): all of them.
    data = {"slug": "berg", "roles": [{"source": "s1", "evidence": "Berg"}]}
    raw = RawRecord("person", "people.yaml", 7, 3, data, {"roles[0].source": 9}, may_hold_invalid)
    record = Record(raw, {"slug": "berg", "roles": [{"_given": {"source"}}]})
    back = pickle.loads(pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL))
    assert back == record
    assert (back.type, back.raw.lines, back.raw.may_hold_invalid) == (
        "person",
        {"roles[0].source": 9},
        may_hold_invalid,
    )
