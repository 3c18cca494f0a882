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

The statements are built once per shape of query (how many terms, which are prefixes; or a
--raw query) and type, with the words as parameters: building one costs more than
running it. The tsquery is written out wherever it is used, not read from a CTE: the planner
then sees its value (the parameters of a statement that is not prepared are known when it is
planned) and estimates how many rows it matches from the documents' statistics, a few or
most of them, and so whether to search the GIN index or walk the table newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, reduce
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    ColumnElement,
    Float,
    Integer,
    Select,
    Subquery,
    Text,
    bindparam,
    case,
    cast,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.expression import TableClause

from kb.search.hits import (
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


# What a statement depends on besides the types: for each term of the query, whether it is a
# prefix; None for a --raw query.
Shape = tuple[bool, ...] | None


class Query(NamedTuple):
    """The tsqueries of a search: `tsq` finds every term, `words` any of them (what a quote's
    headline marks: its words may hold some terms and its speaker's names the others, and
    ts_headline marks nothing in a text that holds no match of the whole query)."""

    tsq: ColumnElement[str]
    words: ColumnElement[str]


def shape(terms: Sequence[Term]) -> tuple[bool, ...]:
    """The shape of a query of `terms`."""
    return tuple(term.prefix for term in terms)


def parameters(terms: Sequence[Term]) -> dict[str, str]:
    """The values of the parameters of a statement of shape(terms): each term's words (for a
    prefix term, sanitized lexemes ending in `:*`)."""
    return {
        f"term_{i}": tsquery_prefix(term) if term.prefix else term.text
        for i, term in enumerate(terms)
    }


def raw_parameters(query: str) -> dict[str, str]:
    """The value of the parameter of a statement of shape None: the user's own tsquery."""
    return {"raw": query}


def _query(shape: Shape) -> Query:
    """The tsqueries of a query of `shape`, from parameters that cannot be syntax errors (but
    the --raw one: its syntax is the user's)."""
    if shape is None:
        raw = func.to_tsquery(SIMPLE, bindparam("raw", type_=Text))
        return Query(raw, raw)
    # A term's words must be adjacent (phraseto_tsquery takes any text); a prefix term goes
    # through to_tsquery as sanitized lexemes ending in `:*`.
    terms = [
        (func.to_tsquery if prefix else func.phraseto_tsquery)(
            SIMPLE, bindparam(f"term_{i}", type_=Text)
        )
        for i, prefix in enumerate(shape)
    ]
    return Query(
        reduce(lambda left, right: left.op("&&")(right), terms),
        reduce(lambda left, right: left.op("||")(right), terms),
    )


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


@cache
def statement(shape: Shape, hit_type: str, ranked: int, newest: bool) -> HitSelect:
    """The best `:limit` hits of one type for a query of `shape`, unordered: ts_rank_cd ranks
    its newest `ranked` matches, or, if `newest`, its newest matches come unranked. Headlines
    only for those (ts_headline is costly). The words are parameters (parameters(),
    raw_parameters()).

    Built once per process: each type has a statement of its own (kb.search.hits.best()
    merges their hits), so a search finding a new set of types builds nothing new.
    """
    query, limit = _query(shape), bindparam("limit", type_=Integer)
    content = table_of(hit_type)
    if newest:
        matches = _newest_matches(content, query, limit)
    else:
        matches = _matches(content, query, limit, ranked)
    if hit_type == "quote":
        return _quotes(matches, query)
    return hit_columns(
        hit_type, content, _headline(content, query), matches.c.rank, matches.c.recency
    ).join_from(matches, content, content.c.id == matches.c.id)


def _quotes(matches: Subquery, query: Query) -> HitSelect:
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
    headline = func.ts_headline(SIMPLE, quotes.c.text, query.words, HEADLINE_OPTIONS, type_=Text)
    return (
        hit_columns("quote", quotes, headline, matches.c.rank, matches.c.recency, **marks)
        .join_from(matches, quotes, quotes.c.id == matches.c.id)
        .join(people, people.c.id == quotes.c.speaker_id)
    )


def _matches(content: TableClause, query: Query, limit: Limit, ranked: int) -> Subquery:
    """The best `limit` rows of `content` matching `query`, among its newest `ranked` matches:
    id, rank and recency (NULL). The newest are found without ranking, with their stored
    documents, which ts_rank_cd then scores (only theirs)."""
    # A type is ranked when it has at most COUNTED matches: all of them are found through the
    # GIN index and the newest kept. `id + 0` is not the primary key's order, which the
    # planner could otherwise walk backwards testing every row, the whole table for a word
    # whose matches are few or old.
    newest = _newest(content, query, ranked, by_index=True).subquery("newest")
    rank = (-_rank(content, newest.c.document, query)).label("rank")
    return (
        select(newest.c.id, rank, no_recency().label("recency"))
        .order_by(rank)
        .limit(limit)
        .subquery("matches")
    )


def _rank(content: TableClause, document: ColumnElement[Any], query: Query) -> ColumnElement[float]:
    """ts_rank_cd of a stored `document` of `content`; a quote's speaker's names weigh less
    than its words."""
    if content.name == "quotes":
        return func.ts_rank_cd(QUOTE_WEIGHTS, document, query.tsq, type_=Float)
    return func.ts_rank_cd(document, query.tsq, type_=Float)


def _newest_matches(content: TableClause, query: Query, limit: Limit) -> Subquery:
    """The newest `limit` rows of `content` matching `query`, unranked: id, rank (NULL) and
    recency (1 for the newest)."""
    newest = _newest(content, query, limit).subquery("newest")
    recency = func.row_number().over(order_by=newest.c.id.desc())
    return select(newest.c.id, unranked().label("rank"), recency.label("recency")).subquery(
        "matches"
    )


def _newest(
    content: TableClause, query: Query, count: Limit, *, by_index: bool = False
) -> Select[Any]:
    """The ids and stored documents of the newest `count` rows of `content` matching `query`;
    `by_index`: every match is found through the GIN index (see _matches())."""
    indexed = _indexed(content)
    order = indexed.c.id + 0 if by_index else indexed.c.id
    return (
        select(indexed.c.id, indexed.c.document)
        .where(_matching(content, query))
        .order_by(order.desc())
        .limit(count)
    )


@cache
def counts(shape: Shape, hit_types: tuple[str, ...], cap: int) -> Select[Any]:
    """One row: for each of `hit_types`, how many records a query of `shape` finds in its
    index (a quote's holds its speaker's names), counting at most `cap` + 1 (so a count above
    `cap` says "more than `cap`")."""
    query = _query(shape)
    found: list[ColumnElement[Any]] = []
    for hit_type in hit_types:
        content = table_of(hit_type)
        rows = select(_indexed(content).c.id).where(_matching(content, query))
        found.append(capped_count(rows, cap).label(hit_type))
    return select(*found)


def _indexed(content: TableClause) -> TableClause:
    """The table holding the tsvectors of `content`'s rows, by id: `<table>_fts`."""
    return stored(content.name)


@cache
def stored(name: str) -> TableClause:
    """`<name>_fts`: the stored, GIN-indexed document of each row of table `name` (one object
    per table, so that a statement naming it twice names one table)."""
    return table(fts_table(name), column("id", Integer), column("document"))


def _matching(content: TableClause, query: Query) -> ColumnElement[bool]:
    """The stored document of a row of `content` matches `query`, through its GIN index."""
    return _indexed(content).c.document.op("@@", is_comparison=True)(query.tsq)


def _headline(content: TableClause, query: Query) -> ColumnElement[str]:
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
            func.to_tsvector(SIMPLE, text).op("@@", is_comparison=True)(query.tsq),
            _cut(text, query),
        )
        for text in columns
    ]
    return case(*alone, else_=whole)


def _cut(text: ColumnElement[str], query: Query) -> ColumnElement[str]:
    """ts_headline of `text`: a few words around the match, the matched words marked."""
    return func.ts_headline(SIMPLE, text, query.tsq, HEADLINE_OPTIONS, type_=Text)


def _marked(text: ColumnElement[str], query: Query) -> ColumnElement[str]:
    """The whole of `text`, every word of the query in it marked (the same text when none
    is)."""
    return func.ts_headline(SIMPLE, text, query.words, MARK_OPTIONS, type_=Text)
