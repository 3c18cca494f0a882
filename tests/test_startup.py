"""Start-up: each command imports only what it needs, `kb --help` lists the commands without
importing them, and the start-up benchmark keeps working (it asserts no time: DESIGN.md §6)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from kb.cli import COMMANDS
from kb.cli.group import LazyCommands

REPO = Path(__file__).resolve().parent.parent
# What a help screen must never import: the library, its database and file-format packages.
LIBRARY = ("sqlalchemy", "alembic", "yaml", "kb.db", "kb.models", "kb.queries", "kb.loader")
# What `kb quotes` must not import: migrations, YAML and the loader are for writing.
# What the read path must not import: the writing side, and the ORM with the models.
WRITING = ("alembic", "yaml", "kb.loader", "sqlalchemy.orm", "kb.models")


def imported_by(*args: str) -> list[str]:
    """The modules a fresh interpreter has imported after running `kb args` (in-process)."""
    code = f"""
import sys
from kb.cli import cli
try:
    cli.main({list(args)!r}, prog_name="kb", standalone_mode=False)
except SystemExit:
    pass
print(" ".join(sorted(sys.modules)))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()[-1].split()


def starting_with(modules: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """The modules that are one of `prefixes` or inside one of them."""
    return [m for m in modules if m in prefixes or m.startswith(tuple(f"{p}." for p in prefixes))]


def test_every_summary_is_the_first_sentence_of_its_command() -> None:
    for name, lazy in COMMANDS.items():
        command = lazy.load()
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == lazy.summary, name


def root_help(*, import_all_first: bool) -> str:
    """`kb --help` in a fresh interpreter, optionally after importing every command."""
    code = "from kb.cli import cli\n"
    if import_all_first:
        code += "dict(cli.commands)\n"
    code += "cli.main(['--help'], prog_name='kb')"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_root_help_is_the_same_before_and_after_the_commands_are_imported() -> None:
    lazily = root_help(import_all_first=False)
    assert lazily == root_help(import_all_first=True)
    assert "  quotes     List quotes verbatim, with speaker and source.\n" in lazily
    assert "  conflicts  Show where the sources disagree: figures and event dates...\n" in lazily


def test_the_lazy_commands_act_as_a_mapping() -> None:
    commands = LazyCommands(dict(list(COMMANDS.items())[:2]))
    assert list(commands) == ["load", "validate"] and len(commands) == 2
    assert "load" in commands and "quotes" not in commands and not commands.loaded
    extra = click.Command("extra")
    commands["extra"] = extra
    assert commands["extra"] is extra and len(commands) == 3
    assert commands["load"].name == "load" and list(commands.loaded) == ["extra", "load"]
    del commands["load"]
    assert list(commands) == ["validate", "extra"]
    with pytest.raises(KeyError):
        del commands["load"]


@pytest.mark.slow
def test_root_help_imports_no_command_and_nothing_of_the_library() -> None:
    modules = imported_by("--help")
    assert starting_with(modules, LIBRARY) == []
    assert starting_with(modules, ("kb",)) == ["kb", "kb.cli", "kb.cli.group"]


@pytest.mark.slow
def test_a_command_imports_its_own_module_only() -> None:
    modules = imported_by("quotes", "--help")
    assert starting_with(modules, LIBRARY) == []
    assert [m for m in starting_with(modules, ("kb.cli",)) if m.count(".") == 2] == [
        "kb.cli.browse",
        "kb.cli.common",
        "kb.cli.group",
        "kb.cli.output",
        "kb.cli.views",
    ]


@pytest.mark.slow
def test_quotes_by_a_person_imports_nothing_for_writing(seeded_sqlite: Path) -> None:
    modules = imported_by("quotes", "--by", "kestutis-jankauskas", "--db", str(seeded_sqlite))
    assert "kb.queries" in modules
    assert starting_with(modules, WRITING) == []


@pytest.mark.slow
def test_the_startup_benchmark_runs_and_appends_its_figures(tmp_path: Path) -> None:
    results = tmp_path / "results-startup.jsonl"
    results.write_text('{"earlier": "run"}\n')
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "startup_bench.py"), "--repeat", "1",
         "--warmup", "0", "--results", str(results)],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = results.read_text().splitlines()
    assert len(lines) == 2 and lines[0] == '{"earlier": "run"}'
    figures = json.loads(lines[1])
    assert set(figures["commands"]) == {
        "python",
        "import click",
        "import click, sqlalchemy.orm",
        "kb --help",
        "kb quotes --by",
    }
    assert all(f["median_ms"] > 0 for f in figures["commands"].values())
    assert set(figures["ratios"]) == {"help_over_click", "quotes_over_click_orm"}
    assert figures["targets"] == {"help_over_click": 1.5, "quotes_over_click_orm": 1.2}
    assert figures["machine"]["cpu_count"] and figures["repeat"] == 1
    assert "kb --help / import click:" in done.stdout
    assert done.stdout.rstrip().endswith(f"Appended to {results}")
