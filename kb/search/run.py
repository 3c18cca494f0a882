"""Run a full-text search on either dialect and explain a bad --raw query."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Connection, RowMapping

from kb.errors import KbError
from kb.search import fts5, tsvector
from kb.search.hits import HitSelect, opening
from kb.search.index import DEFAULT_LIMIT, HIT_TYPES
from kb.search.terms import fts5_query, parse

# SQLSTATE of a syntax error; to_tsquery raises it for bad tsquery text.
PG_SYNTAX_ERROR = "42601"


def search(
    connection: Connection,
    query: str,
    *,
    types: Sequence[str] = (),
    limit: int = DEFAULT_LIMIT,
    raw: bool = False,
) -> list[dict[str, Any]]:
    """The best `limit` records matching `query`, best first: type, slug, source, snippet, rank.

    `types` narrows the search to some hit types (default: all). Without `raw`, any text is a
    valid query (see kb.search.terms); with it, FTS5 or to_tsquery syntax goes through as
    typed, and a syntax error is a KbError.
    """
    hit_types = _hit_types(types)
    if limit < 1:
        raise KbError(f"--limit must be 1 or more, not {limit}.")
    statement = search_statement(connection.dialect.name, query, hit_types, limit, raw=raw)
    if statement is None:
        return []
    try:
        rows = connection.execute(statement).mappings().all()
    except exc.DBAPIError as error:
        reason = _query_error(connection.dialect.name, error) if raw else None
        if reason is None:
            raise
        syntax = "FTS5" if connection.dialect.name == "sqlite" else "tsquery"
        raise KbError(
            f"{query!r} is not a valid {syntax} query ({reason}). --raw takes the database's "
            "own full-text syntax; without --raw, kb searches for the words as typed."
        ) from None
    return [_hit(row) for row in rows]


def _hit(row: RowMapping) -> dict[str, Any]:
    """A result row as a hit; a quote found through its speaker shows its opening words."""
    hit = {key: row[key] for key in ("type", "slug", "source", "snippet", "rank")}
    if row["said"] is not None:
        hit["snippet"] = f"{row['snippet']}: {opening(row['said'])}"
    return hit


def _hit_types(types: Sequence[str]) -> list[str]:
    """The hit types to search, in HIT_TYPES order; an unknown one is a KbError."""
    unknown = sorted(set(types) - set(HIT_TYPES))
    if unknown:
        raise KbError(
            f"Unknown search type {', '.join(unknown)}: choose from {', '.join(HIT_TYPES)}."
        )
    return [hit_type for hit_type in HIT_TYPES if not types or hit_type in types]


def search_statement(
    dialect: str, query: str, hit_types: Sequence[str], limit: int, *, raw: bool = False
) -> HitSelect | None:
    """The search statement for `dialect`, or None when the query holds no word to look for."""
    if raw:
        if dialect == "sqlite":
            return fts5.statement(query, hit_types, limit)
        return tsvector.statement(tsvector.raw_tsquery(query), hit_types, limit)
    terms = parse(query)
    if not terms:
        return None
    if dialect == "sqlite":
        return fts5.statement(fts5_query(terms), hit_types, limit)
    return tsvector.statement(tsvector.tsquery(terms), hit_types, limit)


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
