"""What the knowledge base already holds, as `kb draft` asks about it: people and parties by
name key, every metric, events by kind and date, and which slugs are taken.

Three views answer the same questions: the database (indexed queries; see kb/draft/known_db.py),
data files not loaded yet (read with the loader's reader and record checks, held in memory), and
both together. `EMPTY` knows nothing: a draft against it creates every record it needs.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kb.names import name_keys, party_keys

# Events of one kind and date with a party or person in common: more candidates than this
# for one drafted event make a link too uncertain to draft (a view returns at most this many).
MAX_EVENTS = 50

# Record types whose slugs a draft may define, and the table that holds each.
SLUG_TABLES = {
    "source": "sources",
    "party": "parties",
    "metric": "metrics",
    "person": "people",
    "quote": "quotes",
    "figure": "figures",
    "event": "events",
}


@dataclass(frozen=True)
class KnownPerson:
    """A person the base holds: slug, name, every other name, and where it is defined."""

    slug: str
    name: str
    aliases: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class KnownParty:
    """A country or organization the base holds."""

    slug: str
    name: str
    kind: str
    aliases: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class KnownMetric:
    """A metric the base holds: what figures measure, with the kind and unit they must have."""

    slug: str
    name: str
    kind: str
    unit: str | None
    aliases: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class KnownEvent:
    """An event the base holds, with its date, its same_as and who takes part."""

    slug: str
    name: str
    kind: str
    occurrence: str
    date: str
    same_as: str | None
    parties: frozenset[str]
    people: frozenset[str]
    where: str


class Known(Protocol):
    """The questions a draft asks of the knowledge base."""

    label: str

    def people(self, keys: Collection[str]) -> dict[str, list[KnownPerson]]:
        """The people indexed under each of `keys` (kb.names.name_keys of a name or alias)."""
        ...

    def parties(self, keys: Collection[str]) -> dict[str, list[KnownParty]]:
        """The parties indexed under each of `keys` (kb.names.party_keys)."""
        ...

    def metrics(self) -> list[KnownMetric]:
        """Every metric (they are few)."""
        ...

    def events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """The events of `kind` whose date overlaps `date` at their precisions and that one
        of `parties` or `people` (slugs) takes part in."""
        ...

    def taken(self, record_type: str, slugs: Collection[str]) -> set[str]:
        """Which of `slugs` a record of `record_type` already has."""
        ...


def date_span(date: str) -> tuple[str, str]:
    """The dates a date covers as [low, high) text bounds: "2022" → ("2022", "2023")."""
    if len(date) == 4:
        return date, f"{int(date) + 1:04d}"
    if len(date) == 7:
        year, month = int(date[:4]), int(date[5:7])
        following = f"{year + 1:04d}-01" if month == 12 else f"{year:04d}-{month + 1:02d}"
        return date, following
    # A day: every finer date starts with it, and nothing is finer than a day.
    return date, date + "~"


def coarser(date: str) -> list[str]:
    """The coarser dates that contain `date`: "2022-11-07" → ["2022", "2022-11"]."""
    return [date[:length] for length in (4, 7) if length < len(date)]


def overlaps(a: str, b: str) -> bool:
    """Whether two dates overlap at their precisions ("2022" and "2022-11-07" do)."""
    common = min(len(a), len(b))
    return a[:common] == b[:common]


class Empty:
    """A knowledge base that knows nothing."""

    label = "nothing"

    def people(self, keys: Collection[str]) -> dict[str, list[KnownPerson]]:
        """None."""
        return {}

    def parties(self, keys: Collection[str]) -> dict[str, list[KnownParty]]:
        """None."""
        return {}

    def metrics(self) -> list[KnownMetric]:
        """None."""
        return []

    def events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """None."""
        return []

    def taken(self, record_type: str, slugs: Collection[str]) -> set[str]:
        """None."""
        return set()


EMPTY = Empty()


@dataclass
class Files:
    """The records of data files, read without a database; looked up in memory."""

    label: str
    people_by_key: dict[str, list[KnownPerson]] = field(default_factory=dict)
    parties_by_key: dict[str, list[KnownParty]] = field(default_factory=dict)
    all_metrics: list[KnownMetric] = field(default_factory=list)
    all_events: dict[str, list[KnownEvent]] = field(default_factory=dict)
    slugs: dict[str, set[str]] = field(default_factory=dict)
    # Records left out because the loader's checks found a problem in them.
    problems: int = 0

    def people(self, keys: Collection[str]) -> dict[str, list[KnownPerson]]:
        """The people indexed under each key."""
        return {key: self.people_by_key[key] for key in keys if key in self.people_by_key}

    def parties(self, keys: Collection[str]) -> dict[str, list[KnownParty]]:
        """The parties indexed under each key."""
        return {key: self.parties_by_key[key] for key in keys if key in self.parties_by_key}

    def metrics(self) -> list[KnownMetric]:
        """Every metric of the files."""
        return list(self.all_metrics)

    def events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """The events of a kind whose dates overlap `date`, with a party or person given."""
        found = [
            event
            for event in self.all_events.get(kind, [])
            if overlaps(event.date, date)
            and (event.parties & set(parties) or event.people & set(people))
        ]
        return found[:MAX_EVENTS]

    def taken(self, record_type: str, slugs: Collection[str]) -> set[str]:
        """The slugs the files define."""
        defined = self.slugs.get(record_type, set())
        return {slug for slug in slugs if slug in defined}


def read_files(directory: Path) -> Files:
    """The records of the data files under `directory`, checked as the loader checks them (no
    grounding: source texts are not read). Records with problems are left out and counted."""
    from kb.loader.checking import check_record
    from kb.loader.problems import Problems, display_path
    from kb.loader.reading import data_files, read_file

    problems = Problems()
    records: list[tuple[str, dict[str, Any], str]] = []
    skipped = 0
    # An empty directory is no problem here: nothing is known yet.
    paths = data_files(directory, Problems())
    for path in paths:
        where = display_path(path)
        for raw in read_file(path, problems):
            before = len(problems)
            record = check_record(raw, problems)
            if len(problems) > before:
                skipped += 1
                continue
            records.append((record.type, record.values, where))
    # A file that cannot be read at all is a problem too, beside the records left out.
    shown = display_path(directory)
    count = max(skipped, len(problems))
    label = f"the data files in {shown}"
    if count:
        label += f" ({count} problems: records left out; `kb validate {shown}` lists them)"
    files = Files(label=label, problems=count)
    _index(files, records)
    return files


def _index(files: Files, records: Sequence[tuple[str, dict[str, Any], str]]) -> None:
    """Fill the in-memory indexes from checked records."""
    people: dict[str, dict[str, Any]] = {}
    parties: dict[str, dict[str, Any]] = {}
    extra: dict[tuple[str, str], list[str]] = {}
    events: list[tuple[dict[str, Any], str]] = []
    joined: dict[str, list[dict[str, Any]]] = {}
    for record_type, values, where in records:
        slug = values.get("slug")
        if isinstance(slug, str):
            files.slugs.setdefault(record_type, set()).add(slug)
        if record_type == "person":
            people[values["slug"]] = {**values, "where": where}
        elif record_type == "party":
            parties[values["slug"]] = {**values, "where": where}
        elif record_type == "alias":
            kind = "person" if values.get("person") else "party"
            extra.setdefault((kind, values[kind]), []).append(values["name"])
        elif record_type == "metric":
            files.all_metrics.append(_metric(values, where))
        elif record_type == "event":
            events.append((values, where))
        elif record_type == "participant":
            joined.setdefault(values["event"], []).append(values)
    for slug, values in people.items():
        aliases = (*values.get("aliases", ()), *extra.get(("person", slug), ()))
        person = KnownPerson(slug, values["name"], tuple(dict.fromkeys(aliases)), values["where"])
        for key in _person_keys(person.name, person.aliases):
            files.people_by_key.setdefault(key, []).append(person)
    for slug, values in parties.items():
        aliases = (*values.get("aliases", ()), *extra.get(("party", slug), ()))
        party = KnownParty(
            slug, values["name"], values["kind"], tuple(dict.fromkeys(aliases)), values["where"]
        )
        for key in party_keys(party.name, party.aliases):
            files.parties_by_key.setdefault(key, []).append(party)
    for values, where in events:
        if values.get("date") is None:
            continue
        taking_part = [*values.get("participants", ()), *joined.get(values["slug"], ())]
        event = KnownEvent(
            slug=values["slug"],
            name=values["name"],
            kind=values["kind"],
            occurrence=values.get("occurrence") or "happened",
            date=values["date"],
            same_as=values.get("same_as"),
            parties=frozenset(p["party"] for p in taking_part if p.get("party")),
            people=frozenset(p["person"] for p in taking_part if p.get("person")),
            where=where,
        )
        files.all_events.setdefault(event.kind, []).append(event)


def _person_keys(name: str, aliases: Iterable[str]) -> list[str]:
    """The keys a person is indexed by: those of the name and of every alias (as _kb_names)."""
    return list(dict.fromkeys(key for text in (name, *aliases) for key in name_keys(text)))


def _metric(values: dict[str, Any], where: str) -> KnownMetric:
    """A metric from a checked record."""
    return KnownMetric(
        values["slug"],
        values["name"],
        values["kind"],
        values.get("unit"),
        tuple(values.get("aliases", ())),
        where,
    )


class Both:
    """Several views asked together: the data files first (they may be newer than the
    database), then the database; a slug answered by an earlier view is not repeated."""

    def __init__(self, views: Sequence[Known]) -> None:
        self.views = list(views)
        self.label = " and ".join(view.label for view in self.views)

    def people(self, keys: Collection[str]) -> dict[str, list[KnownPerson]]:
        """The people of every view, each slug once per key."""
        return _merged([view.people(keys) for view in self.views])

    def parties(self, keys: Collection[str]) -> dict[str, list[KnownParty]]:
        """The parties of every view, each slug once per key."""
        return _merged([view.parties(keys) for view in self.views])

    def metrics(self) -> list[KnownMetric]:
        """Every metric, each slug once."""
        return _unique(metric for view in self.views for metric in view.metrics())

    def events(
        self, kind: str, date: str, parties: Collection[str], people: Collection[str]
    ) -> list[KnownEvent]:
        """The events of every view, each slug once."""
        return _unique(
            event for view in self.views for event in view.events(kind, date, parties, people)
        )

    def taken(self, record_type: str, slugs: Collection[str]) -> set[str]:
        """The slugs any view has."""
        return {slug for view in self.views for slug in view.taken(record_type, slugs)}


def _merged(answers: list[dict[str, list[Any]]]) -> dict[str, list[Any]]:
    merged: dict[str, list[Any]] = {}
    for answer in answers:
        for key, found in answer.items():
            merged[key] = _unique([*merged.get(key, []), *found])
    return merged


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(item.slug, item)
    return list(seen.values())
