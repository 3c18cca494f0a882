"""Phrases that may name a country or organization: capitalised words and their runs.

Every run of capitalised words in the body ("the European Bank for Reconstruction and
Development", "Kazakh", "EU") and each stretch inside it is a phrase the linker looks up by the
keys of kb.names (name, alias, initials, adjective). A phrase that no record knows may still
name a party a draft can create: a country kb.names knows by name or adjective ("Uzbekistan",
"Uzbek"), or an organization named in full with a word that says so ("… Bank", "… Service").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.draft.lexicon import ROLE_NOUNS
from kb.draft.people import People
from kb.draft.segment import Layout
from kb.names import DEMONYMS, fold, party_mention_keys

_WORD = re.compile(r"[^\W\d_]+")
_GAPS = frozenset((" ", "\u00a0"))
_POSSESSIVE = re.compile(r"[’']s\b")
# Lower-case words that may stand inside a name: "Republic of Kazakhstan", "Bank for
# Reconstruction and Development".
_CONNECTORS = frozenset(("of", "for", "and", "the", "on"))
_ARTICLES = frozenset(("The", "A", "An"))
# The longest stretch of a run looked up (words).
_MAX_WORDS = 8
# Words that make a name an organization's a draft may create (a body that takes part in events
# and holds offices); not institutes, companies or committees of two parties.
ORGANIZATION_HEADS = frozenset(
    [
        "bank",
        "service",
        "commission",
        "union",
        "organization",
        "organisation",
        "agency",
        "fund",
        "parliament",
        "alliance",
        "federation",
    ]
)
# Folded country names that DEMONYMS maps adjectives to but that name organizations.
_NOT_COUNTRIES = frozenset(("european union", "soviet union"))
COUNTRIES = {name for name in DEMONYMS.values() if name not in _NOT_COUNTRIES}


@dataclass(frozen=True)
class Phrase:
    """A stretch of capitalised words: offsets, text, its look-up keys and how it is written."""

    start: int
    end: int
    text: str
    keys: tuple[str, ...]
    words: int
    possessive: bool
    # The party a draft could create for it when nothing known matches: (name, kind).
    creatable: tuple[str, str] | None = None


def find_phrases(layout: Layout, people: People) -> list[Phrase]:
    """Every phrase of the body that may name a party, people's names left out."""
    text = layout.text
    body = layout.paragraphs[0][0] if layout.paragraphs else len(text)
    tokens = [match.span() for match in _WORD.finditer(text, body)]
    # Offsets inside people's names: no phrase may touch them.
    taken = {i for mention in people.mentions for i in range(mention.start, mention.end)}
    phrases: list[Phrase] = []
    for run in _runs(text, tokens):
        run = [token for token in run if token[0] not in taken]
        for first in range(len(run)):
            for last in range(first, min(len(run), first + _MAX_WORDS)):
                phrase = _phrase(text, run[first : last + 1])
                if phrase is not None:
                    phrases.append(phrase)
    return phrases


def _runs(text: str, tokens: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Runs of tokens one space apart that start with a capital (connectors inside)."""
    runs: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for start, end in tokens:
        word = text[start:end]
        joined = bool(current) and text[current[-1][1] : start] in _GAPS
        if joined and (word[0].isupper() or word in _CONNECTORS):
            current.append((start, end))
            continue
        if current:
            runs.append(current)
        current = [(start, end)] if word[0].isupper() else []
    if current:
        runs.append(current)
    return runs


def _phrase(text: str, tokens: list[tuple[int, int]]) -> Phrase | None:
    """The phrase of a stretch of tokens, if it starts and ends with a capitalised word."""
    words = [text[start:end] for start, end in tokens]
    if not words[0][0].isupper() or not words[-1][0].isupper():
        return None
    if words[0] in _ARTICLES:
        return None  # "The European Union" is looked up as "European Union"
    start, end = tokens[0][0], tokens[-1][1]
    surface = text[start:end]
    possessive = _POSSESSIVE.match(text, end) is not None
    return Phrase(
        start,
        end,
        surface,
        tuple(party_mention_keys(surface)),
        len(words),
        possessive,
        _creatable(words),
    )


def _creatable(words: list[str]) -> tuple[str, str] | None:
    """(name, kind) of the party a draft may create for these words, or None."""
    folded = fold(" ".join(words))
    if len(words) == 1 and folded.endswith("s") and folded[:-1] in DEMONYMS:
        folded = folded[:-1]  # "Uzbeks"
    country = DEMONYMS.get(folded, folded)
    if country in COUNTRIES:
        return country.title(), "country"
    if len(words) > 1 and _organization(words):
        return " ".join(words), "organization"
    return None


def _organization(words: list[str]) -> bool:
    """Whether words name an organization in full: a head word ending the name or followed by
    "of"/"for" ("European External Action Service", "Bank for Reconstruction and
    Development", not "European Commission President"); lower-case words only inside ("and"
    only after "for": not "Republic of Kazakhstan and the European Union"); no acronym."""
    lowered = [word.lower() for word in words]
    heads = [i for i, word in enumerate(lowered) if word in ORGANIZATION_HEADS]
    if not heads or lowered[0] == "the" or lowered[0] in ROLE_NOUNS:
        return False  # "President of the European Commission" is an office, not a body
    if not any(i == len(words) - 1 or lowered[i + 1] in ("of", "for") for i in heads):
        return False
    after_for = after_of = False
    for word, lower in zip(words, lowered, strict=True):
        if lower == "for":
            after_for = True
        elif lower == "of":
            after_of = True
        elif (lower == "and" and not after_for) or (lower == "the" and not after_of | after_for):
            return False
        elif word.isupper() and len(word) > 1:
            return False  # an acronym inside: "EU Cooperation Council"
    return True


def acronym_after(text: str, end: int) -> str | None:
    """The acronym in brackets right after a name: "… Development (EBRD)" → "EBRD"."""
    found = re.match(r"\s*\(([A-Z][A-Za-z]{1,9})\)", text[end : end + 16])
    return found.group(1) if found else None
