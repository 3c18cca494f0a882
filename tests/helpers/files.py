"""Small collections on disk: the documented example, and writing or editing data files."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

# The example collection of docs/data-format.md, as seeds/ and seeds_data/.
EXAMPLE = Path(__file__).resolve().parent.parent / "data" / "loader" / "example"
DATA_FORMAT = Path(__file__).resolve().parents[2] / "docs" / "data-format.md"


def fenced_blocks(language: str) -> list[str]:
    """The bodies of the ```language blocks of docs/data-format.md, in order."""
    return re.findall(rf"```{language}\n(.*?)```", DATA_FORMAT.read_text(encoding="utf-8"), re.S)


def write_example(root: Path, *, follow_up: bool = False) -> Path:
    """Lay out the documented example collection (seeds/ and seeds_data/) under `root`; with
    `follow_up`, the documented second article too. Returns its seeds_data/."""
    texts, data = fenced_blocks("text"), fenced_blocks("yaml")
    write(root / "seeds" / "example.txt", texts[0])
    write(root / "seeds_data" / "example.yaml", data[0])
    if follow_up:
        write(root / "seeds" / "example-follow-up.txt", texts[1])
        write(root / "seeds_data" / "example-follow-up.yaml", data[1])
    return root / "seeds_data"


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
