"""Where kb finds the migrations and the bundled collection, in a checkout or an installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the bundled directory `name` (migrations, seeds or seeds_data).

    A wheel carries them under kb/_data/; a checkout (or an editable install) has them at the
    top of the repository, beside the kb package.
    """
    bundled = _PACKAGE / "_data" / name
    if bundled.is_dir():
        return bundled
    return _PACKAGE.parent / name


def migrations_dir() -> Path:
    """Return the Alembic script directory."""
    return data_dir("migrations")


def bundled_data_dir() -> Path:
    """Return the curated collection shipped with kb (seeds_data/)."""
    return data_dir("seeds_data")
