"""`kb draft`: turn a plain-text news article into grounded draft records to review.

Deterministic text analysis: the article is split into sentences (segment), its quotations
found (marks) and attributed (quotes), its people (people), figures (figures), events (events)
and the phrases that may name parties (parties) extracted; then linked into the knowledge base
(linking, asking known: the database through known_db, data files not loaded yet) and
assembled into records of the data format (records, shared), written as YAML or JSON (render).
The draft only reads the database.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.draft.dates import Published, parse_published
from kb.draft.events import find_events
from kb.draft.figures import find_figures
from kb.draft.known import EMPTY, Both, Known, read_files
from kb.draft.linking import link
from kb.draft.marks import find_quotations
from kb.draft.people import find_people
from kb.draft.quotes import find_quotes
from kb.draft.record import DraftRecord
from kb.draft.records import Article, Draft, Slugs, assemble, slugify
from kb.draft.render import to_json, to_yaml
from kb.draft.segment import layout
from kb.errors import KbError

__all__ = [
    "EMPTY",
    "Article",
    "Draft",
    "DraftRecord",
    "Known",
    "Published",
    "default_data_dir",
    "draft",
    "knowledge_base",
    "parse_published",
    "read_article",
    "to_json",
    "to_yaml",
]


def draft(article: Article, known: Known = EMPTY) -> Draft:
    """The draft records of an article (people, quotes, figures, events and the parties and
    metrics they need), grounded and linked into `known`; KbError if the article's source slug
    is already taken there."""
    if known.taken("source", [article.slug]):
        raise KbError(
            f"A source {article.slug!r} is already in {known.label}: the draft would define it "
            "again. Give the new article another slug with --source-slug."
        )
    parts = layout(article.text)
    quotations = find_quotations(parts)
    people = find_people(parts)
    quotes = find_quotes(parts, quotations, people)
    figures = find_figures(parts, article.published)
    opens = [(quotation.open, quotation.close) for quotation in quotations]

    def quoted(position: int) -> bool:
        return any(start < position < end for start, end in opens)

    events = find_events(parts, people, article.published, quoted)
    slugs = Slugs(known)
    surfaces = [" ".join(article.text[f.start : f.end].split()) for f in figures]
    linked = link(parts, people, figures, surfaces, events, known, slugs.take)
    result = assemble(
        article, parts.title, parts.author, people, quotes, figures, events, linked, slugs
    )
    result.against = known.label
    return result


def default_data_dir(article: Path) -> Path | None:
    """The data files an article's draft is drafted beside: seeds_data/ next to the seeds/
    directory holding the article, when there is one."""
    folder = article.resolve().parent
    data = folder.parent / "seeds_data"
    return data if folder.name == "seeds" and data.is_dir() else None


@contextmanager
def knowledge_base(
    article: Path, *, db: str | None, data: Path | None, alone: bool = False
) -> Iterator[Known]:
    """What a draft of `article` is linked against: the data files (`data`, else those beside
    the article) and the database (`db`, else ./kb.sqlite3 when it exists). With `alone`,
    neither (only `data` when given). A database or directory given but missing is a KbError."""
    views: list[Known] = []
    if data is not None and not data.is_dir():
        raise KbError(f"--data {data}: no such directory of data files.")
    folder = data if data is not None or alone else default_data_dir(article)
    if folder is not None:
        files = read_files(folder)
        views.append(files)
    url = None if alone else _database_url(db)
    if url is None:
        yield _combined(views)
        return
    from kb.db import describe_url
    from kb.draft.known_db import Database
    from kb.queries import reading

    with reading(url) as connection:
        yield _combined([*views, Database(connection, f"the database {describe_url(url)}")])


def _database_url(db: str | None) -> str | None:
    """The URL of the database to draft against: --db / KB_DATABASE_URL, else ./kb.sqlite3
    when that file exists, else none."""
    from kb.config import DEFAULT_DB, database_url

    if db:
        return database_url(db)
    return database_url(DEFAULT_DB) if Path(DEFAULT_DB).is_file() else None


def _combined(views: list[Known]) -> Known:
    """One view of several (EMPTY for none)."""
    if not views:
        return EMPTY
    return views[0] if len(views) == 1 else Both(views)


def read_article(
    path: Path, *, source_slug: str | None = None, published: str | None = None
) -> Article:
    """Read an article file (UTF-8) as the loader will; KbError if it cannot be drafted."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise KbError(f"No file {path}.") from None
    except IsADirectoryError:
        raise KbError(f"{path} is a directory: give the article's text file.") from None
    except OSError as error:
        raise KbError(f"Cannot read {path}: {error.strerror or error}.") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise KbError(
            f"{path} is not UTF-8 (byte {raw[error.start]:#04x} on line {line}): "
            "convert it to UTF-8 first."
        ) from None
    if not text.strip():
        raise KbError(f"{path} is empty.")
    slug = source_slug if source_slug is not None else slugify(path.stem) or "article"
    if slugify(slug) != slug:
        raise KbError(
            f"--source-slug {slug!r} is not a slug: use lowercase letters, digits and single "
            f"hyphens, e.g. {slugify(slug) or 'my-article'!r}."
        )
    return Article(
        text=text,
        path=path.name,
        sha256=hashlib.sha256(raw).hexdigest(),
        slug=slug,
        published=parse_published(published) if published is not None else None,
    )
