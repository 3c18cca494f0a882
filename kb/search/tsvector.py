"""The search SQL on PostgreSQL: 'simple' tsvectors, ranked by ts_rank_cd, snippets by ts_headline.

Every searchable table keeps its rows' tsvectors in a table of its own, `<table>_fts` (row id,
`document`), GIN-indexed and kept by triggers (migrations 0007 and 0009; kb.search.index): a
match is an index lookup there, and ranking reads the stored document instead of computing
it again. 'simple' lowercases but neither stems nor drops stop words: the closest match to
FTS5's unicode61 tokenizer, so the two backends find the same rows (a phrase keeps its "and",
and "invest" does not find "investment" without `*`). A document leaves a gap between its
columns, so a phrase never runs from one column into the next, as in FTS5.

A quote's document also holds its speaker's name and aliases, labelled C and B and ranked at
SPEAKER_WEIGHT.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, reduce
from typing import Any

from sqlalchemy import (
    CTE,
    JSON,
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    Text,
    case,
    cast,
    column,
    func,
    literal,
    literal_column,
    select,
    table,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import TableClause

from kb.search.hits import (
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_WORDS,
    HitSelect,
    best_of,
    capped_count,
    hit_columns,
    no_recency,
    speaker_marks,
    table_of,
    unranked,
)
from kb.search.index import FTS_TABLES, SPEAKER_WEIGHT, fts_table
from kb.search.terms import Term, tsquery_prefix

# Constants, not bound parameters: the planner matches an index expression only when the
# query's expression is the same, constants included.
SIMPLE = literal_column("'simple'", Text)
SPACE = literal_column("' '", Text)
HEADLINE_OPTIONS = (
    f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, "
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
)
# The whole text with its matches marked (FTS5's highlight()).
MARK_OPTIONS = f"HighlightAll=true, StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}"
# The quotes' documents hold the quote's words labelled D, its speaker's name C and aliases B.
# ts_rank_cd's weights of the labels D, C, B, A: D keeps its default.
QUOTE_WEIGHTS: ColumnElement[Any] = literal_column(
    f"ARRAY[0.1, {SPEAKER_WEIGHT['postgresql']}, {SPEAKER_WEIGHT['postgresql']}, 1.0]::real[]"
)


def tsquery(terms: Sequence[Term]) -> ColumnElement[str]:
    """A tsquery finding every term, built from bound parameters that cannot be syntax errors.

    A term's words must be adjacent (phraseto_tsquery takes any text); a prefix term goes
    through to_tsquery as sanitized lexemes ending in `:*`.
    """
    return reduce(lambda left, right: left.op("&&")(right), _term_queries(terms))


def any_tsquery(terms: Sequence[Term]) -> ColumnElement[str]:
    """A tsquery finding any of the terms: what a quote's headline marks. Its words may hold
    some terms and its speaker's names the others, and ts_headline marks nothing in a text
    that holds no match of the whole query."""
    return reduce(lambda left, right: left.op("||")(right), _term_queries(terms))


def _term_queries(terms: Sequence[Term]) -> list[ColumnElement[str]]:
    """A tsquery for each term."""
    return [
        func.to_tsquery(SIMPLE, literal(tsquery_prefix(term), Text))
        if term.prefix
        else func.phraseto_tsquery(SIMPLE, literal(term.text, Text))
        for term in terms
    ]


def raw_tsquery(query: str) -> ColumnElement[str]:
    """The user's own tsquery syntax (kb search --raw), still as a bound parameter."""
    return func.to_tsquery(SIMPLE, literal(query, Text))


def document(content: TableClause) -> ColumnElement[str]:
    """The text indexed for `content`, for its headline: its FTS columns joined by spaces,
    JSON as its text (for quotes, their words alone). The indexed columns are all NOT NULL."""
    parts = [_column_text(content, name) for name in FTS_TABLES[content.name]]
    return reduce(lambda left, right: left.concat(SPACE).concat(right), parts)


def _column_text(content: TableClause, name: str) -> ColumnElement[str]:
    """A column as indexed text; JSON goes through jsonb, whose text shows non-ASCII letters
    as themselves where the stored JSON may hold \\u escapes."""
    column = content.c[name]
    if isinstance(column.type, JSON):
        return cast(cast(column, JSONB), Text)
    return column


def statement(
    query: ColumnElement[str],
    hit_types: Sequence[str],
    limit: int,
    ranked: int,
    newest: frozenset[str] = frozenset(),
    words: ColumnElement[str] | None = None,
) -> HitSelect:
    """The best `limit` hits of the tsquery `query` among `hit_types`: ts_rank_cd ranks the
    newest `ranked` matches of each type, except for the types in `newest`, whose newest
    matches come unranked. A quote's headline marks the `words` (a tsquery finding any term
    of the query; default: `query`)."""
    words = query if words is None else words
    parsed = select(query.label("tsq"), words.label("words")).cte("query")
    arms = [_arm(hit_type, parsed, limit, ranked, hit_type in newest) for hit_type in hit_types]
    return best_of(arms, limit)


def _arm(hit_type: str, query: CTE, limit: int, ranked: int, newest: bool) -> HitSelect:
    """The best `limit` hits of one table (its newest, unranked, if `newest`); headlines only
    for those (ts_headline is costly)."""
    content = table_of(hit_type)
    if newest:
        matches = _newest_matches(content, query, limit)
    else:
        matches = _matches(content, query, limit, ranked)
    if hit_type == "quote":
        return _quotes(matches, query)
    return (
        hit_columns(hit_type, content, _headline(content, query), matches.c.rank, matches.c.recency)
        .join_from(matches, content, content.c.id == matches.c.id)
        .join(query, true())
    )


