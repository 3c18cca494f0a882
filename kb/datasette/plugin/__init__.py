"""Datasette hooks: kb's metadata for every kb database served, and a page per source with its
facts marked in its text.

- `startup` reads each served SQLite file once: a kb database (one with `sources` and
  `_alembic_version`) gets kb.metadata's document (tables and columns described, label
  columns, internal and search tables hidden, canned queries), with the views listed first on
  the database's page.
- `get_metadata` hands that document to Datasette; a `metadata.json` given with `-m` still
  wins, as Datasette lets local configuration override plugins.
- `register_routes` serves `/-/kb/<database>/source/<slug>`: the source's text with every
  quote, figure, event and role marked (kb.annotate), and `render_cell` links a source's row
  to it.

The pages read the file through SQLAlchemy, read-only (`mode=ro`), in a worker thread.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datasette import Response, hookimpl
from markupsafe import Markup, escape

from kb.datasette import PAGE_PREFIX, page_path

if TYPE_CHECKING:
    from datasette.app import Datasette
    from datasette.utils.asgi import Request
    from sqlalchemy.engine import Engine

# The attribute of a Datasette instance that holds kb's metadata for the databases it serves.
_METADATA = "_kb_metadata"
# Where the template puts the annotated text (replaced after rendering).
_BODY = "<!-- kb annotated text -->"
# The views an analyst starts with, listed first on a kb database's page.
_VIEWS = ("quotes_view", "figures_view", "events_view", "timeline")
# Tables whose presence makes a SQLite file a kb database.
_KB_TABLES = frozenset(("sources", "_alembic_version"))


@hookimpl
def startup(datasette: Datasette) -> Any:
    """Read the metadata of every kb database being served."""

    async def inner() -> None:
        document: dict[str, Any] = {}
        for name, database in datasette.databases.items():
            if database.is_memory or database.path is None:
                continue
            if not set(await database.table_names()) >= _KB_TABLES:
                continue
            found = await asyncio.to_thread(_read_metadata, database.path, name)
            found["databases"][name]["description_html"] = _views_first(datasette, name, found)
            databases = document.setdefault("databases", {})
            databases.update(found.pop("databases"))
            document.update({k: v for k, v in found.items() if k not in document})
        setattr(datasette, _METADATA, document)

    return inner


@hookimpl
def get_metadata(datasette: Datasette, key: str, database: str, table: str) -> dict[str, Any]:
    """kb's metadata for the kb databases served (empty for any other)."""
    return _metadata(datasette)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    """The annotated page of a source."""
    return [(rf"^{PAGE_PREFIX}/(?P<database>[^/]+)/source/(?P<slug>[a-z0-9-]+)$", source_page)]


@hookimpl
def render_cell(
    value: Any, column: str, table: str | None, database: str, datasette: Datasette
) -> Markup | None:
    """A source's slug links to its annotated page."""
    if table != "sources" or column != "slug" or not isinstance(value, str):
        return None
    if database not in (_metadata(datasette).get("databases") or {}):
        return None
    href = datasette.urls.path(page_path(database, value))
    return Markup(
        f'{escape(value)} <a class="kb-annotated-link" href="{escape(href)}">text with its facts'
        " marked</a>"
    )


async def source_page(datasette: Datasette, request: Request) -> Response:
    """The page of one source: its text with every grounded fact marked, and the facts."""
    from kb.annotate import annotate, render

    name = request.url_vars["database"]
    slug = request.url_vars["slug"]
    if name not in (_metadata(datasette).get("databases") or {}):
        return Response.html(f"No kb database called {escape(name)}.", status=404)
    path = datasette.get_database(name).path

    def build() -> tuple[str, str] | None:
        with _engine(path).connect() as connection:
            annotation = annotate(connection, slug)
        if annotation is None:
            return None

        tables: dict[str, str] = {}

        def row_url(table: str, row_id: int) -> str:
            # Computed once per table: a page may link ten thousand rows.
            if table not in tables:
                tables[table] = str(datasette.urls.table(name, table))
            return f"{tables[table]}/{row_id}"

        return annotation.title, render(annotation, row_url)

    built = await asyncio.to_thread(build)
    if built is None:
        return Response.html(f"No source with the slug {escape(slug)}.", status=404)
    title, body = built
    context = {
        "kb_title": title,
        "kb_slug": slug,
        "kb_database": name,
        "kb_body": Markup(_BODY),
        "kb_database_url": datasette.urls.database(name),
        "kb_sources_url": datasette.urls.table(name, "sources"),
    }
    page = await datasette.render_template("kb_source.html", context, request=request)
    # The annotated text goes in after Jinja: a megabyte source makes ten of HTML, which the
    # template engine would otherwise copy through its output several times.
    before, after = page.split(_BODY, 1)
    return Response.html(before + body + after)


def _metadata(datasette: Datasette) -> dict[str, Any]:
    """kb's metadata document for what `datasette` serves (empty before startup)."""
    document: dict[str, Any] = getattr(datasette, _METADATA, {})
    return document


def _read_metadata(path: str, name: str) -> dict[str, Any]:
    """kb.metadata's document for the database at `path`."""
    from kb.metadata import metadata

    with _engine(path).connect() as connection:
        return metadata(connection, name)


def _views_first(datasette: Datasette, name: str, document: dict[str, Any]) -> str:
    """The database page's description: kb's, then the views to start with, linked."""
    tables = document["databases"][name]["tables"]
    views = [view for view in _VIEWS if view in tables]
    items = "".join(
        f'<li><a href="{escape(datasette.urls.table(name, view))}">{escape(view)}</a>: '
        f"{escape((tables.get(view) or {}).get('description') or '')}</li>"
        for view in views
    )
    return (
        f"<p>{escape(document.get('description', ''))}</p>"
        f"<p>Start with the views:</p><ul>{items}</ul>"
        "<p>Each source's row links to its text with every fact marked.</p>"
    )


@lru_cache(maxsize=16)
def _engine(path: str) -> Engine:
    """A read-only SQLAlchemy engine on the SQLite file at `path`."""
    from sqlalchemy import create_engine

    uri = Path(path).resolve().as_uri()
    return create_engine(f"sqlite:///{uri.replace('file://', 'file:')}?mode=ro&uri=true")
