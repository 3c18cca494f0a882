"""`kb draft`: turn a plain-text news article into grounded draft records to review.

Deterministic text analysis with the standard library: the article is split into sentences
(segment), its quotations found (marks) and attributed (quotes), its people (people), figures
(figures) and events (events) extracted, and everything assembled into records of the data
format (records), written as YAML or JSON (render). Nothing here touches a database.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kb.draft.dates import Published, parse_published
from kb.draft.events import find_events
from kb.draft.figures import find_figures
from kb.draft.marks import find_quotations
from kb.draft.people import find_people
from kb.draft.quotes import find_quotes
from kb.draft.records import Article, Draft, DraftRecord, assemble, slugify
from kb.draft.render import to_json, to_yaml
from kb.draft.segment import layout
from kb.errors import KbError

__all__ = [
    "Article",
    "Draft",
    "DraftRecord",
    "Published",
    "draft",
    "parse_published",
    "read_article",
    "to_json",
    "to_yaml",
]


def draft(article: Article) -> Draft:
    """The draft records of an article: people, quotes, figures and events, all grounded."""
    parts = layout(article.text)
    quotations = find_quotations(parts)
    people = find_people(parts)
    quotes = find_quotes(parts, quotations, people)
    figures = find_figures(parts, article.published)
    opens = [(quotation.open, quotation.close) for quotation in quotations]

    def quoted(position: int) -> bool:
        return any(start < position < end for start, end in opens)

    events = find_events(parts, people, article.published, quoted)
    return assemble(article, parts.title, parts.author, people, quotes, figures, events)


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
