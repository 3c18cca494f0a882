"""`kb check`: a sound database passes; each kind of damage, made on purpose, is caught.

Each test breaks one thing behind kb's back (with a plain client: the sqlite3 module with its
default of foreign keys off, or psycopg) and expects `kb check` to exit 1 and name the problem.
Tests take `seeded_db`, so they run on SQLite and PostgreSQL, except where the damage or the
check exists on one backend only.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kb.check import MAX_PROBLEMS, audit
from kb.db import describe_url, head_revision, history
from kb.errors import KbError

Kb = Callable[..., Result]
HEAD = head_revision()
PREVIOUS = history()[0][1]
QUOTE = "jankauskas-investment-77bn"
ARTICLE = "jjtv-kazakhstan-eu-30-years"
RECREATE = "run its migration again (`kb db history`: downgrade below it, then `kb db upgrade`)"


def is_sqlite(url: str) -> bool:
    """True for a SQLite URL."""
    return make_url(url).get_backend_name() == "sqlite"


def tamper(url: str, *statements: str) -> None:
    """Run SQL behind kb's back: sqlite3 (foreign keys off, as it defaults) or psycopg."""
    if is_sqlite(url):
        with closing(sqlite3.connect(f"{make_url(url).database}", isolation_level=None)) as db:
            for statement in statements:
                db.execute(statement)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def scalar(url: str, query: str) -> int:
    """One number read with a plain client."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def scalar_text(url: str, query: str) -> str:
    """One text value read with a plain client."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text(query)).scalar_one())
    finally:
        engine.dispose()


def failed(kb: Kb, url: str) -> str:
    """The output of `kb check` on a database it must find fault with (exit status 1)."""
    result = kb("check", db=url)
    assert result.exit_code == 1, result.output
    assert result.stderr == ""
    return result.stdout


def section(output: str, check: str) -> list[str]:
    """The lines `kb check` printed for one check: its line, then its indented problems."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{check}  "))
    end = next(
        (i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ")), len(lines)
    )
    return [line.strip() if i else line for i, line in enumerate(lines[start:end])]


def verdict(lines: list[str]) -> str:
    """The status part of a check's line: 'ok: …', 'FAILED: 2 problems' or 'skipped: …'."""
    return lines[0].split("  ", 1)[1].strip()


def sound_report(url: str) -> str:
    """The exact `kb check` output for the bundled collection on `url`'s backend."""
    spans = scalar(
        url,
        "SELECT (SELECT count(*) FROM roles) + (SELECT count(*) FROM quotes) "
        "+ 2 * (SELECT count(*) FROM figures) + (SELECT count(*) FROM events) "
        "+ (SELECT count(*) FROM aliases) + (SELECT count(evidence) FROM event_participants)",
    )
    sources = scalar(url, "SELECT count(*) FROM sources")
    people = scalar(url, "SELECT count(*) FROM people")
    if is_sqlite(url):
        integrity = "ok: PRAGMA integrity_check"
        keys = "ok: PRAGMA foreign_key_check"
        indexes = "events_fts, figures_fts, metrics_fts, people_fts, quotes_fts, sources_fts"
        leftovers = "skipped: a SQLite load writes nothing outside its own transaction"
    else:
        integrity = "skipped: PRAGMA integrity_check is SQLite's; PostgreSQL has none built in"
        keys = "ok: 18 foreign keys"
        indexes = (
            "ix_events_fts, ix_figures_fts, ix_metrics_fts, ix_people_fts, ix_quotes_fts, "
            "ix_sources_fts"
        )
        leftovers = "ok: no schema left by a killed load"
    return (
        f"Checking {describe_url(url)}\n"
        "\n"
        f"integrity          {integrity}\n"
        f"foreign keys       {keys}\n"
        f"migrations         ok: at {HEAD} (head)\n"
        f"full-text indexes  ok: {indexes}\n"
        f"source texts       ok: {sources} sources against their SHA-256\n"
        f"spans              ok: {spans} spans against their source texts\n"
        "views              ok: events_view, figures_view, quotes_view, timeline\n"
        f"duplicates         ok: no likely duplicates among {people} people, 3 parties, 9 metrics\n"
        f"load leftovers     {leftovers}\n"
        "\n"
        "All 9 checks passed.\n"
    )


# --- a sound database -------------------------------------------------------------------------


def test_check_passes_on_the_bundled_collection(kb: Kb, seeded_db: str) -> None:
    result = kb("check", db=seeded_db)
    assert result.exit_code == 0, result.output
    assert result.stdout == sound_report(seeded_db)


