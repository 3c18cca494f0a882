"""No filtered list command reads a whole table: every statement it runs is checked with the
database's own query planner (EXPLAIN QUERY PLAN on SQLite, EXPLAIN on PostgreSQL).

The database is a generated synthetic collection (benchmarks/generate.py) loaded by `kb load`,
big enough that a plan is a real choice. The statements are the ones the library runs, caught
as they go to the database. The query benchmark's databases are built without `kb load`
(benchmarks/benchdb.py): a test here checks that they hold the same rows.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from helpers.expected import KB_TABLES
from helpers.processes import run_benchmark
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine

from kb import queries
from kb.db import make_engine
from kb.loader import load
from kb.queries.conflicts.changes import ConflictWatch, Look
from kb.search.run import search

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
FACTS = 2000
# Parties are countries and organizations, metrics what figures measure: short lists that a
# name lookup reads whole.
READ_WHOLE = {"parties", "metrics"}
# What the plans may scan without reading a table: CTEs and subqueries (their own plans are
# checked; SQLite names one without a name `(subquery-N)`), one constant row, and full-text
# indexes searched with MATCH.
SQLITE_SCAN = re.compile(r"SCAN (?!\(subquery-\d+\))(?P<name>\S+)(?P<rest>.*)")
PG_SCAN = re.compile(r"Seq Scan on (?P<name>\w+)")
# The names of CTEs (`WITH name AS (`, `, name(a, b) AS MATERIALIZED (`) and of subqueries
# (`) AS name`).
DERIVED = re.compile(
    r"(?:WITH(?: RECURSIVE)?|,)\s*(\w+)(?:\([^)]*\))?\s+AS(?:\s+MATERIALIZED)?\s*\(|\)\s+AS\s+(\w+)"
)
# A full-text index searched with MATCH (M; '=' or '>' add a rowid bound): "0:=M1", "192:M2".
FTS_MATCH = re.compile(r" VIRTUAL TABLE INDEX \d+:[^M\s]*M")

Statement = tuple[str, Any]


@pytest.fixture(scope="session")
def collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data directory of a generated collection of FACTS facts."""
    out = tmp_path_factory.mktemp("plans")
    done = run_benchmark("generate.py", out, "--facts", str(FACTS))
    assert done.returncode == 0, done.stderr
    return out / "seeds_data"


