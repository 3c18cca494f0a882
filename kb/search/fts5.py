"""The search SQL on SQLite: FTS5 MATCH per table, ranked by bm25, snippets by snippet().

Each table's matches are ranked inside its FTS5 table (`ORDER BY bm25 LIMIT :limit`) before the
join to the content table, so joins and snippets are computed for at most `limit` rows per
table. bm25 ranks only the newest matches of each table (the highest rowids, which FTS5 finds
without ranking): a word found in most rows would otherwise have every row scored.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    TableClause,
    Text,
    bindparam,
    column,
    exists,
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
    Limit,
    best,
    best_of,
    capped_count,
    hit_columns,
    no_recency,
    table_of,
    unranked,
)
from kb.search.index import fts_table


@cache
def statement(hit_types: tuple[str, ...], ranked: int, newest: frozenset[str]) -> HitSelect:
    """The best `:limit` hits of the FTS5 query `:match` among `hit_types`: bm25 ranks the
    newest `ranked` matches of each type, except for the types in `newest`, whose newest
    matches come unranked.

    Built once per set of types, with the query and the limit as parameters: building the
    statement costs more than running it on a small database.
    """
    query = bindparam("match", type_=Text)
    limit = bindparam("limit", type_=Integer)
    arms = [_arm(hit_type, query, limit, ranked, hit_type in newest) for hit_type in hit_types]
    if "quote" in hit_types:
        arms.append(_spoken(query, limit, ranked))
    return best_of(arms, limit)


@cache
def counts(hit_types: tuple[str, ...], words: int, cap: int) -> Select[Any]:
    """One row: for each of `hit_types`, how many records' own text the FTS5 query `:match`
    finds, and (as `<type>_<i>`, for `words` > 1) how many records hold the word `:word_<i>`
    of the query, each counting at most `cap` + 1 (a count above `cap` says "more than").

    bm25 counts the records holding each word of a query, however few hold them all: a
    type where a word is that common is not worth ranking.
    """
    found: list[ColumnElement[Any]] = []
    for hit_type in hit_types:
        fts = _fts(table_of(hit_type).name)
        queries = {hit_type: "match"}
        if words > 1:
            queries |= {f"{hit_type}_{i}": f"word_{i}" for i in range(words)}
        for label, parameter in queries.items():
            rows = select(fts.c.rowid).where(_whole(fts).match(bindparam(parameter, type_=Text)))
            found.append(capped_count(rows, cap).label(label))
    return select(*found)


def _arm(
    hit_type: str, query: BindParameter[str], limit: Limit, ranked: int, newest: bool
) -> HitSelect:
    """The best `limit` hits of one table (its newest, unranked, if `newest`), with their
    snippets."""
    content = table_of(hit_type)
    if newest:
        matches = _newest_matches(content.name, query, limit)
    else:
        matches = _matches(content.name, query, limit, ranked)
    return hit_columns(
        hit_type, content, matches.c.snippet, matches.c.rank, matches.c.recency
    ).join_from(matches, content, content.c.id == matches.c.id)


def _spoken(query: BindParameter[str], limit: Limit, ranked: int) -> HitSelect:
    """Quotes whose speaker matches (and whose own words do not): the best `limit` of them."""
    quotes = table_of("quote")
    speakers = _matches("people", query, limit, ranked)
    arm = (
        hit_columns(
            "quote",
            quotes,
            speakers.c.snippet,
            speakers.c.rank,
            speakers.c.recency,
            said=quotes.c.text,
        )
        .join_from(speakers, quotes, quotes.c.speaker_id == speakers.c.id)
        .where(~_own_words(quotes.c.id, query))
    )
    return best(arm, limit)


def _own_words(quote_id: ColumnElement[int], query: BindParameter[str]) -> ColumnElement[bool]:
    """The quote's own words match: one lookup of its rowid in the FTS5 table (a NOT IN of
    every matching quote would first list them all)."""
    fts = _fts("quotes")
    return exists().where(_whole(fts).match(query), fts.c.rowid == quote_id)


def _matches(content: str, query: BindParameter[str], limit: Limit, ranked: int) -> Subquery:
    """The best `limit` rows of `content`'s FTS5 table matching `query`, among its newest
    `ranked` matches: id, rank (bm25), recency (NULL), snippet."""
    fts = _fts(content)
    whole = _whole(fts)
    # bm25() itself, not the `rank` column, which costs twice as much in ORDER BY … LIMIT.
    rank = func.bm25(whole, type_=Float).label("rank")
    return (
        select(fts.c.rowid.label("id"), rank, no_recency().label("recency"), _snippet(fts))
        .where(whole.match(query), fts.c.rowid >= _newest(fts, query, ranked))
        .order_by(rank)
        .limit(limit)
        .subquery("matches")
    )


def _newest_matches(content: str, query: BindParameter[str], limit: Limit) -> Subquery:
    """The newest `limit` rows of `content`'s FTS5 table matching `query`, unranked: id,
    rank (NULL), recency (1 for the newest), snippet. No row is scored."""
    fts = _fts(content)
    newest = (
        select(fts.c.rowid.label("id"), _snippet(fts))
        .where(_whole(fts).match(query))
        .order_by(fts.c.rowid.desc())
        .limit(limit)
        .subquery("newest")
    )
    # Numbered outside the LIMIT: a window over the match itself would read every match.
    recency = func.row_number().over(order_by=newest.c.id.desc())
    return select(
        newest.c.id, unranked().label("rank"), recency.label("recency"), newest.c.snippet
    ).subquery("matches")


def _snippet(fts: TableClause) -> ColumnElement[str]:
    """The matching text of a row of `fts`, cut around the match, matched words marked."""
    whole = _whole(fts)
    snippet = func.snippet(whole, -1, MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_WORDS, type_=Text)
    return snippet.label("snippet")


def _newest(fts: TableClause, query: BindParameter[str], ranked: int) -> ColumnElement[int]:
    """The smallest rowid of the newest `ranked` matches (0 when fewer match): FTS5 walks
    the matches from the highest rowid down without ranking them, and takes the bound on
    rowid as a range, so bm25 scores only the rows above it."""
    boundary = (
        select(fts.c.rowid)
        .where(_whole(fts).match(query))
        .order_by(fts.c.rowid.desc())
        .limit(1)
        .offset(ranked - 1)
        .scalar_subquery()
    )
    return func.coalesce(boundary, 0)


def fts_rows(content: str, match: str) -> Select[Any]:
    """The rowids (ids in `content`) of the rows whose FTS5 entry matches the query `match`."""
    fts = _fts(content)
    return select(fts.c.rowid).where(_whole(fts).match(literal(match, Text)))


def _fts(content: str) -> TableClause:
    """The FTS5 table over `content`, with the hidden columns a search reads."""
    name = fts_table(content)
    return table(name, column("rowid"), column(name))


def _whole(fts: TableClause) -> ColumnElement[str]:
    """The hidden column named like the table: it stands for the whole row in MATCH and
    in auxiliary functions such as snippet()."""
    return fts.c[fts.name]