def test_check_passes_on_an_empty_database(kb: Kb, empty_db: str) -> None:
    result = kb("check", db=empty_db)
    assert result.exit_code == 0, result.output
    assert "source texts       ok: 0 sources against their SHA-256\n" in result.stdout
    assert "spans              ok: 0 spans against their source texts\n" in result.stdout


def test_check_json_lists_every_check(kb: Kb, seeded_db: str) -> None:
    result = kb("check", "--format", "json", db=seeded_db)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["database"] == describe_url(seeded_db)
    assert report["ok"] is True
    assert [c["check"] for c in report["checks"]] == [
        "integrity",
        "foreign keys",
        "migrations",
        "full-text indexes",
        "source texts",
        "spans",
        "views",
        "duplicates",
        "load leftovers",
    ]
    integrity, leftovers = ("ok", "skipped") if is_sqlite(seeded_db) else ("skipped", "ok")
    assert [c["status"] for c in report["checks"]] == [integrity, *["ok"] * 7, leftovers]
    assert all(c["problems"] == [] and c["problem_count"] == 0 for c in report["checks"])


def test_check_json_on_a_broken_database_exits_1_with_the_problems(kb: Kb, seeded_db: str) -> None:
    tamper(seeded_db, "DROP VIEW timeline")
    result = kb("check", "--format", "json", db=seeded_db)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    views = next(c for c in report["checks"] if c["check"] == "views")
    assert views == {
        "check": "views",
        "status": "failed",
        "note": "events_view, figures_view, quotes_view",
        "problem_count": 1,
        "problems": [f"view timeline is missing: {RECREATE}"],
    }


# --- each kind of damage ----------------------------------------------------------------------


def test_check_catches_a_span_whose_offsets_moved(kb: Kb, seeded_db: str) -> None:
    start = scalar(seeded_db, f"SELECT text_start FROM quotes WHERE slug = '{QUOTE}'")
    end = scalar(seeded_db, f"SELECT text_end FROM quotes WHERE slug = '{QUOTE}'")
    tamper(
        seeded_db,
        f"UPDATE quotes SET text_start = text_start + 1, text_end = text_end + 1 "
        f"WHERE slug = '{QUOTE}'",
    )
    assert section(failed(kb, seeded_db), "spans") == [
        "spans              FAILED: 1 problem",
        f"quotes {QUOTE}: text [{start + 1}, {end + 1}) reads "
        "«ust in 30 years of our cooperation the countries o…» in the source "
        "where it says «Just in 30 years of our cooperation the countries…»",
    ]


def test_check_catches_a_changed_source_text(kb: Kb, seeded_db: str) -> None:
    sha256 = scalar_text(seeded_db, f"SELECT sha256 FROM sources WHERE slug = '{ARTICLE}'")
    tamper(
        seeded_db,
        "UPDATE sources SET text = replace(text, 'Kazakhstan', 'Kazakstan') "
        f"WHERE slug = '{ARTICLE}'",
    )
    output = failed(kb, seeded_db)
    assert section(output, "source texts") == [
        "source texts       FAILED: 1 problem",
        f"sources {ARTICLE}: text no longer has its recorded SHA-256 ({sha256[:12]}…): "
        "it was changed after loading; load the source again",
    ]
    # Every span after the first changed word now reads other words.
    assert verdict(section(output, "spans")).startswith("FAILED: ")


def test_check_accepts_a_source_file_that_had_a_byte_order_mark(
    kb: Kb, empty_db: str, tmp_path: Path
) -> None:
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "bom.txt").write_bytes("\ufeffA text with a mark.\r\n".encode())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "bom.yaml").write_text(
        "sources:\n  - {slug: bom, title: With a BOM, path: bom.txt}\n"
    )
    loaded = kb("load", str(tmp_path / "data"), db=empty_db)
    assert loaded.exit_code == 0, loaded.output
    result = kb("check", db=empty_db)
    assert result.exit_code == 0, result.output
    assert "source texts       ok: 1 source against their SHA-256\n" in result.stdout


def test_check_catches_a_missing_view(kb: Kb, seeded_db: str) -> None:
    tamper(seeded_db, "DROP VIEW quotes_view")
    assert section(failed(kb, seeded_db), "views") == [
        "views              FAILED: 1 problem",
        f"view quotes_view is missing: {RECREATE}",
    ]


