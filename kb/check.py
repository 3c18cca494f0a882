"""Audit a kb database: integrity, foreign keys, migrations, full-text indexes, texts, spans, views.

`audit(url)` runs every check and returns what each found. A check never stops the others: each
runs on its own connection, and a database error inside one (a corrupt page, a missing table)
is reported as that check's failure. Nothing is written; SQLite's FTS5 'integrity-check'
command is an INSERT that changes nothing, and its transaction is rolled back.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, bindparam, column, func, insert, inspect, literal, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from kb.db import VERSION_TABLE, describe_url, head_revision, make_engine
from kb.models import Base
from kb.queries.connect import explain, require_schema
from kb.schema import VIEWS
from kb.search.index import FTS_TABLES, fts_table, gin_index, pg_documents, pg_triggers

if TYPE_CHECKING:
    from kb.annotate import SourceCoverage

# A check that only warns (likely duplicates) reports WARNING instead of FAILED: the database
# is sound, and a curator decides.
OK, FAILED, SKIPPED, WARNING = "ok", "failed", "skipped", "warning"
# Problems listed per check (all are counted): enough to act on, bounded for a broken database.
MAX_PROBLEMS = 100
# Characters of a span shown in a message, starting this many before the first difference.
SHOWN = 50
CONTEXT = 15
# The loader hashes a file's raw bytes, and a byte-order mark is not part of the stored text.
BOM = "\ufeff".encode()
# Spans into sources.text: table -> text columns, each with <column>_start and <column>_end
# (NULL in a participant stated with its event, whose evidence is the event's).
SPANS = {
    "roles": ("evidence",),
    "aliases": ("name",),
    "quotes": ("text",),
    "figures": ("evidence", "surface"),
    "events": ("evidence",),
    "event_participants": ("evidence",),
}
FTS_TRIGGERS = ("ai", "ad", "au")
# How to get back a schema object that is missing: `kb db upgrade` creates it if the database
# is behind; at head, it takes migrating down past the revision that creates it and up again.
RECREATE = "run its migration again (`kb db history`: downgrade below it, then `kb db upgrade`)"
SOURCES = Base.metadata.tables["sources"]


@dataclass
class Findings:
    """What one check found: its problems (the first MAX_PROBLEMS kept, all counted), a note."""

    problems: list[str] = field(default_factory=list)
    count: int = 0
    note: str = ""
    skipped: bool = False
    warns: bool = False  # problems are warnings: the check never fails

    def add(self, problem: str | Callable[[], str]) -> None:
        """Record a problem; one given as a function is described only if it will be listed."""
        self.count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem if isinstance(problem, str) else problem())

    @property
    def status(self) -> str:
        """failed (or warning, for a check that warns) when there is any problem, else skipped
        or ok."""
        if self.count:
            return WARNING if self.warns else FAILED
        return SKIPPED if self.skipped else OK


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ok, failed or skipped, what was checked, and the problems."""

    name: str
    status: str
    note: str
    problems: list[str]
    problem_count: int

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "check": self.name,
            "status": self.status,
            "note": self.note,
            "problem_count": self.problem_count,
            "problems": self.problems,
        }


