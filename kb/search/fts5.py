"""The search SQL on SQLite: FTS5 MATCH per table, ranked by bm25, snippets by snippet().

Each table's matches are ranked inside its FTS5 table (`ORDER BY bm25 LIMIT :limit`) before the
join to the content table, so joins and snippets are computed for at most `limit` rows per
table. bm25 ranks only the newest matches of each table (the highest rowids, which FTS5 finds
without ranking): a word found in most rows would otherwise have every row scored.

quotes_fts holds each quote's words and its speaker's name and aliases (kb.search.index), so
one MATCH finds "Jankauskas investment"; bm25 weighs the speaker's columns at SPEAKER_WEIGHT.
The best quotes are found first and only then marked up: the snippet of their words, and the
speaker's name (or aliases) where the match is in them, each looked up again by rowid.
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
    and_,
    bindparam,
    column,
    func,
    literal,
    select,
    table,
    type_coerce,
)

from kb.search.hits import (
    ELLIPSIS,
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_WORDS,
    HitSelect,
    Limit,
    capped_count,
    hit_columns,
    no_recency,
    speaker_marks,
    table_of,
    unranked,
)
from kb.search.index import FTS_TABLES, SPEAKER_COLUMNS, SPEAKER_WEIGHT, fts_columns, fts_table

# Columns of quotes_fts, by position (FTS5's auxiliary functions take a column's number).
QUOTE_TEXT, SPEAKER_NAME, SPEAKER_ALIASES = range(len(fts_columns("quotes")))


@cache
def counts(hit_types: tuple[str, ...], words: int, cap: int, common: int) -> Select[Any]:
    """One row: for each of `hit_types`, how many records the FTS5 query `:match` finds in
    its index (a quote's holds its speaker's names), counting at most `cap` + 1 (a count above
    `cap` says "more than"), and (as `<type>_<i>`, for `words` > 1) how many records hold the
    word `:word_<i>` of the query, counting at most `common` + 1.

    bm25 counts the records holding each word of a query, however few hold them all: a
    type where a word is that common is not worth ranking.
    """
    found: list[ColumnElement[Any]] = []
    for hit_type in hit_types:
        fts = _fts(table_of(hit_type).name)
        queries = {hit_type: ("match", cap)}
        if words > 1:
            queries |= {f"{hit_type}_{i}": (f"word_{i}", common) for i in range(words)}
        for label, (parameter, most) in queries.items():
            rows = select(fts.c.rowid).where(_whole(fts).match(bindparam(parameter, type_=Text)))
            found.append(capped_count(rows, most).label(label))
    return select(*found)


@cache
def statement(hit_type: str, ranked: int, newest: bool) -> HitSelect:
    """The best `:limit` hits of one type for the FTS5 query `:match`, unordered, with their
    snippets: bm25 ranks its newest `ranked` matches, or, if `newest`, its newest matches
    come unranked.

    Built once per process, with the query and the limit as parameters (building a
    statement costs more than running it on a small database); each type has one of its own
    (kb.search.hits.best() merges their hits), so a search finding a new set of types builds
    nothing new.
    """
    query = bindparam("match", type_=Text)
    limit = bindparam("limit", type_=Integer)
    content = table_of(hit_type)
    if hit_type == "quote":
        return _quotes(query, limit, ranked, newest)
    if newest:
        matches = _newest_matches(content.name, query, limit)
    else:
        matches = _matches(content.name, query, limit, ranked)
    return hit_columns(
        hit_type, content, matches.c.snippet, matches.c.rank, matches.c.recency
    ).join_from(matches, content, content.c.id == matches.c.id)


def _quotes(query: BindParameter[str], limit: Limit, ranked: int, newest: bool) -> HitSelect:
    """The best `limit` quotes (their newest, unranked, if `newest`) matched by their words,
    their speaker's names, or both; then, for those alone, the snippet of their words and the
    speaker's name or aliases marked where they match (see hits.speaker_marks)."""
    quotes, people = table_of("quote"), table_of("person")
    if newest:
        matches = _newest_matches("quotes", query, limit, snippet=False)
    else:
        matches = _matches("quotes", query, limit, ranked, snippet=False)
    fts = _fts("quotes")
    whole = _whole(fts)
    marks = speaker_marks(
        text=quotes.c.text,
        marked_text=_highlight(fts, QUOTE_TEXT),
        name=people.c.name,
        marked_name=_highlight(fts, SPEAKER_NAME),
        aliases=type_coerce(people.c.aliases, Text),
        marked_aliases=_highlight(fts, SPEAKER_ALIASES),
    )
    return (
        hit_columns(
            "quote",
            quotes,
            _snippet(fts, QUOTE_TEXT),
            matches.c.rank,
            matches.c.recency,
            **marks,
        )
        .join_from(matches, quotes, quotes.c.id == matches.c.id)
        .join(people, people.c.id == quotes.c.speaker_id)
        # The FTS5 row of each quote again, matched, for snippet() and highlight(): looked up
        # by rowid. An outer join (every quote has its row), the MATCH in its ON clause, so
        # that SQLite keeps it inside: as the outer loop, it would read every match.
        .outerjoin(fts, and_(fts.c.rowid == matches.c.id, whole.match(query)))
    )


