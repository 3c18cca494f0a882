"""Migrations are the only way the schema comes to exist, and they agree with the models."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import alembic.command
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from helpers.expected import KB_TABLES as EXPECTED_TABLES
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from kb.db import (
    HEAD_REVISION,
    VERSION_TABLE,
    alembic_config,
    current_revision,
    downgrade,
    head_revision,
    history,
    migrate,
    upgrade,
    writing,
)
from kb.models import Base
from kb.search.index import include_object, is_index_object

KB_TABLES = set(EXPECTED_TABLES)


def test_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1


def test_the_head_revision_constant_is_the_scripts_head() -> None:
    """migrate() skips Alembic for a database at HEAD_REVISION: it must be the real head
    (a new migration updates it)."""
    assert head_revision() == HEAD_REVISION


def test_migrate_upgrades_an_older_database_and_leaves_a_current_one(
    empty_db: str, engine_for: Callable[[str | Path], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database one revision behind is upgraded to the head by migrate(); one at the head is
    left as it is, without running Alembic."""
    engine = engine_for(empty_db)
    previous = history()[1][0]
    downgrade(engine, previous)
    assert current_revision(engine) == previous
    with writing(engine) as connection:
        migrate(connection)
    assert current_revision(engine) == HEAD_REVISION

    def refuse(*args: object) -> None:
        raise AssertionError("Alembic ran for a database at the head")

    monkeypatch.setattr(alembic.command, "upgrade", refuse)
    with writing(engine) as connection:
        migrate(connection)
    assert current_revision(engine) == HEAD_REVISION


def test_history_lists_every_revision_down_to_base() -> None:
    revisions = history()
    assert revisions[0][0] == head_revision()
    assert revisions[-1][1] is None


def test_models_match_migrations(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> None:
    engine = engine_for(empty_db)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "version_table": VERSION_TABLE,
                "compare_type": True,
                # As in migrations/env.py: the full-text index is not in the models.
                "include_object": include_object,
            },
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def kb_tables(engine: Engine) -> set[str]:
    """The tables in the database, leaving out the full-text index (FTS5 tables on SQLite)."""
    return {
        name for name in inspect(engine).get_table_names() if not is_index_object(name, "table")
    }


def test_upgrade_creates_every_table(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    assert kb_tables(engine) == KB_TABLES | {VERSION_TABLE, "_kb_files", "_kb_records", "_kb_texts"}
    assert current_revision(engine) == head_revision()


def test_downgrade_to_base_and_back_up(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {VERSION_TABLE}
    assert current_revision(engine) is None
    upgrade(engine)
    assert kb_tables(engine) == KB_TABLES | {VERSION_TABLE, "_kb_files", "_kb_records", "_kb_texts"}
    assert current_revision(engine) == head_revision()


def test_fresh_file_gets_schema_only_from_migrations(tmp_path: Path) -> None:
    from kb.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= KB_TABLES
    finally:
        engine.dispose()
