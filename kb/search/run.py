"""Run a full-text search on either dialect and explain a bad --raw query."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exc
from sqlalchemy.engine import Connection, RowMapping

from kb.errors import KbError
from kb.search import fts5, tsvector
from kb.search.hits import HitSelect, best, quote_snippet
from kb.search.index import COMMON, COUNTED, DEFAULT_LIMIT, HIT_TYPES, RANKED
from kb.search.terms import fts5_query, parse

# SQLSTATE of a syntax error; to_tsquery raises it for bad tsquery text.
PG_SYNTAX_ERROR = "42601"


@dataclass(frozen=True)
class Bounds:
    """How much of a search's matches is counted and ranked, for each hit type; `common`: on
    SQLite, a type where a word of the query is in more records than this is not ranked."""

    ranked: int = RANKED
    counted: int = COUNTED
    common: int = COMMON


@dataclass(frozen=True)
class Found:
    """What a search found: the best hits, best first, and how many records match.

    `matches` gives, for each hit type searched, how many records its index finds (a quote's
    index holds its speaker's names too: one found through them is counted), counted up to
    `bounds.counted` + 1: a number above it means "more than that". Of each type, only the
    newest `bounds.ranked` matches were ranked; of the `unranked` types (more matches than
    `bounds.counted`, or on SQLite a word of the query in more than `bounds.common` records),
    none: their newest matches come after the ranked hits.
    """

    hits: list[dict[str, Any]]
    matches: dict[str, int]
    bounds: Bounds = Bounds()
    unranked: frozenset[str] = frozenset()

    def summary(self) -> dict[str, Any]:
        """The counts, JSON-ready: `matches` in all (a lower bound unless `matches_exact`),
        how many were `ranked`, and by type the same and the `order` of its hits: `relevance`
        (ranked), or `newest` (too many matches, or too common a word, to rank)."""
        by_type = {
            hit_type: {
                "matches": min(count, self.bounds.counted),
                "matches_exact": count <= self.bounds.counted,
                "ranked": 0 if hit_type in self.unranked else min(count, self.bounds.ranked),
                "order": "newest" if hit_type in self.unranked else "relevance",
            }
            for hit_type, count in self.matches.items()
        }
        return {
            "matches": sum(counts["matches"] for counts in by_type.values()),
            "matches_exact": all(counts["matches_exact"] for counts in by_type.values()),
            "ranked": sum(counts["ranked"] for counts in by_type.values()),
            "by_type": by_type,
        }


def search(
    connection: Connection,
    query: str,
    *,
    types: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    raw: bool = False,
    bounds: Bounds = Bounds(),
) -> Found:
    """The best `limit` records matching `query`, best first (type, slug, source, snippet,
    rank), and how many records match of each type.

    `types` narrows the search to some hit types (default: all). Without `raw`, any text is a
    valid query (see kb.search.terms); with it, FTS5 or to_tsquery syntax goes through as
    typed, and a syntax error is a KbError. Only the newest `bounds.ranked` matches of each
    type are ranked; a type with more than `bounds.counted` matches gives its newest matches,
    unranked (ranking needs every match counted, word by word). So a word found in most
    records costs no more than a rarer one.
    """
    hit_types = _hit_types(types)
    if limit < 1:
        raise KbError(f"--limit must be 1 or more, not {limit}.")
    dialect = connection.dialect.name
    counting = _counts(dialect, query, hit_types, limit, raw=raw, bounds=bounds)
    if counting is None:
        return Found([], dict.fromkeys(hit_types, 0), bounds)
    counts, parameters = counting
    try:
        found = connection.execute(counts, parameters).one()._mapping
        unranked = _too_many(found, hit_types, bounds)
        # Only the types with matches: a statement for one without costs a round trip,
        # planning and a look into its index. Types with too many matches to rank take their
        # newest instead.
        matching = [hit_type for hit_type in hit_types if found[hit_type]]
        rows = [
            row
            for statement in _hits(dialect, query, raw, matching, bounds.ranked, unranked)
            for row in connection.execute(statement, parameters).mappings()
        ]
    except exc.DBAPIError as error:
        reason = _query_error(dialect, error) if raw else None
        if reason is None:
            raise
        syntax = "FTS5" if dialect == "sqlite" else "tsquery"
        raise KbError(
            f"{query!r} is not a valid {syntax} query ({reason}). --raw takes the database's "
            "own full-text syntax; without --raw, kb searches for the words as typed."
        ) from None
    matches = {hit_type: found[hit_type] for hit_type in hit_types}
    return Found([_hit(row) for row in best(rows, limit)], matches, bounds, unranked)


def _too_many(counts: RowMapping, hit_types: list[str], bounds: Bounds) -> frozenset[str]:
    """The types with more than `bounds.counted` matches, or (counted on SQLite, as
    `<type>_<i>`) with more than `bounds.common` records holding one of the query's words."""
    return frozenset(
        hit_type
        for hit_type in hit_types
        if counts[hit_type] > bounds.counted
        or any(
            count > bounds.common
            for name, count in counts.items()
            if name.startswith(f"{hit_type}_")
        )
    )


def _hit(row: RowMapping) -> dict[str, Any]:
    """A result row as a hit; a quote found through its speaker shows the speaker's name."""
    hit = {key: row[key] for key in ("type", "slug", "source", "snippet", "rank")}
    if row["type"] == "quote":
        hit["snippet"] = quote_snippet(row["snippet"], row["said"], row["speaker"], row["aliases"])
    return hit


def _hit_types(types: Sequence[str]) -> list[str]:
    """The hit types to search, in HIT_TYPES order; an unknown one is a KbError."""
    unknown = sorted(set(types) - set(HIT_TYPES))
    if unknown:
        raise KbError(
            f"Unknown search type {', '.join(unknown)}: choose from {', '.join(HIT_TYPES)}."
        )
    return [hit_type for hit_type in HIT_TYPES if not types or hit_type in types]


def search_statements(
    dialect: str, query: str, hit_types: Sequence[str], limit: int, *, raw: bool = False
) -> list[HitSelect]:
    """The search statements for `dialect`, one per type, with their parameters bound; none
    when the query holds no word to look for."""
    bounds = Bounds()
    counting = _counts(dialect, query, hit_types, limit, raw=raw, bounds=bounds)
    if counting is None:
        return []
    _count, parameters = counting
    hits = _hits(dialect, query, raw, hit_types, bounds.ranked, frozenset())
    return [statement.params(parameters) for statement in hits]


def _counts(
    dialect: str, query: str, hit_types: Sequence[str], limit: int, *, raw: bool, bounds: Bounds
) -> tuple[Select[Any], dict[str, Any]] | None:
    """The statement counting the matches of each type and the parameters it and the search
    statement take; None when the query holds no word to look for."""
    if not raw and not parse(query):
        return None
    types = tuple(hit_types)
    if dialect == "sqlite":
        terms = [] if raw else parse(query)
        words = {f"word_{i}": fts5_query([term]) for i, term in enumerate(terms)}
        return (
            fts5.counts(types, len(terms), bounds.counted, bounds.common),
            {"match": query if raw else fts5_query(terms), "limit": limit, **words},
        )
    shape: tsvector.Shape = None
    if raw:
        words = tsvector.raw_parameters(query)
    else:
        terms = parse(query)
        shape, words = tsvector.shape(terms), tsvector.parameters(terms)
    return tsvector.counts(shape, types, bounds.counted), {"limit": limit, **words}


def _hits(
    dialect: str,
    query: str,
    raw: bool,
    hit_types: Sequence[str],
    ranked: int,
    newest: frozenset[str],
) -> list[HitSelect]:
    """The search statement (built once, its parameters apart) of each of `hit_types`,
    ranking its newest `ranked` matches unless the type is in `newest`."""
    if dialect == "sqlite":
        return [fts5.statement(hit_type, ranked, hit_type in newest) for hit_type in hit_types]
    shape = None if raw else tsvector.shape(parse(query))
    return [
        tsvector.statement(shape, hit_type, ranked, hit_type in newest) for hit_type in hit_types
    ]


def _query_error(dialect: str, error: exc.DBAPIError) -> str | None:
    """The reason a --raw query failed, when the query itself is at fault; else None.

    FTS5 reports a bad query as an OperationalError ("fts5: syntax error near …", "no such
    column: …"); "no such table" instead means an old schema, which reading() explains.
    """
    reason = (str(error.orig).strip().splitlines() or [""])[0]
    if dialect == "sqlite":
        bad_query = isinstance(error, exc.OperationalError) and "no such table" not in reason
    else:
        bad_query = getattr(error.orig, "sqlstate", None) == PG_SYNTAX_ERROR
    return reason if bad_query else None
