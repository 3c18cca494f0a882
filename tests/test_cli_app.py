"""The command line as a whole: help and its examples, exit codes, errors, start-up imports."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from kb.cli import cli
from kb.paths import bundled_data_dir, data_dir
from kb.reader import Reader

Kb = Callable[..., Result]
READ_COMMANDS = [
    ("sources",),
    ("parties",),
    ("metrics",),
    ("people",),
    ("person", "kestutis-jankauskas"),
    ("quotes",),
    ("figures",),
    ("events",),
    ("stats",),
]


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command under `group`, groups included, depth first."""
    for name, command in sorted(group.commands.items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


PATHS = [(), *command_paths(cli)]


def help_text(path: tuple[str, ...]) -> str:
    """The --help output of a command."""
    result = CliRunner().invoke(cli, [*path, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    return result.stdout


def examples(path: tuple[str, ...]) -> list[str]:
    """The example command lines that end the help of a command."""
    lines = help_text(path).rstrip("\n").splitlines()
    start = lines.index("  Examples:")
    return [line.strip() for line in lines[start + 1 :]]


EXAMPLES = [(path, line) for path in PATHS for line in examples(path)]


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100-column terminal and no database from the environment."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


def test_every_command_is_registered() -> None:
    assert [" ".join(path) for path in PATHS[1:]] == [
        "check",
        "conflicts",
        "db",
        "db current",
        "db downgrade",
        "db history",
        "db reader",
        "db upgrade",
        "draft",
        "events",
        "export",
        "figures",
        "load",
        "metadata",
        "metrics",
        "parties",
        "people",
        "person",
        "quotes",
        "schema",
        "search",
        "serve",
        "sources",
        "sql",
        "stats",
        "validate",
    ]


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p) or "kb")
def test_help_ends_with_examples_of_the_command(path: tuple[str, ...]) -> None:
    text = help_text(path)
    assert text.startswith(f"Usage: {' '.join(('kb', *path))} ")
    lines = examples(path)
    assert lines
    assert all(line.startswith(" ".join(("kb", *path))) for line in lines)
    assert text.endswith(f"  Examples:\n{''.join(f'    {line}' + chr(10) for line in lines)}")


@pytest.fixture
def workspace(seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory where every help example can run.

    ./kb.sqlite3 and my.sqlite3 hold the bundled collection; seeds_data/ and my_data/ are
    copies of it, seeds/ and my_texts/ of its source texts.
    """
    root = seeded_sqlite.parent
    shutil.copy(seeded_sqlite, root / "my.sqlite3")
    for name in ("seeds_data", "my_data"):
        shutil.copytree(bundled_data_dir(), root / name)
    for name in ("seeds", "my_texts"):
        shutil.copytree(data_dir("seeds"), root / name)
    monkeypatch.chdir(root)
    return root


@pytest.mark.parametrize(("path", "line"), EXAMPLES, ids=[line for _path, line in EXAMPLES])
def test_every_help_example_runs(
    workspace: Path, path: tuple[str, ...], line: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    args = shlex.split(line, comments=True)[1:]
    started: list[list[str]] = []
    if path == ("serve",):
        # The server would run until stopped: the example's Datasette command is checked, not
        # run (tests/test_browser.py serves for real).
        monkeypatch.setattr(
            "kb.cli.serve.subprocess.call", lambda command: started.append(command) or 0
        )
    if path == ("db", "reader"):
        # The example names a PostgreSQL server the tests do not have: the command is checked
        # on the test server in tests/test_sql_reader.py; here, that the example parses.
        monkeypatch.setattr("kb.cli.db.opened", _no_database)
        monkeypatch.setattr("kb.lock.writing_alone", _no_database)
        monkeypatch.setattr(
            "kb.reader.ensure", lambda _c: (Reader("kb_reader_kb", "x", True), True)
        )
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    if path == ("serve",):
        [command] = started
        assert command[1:4] == ["-m", "datasette", "serve"]
        assert Path(command[4]).is_file()
        return
    assert result.stdout


def test_version(kb: Kb) -> None:
    result = kb("--version")
    assert (result.exit_code, result.stdout) == (0, "kb, version 0.1.0\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nonsense",), "No such command 'nonsense'"),
        (("quotes", "--speaker", "x"), "No such option '--speaker'"),
        (("quotes", "--format", "xml"), "Invalid value for '--format'"),
        (("load", "--format", "csv"), "Invalid value for '--format'"),
        (("person",), "Missing argument 'SLUG'"),
        (("db", "downgrade"), "Missing argument 'REVISION'"),
        (("load", "no/such/dir"), "Path 'no/such/dir' does not exist"),
        (("validate", "--seeds", "no/such/dir"), "Directory 'no/such/dir' does not exist"),
        (("quotes", "extra"), "Got unexpected extra argument (extra)"),
    ],
)
def test_usage_errors_exit_2(kb: Kb, args: tuple[str, ...], message: str) -> None:
    result = kb(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Usage: kb")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: a[0])
def test_read_commands_never_create_a_database(kb: Kb, tmp_path: Path, args: tuple[str]) -> None:
    missing = tmp_path / "missing.sqlite3"
    result = kb(*args, db=missing)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: No database at {missing}. Build one with `kb load` "
        "(or choose another with --db / KB_DATABASE_URL).\n"
    )
    assert not missing.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args", READ_COMMANDS, ids=lambda a: a[0])
def test_read_commands_on_a_file_that_is_not_a_database(
    kb: Kb, tmp_path: Path, args: tuple[str]
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    result = kb(*args, db=notes)
    assert result.exit_code == 1
    assert result.stderr == (f"Error: {notes} is not a SQLite database (file is not a database).\n")


def test_read_commands_on_a_sqlite_file_without_kb_tables(kb: Kb, tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE t (x)")
    connection.close()
    result = kb("quotes", db=other)
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {other} is not a kb database (it has no kb tables). Choose another with --db, "
        "or build one with `kb load`.\n"
    )


def test_load_into_a_file_that_is_not_a_database(kb: Kb, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    result = kb("load", db=notes)
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: Cannot load into {notes}: file is not a database. Nothing was written.\n",
    )


def test_unsupported_database_url(kb: Kb) -> None:
    result = kb("stats", "--db", "mysql://localhost/kb")
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Unsupported database URL 'mysql://localhost/kb'")


def test_programming_errors_are_not_disguised(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("kb.queries.quotes", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        kb("quotes", db=seeded_db)


def run_python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter (the one running the tests)."""
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


HEAVY = ("sqlalchemy", "alembic", "yaml", "kb.db", "kb.models", "kb.queries", "kb.loader")


@pytest.mark.slow
def test_help_imports_neither_sqlalchemy_nor_alembic_nor_yaml() -> None:
    helps = [[*path, "--help"] for path in PATHS] + [["--version"]]
    code = f"""
import sys
from kb.cli import cli
for args in {helps!r}:
    try:
        cli.main(args, prog_name="kb", standalone_mode=False)
    except SystemExit:
        pass
heavy = {HEAVY!r}
print(sorted(m for m in sys.modules if m.startswith(heavy)))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"


@pytest.mark.slow
def test_main_exits_1_with_one_paragraph_on_stderr(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    result = run_python("from kb.cli import main; main()", "stats", "--db", str(missing))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"Error: No database at {missing}. Build one with `kb load` "
        "(or choose another with --db / KB_DATABASE_URL).\n"
    )
    assert not missing.exists()
    usage = run_python("from kb.cli import main; main()", "quotes", "--nope")
    assert usage.returncode == 2


@contextmanager
def _no_database(_db: object, **_options: object) -> Iterator[None]:
    """Stands in for opening a database (for an example naming a server the tests lack)."""
    yield None
