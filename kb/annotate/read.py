"""annotate(): read one source with every grounded span of it and its uncovered sentences."""

from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection

from kb.annotate.coverage import uncovered
from kb.annotate.spans import Annotation, marks_of
from kb.tables import SOURCES

_SOURCE = select(SOURCES.c.id, SOURCES.c.slug, SOURCES.c.title, SOURCES.c.text).where(
    SOURCES.c.slug == bindparam("slug")
)


def annotate(connection: Connection, slug: str) -> Annotation | None:
    """The source `slug` with its marks in text order and its uncovered sentences; None when
    there is no such source.

    Reads the source, then the marks with one select per table (quotes, figures, events,
    roles), and, for their conflicts, the figures that measure what one of its figures and
    another figure measure (one select).
    """
    row = connection.execute(_SOURCE, {"slug": slug}).first()
    if row is None:
        return None
    source_id, slug, title, text = row
    marks = tuple(marks_of(connection, source_id))
    starts = [mark.start for mark in marks]
    ends = [mark.end for mark in marks]
    left = uncovered(text, zip(starts, ends, strict=True), in_order=True)
    return Annotation(source_id, slug, title, text, marks, tuple(left))
