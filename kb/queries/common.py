"""Helpers shared by the read-side queries: row conversion, name resolution, did-you-mean."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from sqlalchemy import ColumnElement, Select, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql.expression import TableClause

from kb.errors import KbError
from kb.tables import ALIASES, METRICS, PARTIES, PEOPLE, SOURCES

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

Reader: TypeAlias = "Connection | Session"
Row: TypeAlias = dict[str, Any]

MAX_SUGGESTIONS = 3
CLOSE_ENOUGH = 0.6  # difflib's usual cutoff for "close"
CLOSE_MARGIN = 0.15  # suggest only names almost as close as the best: one typo, one name


def fetch(reader: Reader, statement: Select[Any], parameters: Row | None = None) -> list[Row]:
    """Run a select (with the values of its bound `parameters`, if any) and return its rows
    as dicts keyed by column label."""
    # All rows at once: psycopg fetches row by row in Python when iterated.
    return [dict(row._mapping) for row in reader.execute(statement, parameters).all()]


@dataclass(frozen=True)
class Named:
    """A record that a user may name by its slug or by one of its names."""

    id: int
    slug: str
    names: tuple[str, ...]


def resolve(kind: str, value: str, records: Iterable[Named], *, listing: str) -> list[Named]:
    """The records whose slug, name or alias equals `value` (ignoring case), or a KbError.

    An unknown name is an error rather than an empty result: a typo should not look like
    "no data". The error suggests close slugs and tells which command lists them all.
    """
    pool = list(records)
    matches = matching(value, pool)
    if matches:
        return matches
    raise KbError(f"Unknown {kind} {value!r}.{did_you_mean(value, pool)} `{listing}` lists them.")


def matching(value: str, records: Iterable[Named]) -> list[Named]:
    """The records whose slug, name or alias equals `value`, ignoring case."""
    wanted = value.strip().casefold()
    return [r for r in records if wanted in {r.slug.casefold(), *(n.casefold() for n in r.names)}]


def did_you_mean(value: str, records: Sequence[Named]) -> str:
    """' Did you mean: a, b?' for records resembling `value`, or '' when none does."""
    by_key: dict[str, str] = {}
    for record in records:
        for key in (record.slug, *record.names):
            by_key.setdefault(key.casefold(), record.slug)
    wanted = value.strip().casefold()
    # Substring hits first (a surname typed for a full name), then spelling neighbours.
    keys = [k for k in by_key if wanted and wanted in k]
    keys += _close(wanted, list(by_key))
    slugs = list(dict.fromkeys(by_key[k] for k in keys))[:MAX_SUGGESTIONS]
    return f" Did you mean: {', '.join(slugs)}?" if slugs else ""


def _close(wanted: str, keys: list[str]) -> list[str]:
    """Keys spelled like `wanted`, best first; only those nearly as close as the best one."""
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, key).ratio(), key) for key in keys),
        reverse=True,
    )
    if not scored:
        return []
    floor = max(CLOSE_ENOUGH, scored[0][0] - CLOSE_MARGIN)
    return [key for score, key in scored if score >= floor]


def people_named(reader: Reader, where: ColumnElement[bool] | None = None) -> list[Named]:
    """Every person (or those `where` selects), nameable by slug, name or alias."""
    statement = select(PEOPLE.c.id, PEOPLE.c.slug, PEOPLE.c.name, PEOPLE.c.aliases)
    rows = reader.execute(statement if where is None else statement.where(where))
    return [Named(r.id, r.slug, (r.name, *(r.aliases or ()))) for r in rows]


def everyone_named(reader: Reader) -> list[Named]:
    """Every person, nameable by slug, name, alias, or a name a source prints for them (the
    aliases table)."""
    printed = _printed_names(reader, ALIASES.c.person_id)
    return [Named(r.id, r.slug, (*r.names, *printed.get(r.id, ()))) for r in people_named(reader)]


def parties_named(reader: Reader, *, printed: bool = False) -> list[Named]:
    """Every party, nameable by slug, name, alias, and with `printed` by a name a source
    prints for it (the aliases table)."""
    rows = reader.execute(select(PARTIES.c.id, PARTIES.c.slug, PARTIES.c.name, PARTIES.c.aliases))
    names = _printed_names(reader, ALIASES.c.party_id) if printed else {}
    return [Named(r.id, r.slug, (r.name, *(r.aliases or ()), *names.get(r.id, ()))) for r in rows]


def _printed_names(reader: Reader, owner: ColumnElement[Any]) -> dict[int, list[str]]:
    """The names sources print (the aliases table), by the id in `owner` (a person or party
    column of it), for those that have any."""
    found: dict[int, list[str]] = {}
    for owner_id, name in reader.execute(select(owner, ALIASES.c.name).where(owner.is_not(None))):
        found.setdefault(owner_id, []).append(name)
    return found


def metrics_named(reader: Reader) -> list[Named]:
    """Every metric, nameable by slug, name or alias."""
    rows = reader.execute(select(METRICS.c.id, METRICS.c.slug, METRICS.c.name, METRICS.c.aliases))
    return [Named(r.id, r.slug, (r.name, *(r.aliases or ()))) for r in rows]


def sources_named(reader: Reader, where: ColumnElement[bool] | None = None) -> list[Named]:
    """Every source (or those `where` selects), nameable by slug or exact title."""
    statement = select(SOURCES.c.id, SOURCES.c.slug, SOURCES.c.title)
    rows = reader.execute(statement if where is None else statement.where(where))
    return [Named(r.id, r.slug, (r.title,)) for r in rows]


def people_called(reader: Reader, value: str) -> list[Named]:
    """The people `value` names (slug, name or alias, any case); unknown → KbError.

    Only likely candidates are read: the person with that slug and those whose indexed name
    and aliases hold its words (full-text index), checked exactly here. When none matches,
    everyone is read, with the names other sources print for them (the aliases table), to be
    sure and to suggest close names.
    """
    likely = people_named(reader, _slug_or_words(reader, PEOPLE, value))
    return matching(value, likely) or resolve(
        "person", value, everyone_named(reader), listing="kb people"
    )


def sources_called(reader: Reader, value: str) -> list[Named]:
    """The sources `value` names (slug or title, any case); unknown → KbError.

    Candidates are read as for people_called(): by slug, and by the words of the title.
    """
    likely = sources_named(reader, _slug_or_words(reader, SOURCES, value))
    return matching(value, likely) or resolve(
        "source", value, sources_named(reader), listing="kb sources"
    )


def _slug_or_words(reader: Reader, table: TableClause, value: str) -> ColumnElement[bool]:
    """Rows of `table` whose slug is `value`, or whose full-text index holds its words in order.

    A superset of the rows `value` names: equal text (ignoring case) has the same words. (The
    index folds case letter by letter: a name with "ß" and a query with "ss" are equal to
    Python's casefold() but not to the index; such a name is still found when nothing else
    matches, by the full read.)
    """
    # Imported here: only a look-up by name needs the full-text index (its query terms).
    from kb.search.names import holding_phrase

    by_slug = table.c.slug == value.strip().casefold()
    words = holding_phrase(dialect_name(reader), table, value)
    return by_slug if words is None else or_(by_slug, words)


def dialect_name(reader: Reader) -> str:
    """The name of the database dialect `reader` talks to."""
    if isinstance(reader, Connection):
        return reader.dialect.name
    return reader.get_bind().dialect.name  # an ORM Session


def person_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the people `value` names (slug, name or alias); unknown → KbError."""
    return [r.id for r in people_called(reader, value)]


def party_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the parties `value` names (slug, name or alias); unknown → KbError.

    Parties are countries and organizations, a short list: it is read whole; the names sources
    print for them only when none of their own names is `value`.
    """
    found = matching(value, parties_named(reader)) or resolve(
        "party", value, parties_named(reader, printed=True), listing="kb parties"
    )
    return [r.id for r in found]


def metric_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the metrics `value` names (slug, name or alias); unknown → KbError.

    Metrics are shared records, a list about as short as the parties: it is read whole.
    """
    return [r.id for r in resolve("metric", value, metrics_named(reader), listing="kb metrics")]


def source_ids(reader: Reader, value: str) -> list[int]:
    """Ids of the sources `value` names (slug or title); unknown → KbError."""
    return [r.id for r in sources_called(reader, value)]