@pytest.fixture
def loaded(
    backend: str, collection: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """An engine on a new database holding the generated collection, on `backend`."""
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
        load(engine, collection)
        yield engine
        engine.dispose()
        return
    server = request.getfixturevalue("postgres")
    name = server.prefix + "plans"
    engine = make_engine(server.create(name))
    load(engine, collection)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    yield engine
    engine.dispose()
    server.drop(name)


def statements_of(engine: Engine, call: Callable[[Connection], Any]) -> list[Statement]:
    """The SELECT statements (with their parameters) that `call` runs on `engine`."""
    caught: list[Statement] = []

    def catch(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            caught.append((sql, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        with engine.connect() as connection:
            call(connection)
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    return caught


def names(engine: Engine) -> dict[str, str]:
    """A person's slug and name, a party's slug and name, read from the database."""
    with engine.connect() as connection:
        person = connection.execute(text("SELECT slug, name FROM people ORDER BY id")).first()
        party = connection.execute(text("SELECT slug, name FROM parties ORDER BY id")).first()
        metric = connection.execute(text("SELECT slug FROM metrics ORDER BY id")).scalar()
    assert person is not None and party is not None and metric is not None
    return {"person": person.slug, "person_name": person.name, "party": party.slug,
            "party_name": party.name, "metric": metric}  # fmt: skip


def commands(found: dict[str, str]) -> dict[str, Callable[[Connection], Any]]:
    """The filtered list commands (and search), each with and without a limit."""
    calls: dict[str, Callable[[Connection], Any]] = {}
    for limit in (None, 20):
        calls |= {
            f"quotes --by slug, limit {limit}": lambda c, n=limit: queries.quotes(
                c, by=found["person"], limit=n
            ),
            f"quotes --by name, limit {limit}": lambda c, n=limit: queries.quotes(
                c, by=found["person_name"], limit=n
            ),
            f"figures --subject, limit {limit}": lambda c, n=limit: queries.figures(
                c, subject=found["party"], limit=n
            ),
            f"figures --subject name, limit {limit}": lambda c, n=limit: queries.figures(
                c, subject=found["party_name"], limit=n
            ),
            f"figures --subject --metric, limit {limit}": lambda c, n=limit: queries.figures(
                c, subject=found["party"], metric=found["metric"], limit=n
            ),
            f"figures --metric, limit {limit}": lambda c, n=limit: queries.figures(
                c, metric=found["metric"], limit=n
            ),
            f"events --from --to, limit {limit}": lambda c, n=limit: queries.events(
                c, date_from="2001-03", date_to="2003", limit=n
            ),
            f"events --from, limit {limit}": lambda c, n=limit: queries.events(
                c, date_from="2015-06-01", limit=n
            ),
            f"events --to, limit {limit}": lambda c, n=limit: queries.events(
                c, date_to="1995", limit=n
            ),
        }
    calls["search"] = lambda c: search(c, "hydrogen")
    calls["search, a common word"] = lambda c: search(c, "and")
    return calls


def plan_lines(engine: Engine, sql: str, parameters: Any) -> list[str]:
    """The lines of the database's plan of `sql` (PostgreSQL: with sequential scans off, as
    small tables make them the right choice: the plan then shows which indexes serve)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
            return [row[3] for row in plan]
        connection.execute(text("SET enable_seqscan = off"))
        return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)]


def whole_table_reads(engine: Engine, sql: str, parameters: Any) -> list[str]:
    """The tables (other than READ_WHOLE) that the plan of `sql` reads whole."""
    derived = {name for pair in DERIVED.findall(sql) for name in pair if name}
    lines = plan_lines(engine, sql, parameters)
    if engine.dialect.name == "sqlite":
        scans = [SQLITE_SCAN.match(line) for line in lines]
        return [
            scan["name"]
            for scan in scans
            if scan
            and scan["name"] not in derived | READ_WHOLE | {"CONSTANT"}
            and not FTS_MATCH.match(scan["rest"])
        ]
    return [s["name"] for s in map(PG_SCAN.search, lines) if s and s["name"] not in READ_WHOLE]


def test_no_filtered_list_reads_a_whole_table(loaded: Engine) -> None:
    found = names(loaded)
    problems = {}
    for command, call in commands(found).items():
        caught = statements_of(loaded, call)
        assert caught, f"{command} ran no statement"
        for sql, parameters in caught:
            if reads := whole_table_reads(loaded, sql, parameters):
                problems[command] = (reads, " ".join(sql.split())[:300])
    assert problems == {}


def test_a_subjects_figures_are_read_from_their_index(loaded: Engine) -> None:
    # The figures about a subject lie scattered across the table: kb figures --subject reads
    # the index that holds every column it needs of them, and the table only for the page.
    subject = names(loaded)["party"]
    caught = statements_of(loaded, lambda c: queries.figures(c, subject=subject, limit=20))
    plans = [
        "\n".join(plan_lines(loaded, sql, p)) for sql, p in caught if "figures.subject_id IN" in sql
    ]
    assert plans
    # SQLite reads the indexes alone (the sources' slugs too: their rows hold the texts);
    # PostgreSQL's choice of scan depends on the table's size.
    if loaded.dialect.name == "sqlite":
        used = ["COVERING INDEX ix_figures_by_subject", "COVERING INDEX ix_sources_id_slug"]
    else:
        used = ["ix_figures_by_subject"]
    assert all(index in plan for plan in plans for index in used), plans


class PlannedWatch(ConflictWatch):
    """A load's conflict observer that has the database plan each statement it runs (on the
    load's own connection, where the staging and temporary tables are)."""

    def __init__(self) -> None:
        super().__init__()
        self.plans: list[tuple[str, list[str]]] = []
        self.watching = False

    def __call__(self, connection: Connection) -> Look:
        """Look as ConflictWatch does, planning every SELECT it runs."""

        def plan(conn: Any, _cursor: Any, sql: str, parameters: Any, *_rest: Any) -> None:
            if self.watching or not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                return
            self.watching = True
            try:
                self.plans.append((sql, _plan_on(conn, sql, parameters)))
            finally:
                self.watching = False

        event.listen(connection, "before_cursor_execute", plan)
        try:
            return super().__call__(connection)
        finally:
            event.remove(connection, "before_cursor_execute", plan)


def _plan_on(connection: Connection, sql: str, parameters: Any) -> list[str]:
    """The plan of `sql` on `connection` itself (PostgreSQL: with sequential scans off)."""
    if connection.dialect.name == "sqlite":
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters).all()
        return [row[3] for row in plan]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    lines = [row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}", parameters)]
    connection.exec_driver_sql("SET LOCAL enable_seqscan = on")
    return lines


# The load's own tables, which the observer reads whole on purpose: what the load writes.
LOAD_TABLES = re.compile(r"kb_stage_\w+|kb_watch_\w+")


def test_a_loads_conflict_watch_reads_no_whole_table(
    loaded: Engine, collection: Path, tmp_path: Path
) -> None:
    # One figure's value edited: the observer reads that figure's group and the staged rows,
    # never a whole table of the database.
    edited = Path(shutil.copytree(collection, tmp_path / "edited"))
    facts = edited / "facts.jsonl"
    lines = facts.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if '"type": "figure"' in line)
    record = json.loads(lines[index])
    lines[index] = json.dumps({**record, "value": record["value"] * 3})
    facts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    watch = PlannedWatch()
    report = load(loaded, edited, seeds_dir=collection.parent / "seeds", observe=watch)
    assert report.tables["figures"].updated == 1
    assert watch.plans
    problems = {}
    for sql, lines in watch.plans:
        if loaded.dialect.name == "sqlite":
            scans = [SQLITE_SCAN.match(line) for line in lines]
            names = [m["name"] for m in scans if m and not FTS_MATCH.match(m["rest"])]
        else:
            names = [m["name"] for m in map(PG_SCAN.search, lines) if m]
        derived = {name for pair in DERIVED.findall(sql) for name in pair if name}
        whole = [
            name for name in names
            if name not in derived | READ_WHOLE | {"CONSTANT"} and not LOAD_TABLES.fullmatch(name)
        ]  # fmt: skip
        if whole:
            problems[" ".join(sql.split())[:200]] = whole
    assert problems == {}


def test_a_plan_that_reads_a_table_is_caught(loaded: Engine) -> None:
    # The check itself: an unindexed filter reads the whole table.
    sql = "SELECT id FROM quotes WHERE kind = 'direct'"
    if loaded.dialect.name == "postgresql":
        sql = "SELECT id FROM quotes WHERE text_end - text_start > 0"
    assert whole_table_reads(loaded, sql, ()) == ["quotes"]


# --- the query benchmark's databases ---------------------------------------------------------


def rows_of(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of kb's tables in a SQLite file, in id order."""
    with closing(sqlite3.connect(path)) as connection:
        return {
            table: connection.execute(f'SELECT * FROM "{table}" ORDER BY 1').fetchall()
            for table in (*KB_TABLES, "_alembic_version")
        }


def test_the_benchmark_database_holds_what_kb_load_writes(collection: Path, tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'loaded.sqlite3'}")
    load(engine, collection)
    engine.dispose()
    done = run_benchmark("benchdb.py", tmp_path / "built.sqlite3", "--facts", str(FACTS))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["facts"] == FACTS
    loaded, built = rows_of(tmp_path / "loaded.sqlite3"), rows_of(tmp_path / "built.sqlite3")
    assert {table: len(rows) for table, rows in built.items()} == {
        table: len(rows) for table, rows in loaded.items()
    }
    assert built == loaded
    with closing(sqlite3.connect(tmp_path / "built.sqlite3")) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        fts = "INSERT INTO quotes_fts(quotes_fts, rank) VALUES ('integrity-check', 1)"
        connection.execute(fts)


def test_the_query_benchmark_runs(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    done = run_benchmark(
        "query_bench.py", "--facts", "400", "--samples", "4", "--limit", "5",
        "--results", results,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "search, most common word" in done.stdout
    [line] = results.read_text().splitlines()
    result = json.loads(line)
    assert result["built"]["facts"] == 400
    assert result["sizes"]["quotes"] == 134
    assert set(result["results"]) == {
        "quotes --by --limit 5",
        "figures --subject --limit 5",
        "figures --metric --limit 5",
        "events --from --to --limit 5",
        "quotes --by (no limit)",
        "figures --subject (no limit)",
        "figures --metric (no limit)",
        "events --from --to (no limit)",
        "search, one word",
        "search, two words",
        "search, most common word",
    }
    for figures in result["results"].values():
        assert figures["p95_ms"] >= figures["p50_ms"] > 0
