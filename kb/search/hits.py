"""What both dialects' search SQL shares: the columns of a hit, and the final ranking.

Each searchable table contributes its best `limit` matches, from a statement of its own;
best() merges them and cuts them to `limit`. Lower rank is better on both dialects (FTS5's
bm25 is negative, and PostgreSQL's ts_rank_cd is negated to match). A table with too many
matches to rank contributes its newest matches unranked instead (rank NULL, `recency` 1, 2,
…): they come after the ranked hits, the newest of each table first, then the second newest
of each, and so on.

A quote is also found through its speaker: its index holds its speaker's name and aliases
beside its words (kb.search.index), so `kb search Jankauskas` lists his quotes, though his name
is outside the quoted words, and `kb search "Jankauskas investment"` the one where he speaks of
investment. Such a hit carries, besides the snippet of the quote's words, the speaker's name
marked (`speaker`, and `aliases` when only they match) and, when the quote's words hold no
match, the quote's text in `said`, from which `opening()` makes the rest of its snippet
(see speaker_marks()).
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CompoundSelect,
    Float,
    Integer,
    ScalarSelect,
    Select,
    String,
    TableClause,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
)

from kb.search.index import HIT_TYPES
from kb.tables import TABLES as LIGHT_TABLES

# How a snippet marks the words that matched, and where it cut the text.
MARK_OPEN = "«"
MARK_CLOSE = "»"
ELLIPSIS = "…"
# Words of context a snippet shows (FTS5 counts tokens; PostgreSQL words).
SNIPPET_WORDS = 16

HitSelect = Select[Any]
# A hit as a statement returns it (a RowMapping), or any mapping with its columns.
Hit = TypeVar("Hit", bound=Mapping[Any, Any])
# A row limit: a number, or a bound parameter holding one.
Limit = int | BindParameter[int]


def table_of(hit_type: str) -> TableClause:
    """The table holding hits of `hit_type`."""
    return LIGHT_TABLES[HIT_TYPES[hit_type]]


def hit_columns(
    hit_type: str,
    table: TableClause,
    snippet: ColumnElement[str],
    rank: ColumnElement[float],
    recency: ColumnElement[int],
    said: ColumnElement[str | None] | None = None,
    speaker: ColumnElement[str | None] | None = None,
    aliases: ColumnElement[str | None] | None = None,
) -> HitSelect:
    """The columns every hit has: type, slug, its source's slug, snippet, rank, recency (and
    for a quote `said`, `speaker` and `aliases`: see speaker_marks()).

    A source is its own source; a person or a metric has none (they are shared by every
    source).
    """
    marks = {"said": said, "speaker": speaker, "aliases": aliases}
    return select(
        literal(hit_type, String).label("type"),
        table.c.slug,
        source_slug(table).label("source"),
        snippet.label("snippet"),
        rank.label("rank"),
        recency.label("recency"),
        *((cast(null(), Text) if mark is None else mark).label(key) for key, mark in marks.items()),
    )


def speaker_marks(
    *,
    text: ColumnElement[str],
    marked_text: ColumnElement[str],
    name: ColumnElement[str],
    marked_name: ColumnElement[str],
    aliases: ColumnElement[str],
    marked_aliases: ColumnElement[str],
) -> dict[str, ColumnElement[str | None]]:
    """Where a quote hit matched, as the columns hit_columns() takes, from each indexed text
    and the same text with the query's matches marked (FTS5's highlight(), PostgreSQL's
    ts_headline with HighlightAll): a text holds a match when marking changed it.

    - `said`: the quote's text when its words hold no match (its snippet then shows its
      opening words), else NULL;
    - `speaker`: the speaker's name, matches marked, when the name or the aliases hold a
      match, else NULL;
    - `aliases`: the aliases (their JSON text), matches marked, when they hold a match and
      the name does not, else NULL.
    """
    in_name = marked_name != name
    in_aliases = marked_aliases != aliases
    return {
        "said": case((marked_text == text, text), else_=null()),
        "speaker": case((or_(in_name, in_aliases), marked_name), else_=null()),
        "aliases": case((and_(~in_name, in_aliases), marked_aliases), else_=null()),
    }


def unranked() -> ColumnElement[float]:
    """The rank of a hit that was not ranked."""
    return cast(null(), Float)


def no_recency() -> ColumnElement[int]:
    """The recency of a ranked hit."""
    return cast(null(), Integer)


def source_slug(table: TableClause) -> ColumnElement[str | None]:
    """The slug of the source a row of `table` comes from, or NULL where there is none."""
    if table.name == "sources":
        return table.c.slug
    if "source_id" not in table.c:
        return cast(null(), String)
    sources = LIGHT_TABLES["sources"]
    return select(sources.c.slug).where(sources.c.id == table.c.source_id).scalar_subquery()


def best(hits: Iterable[Hit], limit: int) -> list[Hit]:
    """The best `limit` of the hits every type's statement found: the ranked ones best
    (lowest rank) first, then the unranked ones by recency; ties in the order type, slug
    (stable output)."""
    return heapq.nsmallest(limit, hits, key=_order)


def _order(hit: Mapping[Any, Any]) -> tuple[bool, float, int, str, str]:
    """Where a hit goes in best()."""
    rank, recency = hit["rank"], hit["recency"]
    return (
        rank is None,
        0.0 if rank is None else rank,
        0 if recency is None else recency,
        hit["type"],
        hit["slug"],
    )


def capped_count(rows: Select[Any] | CompoundSelect[Any], cap: int) -> ScalarSelect[int]:
    """How many rows `rows` returns, counting at most `cap` + 1 of them."""
    return select(func.count()).select_from(rows.limit(cap + 1).subquery()).scalar_subquery()


def quote_snippet(snippet: str, said: str | None, speaker: str | None, aliases: str | None) -> str:
    """The snippet a quote hit shows: its speaker's marked name (with the aliases when they
    matched) when the speaker matched, then the snippet of its words, or their opening words
    when they hold no match. `Kestutis «Jankauskas»: …European «investment», and…`"""
    words = snippet if said is None else opening(said)
    if speaker is None:
        return words
    if aliases is not None:
        try:
            names = json.loads(aliases)
        except ValueError:  # a mark inside an escape (an alias holding a \n, say)
            names = None
        shown = ", ".join(map(str, names)) if isinstance(names, list) else aliases
        speaker = f"{speaker} ({shown})"
    return f"{speaker}: {words}"


def opening(text: str) -> str:
    """The first words of `text`, with an ellipsis if it goes on (all whitespace one space)."""
    words = text.split()
    shown = " ".join(words[:SNIPPET_WORDS])
    return shown + ELLIPSIS if len(words) > SNIPPET_WORDS else shown
