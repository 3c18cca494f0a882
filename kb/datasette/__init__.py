"""kb's Datasette plugin: `datasette kb.sqlite3` with kb's descriptions and an annotated page per
source.

Installed with `pip install 'kb[datasette]'` and registered through Datasette's plugin entry
point (`datasette` in pyproject.toml), so that Datasette finds it with no flags. The hooks live
in kb.datasette.plugin; this package imports nothing from Datasette, so kb itself never needs it.
"""

from __future__ import annotations

# The Datasette releases the plugin is written and tested for (pyproject.toml pins the same).
SUPPORTED = ">=0.65.1,<0.66"
# Where a source's annotated page lives: /-/kb/<database>/source/<slug>.
PAGE_PREFIX = "/-/kb"


def page_path(database: str, slug: str) -> str:
    """The path of a source's annotated page, under Datasette's base URL."""
    return f"{PAGE_PREFIX}/{database}/source/{slug}"
