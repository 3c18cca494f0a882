"""The search SQL on PostgreSQL: 'simple' tsvectors, ranked by ts_rank_cd, snippets by ts_headline.

The match repeats the expression of migration 0002's GIN index, to_tsvector('simple', columns
joined by spaces), so the planner can use the index. 'simple' lowercases but neither stems nor
drops stop words: the closest match to FTS5's unicode61 tokenizer, so the two backends find the
same rows (a phrase keeps its "and", and "invest" does not find "investment" without `*`).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

from sqlalchemy import (
    CTE,
    JSON,
    ColumnElement,
    Float,
    Subquery,
    Table,
    Text,
    case,
    cast,
    func,
    literal,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB

from kb.search.hits import (
    MARK_CLOSE,
    MARK_OPEN,
    SNIPPET_WORDS,
    HitSelect,
    best,
    hit_columns,
    ranked,
    table_of,
)
from kb.search.index import FTS_TABLES
from kb.search.terms import Term, tsquery_prefix

# Constants, not bound parameters: the planner matches an index expression only when the
# query's expression is the same, constants included.
SIMPLE = literal_column("'simple'", Text)
SPACE = literal_column("' '", Text)
HEADLINE_OPTIONS = (
    f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, "
    f"MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
)


def tsquery(terms: Sequence[Term]) -> ColumnElement[str]:
    """A tsquery finding every term, built from bound parameters that cannot be syntax errors.

    A term's words must be adjacent (phraseto_tsquery takes any text); a prefix term goes
    through to_tsquery as sanitized lexemes ending in `:*`.
    """
    parts = [
        func.to_tsquery(SIMPLE, literal(tsquery_prefix(term), Text))
        if term.prefix
        else func.phraseto_tsquery(SIMPLE, literal(term.text, Text))
        for term in terms
    ]
    return reduce(lambda left, right: left.op("&&")(right), parts)


def raw_tsquery(query: str) -> ColumnElement[str]:
    """The user's own tsquery syntax (kb search --raw), still as a bound parameter."""
    return func.to_tsquery(SIMPLE, literal(query, Text))


def document(content: Table) -> ColumnElement[str]:
    """The text indexed for `content`: its FTS columns joined by spaces, JSON as its text.

    It must stay the expression of the index in migration 0002 (the indexed columns are all
    NOT NULL, so no coalesce is needed).
    """
    parts = [_column_text(content, name) for name in FTS_TABLES[content.name]]
    return reduce(lambda left, right: left.concat(SPACE).concat(right), parts)


def _column_text(content: Table, name: str) -> ColumnElement[str]:
    """A column as indexed text; JSON goes through jsonb, whose text shows non-ASCII letters
    as themselves where the stored JSON may hold \\u escapes."""
    column = content.c[name]
    if isinstance(column.type, JSON):
        return cast(cast(column, JSONB), Text)
    return column


def statement(query: ColumnElement[str], hit_types: Sequence[str], limit: int) -> HitSelect:
    """The best `limit` hits of the tsquery `query` among `hit_types`."""
    parsed = select(query.label("tsq")).cte("query")
    arms = [_arm(hit_type, parsed, limit) for hit_type in hit_types]
    if "quote" in hit_types:
        arms.append(_spoken(parsed, limit))
    return ranked(arms, limit)


def _arm(hit_type: str, query: CTE, limit: int) -> HitSelect:
    """The best `limit` hits of one table; headlines only for those (ts_headline is costly)."""
    content = table_of(hit_type)
    matches = _matches(content, query, limit)
    return (
        hit_columns(hit_type, content, _headline(content, query), matches.c.rank)
        .join_from(matches, content, content.c.id == matches.c.id)
        .join(query, true())
    )


def _spoken(query: CTE, limit: int) -> HitSelect:
    """Quotes whose speaker matches (and whose own words do not): the best `limit` of them."""
    quotes, people = table_of("quote"), table_of("person")
    speakers = _matches(people, query, limit)
    arm = (
        hit_columns("quote", quotes, _headline(people, query), speakers.c.rank, said=quotes.c.text)
        .join_from(speakers, people, people.c.id == speakers.c.id)
        .join(quotes, quotes.c.speaker_id == people.c.id)
        .join(query, true())
        .where(~_vector(quotes).op("@@", is_comparison=True)(query.c.tsq))
    )
    return best(arm, limit)


def _matches(content: Table, query: CTE, limit: int) -> Subquery:
    """The best `limit` rows of `content` matching `query`: id and rank."""
    vector = _vector(content)
    rank = (-func.ts_rank_cd(vector, query.c.tsq, type_=Float)).label("rank")
    return (
        select(content.c.id, rank)
        .join_from(content, query, true())
        .where(vector.op("@@", is_comparison=True)(query.c.tsq))
        .order_by(rank)
        .limit(limit)
        .subquery("matches")
    )


def _vector(content: Table) -> ColumnElement[str]:
    """The indexed tsvector of `content`."""
    return func.to_tsvector(SIMPLE, document(content))


def _headline(content: Table, query: CTE) -> ColumnElement[str]:
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
