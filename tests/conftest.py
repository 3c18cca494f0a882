"""Shared fixtures: real SQLite files migrated by the real migrations, copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine

from kb.db import make_engine, upgrade
from kb.paths import bundled_data_dir

REPO = Path(__file__).resolve().parent.parent


def sqlite_url(path: Path) -> str:
    """SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database migrated to head once per session; tests copy it."""
    path = tmp_path_factory.mktemp("template") / "empty.sqlite3"
    engine = make_engine(sqlite_url(path))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> Path:
    """A database holding the bundled collection, loaded once per session; tests copy it."""
    from kb.loader import load

    path = tmp_path_factory.mktemp("seeded") / "seeded.sqlite3"
    shutil.copy(migrated_template, path)
    engine = make_engine(sqlite_url(path))
    load(engine, bundled_data_dir())
    engine.dispose()
    return path


def _copy(template: Path, dest: Path) -> Path:
    """Copy a template database file (WAL is checkpointed on close, so one file is enough)."""
    shutil.copy(template, dest)
    return dest


@pytest.fixture
def empty_db(tmp_path: Path, migrated_template: Path) -> Path:
    """Path of a fresh, migrated, empty database file."""
    return _copy(migrated_template, tmp_path / "kb.sqlite3")


@pytest.fixture
def seeded_db(tmp_path: Path, seeded_template: Path) -> Path:
    """Path of a fresh database file holding the bundled collection."""
    return _copy(seeded_template, tmp_path / "kb.sqlite3")


@pytest.fixture
def engine_for() -> Callable[[Path], Engine]:
    """Open engines on database files and dispose of them after the test."""
    engines: list[Engine] = []

    def open_engine(path: Path) -> Engine:
        engine = make_engine(sqlite_url(path))
        engines.append(engine)
        return engine

    yield open_engine  # type: ignore[misc]
    for engine in engines:
        engine.dispose()


@pytest.fixture
def kb() -> Callable[..., Result]:
    """Run a kb command in-process: kb("quotes", "--by", "x", db=path)."""
    from kb.cli import cli

    def run(*args: str, db: Path | None = None, input: str | None = None) -> Result:
        argv = list(args)
        if db is not None:
            argv += ["--db", str(db)]
        return CliRunner().invoke(cli, argv, input=input, catch_exceptions=False)

    return run
