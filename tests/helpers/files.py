"""Small collections on disk: the documented example, and writing or editing data files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

# The example collection of docs/data-format.md, as seeds/ and seeds_data/.
EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "loader" / "example"


def copy_example(tmp_path: Path) -> Path:
    """A copy of the example collection under `tmp_path`; returns its seeds_data/."""
    shutil.copytree(EXAMPLE, tmp_path / "c")
    return tmp_path / "c" / "seeds_data"


def write(path: Path, content: str | bytes) -> Path:
    """Write a file (text is dedented, line endings kept as given), creating its directories."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(textwrap.dedent(content), encoding="utf-8", newline="")
    else:
        path.write_bytes(content)
    return path


def edit(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in a file."""
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, old
    path.write_text(content.replace(old, new), encoding="utf-8")