@dataclass(frozen=True)
class Audit:
    """Every check's result for one database."""

    database: str
    checks: list[CheckResult]

    @property
    def ok(self) -> bool:
        """True when no check failed."""
        return all(check.status != FAILED for check in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed."""
        return [check for check in self.checks if check.status == FAILED]

    def to_dict(self) -> dict[str, Any]:
        """The audit as JSON-ready data."""
        return {
            "database": self.database,
            "ok": self.ok,
            "checks": [check.to_dict() for check in self.checks],
        }


Check = Callable[[Connection, Findings], None]


def audit(url: str) -> Audit:
    """Run every check on the existing database at `url` (a KbError if it is not a kb one)."""
    engine = make_engine(url, must_exist=True)
    try:
        try:
            with engine.connect() as connection:
                require_schema(connection, url)
        except DBAPIError as error:
            # Not even the schema can be read (not SQLite, a wrecked header, no server):
            # there is nothing for the checks to look at.
            raise explain(engine, url, error) from error
        results = [run(engine.connect, name, check) for name, check in CHECKS]
    finally:
        engine.dispose()
    return Audit(describe_url(url), results)


def coverage(url: str) -> list[SourceCoverage]:
    """`kb check --coverage`: per source (by slug), the sentences holding a number or a
    quotation mark that no record covers (kb.annotate.coverage). A report: nothing fails."""
    from kb.annotate import coverage as source_coverage
    from kb.queries.connect import reading

    with reading(url) as connection:
        return source_coverage(connection)


def run(connect: Callable[[], Connection], name: str, check: Check) -> CheckResult:
    """Run one check on a connection of its own; a database error is that check's failure."""
    findings = Findings()
    try:
        with connect() as connection:
            check(connection, findings)
    except DBAPIError as error:
        findings.add(f"database error: {reason(error)}")
    return CheckResult(name, findings.status, findings.note, findings.problems, findings.count)


def reason(error: DBAPIError) -> str:
    """The first line of a driver's error message (PostgreSQL adds DETAIL/HINT lines)."""
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


def is_sqlite(connection: Connection) -> bool:
    """True on SQLite, where checks use PRAGMAs and FTS5; else PostgreSQL."""
    return connection.dialect.name == "sqlite"


# --- integrity and foreign keys ---------------------------------------------------------------


def integrity(connection: Connection, findings: Findings) -> None:
    """SQLite's PRAGMA integrity_check: every page, index and constraint of the file."""
    if not is_sqlite(connection):
        findings.skipped = True
        findings.note = "PRAGMA integrity_check is SQLite's; PostgreSQL has none built in"
        return
    findings.note = "PRAGMA integrity_check"
    try:
        for message in connection.execute(text("PRAGMA integrity_check")).scalars():
            # A message may span lines, under a "*** in database main ***" heading.
            for line in message.splitlines():
                if line not in ("ok", "*** in database main ***"):
                    findings.add(line)
    except DBAPIError as error:
        # A badly damaged file can stop the check part-way; keep what it reported so far.
        findings.add(f"integrity_check stopped: {reason(error)}")


def foreign_keys(connection: Connection, findings: Findings) -> None:
    """Every foreign key points at an existing row: PRAGMA on SQLite, anti-joins elsewhere.

    PostgreSQL enforces its constraints, but a constraint can be dropped or disabled, so the
    rows are checked against the foreign keys the models declare.
    """
    if is_sqlite(connection):
        findings.note = "PRAGMA foreign_key_check"
        for row in connection.execute(text("PRAGMA foreign_key_check")).all():
            # Naming the column and its value takes two queries: only for the rows listed.
            findings.add(partial(_sqlite_orphan, connection, *row))
        return
    keys = [(t, fk) for t in Base.metadata.sorted_tables for fk in t.foreign_keys]
    findings.note = f"{len(keys)} foreign keys"
    for child, key in keys:
        target = key.column.table.alias("target")
        parent = target.c[key.column.name]
        orphans = (
            select(child.c.id, key.parent)
            .select_from(child.outerjoin(target, parent == key.parent))
            .where(key.parent.is_not(None), parent.is_(None))
            .order_by(child.c.id)
        )
        for row_id, value in connection.execute(orphans):
            findings.add(_orphan(child.name, row_id, key.parent.name, value, key.column.table.name))


def _sqlite_orphan(connection: Connection, child: str, row_id: int, parent: str, key: int) -> str:
    """Describe a row PRAGMA foreign_key_check reported, naming its column and value."""
    name = connection.execute(
        text('SELECT "from" FROM pragma_foreign_key_list(:child) WHERE id = :key'),
        {"child": child, "key": key},
    ).scalar()
    table_ = Base.metadata.tables.get(child)
    if name is None or table_ is None:
        return f"{child} row {row_id}: foreign key {key} has no row in {parent}"
    value = connection.execute(
        select(table_.c[name]).where(table_.c.id == bindparam("row_id")), {"row_id": row_id}
    ).scalar()
    return _orphan(child, row_id, name, value, parent)


def _orphan(child: str, row_id: int, name: str, value: Any, parent: str) -> str:
    """'quotes #3: speaker_id = 99 has no row in people'."""
    return f"{child} #{row_id}: {name} = {value} has no row in {parent}"


# --- migrations -------------------------------------------------------------------------------


def migrations(connection: Connection, findings: Findings) -> None:
    """The schema is at the newest migration (head)."""
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    current, head = context.get_current_revision(), head_revision()
    if current == head:
        findings.note = f"at {head} (head)"
    else:
        findings.add(f"at {current or 'base'}, head is {head}: run `kb db upgrade`")


# --- full-text indexes ------------------------------------------------------------------------


def full_text(connection: Connection, findings: Findings) -> None:
    """The full-text indexes exist and (on SQLite) agree with their tables."""
    if is_sqlite(connection):
        _fts5_indexes(connection, findings)
    else:
        _gin_indexes(connection, findings)
        _stored_documents(connection, findings)


def _fts5_indexes(connection: Connection, findings: Findings) -> None:
    """Each FTS5 table exists with its triggers and passes FTS5's own 'integrity-check'.

    With rank = 1 the check also compares the index with the content table, so rows written
    while the triggers were missing are caught.
    """
    schema = connection.execute(
        text("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'trigger')")
    ).all()
    present = {
        row.name
        for row in schema
        if row.type == "table"
        and row.name.endswith("_fts")
        and (row.sql or "").upper().startswith("CREATE VIRTUAL TABLE")
    }
    triggers = {row.name for row in schema if row.type == "trigger"}
    expected = {fts_table(name): name for name in FTS_TABLES}
    for fts, source in expected.items():
        if fts not in present:
            findings.add(f"{fts} is missing: {RECREATE}")
        for suffix in FTS_TRIGGERS:
            if f"{source}_{suffix}" not in triggers:
                findings.add(
                    f"trigger {source}_{suffix} is missing, so {fts} stops following "
                    f"{source}: {RECREATE}"
                )
    for fts in sorted(present):
        _fts5_integrity(connection, fts, findings)
    findings.note = ", ".join(sorted(present)) or "no full-text tables"


def _fts5_integrity(connection: Connection, fts: str, findings: Findings) -> None:
    """Run FTS5's 'integrity-check' command on `fts` (in a savepoint, as it may fail)."""
    command = insert(table(fts, column(fts), column("rank"))).values(
        {fts: "integrity-check", "rank": 1}
    )
    try:
        with connection.begin_nested():
            connection.execute(command)
    except DBAPIError as error:
        findings.add(
            f"{fts} does not match its table (FTS5 integrity-check: {reason(error)}): "
            f"rebuild it with INSERT INTO {fts}({fts}) VALUES('rebuild')"
        )


def _gin_indexes(connection: Connection, findings: Findings) -> None:
    """PostgreSQL: each searchable table has its GIN index (on its tsvector), and it is valid."""
    rows = connection.execute(
        text(
            "SELECT i.relname AS name, x.indisvalid AS valid "
            "FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "JOIN pg_am a ON a.oid = i.relam "
            "JOIN pg_namespace n ON n.oid = i.relnamespace "
            "WHERE a.amname = 'gin' AND n.nspname = current_schema() AND i.relname IN :names"
        ).bindparams(bindparam("names", expanding=True)),
        {"names": [gin_index(name) for name in FTS_TABLES]},
    ).all()
    valid = {row.name: row.valid for row in rows}
    for name in FTS_TABLES:
        index = gin_index(name)
        if index not in valid:
            findings.add(f"GIN index {index} on {name} is missing: {RECREATE}")
        elif not valid[index]:
            findings.add(f"GIN index {index} on {name} is not valid: REINDEX INDEX {index}")
    findings.note = ", ".join(sorted(valid)) or "no full-text indexes"


def _stored_documents(connection: Connection, findings: Findings) -> None:
    """PostgreSQL: each `<table>_fts` has the triggers that keep it in step, and holds a
    document for exactly the rows of its table (their contents follow from the triggers)."""
    present = {
        (row.tgname, row.relname)
        for row in connection.execute(
            text(
                "SELECT t.tgname, c.relname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = current_schema()"
            )
        )
    }
    for name in FTS_TABLES:
        fts = fts_table(name)
        for trigger, on in pg_triggers(name).items():
            if (trigger, on) not in present:
                findings.add(
                    f"trigger {trigger} on {on} is missing, so {fts} stops following "
                    f"{name}: {RECREATE}"
                )
        # Names from FTS_TABLES, constants of ours.
        apart = connection.execute(
            text(
                f"SELECT count(*) FROM {name} t FULL JOIN {fts} f ON f.id = t.id "  # noqa: S608
                "WHERE t.id IS NULL OR f.id IS NULL"
            )
        ).scalar_one()
        if apart:
            findings.add(
                f"{fts} and {name} disagree on {apart} rows: refill it with "
                f"TRUNCATE {fts}; INSERT INTO {fts} (id, document) {pg_documents(name)}"
            )


# --- texts and spans --------------------------------------------------------------------------


def source_texts(connection: Connection, findings: Findings) -> None:
    """Each source's stored text still has the SHA-256 recorded when it was loaded.

    The loader hashes a file's raw bytes (a byte-order mark included, though the stored text
    leaves it out) and an inline text's UTF-8 bytes, so either form may match.
    """
    rows = connection.execute(
        select(SOURCES.c.slug, SOURCES.c.text, SOURCES.c.sha256).order_by(SOURCES.c.slug)
    )
    count = 0
    for slug, body, sha256 in rows:
        count += 1
        data = body.encode("utf-8")
        if sha256 not in (_sha256(data), _sha256(BOM + data)):
            findings.add(
                f"sources {slug}: text no longer has its recorded SHA-256 ({sha256[:12]}…): "
                "it was changed after loading; load the source again"
            )
    findings.note = f"{count} source{'' if count == 1 else 's'} against their SHA-256"


def _sha256(data: bytes) -> str:
    """Hex SHA-256 of `data`."""
    return hashlib.sha256(data).hexdigest()


def spans(connection: Connection, findings: Findings) -> None:
    """Every stored span reads, at its offsets in its source's text, exactly the stored words.

    One set-based query per span column: SQL's substr() counts characters from 1, and the
    offsets are code points from 0, so the span is substr(text, start + 1, end - start).
    """
    total = 0
    for name, columns in SPANS.items():
        spanned = Base.metadata.tables[name]
        for column_name in columns:
            total += connection.execute(
                select(func.count(spanned.c[column_name])).select_from(spanned)
            ).scalar_one()
            for row in connection.execute(_span_mismatches(spanned, column_name)):
                findings.add(_span_problem(name, column_name, row._mapping))
    findings.note = f"{total} spans against their source texts"


def _span_mismatches(spanned: Table, name: str) -> Any:
    """The rows of `spanned` whose span of column `name` does not read the stored words."""
    start, end = spanned.c[f"{name}_start"], spanned.c[f"{name}_end"]
    found = func.substr(SOURCES.c.text, start + 1, end - start)
    labels = [spanned.c[c] for c in ("slug", "title", "name") if c in spanned.c]
    label = labels[0] if labels else spanned.c.role
    return (
        select(
            spanned.c.id,
            label.label("label"),
            start.label("start"),
            end.label("end"),
            spanned.c[name].label("stored"),
            found.label("found"),
        )
        .join(SOURCES, SOURCES.c.id == spanned.c.source_id)
        .where(found != spanned.c[name])
        .order_by(spanned.c.id)
    )


def _span_problem(name: str, column_name: str, row: Any) -> str:
    """'quotes some-slug: text [10, 28) reads «…» in the source where it says «…»'.

    Both sides are shown from a little before the first character where they differ.
    """
    who = (
        row["label"]
        if name in ("quotes", "figures", "events")
        else f"#{row['id']} ({row['label']})"
    )
    found, stored = row["found"], row["stored"]
    at = next(
        (i for i, (a, b) in enumerate(zip(found, stored, strict=False)) if a != b),
        min(len(found), len(stored)),
    )
    return (
        f"{name} {who}: {column_name} [{row['start']}, {row['end']}) reads "
        f"«{_shown(found, at)}» in the source where it says «{_shown(stored, at)}»"
    )


def _shown(words: str, at: int) -> str:
    """Up to SHOWN characters of `words` around position `at`, marked where cut."""
    first = max(0, at - CONTEXT)
    shown = words[first : first + SHOWN]
    head = "…" if first else ""
    tail = "…" if first + SHOWN < len(words) else ""
    return head + " ".join(shown.split()) + tail


# --- views ------------------------------------------------------------------------------------


def views(connection: Connection, findings: Findings) -> None:
    """The views the migrations create exist and can be read."""
    present = set(inspect(connection).get_view_names())
    for name in VIEWS:
        if name not in present:
            findings.add(f"view {name} is missing: {RECREATE}")
            continue
        try:
            with connection.begin_nested():
                connection.execute(select(literal(1)).select_from(table(name)).limit(1)).all()
        except DBAPIError as error:
            findings.add(f"view {name} cannot be read: {reason(error)}")
    findings.note = ", ".join(sorted(set(VIEWS) & present)) or "no views"


def duplicates(connection: Connection, findings: Findings) -> None:
    """People, parties and metrics that may be one record defined twice (a warning)."""
    from kb.duplicates import likely_duplicates

    findings.warns = True
    for duplicate in likely_duplicates(connection):
        findings.add(str(duplicate))
    counts = [
        connection.execute(select(func.count()).select_from(table(name))).scalar_one()
        for name in ("people", "parties", "metrics")
    ]
    findings.note = "no likely duplicates among {} people, {} parties, {} metrics".format(*counts)


def load_leftovers(connection: Connection, findings: Findings) -> None:
    """PostgreSQL: no schema that the helper of a killed load left (kb.loader.documents); a
    warning, since the next load drops it."""
    from kb.loader.documents import stale_schemas

    if is_sqlite(connection):
        findings.skipped = True
        findings.note = "a SQLite load writes nothing outside its own transaction"
        return
    findings.warns = True
    sizes = connection.execute(
        text(
            "SELECT s.name, count(c.oid), coalesce(sum(pg_total_relation_size(c.oid)), 0) "
            "FROM unnest(CAST(:names AS text[])) AS s (name) LEFT JOIN pg_class c "
            "ON c.relnamespace = to_regnamespace(s.name) AND c.relkind = 'r' "
            "GROUP BY s.name ORDER BY s.name"
        ),
        {"names": stale_schemas(connection)},
    )
    for schema, tables, size in sizes:
        findings.add(
            f"schema {schema} ({tables} {'table' if tables == 1 else 'tables'}, "
            f"{size / 2**20:.1f} MiB) left by a killed load: the next `kb load` drops it "
            f"(or DROP SCHEMA {schema} CASCADE)"
        )
    findings.note = (
        "the next `kb load` drops them" if findings.count else "no schema left by a killed load"
    )


CHECKS: tuple[tuple[str, Check], ...] = (
    ("integrity", integrity),
    ("foreign keys", foreign_keys),
    ("migrations", migrations),
    ("full-text indexes", full_text),
    ("source texts", source_texts),
    ("spans", spans),
    ("views", views),
    ("duplicates", duplicates),
    ("load leftovers", load_leftovers),
)
