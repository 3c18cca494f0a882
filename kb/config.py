"""Where the database URL comes from: --db, then KB_DATABASE_URL, then ./kb.sqlite3."""

from __future__ import annotations

import os
from pathlib import Path

from kb.errors import ConfigError

DEFAULT_DB = "kb.sqlite3"
ENV_VAR = "KB_DATABASE_URL"


def database_url(db: str | None = None) -> str:
    """Turn a --db value (a file path or a SQLAlchemy URL) into a SQLAlchemy URL."""
    value = db or os.environ.get(ENV_VAR) or DEFAULT_DB
    if "://" in value:
        if value.startswith("sqlite") or value.startswith("postgresql"):
            return value
        raise ConfigError(
            f"Unsupported database URL {value!r}: use a file path, sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DBNAME."
        )
    path = Path(value).expanduser()
    if path.is_dir():
        raise ConfigError(
            f"--db {value!r} is a directory; give a file path such as {path / DEFAULT_DB}."
        )
    from sqlalchemy.engine import URL

    # URL.create escapes '?', '%' and '#' in the path, which an f-string URL would misread.
    return URL.create("sqlite", database=str(path.resolve())).render_as_string()
