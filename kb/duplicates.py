"""Likely duplicate records: people, parties and metrics that may be one thing defined twice.

A collection that grows article by article gets the same minister twice when two outlets spell
the surname differently and the second file defined a new person instead of referring to the
first. kb links records, it never merges them, so this only warns (`kb check`); the curator
decides. What counts as likely (kb.names does the string work):

- people: the same full name or a shared multi-word alias, compared by their transliteration
  keys (Kouznetsov = Kuznetsov, José = Jose, Smaiylov = Smailov), or close surnames
  (Jaro-Winkler over the keys, the same final letter) with agreeing given names; middle
  initials, when both print them, must agree ("Anna B. Berg" is not "Anna C. Berg");
- parties and metrics: the same folded name, or a name or alias one shares with the other;
  metrics also when their names have the same content words ("EU share of foreign trade",
  "share of foreign trade of the EU").

Names are compared in blocks (by key, and surnames by their first letters), never every pair of
a large collection.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations, combinations_with_replacement

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kb.names import (
    GIVEN_SIMILARITY,
    SURNAME_SIMILARITY,
    content_stems,
    fold,
    likely_same_person,
    person_key,
    surname_key,
)

_PLURALS = {"person": "people", "party": "parties", "metric": "metrics"}
# Surnames are compared only with those sharing their first letters.
_BLOCK = 2


@dataclass(frozen=True)
class Duplicate:
    """Two records of one type that may be one thing, and why kb thinks so."""

    kind: str  # person, party or metric
    first: str  # slug
    second: str  # slug
    why: str

    def __str__(self) -> str:
        return f"{_PLURALS[self.kind]} '{self.first}' and '{self.second}': {self.why}"


def likely_duplicates(connection: Connection) -> list[Duplicate]:
    """Every likely duplicate pair of people, parties and metrics, each pair once."""
    found = [
        *_people(_names(connection, "people", "person_id")),
        *_same_names("party", _names(connection, "parties", "party_id")),
        *_metrics(_names(connection, "metrics", None)),
    ]
    return sorted(found, key=lambda d: (d.kind, d.first, d.second))


def _names(connection: Connection, table: str, alias_column: str | None) -> dict[str, list[str]]:
    """Each record's names by slug: its name, its aliases, then other files' aliases of it."""
    names: dict[str, list[str]] = {}
    rows = connection.execute(text(f"SELECT slug, name, aliases FROM {table} ORDER BY id"))  # noqa: S608
    for slug, name, aliases in rows:
        listed = json.loads(aliases) if isinstance(aliases, str) else aliases
        names[slug] = [name, *(listed or [])]
    if alias_column is not None:
        added = connection.execute(
            text(
                f"SELECT t.slug, a.name FROM aliases a JOIN {table} t ON t.id = a.{alias_column} "  # noqa: S608
                "ORDER BY a.id"
            )
        )
        for slug, name in added:
            names[slug].append(name)
    return names


def _pairs(groups: Iterable[list[str]]) -> Iterator[tuple[str, str]]:
    """Every pair of distinct slugs within each group, in order."""
    for group in groups:
        yield from combinations(sorted(set(group)), 2)


def _same_names(kind: str, names: dict[str, list[str]]) -> Iterator[Duplicate]:
    """Records sharing a folded name or alias."""
    by_name: defaultdict[str, list[str]] = defaultdict(list)
    printed: dict[str, str] = {}
    for slug, forms in names.items():
        for form in forms:
            key = fold(form)
            by_name[key].append(slug)
            printed.setdefault(key, form)
    seen: set[tuple[str, str]] = set()
    for key, slugs in by_name.items():
        for pair in _pairs([slugs]):
            if pair not in seen:
                seen.add(pair)
                yield Duplicate(kind, *pair, f"both are named '{printed[key]}'")


def _metrics(names: dict[str, list[str]]) -> Iterator[Duplicate]:
    """Metrics sharing a name or alias, or whose names have the same content words."""
    named = list(_same_names("metric", names))
    yield from named
    paired = {(d.first, d.second) for d in named}
    by_words: defaultdict[frozenset[str], list[str]] = defaultdict(list)
    for slug, forms in names.items():
        words = content_stems(forms[0])
        if words:
            by_words[words].append(slug)
    for first, second in _pairs(by_words.values()):
        if (first, second) not in paired:
            why = f"'{names[first][0]}' and '{names[second][0]}' have the same content words"
            yield Duplicate("metric", first, second, why)


def _people(names: dict[str, list[str]]) -> Iterator[Duplicate]:
    """People with one full name by their keys, or whose names may be one person's."""
    seen: set[tuple[str, str]] = set()
    for first, second, why in (*_one_name(names), *_same_surname(names), *_close_surnames(names)):
        if (first, second) not in seen:
            seen.add((first, second))
            yield Duplicate("person", first, second, why)