def test_check_catches_a_database_behind_the_newest_migration(kb: Kb, seeded_db: str) -> None:
    assert kb("db", "downgrade", "-1", db=seeded_db).exit_code == 0
    output = failed(kb, seeded_db)
    assert section(output, "migrations") == [
        "migrations         FAILED: 1 problem",
        f"at {PREVIOUS}, head is {HEAD}: run `kb db upgrade`",
    ]
    assert kb("db", "upgrade", db=seeded_db).exit_code == 0
    assert kb("check", db=seeded_db).stdout == sound_report(seeded_db)


def test_check_catches_a_row_pointing_nowhere(kb: Kb, seeded_db: str) -> None:
    quote = scalar(seeded_db, f"SELECT id FROM quotes WHERE slug = '{QUOTE}'")
    if not is_sqlite(seeded_db):
        # PostgreSQL enforces the key; a dropped constraint is how a bad row gets in.
        tamper(seeded_db, "ALTER TABLE quotes DROP CONSTRAINT fk_quotes_speaker_id_people")
    tamper(seeded_db, f"UPDATE quotes SET speaker_id = 999 WHERE slug = '{QUOTE}'")
    assert section(failed(kb, seeded_db), "foreign keys") == [
        "foreign keys       FAILED: 1 problem",
        f"quotes #{quote}: speaker_id = 999 has no row in people",
    ]


