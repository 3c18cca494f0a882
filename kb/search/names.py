"""Find rows by the words of a name through the full-text index, to look names up without a scan."""

from __future__ import annotations

from sqlalchemy import ARRAY, ColumnElement, Integer, Text, any_, cast, func, literal, select
from sqlalchemy.sql.expression import TableClause

from kb.search.terms import WORD, Term, fts5_query


def holding_phrase(dialect: str, table: TableClause, text: str) -> ColumnElement[bool] | None:
    """Rows of `table` whose indexed text holds the words of `text` in sequence; None when
    `text` has no word to look for. Case (and, on SQLite, accents) do not matter."""
    if not WORD.search(text):
        return None
    if dialect == "sqlite":
        from kb.search.fts5 import fts_rows

        return table.c.id.in_(fts_rows(table.name, fts5_query([Term(text)])))
    from kb.search.tsvector import SIMPLE, stored

    phrase = func.phraseto_tsquery(SIMPLE, literal(text, Text))
    documents = stored(table.name)
    matching = documents.c.document.op("@@", is_comparison=True)(phrase)
    # The ids as one array, computed once: `id = ANY(array)` is an index condition, which a
    # caller's OR (slug = … OR this) can combine with another (IN (SELECT …) is not).
    ids = select(func.array_agg(documents.c.id)).where(matching).scalar_subquery()
    return table.c.id == any_(cast(ids, ARRAY(Integer)))
