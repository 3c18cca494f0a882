"""`kb db`: upgrade, downgrade, current and history on real database files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from helpers.cli import ok

from kb.db import describe_url, head_revision, history

Kb = Callable[..., Result]
HEAD = head_revision()
FIRST = history()[-1][0]  # the oldest revision


def test_upgrade_creates_and_migrates_a_new_database(kb: Kb, tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    assert ok(kb("db", "upgrade", db=db)) == f"Migrated from base to {HEAD}.\n"
    assert db.exists()
    assert ok(kb("db", "current", db=db)) == f"{HEAD} (head)\n"
    assert ok(kb("db", "upgrade", db=db)) == f"Already at {HEAD}; nothing to do.\n"
    assert ok(kb("stats", "--format", "json", db=db)).startswith("{")


def test_upgrade_to_a_named_revision(kb: Kb, tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    assert ok(kb("db", "upgrade", FIRST, db=db)) == f"Migrated from base to {FIRST}.\n"


def test_downgrade_one_step_then_back(kb: Kb, empty_db: str) -> None:
    previous = history()[0][1]  # the head's down revision; None when it is the first
    current = (
        f"{previous} (head is {HEAD}: run `kb db upgrade`)"
        if previous
        else ("base (no kb tables): run `kb db upgrade` or `kb load`")
    )
    assert ok(kb("db", "downgrade", "-1", db=empty_db)) == (
        f"Migrated from {HEAD} to {previous or 'base'}.\n"
    )
    assert ok(kb("db", "current", db=empty_db)) == f"{current}\n"
    assert (
        ok(kb("db", "upgrade", db=empty_db)) == f"Migrated from {previous or 'base'} to {HEAD}.\n"
    )
    assert ok(kb("db", "current", db=empty_db)) == f"{HEAD} (head)\n"


def test_downgrade_to_base_removes_the_tables_and_read_commands_say_so(
    kb: Kb, seeded_db: str, backend: str
) -> None:
    downgraded = kb("db", "downgrade", "base", db=seeded_db)
    assert downgraded.exit_code == 0, downgraded.output
    assert downgraded.stdout == f"Migrated from {HEAD} to base.\n"
    # PostgreSQL: the test databases are copies of a template, whose kb sql reader role they
    # share: the downgrade takes this database's grants from it but cannot drop it, and says so.
    if backend == "postgresql":
        assert downgraded.stderr.startswith("Warning: kb sql's reader role kb_reader_")
    else:
        assert downgraded.stderr == ""
    result = kb("quotes", db=seeded_db)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {describe_url(seeded_db)} has no kb tables (it is at migration base). "
        "Run `kb db upgrade` or `kb load`.\n"
    )
    assert ok(kb("db", "downgrade", "base", db=seeded_db)) == "Already at base; nothing to do.\n"


def test_downgrade_and_current_need_an_existing_database(kb: Kb, tmp_path: Path) -> None:
    db = tmp_path / "missing.sqlite3"
    for args in (("db", "downgrade", "base"), ("db", "current"), ("db", "reader")):
        result = kb(*args, db=db)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"Error: No database at {db}.")
    assert not db.exists()


def test_reader_is_for_postgresql(kb: Kb, empty_sqlite: Path) -> None:
    result = kb("db", "reader", db=empty_sqlite)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: kb db reader is for PostgreSQL: on SQLite, kb sql opens the file read-only.\n"
    )


def test_unknown_revision_is_a_user_error(kb: Kb, empty_db: str) -> None:
    result = kb("db", "upgrade", "nonexistent", db=empty_db)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: Migration error: Can't locate revision identified by 'nonexistent'\n"
    )
    assert "Traceback" not in result.stderr


def test_history_lists_revisions_newest_first(kb: Kb, tmp_path: Path) -> None:
    lines = ok(kb("db", "history", db=tmp_path / "none.sqlite3")).splitlines()
    assert len(lines) == len(history())
    assert lines[0].startswith(f"{history()[0][1] or '<base>'} -> {HEAD} (head), ")
    assert lines[-1].startswith(f"<base> -> {FIRST}")
    assert not (tmp_path / "none.sqlite3").exists()


def test_history_marks_the_current_revision(kb: Kb, empty_db: str) -> None:
    first_line = ok(kb("db", "history", db=empty_db)).splitlines()[0]
    assert f"-> {HEAD} (head, current), " in first_line
    message = history()[0][2]
    assert first_line.endswith(f", {message}")
