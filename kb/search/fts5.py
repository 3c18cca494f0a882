"""The search SQL on SQLite: FTS5 MATCH per table, ranked by bm25, snippets by snippet().

Each table's matches are ranked inside its FTS5 table (`ORDER BY rank LIMIT :limit`, the
shape FTS5 serves best) before the join to the content table, so joins and snippets are
computed for at most `limit` rows per table.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Subquery,
    TableClause,
    Text,
    column,
    func,
    literal,
    select,
    table,
)

from kb.search.hits import (
    ELLIPSIS,
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_WORDS,
    HitSelect,
    best,
    hit_columns,
    ranked,
    table_of,
)
from kb.search.index import fts_table


def statement(match: str, hit_types: Sequence[str], limit: int) -> HitSelect:
    """The best `limit` hits of the FTS5 query `match` among `hit_types`."""
    query = literal(match, Text)
    arms = [_arm(hit_type, query, limit) for hit_type in hit_types]
    if "quote" in hit_types:
        arms.append(_spoken(query, limit))
    return ranked(arms, limit)


def _arm(hit_type: str, query: BindParameter[str], limit: int) -> HitSelect:
    """The best `limit` hits of one table, with their snippets."""
    content = table_of(hit_type)
    matches = _matches(content.name, query, limit)
    return hit_columns(hit_type, content, matches.c.snippet, matches.c.rank).join_from(
        matches, content, content.c.id == matches.c.id
    )


def _spoken(query: BindParameter[str], limit: int) -> HitSelect:
    """Quotes whose speaker matches (and whose own words do not): the best `limit` of them."""
    quotes = table_of("quote")
    speakers = _matches("people", query, limit)
    quotes_fts = _fts(quotes.name)
    own_words = select(quotes_fts.c.rowid).where(_whole(quotes_fts).match(query))
    arm = (
        hit_columns("quote", quotes, speakers.c.snippet, speakers.c.rank, said=quotes.c.text)
        .join_from(speakers, quotes, quotes.c.speaker_id == speakers.c.id)
        .where(quotes.c.id.not_in(own_words))
    )
    return best(arm, limit)


def _matches(content: str, query: BindParameter[str], limit: int) -> Subquery:
    """The best `limit` rows of `content`'s FTS5 table matching `query`: id, rank, snippet."""
    fts = _fts(content)
    snippet = func.snippet(
        _whole(fts), -1, MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_WORDS, type_=Text
    )
    return (
        select(fts.c.rowid.label("id"), fts.c.rank, snippet.label("snippet"))
        .where(_whole(fts).match(query))
        .order_by(fts.c.rank)
        .limit(limit)
        .subquery("matches")
    )


def _fts(content: str) -> TableClause:
    """The FTS5 table over `content`, with the hidden columns a search reads."""
    name = fts_table(content)
    return table(name, column("rowid"), column("rank", Float), column(name))


def _whole(fts: TableClause) -> ColumnElement[str]:
    """The hidden column named like the table: it stands for the whole row in MATCH and
    in auxiliary functions such as snippet()."""
    return fts.c[fts.name]
