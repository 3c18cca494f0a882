"""The knowledge base in a database, as `kb draft` asks about it: every question is an indexed
query (names by key in _kb_names, events by kind and date, slugs by their unique index), so a
draft costs the same against a thousand facts as against a million.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection

from kb.draft.known import (
    MAX_EVENTS,
    SLUG_TABLES,
    KnownEvent,
    KnownMetric,
    KnownParty,
    KnownPerson,
    coarser,
    date_span,
)

# Keys and slugs go to the database in batches of this many parameters (SQLite's limit on
# host parameters was 999 before 3.32).
BATCH = 500

PEOPLE = text(
    "SELECT n.key, p.slug, p.name, p.aliases FROM _kb_names AS n "
    "JOIN people AS p ON p.slug = n.slug "
    "WHERE n.key IN :keys AND n.kind = 'person'"
).bindparams(bindparam("keys", expanding=True))
# Names other files give the people found (the aliases table), by the people's slugs.
PEOPLE_ALIASES = text(
    "SELECT p.slug, a.name FROM people AS p JOIN aliases AS a ON a.person_id = p.id "
    "WHERE p.slug IN :slugs"
).bindparams(bindparam("slugs", expanding=True))
PARTIES = text(
    "SELECT n.key, p.slug, p.name, p.kind, p.aliases FROM _kb_names AS n "
    "JOIN parties AS p ON p.slug = n.slug "
    "WHERE n.key IN :keys AND n.kind = 'party'"
).bindparams(bindparam("keys", expanding=True))
METRICS = text("SELECT slug, name, kind, unit, aliases FROM metrics")
# Dates overlap when one contains the other: the event's date lies in the span of the date
# asked about, or is one of the coarser dates containing it (two ranges of the date index).
# Only events sharing a party or person with the draft's can be the same happening: each
# event of the dates is kept or not by one probe of the participants' event index (a scalar
# subquery with LIMIT 1, which no planner turns into a join reading every participant), so a
# year of a large base sends back only the few that qualify. Slugs are read by primary key.
EVENTS = text(
    "SELECT e.id, e.slug, e.name, e.kind, e.occurrence, e.date, "
    "(SELECT t.slug FROM events AS t WHERE t.id = e.same_as_id) AS same_as "
    "FROM events AS e "
    "WHERE e.kind = :kind AND ((e.date >= :low AND e.date < :high) OR e.date IN :coarser) "
    "AND (SELECT 1 FROM event_participants AS ep WHERE ep.event_id = e.id AND ("
    "ep.party_id IN (SELECT pa.id FROM parties AS pa WHERE pa.slug IN :parties) "
    "OR ep.person_id IN (SELECT pe.id FROM people AS pe WHERE pe.slug IN :people)) "
    "LIMIT 1) IS NOT NULL "
    "LIMIT :limit"
).bindparams(
    bindparam("coarser", expanding=True),
    bindparam("parties", expanding=True),
    bindparam("people", expanding=True),
)

PARTICIPANTS = text(
    "SELECT ep.event_id, "
    "(SELECT pa.slug FROM parties AS pa WHERE pa.id = ep.party_id) AS party, "
    "(SELECT pe.slug FROM people AS pe WHERE pe.id = ep.person_id) AS person "
    "FROM event_participants AS ep WHERE ep.event_id IN :ids"
).bindparams(bindparam("ids", expanding=True))


class Database:
    """A kb database, read through one connection (the draft never writes)."""

    def __init__(self, connection: Connection, label: str) -> None:
        self.connection = connection
        self.label = label
        self._metrics: list[KnownMetric] | None = None
        # One draft asks about one happening (kind, date, who) once, however often it is told.
        self._events: dict[tuple[Any, ...], list[KnownEvent]] = {}

    def people(self, keys: Collection[str]) -> dict[str, list[KnownPerson]]:
        """The people indexed under each key, with every name they are known by."""
        rows = [row for batch in _batches(keys) for row in self._rows(PEOPLE, keys=batch)]
        extra = self._aliases(PEOPLE_ALIASES, {row.slug for row in rows})
        found: dict[str, list[KnownPerson]] = {}
        for row in rows:
            aliases = tuple(dict.fromkeys([*_texts(row.aliases), *extra.get(row.slug, [])]))
            person = KnownPerson(row.slug, row.name, aliases, self.label)
            found.setdefault(row.key, []).append(person)
        return found

    def parties(self, keys: Collection[str]) -> dict[str, list[KnownParty]]:
        """The parties indexed under each key (with the aliases of their own records; those
        other files add are keys in _kb_names, found but not listed)."""
        rows = [row for batch in _batches(keys) for row in self._rows(PARTIES, keys=batch)]
        found: dict[str, list[KnownParty]] = {}
        for row in rows:
            party = KnownParty(row.slug, row.name, row.kind, _texts(row.aliases), self.label)
            found.setdefault(row.key, []).append(party)
        return found

    def metrics(self) -> list[KnownMetric]:
        """Every metric, read once."""
        if self._metrics is None:
            self._metrics = [
                KnownMetric(row.slug, row.name, row.kind, row.unit, _texts(row.aliases), self.label)
                for row in self._rows(METRICS)
            ]
        return list(self._metrics)

    def events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """The events of a kind whose date overlaps `date` and that one of `parties` or
        `people` takes part in, with who takes part (at most MAX_EVENTS)."""
        if not parties and not people:
            return []
        asked = (kind, date, frozenset(parties), frozenset(people))
        if asked not in self._events:
            self._events[asked] = self._find_events(kind, date, parties, people)
        return self._events[asked]

    def _find_events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """The events() query itself, then who takes part in the events found."""
        low, high = date_span(date)
        # An empty IN list is not valid SQL everywhere: ask for what no row has instead.
        rows = self._rows(
            EVENTS,
            kind=kind,
            low=low,
            high=high,
            coarser=coarser(date) or [""],
            parties=sorted(parties) or [""],
            people=sorted(people) or [""],
            limit=MAX_EVENTS,
        )
        if not rows:
            return []
        if len(rows) >= MAX_EVENTS:
            # Too many to choose from: the linker links none of them, so who takes part in
            # each is not needed (on a large base, reading it was most of a draft's queries).
            return [self._event(row, frozenset(), frozenset()) for row in rows]
        by_party: dict[int, set[str]] = {}
        by_person: dict[int, set[str]] = {}
        for batch in _batches([row.id for row in rows]):
            for taking in self._rows(PARTICIPANTS, ids=batch):
                if taking.party is not None:
                    by_party.setdefault(taking.event_id, set()).add(taking.party)
                if taking.person is not None:
                    by_person.setdefault(taking.event_id, set()).add(taking.person)
        return [
            self._event(
                row,
                frozenset(by_party.get(row.id, ())),
                frozenset(by_person.get(row.id, ())),
            )
            for row in rows
        ]

    def _event(self, row: Any, parties: frozenset[str], people: frozenset[str]) -> KnownEvent:
        """A known event from a row of the events query, with who takes part."""
        return KnownEvent(
            slug=row.slug,
            name=row.name,
            kind=row.kind,
            occurrence=row.occurrence,
            date=row.date,
            same_as=row.same_as,
            parties=parties,
            people=people,
            where=self.label,
        )

    def taken(self, record_type: str, slugs: Collection[str]) -> set[str]:
        """Which of `slugs` the table of `record_type` holds."""
        table = SLUG_TABLES[record_type]
        query = text(
            f"SELECT slug FROM {table} WHERE slug IN :slugs"  # noqa: S608 (kb's own table names)
        ).bindparams(bindparam("slugs", expanding=True))
        return {row.slug for batch in _batches(slugs) for row in self._rows(query, slugs=batch)}

    def _rows(self, query: Any, **parameters: Any) -> list[Any]:
        return list(self.connection.execute(query, parameters))

    def _aliases(self, query: Any, slugs: Collection[str]) -> dict[str, list[str]]:
        """The names of the aliases table for each of `slugs` (people's)."""
        names: dict[str, list[str]] = {}
        for batch in _batches(slugs):
            for row in self._rows(query, slugs=batch):
                names.setdefault(row.slug, []).append(row.name)
        return names


def _batches(values: Collection[Any]) -> Iterator[list[Any]]:
    """The values in lists of at most BATCH, none when there are none."""
    ordered: Sequence[Any] = sorted(set(values))
    for start in range(0, len(ordered), BATCH):
        yield list(ordered[start : start + BATCH])


def _texts(value: Any) -> tuple[str, ...]:
    """A JSON array column as a tuple of texts (SQLite hands back the JSON text itself)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = json.loads(value)
    return tuple(str(item) for item in value)
