"""Parties: which country or organization each phrase of an article names.

Every phrase (kb.draft.parties) is looked up by its keys in one query. A key is a party's name
or alias (score 1.0), its initials or the adjective of its name (0.9: "EU", "Kazakh"). Phrases
are taken longest first, so "European Commission" is the Commission and not "European" + a
word, and a new organization named in full ("European Bank for Reconstruction and
Development") is not read as "European". A phrase nothing known matches may name a party the
draft can create (a country kb.names knows, an organization named in full); such a party is
created only if a record needs it (see kb.draft.linking.assign), and its acronym in brackets and
its adjective then find it too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.draft.known import Known, KnownParty
from kb.draft.linking.link import decide
from kb.draft.parties import Phrase, acronym_after
from kb.names import DEMONYMS, fold, party_keys

NAME = 1.0
SHORT_FORM = 0.9


@dataclass
class NewParty:
    """A party the draft may create: its name, kind, aliases, and (once created) its slug."""

    name: str
    kind: str
    aliases: list[str] = field(default_factory=list)
    slug: str | None = None
    needed_by: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        """The keys it is found by, as a known party's."""
        return party_keys(self.name, self.aliases)


@dataclass(frozen=True)
class Mention:
    """A phrase naming a party: the known party or a party the draft may create, and why."""

    start: int
    end: int
    text: str
    possessive: bool
    known: KnownParty | None
    new: NewParty | None
    how: str
    score: float
    close: tuple[tuple[str, float], ...] = ()

    @property
    def kind(self) -> str:
        """country or organization."""
        return self.known.kind if self.known is not None else self.new.kind  # type: ignore[union-attr]

    @property
    def slug(self) -> str | None:
        """The slug it links to (None for a party the draft did not create)."""
        return self.known.slug if self.known is not None else self.new.slug  # type: ignore[union-attr]


@dataclass
class Unlinked:
    """A phrase several known parties match equally: named in a comment, never linked."""

    text: str
    start: int
    close: tuple[tuple[str, float], ...]


def resolve(text: str, phrases: list[Phrase], known: Known) -> tuple[list[Mention], list[Unlinked]]:
    """The party mentions of an article, in text order, none overlapping."""
    found = known.parties({key for phrase in phrases for key in phrase.keys})
    options: list[tuple[Phrase, Mention | None]] = []
    ambiguous: list[Unlinked] = []
    new_parties: dict[str, NewParty] = {}
    for phrase in phrases:
        mention, unsure = _known(phrase, found)
        if unsure is not None:
            ambiguous.append(unsure)
        if mention is None and phrase.creatable is not None:
            mention = _creatable(text, phrase, new_parties)
        options.append((phrase, mention))
    named = [
        (m.start, m.end)
        for _, m in options
        if m is not None and m.known is not None and m.score >= NAME
    ]
    chosen = _longest_first(
        [
            (phrase, m)
            for phrase, m in options
            if m is not None and (m.known is not None or not _holds_a_name(phrase, named))
        ]
    )
    # Short forms of parties the draft may create: "EBRD" after "(EBRD)", "Uzbek".
    by_key = {key: party for party in new_parties.values() for key in party.keys}
    rest = [
        (phrase, _of_new(phrase, by_key))
        for phrase, mention in options
        if mention is None and any(key in by_key for key in phrase.keys)
    ]
    chosen = _longest_first(rest, taken=chosen)
    mentions = sorted((mention for _, mention in chosen), key=lambda m: m.start)
    spans = [(m.start, m.end) for m in mentions]
    unlinked = [u for u in ambiguous if not any(s <= u.start < e for s, e in spans)]
    return mentions, unlinked


def _holds_a_name(phrase: Phrase, named: list[tuple[int, int]]) -> bool:
    """Whether a phrase holds the full name of a known party ("Republic of Kazakhstan and the
    European Union"): then it is that party's mention, not a new organization's name."""
    return any(phrase.start <= start and end <= phrase.end for start, end in named)


def _known(
    phrase: Phrase, found: dict[str, list[KnownParty]]
) -> tuple[Mention | None, Unlinked | None]:
    """The known party a phrase names (if exactly one fits best), and how it was found."""
    scored: dict[str, float] = {}
    how: dict[str, str] = {}
    parties: dict[str, KnownParty] = {}
    for key in phrase.keys:
        for party in found.get(key, []):
            score, said = _how(phrase.text, party)
            if score > scored.get(party.slug, 0.0):
                scored[party.slug], how[party.slug], parties[party.slug] = score, said, party
    if not scored:
        return None, None
    slug, score, close = decide(scored)
    if slug is None:
        return None, Unlinked(phrase.text, phrase.start, close)
    mention = Mention(
        phrase.start,
        phrase.end,
        phrase.text,
        phrase.possessive,
        parties[slug],
        None,
        how[slug],
        score,
        close,
    )
    return mention, None


def _how(text: str, party: KnownParty) -> tuple[float, str]:
    """How a phrase names a known party: its name, an alias, its initials or its adjective."""
    folded = _form(text)
    if folded == _form(party.name):
        return NAME, "its name"
    for alias in party.aliases:
        if folded == _form(alias):
            return NAME, f"its alias “{alias}”"
    if folded in DEMONYMS or folded.rstrip("s") in DEMONYMS:
        return SHORT_FORM, f"the adjective of “{party.name}”"
    if folded.replace(" ", "").isalpha() and len(folded) <= 6 and text.isupper():
        return SHORT_FORM, f"the initials of “{party.name}”"
    return NAME, f"a name another source records for “{party.name}”"


def _form(text: str) -> str:
    folded = fold(text)
    return folded[4:] if folded.startswith("the ") else folded


def _creatable(text: str, phrase: Phrase, new_parties: dict[str, NewParty]) -> Mention:
    """A mention of a party the draft may create (one NewParty per name)."""
    name, kind = phrase.creatable  # type: ignore[misc]
    party = new_parties.setdefault(fold(name), NewParty(name, kind))
    acronym = acronym_after(text, phrase.end)
    if acronym is not None and acronym not in party.aliases and _initials_of(acronym, name):
        party.aliases.append(acronym)
    how = "its name" if fold(phrase.text) == fold(name) else f"the adjective of “{name}”"
    return Mention(phrase.start, phrase.end, phrase.text, phrase.possessive, None, party, how, 1.0)


def _initials_of(acronym: str, name: str) -> bool:
    """Whether an acronym is a name's initials (as kb.names.party_keys forms them)."""
    return acronym.lower() in party_keys(name)


def _of_new(phrase: Phrase, by_key: dict[str, NewParty]) -> Mention:
    """A mention of a party the draft may create, by a short form."""
    party = next(by_key[key] for key in phrase.keys if key in by_key)
    how = f"a short form of “{party.name}”"
    return Mention(
        phrase.start, phrase.end, phrase.text, phrase.possessive, None, party, how, SHORT_FORM
    )


def _longest_first(
    options: list[tuple[Phrase, Mention]], taken: list[tuple[Phrase, Mention]] | None = None
) -> list[tuple[Phrase, Mention]]:
    """Options that do not overlap, longest phrase first (a known party before a new one)."""
    chosen = list(taken or [])
    spans = [(m.start, m.end) for _, m in chosen]
    ranked = sorted(options, key=lambda o: (-o[0].words, o[1].known is None, o[0].start))
    for phrase, mention in ranked:
        if any(start < phrase.end and phrase.start < end for start, end in spans):
            continue
        chosen.append((phrase, mention))
        spans.append((phrase.start, phrase.end))
    return chosen