def _one_name(names: dict[str, list[str]]) -> Iterator[tuple[str, str, str]]:
    """People with a full name (or multi-word alias) of the same key."""
    by_key: defaultdict[str, list[str]] = defaultdict(list)
    printed: dict[tuple[str, str], str] = {}
    for slug, forms in names.items():
        for form in forms:
            if len(fold(form).split()) > 1:  # a surname alone is shared by many people
                key = person_key(form)
                by_key[key].append(slug)
                printed.setdefault((slug, key), form)
    for key, slugs in by_key.items():
        for first, second in _pairs([slugs]):
            a, b = printed[first, key], printed[second, key]
            yield first, second, f"both are named '{a}'" if a == b else _close(a, b)


@dataclass(frozen=True)
class _Name:
    """A person's full name as the duplicate check compares it."""

    slug: str
    printed: str
    surname: str  # key of the surname (particles kept)
    given: str  # key of the first given name ('' when none)
    middles: str  # middle initials as printed ("Anna B. Berg": 'b')


def _parsed(slug: str, printed: str) -> _Name:
    """The parts of a person's name."""
    surname = surname_key(printed)
    words = person_key(printed).split()
    given = words[: len(words) - len(surname.split())]
    folded = fold(printed).split()
    middles = "".join(word for word in folded[1:-1] if len(word) == 1)
    return _Name(slug, printed, surname, given[0] if given else "", middles)


def _same_surname(names: dict[str, list[str]]) -> Iterator[tuple[str, str, str]]:
    """People of one surname whose given names agree (the same key, an initial of it, or a
    close spelling) and whose middle initials, where both print them, agree."""
    blocks: defaultdict[tuple[str, str], defaultdict[str, list[_Name]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for slug, forms in names.items():
        name = _parsed(slug, forms[0])
        if name.given:
            blocks[name.surname, name.given[0]][name.given].append(name)
    for by_given in blocks.values():
        for one, other in combinations_with_replacement(sorted(by_given), 2):
            if one == other or _given_agree(one, other):
                for a, b in _people_of(by_given[one], by_given[other], one == other):
                    if not a.middles or not b.middles or a.middles == b.middles:
                        first, second = sorted((a, b), key=lambda n: n.slug)
                        yield first.slug, second.slug, _close(first.printed, second.printed)


def _given_agree(one: str, other: str) -> bool:
    """Whether two given-name keys (of the same first letter) may be one name."""
    from rapidfuzz.distance import JaroWinkler

    initial = len(one) == 1 or len(other) == 1
    return initial or JaroWinkler.similarity(one, other) >= GIVEN_SIMILARITY


def _people_of(group: list[_Name], other: list[_Name], same: bool) -> Iterator[tuple[_Name, _Name]]:
    """The pairs of one person from each group (each pair once when it is one group)."""
    if same:
        yield from combinations(group, 2)
    else:
        yield from ((a, b) for a in group for b in other)


def _close_surnames(names: dict[str, list[str]]) -> Iterator[tuple[str, str, str]]:
    """Pairs of people whose surnames differ in their keys but are close, with agreeing given
    names: compared surname by surname (few), then person by person within a close pair."""
    by_surname: defaultdict[str, list[str]] = defaultdict(list)
    for slug, forms in names.items():
        by_surname[surname_key(forms[0])].append(slug)
    blocks: defaultdict[str, list[str]] = defaultdict(list)
    for surname in by_surname:
        blocks[surname[:_BLOCK]].append(surname)
    from rapidfuzz.distance import JaroWinkler

    for block in blocks.values():
        for one, other in combinations(sorted(block), 2):
            if one[-1:] != other[-1:] or JaroWinkler.similarity(one, other) < SURNAME_SIMILARITY:
                continue
            for a in by_surname[one]:
                for b in by_surname[other]:
                    if _same_person(names[a][0], names[b][0]):
                        first, second = sorted((a, b))
                        yield first, second, _close(names[first][0], names[second][0])


def _same_person(a: str, b: str) -> bool:
    """kb.names' judgement, and middle initials, where both names print them, agree."""
    middle_a, middle_b = _parsed("", a).middles, _parsed("", b).middles
    agree = not middle_a or not middle_b or middle_a == middle_b
    return agree and likely_same_person(a, b)


def _close(a: str, b: str) -> str:
    """Why two names are close."""
    return f"'{a}' and '{b}' may be one person's name"