def _quotes(matches: Subquery, query: CTE) -> HitSelect:
    """The quotes of `matches` as hits: the headline of their words, and their speaker's name
    or aliases marked where they match (see hits.speaker_marks)."""
    quotes, people = table_of("quote"), table_of("person")
    aliases = _column_text(people, "aliases")
    marks = speaker_marks(
        text=quotes.c.text,
        marked_text=_marked(quotes.c.text, query),
        name=people.c.name,
        marked_name=_marked(people.c.name, query),
        aliases=aliases,
        marked_aliases=_marked(aliases, query),
    )
    headline = func.ts_headline(SIMPLE, quotes.c.text, query.c.words, HEADLINE_OPTIONS, type_=Text)
    return (
        hit_columns("quote", quotes, headline, matches.c.rank, matches.c.recency, **marks)
        .join_from(matches, quotes, quotes.c.id == matches.c.id)
        .join(people, people.c.id == quotes.c.speaker_id)
        .join(query, true())
    )


def _matches(content: TableClause, query: CTE, limit: int, ranked: int) -> Subquery:
    """The best `limit` rows of `content` matching `query`, among its newest `ranked` matches:
    id, rank and recency (NULL). The newest are found through the GIN index without ranking;
    ts_rank_cd then scores only them."""
    newest = _newest(content, query, ranked).subquery("newest")
    indexed = _indexed(content)
    rank = (-_rank(content, query)).label("rank")
    return (
        select(indexed.c.id, rank, no_recency().label("recency"))
        .join_from(newest, indexed, indexed.c.id == newest.c.id)
        .join(query, true())
        .order_by(rank)
        .limit(limit)
        .subquery("matches")
    )


def _rank(content: TableClause, query: CTE) -> ColumnElement[float]:
    """ts_rank_cd of a row of `content`, read from its stored document; a quote's speaker's
    names weigh less than its words."""
    stored = _indexed(content).c.document
    if content.name == "quotes":
        return func.ts_rank_cd(QUOTE_WEIGHTS, stored, query.c.tsq, type_=Float)
    return func.ts_rank_cd(stored, query.c.tsq, type_=Float)


def _newest_matches(content: TableClause, query: CTE, limit: int) -> Subquery:
    """The newest `limit` rows of `content` matching `query`, unranked: id, rank (NULL) and
    recency (1 for the newest)."""
    newest = _newest(content, query, limit).subquery("newest")
    recency = func.row_number().over(order_by=newest.c.id.desc())
    return select(newest.c.id, unranked().label("rank"), recency.label("recency")).subquery(
        "matches"
    )


def _newest(content: TableClause, query: CTE, count: int) -> Select[Any]:
    """The ids of the newest `count` rows of `content` matching `query`."""
    indexed = _indexed(content)
    return (
        select(indexed.c.id)
        .join_from(indexed, query, true())
        .where(_matching(content, query))
        .order_by(indexed.c.id.desc())
        .limit(count)
    )


def counts(query: ColumnElement[str], hit_types: Sequence[str], cap: int) -> Select[Any]:
    """One row: for each of `hit_types`, how many records the tsquery `query` finds in its
    index (a quote's holds its speaker's names), counting at most `cap` + 1 (so a count above
    `cap` says "more than `cap`")."""
    parsed = select(query.label("tsq")).cte("query")
    found: list[ColumnElement[Any]] = []
    for hit_type in hit_types:
        content = table_of(hit_type)
        indexed = _indexed(content)
        rows = select(indexed.c.id).join_from(indexed, parsed, true())
        found.append(capped_count(rows.where(_matching(content, parsed)), cap).label(hit_type))
    return select(*found)


def _indexed(content: TableClause) -> TableClause:
    """The table holding the tsvectors of `content`'s rows, by id: `<table>_fts`."""
    return stored(content.name)


@cache
def stored(name: str) -> TableClause:
    """`<name>_fts`: the stored, GIN-indexed document of each row of table `name` (one object
    per table, so that a statement naming it twice names one table)."""
    return table(fts_table(name), column("id", Integer), column("document"))


def _matching(content: TableClause, query: CTE) -> ColumnElement[bool]:
    """The stored document of a row of `content` matches `query`, through its GIN index."""
    return _indexed(content).c.document.op("@@", is_comparison=True)(query.c.tsq)


def _headline(content: TableClause, query: CTE) -> ColumnElement[str]:
    """The first column that matches by itself, cut around the match, matched words marked.

    Like FTS5's snippet(), it shows one column; when only the columns together match, it
    shows the whole document.
    """
    whole = _cut(document(content), query)
    columns = [_column_text(content, name) for name in FTS_TABLES[content.name]]
    if len(columns) == 1:
        return whole
    alone = [
        (
            func.to_tsvector(SIMPLE, text).op("@@", is_comparison=True)(query.c.tsq),
            _cut(text, query),
        )
        for text in columns
    ]
    return case(*alone, else_=whole)


def _cut(text: ColumnElement[str], query: CTE) -> ColumnElement[str]:
    """ts_headline of `text`: a few words around the match, the matched words marked."""
    return func.ts_headline(SIMPLE, text, query.c.tsq, HEADLINE_OPTIONS, type_=Text)


def _marked(text: ColumnElement[str], query: CTE) -> ColumnElement[str]:
    """The whole of `text`, every word of the query in it marked (the same text when none
    is)."""
    return func.ts_headline(SIMPLE, text, query.c.words, MARK_OPTIONS, type_=Text)