def _rank(fts: TableClause) -> ColumnElement[float]:
    """bm25 of a row of `fts`; in quotes_fts the speaker's names weigh less than the words."""
    whole = _whole(fts)
    if fts.name != fts_table("quotes"):
        return func.bm25(whole, type_=Float)
    weight = SPEAKER_WEIGHT["sqlite"]
    weights = [1.0] * len(FTS_TABLES["quotes"]) + [weight] * len(SPEAKER_COLUMNS)
    return func.bm25(whole, *weights, type_=Float)


def _matches(
    content: str, query: BindParameter[str], limit: Limit, ranked: int, *, snippet: bool = True
) -> Subquery:
    """The best `limit` rows of `content`'s FTS5 table matching `query`, among its newest
    `ranked` matches: id, rank (bm25), recency (NULL), and snippet unless not `snippet`."""
    fts = _fts(content)
    whole = _whole(fts)
    # bm25() itself, not the `rank` column, which costs twice as much in ORDER BY … LIMIT.
    rank = _rank(fts).label("rank")
    snippets = [_snippet(fts)] if snippet else []
    return (
        select(fts.c.rowid.label("id"), rank, no_recency().label("recency"), *snippets)
        .where(whole.match(query), fts.c.rowid >= _newest(fts, query, ranked))
        .order_by(rank)
        .limit(limit)
        .subquery("matches")
    )


def _newest_matches(
    content: str, query: BindParameter[str], limit: Limit, *, snippet: bool = True
) -> Subquery:
    """The newest `limit` rows of `content`'s FTS5 table matching `query`, unranked: id,
    rank (NULL), recency (1 for the newest), and snippet unless not `snippet`. No row is
    scored."""
    fts = _fts(content)
    snippets = [_snippet(fts)] if snippet else []
    newest = (
        select(fts.c.rowid.label("id"), *snippets)
        .where(_whole(fts).match(query))
        .order_by(fts.c.rowid.desc())
        .limit(limit)
        .subquery("newest")
    )
    # Numbered outside the LIMIT: a window over the match itself would read every match.
    recency = func.row_number().over(order_by=newest.c.id.desc())
    snippets = [newest.c.snippet] if snippet else []
    return select(
        newest.c.id, unranked().label("rank"), recency.label("recency"), *snippets
    ).subquery("matches")


def _snippet(fts: TableClause, column_number: int = -1) -> ColumnElement[str]:
    """The matching text of a row of `fts` (of its column `column_number`; -1: the column
    FTS5 finds best), cut around the match, matched words marked."""
    whole = _whole(fts)
    snippet = func.snippet(
        whole, column_number, MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_WORDS, type_=Text
    )
    return snippet.label("snippet")


def _highlight(fts: TableClause, column_number: int) -> ColumnElement[str]:
    """The whole of column `column_number` of a row of `fts`, matched words marked."""
    return func.highlight(_whole(fts), column_number, MARK_OPEN, MARK_CLOSE, type_=Text)


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
