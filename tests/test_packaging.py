"""kb works when installed from its wheel into a fresh virtual environment, outside the checkout."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run(*argv: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command, failing the test with its output when it exits non-zero."""
    result = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{argv} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build kb's wheel from the checkout (no build isolation: hatchling is a test extra)."""
    out = tmp_path_factory.mktemp("wheel")
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        out,
        REPO,
        cwd=REPO,
    )
    (built,) = out.glob("kb-*.whl")
    return built


def test_wheel_bundles_migrations_seeds_and_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "kb/_data/migrations/env.py" in names
    assert any(n.startswith("kb/_data/migrations/versions/0001") for n in names)
    assert "kb/_data/seeds/jjtv-2023-02-02-kazakhstan-eu-30-years.txt" in names
    assert any(n.startswith("kb/_data/seeds_data/") and n.endswith(".yaml") for n in names)


@pytest.mark.slow
def test_installed_wheel_loads_and_answers_from_an_empty_directory(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    run(venv / "bin" / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    workdir = tmp_path / "empty"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("KB_DATABASE_URL", "PYTHONPATH")}
    kb = venv / "bin" / "kb"

    loaded = run(kb, "load", cwd=workdir, env=env)
    assert "inserted" in loaded
    assert (workdir / "kb.sqlite3").exists()

    quotes = run(
        kb, "quotes", "--by", "kestutis-jankauskas", "--format", "jsonl", cwd=workdir, env=env
    )
    assert quotes.count("\n") == 2
    assert "That was in 1995." in quotes
    assert "invested almost US$77 billion" in quotes
