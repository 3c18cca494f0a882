"""People: each person an article names is a known person (by name or alias, however it is
spelt) or a new one, and two spellings in one article are one person.

A drafted name is looked up by its keys (kb.names.name_keys: the sound keys of the full name
and of the surname), and each person found is scored against every name they are known by:

- 1.00: the same name once case, diacritics, titles and transliteration are set aside
  (Kęstutis/Kestutis, Smaiylov/Smailov, Tokaev/Tokayev);
- 0.90: the surname alone, as the article prints a person the second time ("Bektenov");
- similarity × 0.95: a close spelling kb.names.likely_same_person accepts;
- 0.30: the same surname with another given name (named as close, never linked).

The best is linked when it reaches THRESHOLD with MARGIN over the next (kb.draft.linking.link).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from kb.draft.known import Known, KnownPerson
from kb.draft.linking.link import Link, decide
from kb.draft.people import People
from kb.names import fold, likely_same_person, name_keys, similarity
from kb.names import person_key as _person_key
from kb.names import surname_key as _surname_key

# A name's keys are computed once per draft: a common surname may bring hundreds of known
# people, each compared by the keys of every one of their names.
person_key = lru_cache(maxsize=1 << 16)(_person_key)
surname_key = lru_cache(maxsize=1 << 16)(_surname_key)

SAME_NAME = 1.0
SURNAME = 0.9
CLOSE_SPELLING = 0.95
SAME_SURNAME_ONLY = 0.3


@dataclass
class PersonLink:
    """How one drafted person is linked: the slug, the known record (None: new), and the names
    the article prints for them (`printed`: each form once, first as first printed)."""

    slug: str
    known: KnownPerson | None
    link: Link
    printed: list[str] = field(default_factory=list)

    @property
    def new_names(self) -> list[str]:
        """The printed names the known person is not yet known by (alias records to write)."""
        if self.known is None:
            return []
        names = {" ".join(name.split()) for name in (self.known.name, *self.known.aliases)}
        return [name for name in self.printed if name not in names]


def link_people(
    text: str, people: People, known: Known, take_slug: Callable[[str], str]
) -> list[PersonLink]:
    """A link for each drafted person, in order; persons that are one person share a slug."""
    printed = _printed(text, people)
    same = _same_in_article(people)
    keys = {key for person in people.persons for key in name_keys(person.name)}
    found = known.people(keys)
    links: list[PersonLink] = []
    for index, person in enumerate(people.persons):
        if index in same:
            first = links[same[index]]
            first.printed += [name for name in printed[index] if name not in first.printed]
            links.append(first)
            continue
        scored, why, candidates = _score(person.name, found)
        slug, score, close = decide(scored)
        start = _first_start(people, index)
        if slug is not None:
            reason = why[slug]
            links.append(
                PersonLink(
                    slug,
                    candidates[slug],
                    Link("person", person.name, start, slug, False, reason, score, close),
                    list(printed[index]),
                )
            )
            continue
        new_slug = take_slug(person.name)
        reason = "no known person by this name" if not close else "no known person close enough"
        link = Link("person", person.name, start, new_slug, True, reason, 0.0, close)
        links.append(PersonLink(new_slug, None, link, list(printed[index])))
    return links


def _printed(text: str, people: People) -> list[list[str]]:
    """Each person's names as printed, each form once, in text order."""
    forms: list[list[str]] = [[person.name] for person in people.persons]
    for mention in people.mentions:
        name = " ".join(text[mention.start : mention.end].split())
        if name not in forms[mention.person]:
            forms[mention.person].append(name)
    return forms


def _same_in_article(people: People) -> dict[int, int]:
    """Persons the drafter kept apart that are one person (another spelling, the surname alone
    of a full name): each later one mapped to the first."""
    same: dict[int, int] = {}
    keys = [person_key(person.name) for person in people.persons]
    surnames = [surname_key(person.name) for person in people.persons]
    for later, person in enumerate(people.persons):
        for first in range(later):
            if first in same or surnames[first] != surnames[later]:
                continue  # one person's names share a surname key
            if keys[first] == keys[later] or _one_person(people.persons[first].name, person.name):
                same[later] = first
                break
    return same


def _one_person(a: str, b: str) -> bool:
    """Whether two names printed in one article are one person's: the same keys, or the same
    surname key and names close enough (a surname alone; Rəşad and Rashad Hüseynov)."""
    if person_key(a) == person_key(b):
        return True
    return surname_key(a) == surname_key(b) and likely_same_person(a, b)


def _surname_only(name: str) -> bool:
    """Whether a printed name is a surname alone ("Bektenov", "von der Leyen")."""
    return person_key(name) == surname_key(name)


def _first_start(people: People, index: int) -> int:
    """Where a person is first mentioned."""
    return min((m.start for m in people.mentions if m.person == index), default=0)


def _score(
    name: str, found: dict[str, list[KnownPerson]]
) -> tuple[dict[str, float], dict[str, str], dict[str, KnownPerson]]:
    """Every known person found under the name's keys, scored; and why each scored so."""
    candidates: dict[str, KnownPerson] = {}
    for key in name_keys(name):
        for person in found.get(key, []):
            candidates.setdefault(person.slug, person)
    scored: dict[str, float] = {}
    why: dict[str, str] = {}
    full = not _surname_only(name)
    for slug, person in candidates.items():
        best, reason = 0.0, ""
        names = [person.name, *person.aliases]
        if full and not _surname_only(person.name):
            # A full name printed is compared with the person's full names: a surname alias
            # would let any given name pass (Dana Bektenov is not Olzhas Bektenov).
            names = [known for known in names if not _surname_only(known)]
        for known_name in names:
            score, said = _pair(name, known_name)
            if score > best:
                best, reason = score, said
        if best > 0:
            scored[slug], why[slug] = best, reason
    return scored, why, candidates


def _pair(printed: str, known: str) -> tuple[float, str]:
    """How well a printed name matches one name of a known person, and why."""
    one_word = _surname_only(printed)
    if person_key(printed) == person_key(known) and (not one_word or _surname_only(known)):
        if fold(printed) == fold(known):
            if printed == known:
                return SAME_NAME, f"the name “{known}”"
            return SAME_NAME, f"the name “{known}” (ignoring case and diacritics)"
        return SAME_NAME, f"the name “{known}” (a transliteration variant)"
    if one_word:
        if surname_key(printed) == surname_key(known):
            return SURNAME, f"the surname of “{known}”"
        return 0.0, ""
    if likely_same_person(printed, known):
        score = similarity(printed, known) * CLOSE_SPELLING
        return score, f"a close spelling of “{known}”"
    if surname_key(printed) == surname_key(known):
        return SAME_SURNAME_ONLY, f"the surname of “{known}”, another given name"
    return 0.0, ""
