"""`kb serve`: the command that starts Datasette, with kb's plugin, on a kb database.

Datasette serves SQLite files: a PostgreSQL URL, a missing file or a Datasette that is not
installed is a KbError saying what to do. The plugin itself (kb.datasette.plugin) is found by
Datasette through its entry point, so the command is plain `datasette serve`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from kb.errors import KbError

INSTALL = "pip install 'kb[datasette]'"


def datasette_command(url: str, host: str, port: int) -> list[str]:
    """The command line that serves the SQLite database at `url` on host:port."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise KbError(
            "Datasette serves SQLite files only, and this database is on "
            f"{parsed.get_backend_name()}. Load the same data files into a SQLite file "
            "(`kb load --db kb.sqlite3`) and serve that with --db kb.sqlite3."
        )
    path = Path(parsed.database or "")
    if not parsed.database or not path.is_file():
        raise KbError(
            f"No database at {path}. Build one with `kb load` (or choose another with --db)."
        )
    if importlib.util.find_spec("datasette") is None:
        raise KbError(f"Datasette is not installed. Install it with: {INSTALL}")
    return [
        sys.executable, "-m", "datasette", "serve", str(path),
        "--host", host, "--port", str(port),
    ]  # fmt: skip