def test_check_catches_a_self_reference_pointing_nowhere(kb: Kb, seeded_db: str) -> None:
    event = scalar(seeded_db, "SELECT min(id) FROM events WHERE same_as_id IS NOT NULL")
    if not is_sqlite(seeded_db):
        tamper(seeded_db, "ALTER TABLE events DROP CONSTRAINT fk_events_same_as_id_events")
    tamper(seeded_db, f"UPDATE events SET same_as_id = 12345 WHERE id = {event}")
    assert section(failed(kb, seeded_db), "foreign keys")[1:] == [
        f"events #{event}: same_as_id = 12345 has no row in events"
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_check_catches_an_fts_index_with_a_shadow_row_deleted(kb: Kb, seeded_db: str) -> None:
    tamper(seeded_db, "DELETE FROM quotes_fts_docsize WHERE id = (SELECT min(id) FROM quotes)")
    assert section(failed(kb, seeded_db), "full-text indexes") == [
        "full-text indexes  FAILED: 1 problem",
        "quotes_fts does not match its table (FTS5 integrity-check: database disk image is "
        "malformed): rebuild it with INSERT INTO quotes_fts(quotes_fts) VALUES('rebuild')",
    ]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_check_catches_rows_written_while_fts_triggers_were_gone(kb: Kb, seeded_db: str) -> None:
    tamper(
        seeded_db,
        "DROP TRIGGER quotes_ai",
        "INSERT INTO quotes (slug, status, text, speaker_id, source_id, kind, text_start, "
        "text_end, said_on_inferred) SELECT 'copy', status, text, speaker_id, source_id, kind, "
        f"text_start, text_end, said_on_inferred FROM quotes WHERE slug = '{QUOTE}'",
    )
    assert section(failed(kb, seeded_db), "full-text indexes") == [
        "full-text indexes  FAILED: 2 problems",
        f"trigger quotes_ai is missing, so quotes_fts stops following quotes: {RECREATE}",
        "quotes_fts does not match its table (FTS5 integrity-check: database disk image is "
        "malformed): rebuild it with INSERT INTO quotes_fts(quotes_fts) VALUES('rebuild')",
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_check_catches_a_missing_gin_index(kb: Kb, seeded_db: str) -> None:
    tamper(seeded_db, "DROP INDEX ix_figures_fts")
    assert section(failed(kb, seeded_db), "full-text indexes") == [
        "full-text indexes  FAILED: 1 problem",
        f"GIN index ix_figures_fts on figures is missing: {RECREATE}",
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_check_catches_rows_deleted_while_document_triggers_were_gone(
    kb: Kb, seeded_db: str
) -> None:
    tamper(
        seeded_db,
        "DROP TRIGGER figures_ad ON figures",
        "DELETE FROM figures WHERE id = (SELECT max(id) FROM figures)",
    )
    refill = (
        "TRUNCATE figures_fts; INSERT INTO figures_fts (id, document) SELECT t.id, "
        "figures_fts_document(t.surface, t.evidence) AS document FROM figures AS t"
    )
    assert section(failed(kb, seeded_db), "full-text indexes") == [
        "full-text indexes  FAILED: 2 problems",
        f"trigger figures_ad on figures is missing, so figures_fts stops following figures: "
        f"{RECREATE}",
        f"figures_fts and figures disagree on 1 rows: refill it with {refill}",
    ]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_check_warns_of_a_schema_a_killed_load_left(kb: Kb, seeded_db: str) -> None:
    """A helper's schema whose backend has ended is reported with its size and how to drop
    it (a warning: the database is sound); one whose load is still running is not."""
    dead = "kb_loading_99999999"  # above any pid a server gives a backend
    tamper(
        seeded_db,
        f"CREATE SCHEMA {dead}",
        f"CREATE TABLE {dead}.quotes_fts AS "
        "SELECT g AS id, repeat('x', 1000) AS document FROM generate_series(1, 2000) g",
        f"CREATE TABLE {dead}.figures_fts (id integer)",
    )
    engine = create_engine(seeded_db)
    try:
        with engine.connect() as running:
            pid = running.execute(text("SELECT pg_backend_pid()")).scalar_one()
            running.exec_driver_sql(f"CREATE SCHEMA kb_loading_{pid}")
            running.commit()
            result = kb("check", db=seeded_db)
    finally:
        engine.dispose()
    assert result.exit_code == 0, result.output
    lines = section(result.stdout, "load leftovers")
    assert lines[0] == "load leftovers     warning: 1 schema left behind, see below"
    assert re.fullmatch(
        rf"schema {dead} \(2 tables, 2\.[0-9] MiB\) left by a killed load: the next "
        rf"`kb load` drops it \(or DROP SCHEMA {dead} CASCADE\)",
        lines[1],
    ), lines
    assert len(lines) == 2
    assert result.stdout.endswith("All 9 checks passed (with warnings).\n")


def test_check_catches_a_corrupt_page(kb: Kb, seeded_sqlite: Path) -> None:
    with closing(sqlite3.connect(seeded_sqlite)) as db:
        # Everything in the main file, so that the page changed below is the one SQLite reads.
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        root = db.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'ix_events_date'"
        ).fetchone()[0]
    # Change the first date stored in the index's page, in the file itself: the index entry
    # no longer matches its row (a well-formed page with wrong contents, as a torn or
    # bit-flipped write leaves it; a page of garbage can make SQLite stop the check part-way).
    data = bytearray(seeded_sqlite.read_bytes())
    page = (root - 1) * page_size
    cells = int.from_bytes(data[page + 5 : page + 7], "big")  # start of the cell content area
    date = data.index(b"20", page + cells, page + page_size)
    data[date : date + 4] = b"2999"
    seeded_sqlite.write_bytes(bytes(data))
    lines = section(failed(kb, seeded_sqlite), "integrity")
    assert lines[0] == "integrity          FAILED: 1 problem"
    assert re.fullmatch(r"row \d+ missing from index ix_events_date", lines[1])


def test_check_lists_at_most_ten_problems_per_check_in_a_table(kb: Kb, seeded_db: str) -> None:
    tamper(
        seeded_db,
        "UPDATE events SET evidence_start = evidence_start + 1, evidence_end = evidence_end + 1",
    )
    events = scalar(seeded_db, "SELECT count(*) FROM events")
    lines = section(failed(kb, seeded_db), "spans")
    assert lines[0] == f"spans              FAILED: {events} problems"
    assert len(lines) == 12
    assert lines[-1] == f"… and {events - 10} more (--format json)"
    assert len(audit(seeded_db).failed[0].problems) == min(events, MAX_PROBLEMS)


# --- what cannot be audited -------------------------------------------------------------------


def test_check_needs_an_existing_database(kb: Kb, tmp_path: Path) -> None:
    result = kb("check", db=tmp_path / "none.sqlite3")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No database at {tmp_path / 'none.sqlite3'}. Build one with `kb load` "
        "(or choose another with --db / KB_DATABASE_URL).\n"
    )
    assert not (tmp_path / "none.sqlite3").exists()


def test_check_refuses_a_file_that_is_not_sqlite(kb: Kb, tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("These are notes, not a database. " * 10)
    result = kb("check", db=path)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path} is not a SQLite database (file is not a database).\n"


def test_check_refuses_a_database_without_kb_tables(kb: Kb, new_db: str) -> None:
    if is_sqlite(new_db):
        tamper(new_db, "CREATE TABLE other (x)")
    result = kb("check", db=new_db)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {describe_url(new_db)} is not a kb database (it has no kb tables). "
        "Choose another with --db, or build one with `kb load`.\n"
    )


def test_audit_library_raises_kb_error_for_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(KbError, match="No database at"):
        audit(f"sqlite:///{tmp_path / 'none.sqlite3'}")
