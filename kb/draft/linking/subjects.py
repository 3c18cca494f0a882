"""Which party a figure is about, and whose office a role is.

A figure's subject is the party its sentence says the quantity belongs to. Each party mention
of the sentence is weighed by the words around it:

- 4, where it is: "in Kazakhstan", "into the Kazakhstani economy", "in the country", "there";
- 3, whose it is: "Kazakhstan’s foreign trade", "the country’s", "Kazakh trade", "between
  Kazakhstan and …", "For Kazakhstan, …";
- 1, named: the one acting ("The European Union funds …");
- 0, the other side: "with the EU", "to the EU", "from European countries".

The figure's own clause is read first (a mention of weight 2 or more wins), then the sentence
(3 or more); a sentence that names only the other side or the one acting ("Investment from EU
countries reached …") is about the country the text was last about. "The country" and "there"
stand for the last country named before them. A sentence naming no party has no subject.
"""

from __future__ import annotations

import re
from collections import Counter

from kb.draft.linking.parties import Mention

WHERE = 4.0
WHOSE = 3.0
NAMED = 1.0
OTHER_SIDE = 0.0

_OTHER_SIDE = frozenset(("with", "to", "from", "towards", "toward", "against"))
_WHERE = frozenset(("in", "into", "inside", "within", "across", "throughout"))
# After a party's name, these words show it is not an adjective of the noun that follows.
_NOT_A_NOUN = frozenset(
    [
        "and",
        "or",
        "but",
        "is",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "must",
        "should",
        "said",
        "says",
        "told",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "with",
        "from",
        "by",
        "as",
        "than",
        "that",
        "which",
        "who",
        "also",
    ]
)
# "There are …" is no place: a form of "be" or "have" after it makes it existential.
_COUNTRY_WORDS = re.compile(
    r"\b(?:the country(?P<whose>[’']s)?|there|here)\b"
    r"(?!\s+(?:is|are|was|were|will|has|have|had)\b)",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[,;:–—]\s|\s(?:and|but|while|whereas)\s")
_PUNCTUATION = re.compile(r"[,;:–—]\s")
# Titles of national offices: a role with one of these words and no party of its own is held
# in a country.
_OFFICE = re.compile(
    r"\b(?:minister|ministry|president|premier|prime|spokesman|spokeswoman|spokesperson"
    r"|ambassador|government|governor|akim|senator|parliament|deputy|secretary)\b",
    re.IGNORECASE,
)


def identity(mention: Mention) -> str | int:
    """What tells parties apart: a known party's slug, a new party's identity."""
    return mention.known.slug if mention.known is not None else id(mention.new)


def home_country(mentions: list[Mention]) -> Mention | None:
    """The country the text names most often (the first named, on a tie)."""
    countries = [m for m in mentions if m.kind == "country"]
    if not countries:
        return None
    counts = Counter(identity(m) for m in countries)
    best = max(counts.values())
    return next(m for m in countries if counts[identity(m)] == best)


def country_before(mentions: list[Mention], position: int) -> Mention | None:
    """The country "the country" stands for at `position`: the last named before it among
    those the text names more than once (a country named in passing, "Italian pasta makers",
    is not what the text is about), else the last named before it."""
    counts = Counter(identity(m) for m in mentions if m.kind == "country")
    found = salient = None
    for mention in mentions:
        if mention.start >= position:
            break
        if mention.kind == "country":
            found = mention
            if counts[identity(mention)] > 1:
                salient = mention
    return salient or found


def subject(
    text: str, start: int, end: int, sentence: tuple[int, int], mentions: list[Mention]
) -> tuple[Mention | None, str]:
    """The party a figure at [start, end) is about, and why (None: about no party)."""
    low, high = sentence
    clause = clause_of(text, low, high, start, end)
    weighed = [
        (weight, why, mention)
        for weight, why, mention in _weighed(text, low, high, mentions)
        if mention is not None
    ]
    in_clause = [w for w in weighed if clause[0] <= w[2].start < clause[1]]
    for candidates, floor in ((in_clause, 2.0), (weighed, WHOSE)):
        strong = [w for w in candidates if w[0] >= floor]
        if strong:
            _, why, mention = max(strong, key=lambda w: (w[0], -abs(w[2].start - start)))
            return mention, why
    if not _mentioned(low, high, mentions):
        return None, "the sentence names no party"
    before = country_before(mentions, low) or country_before(mentions, start)
    if before is not None:
        return (
            before,
            f"the sentence names only the other side; the country last named is “{before.text}”",
        )
    named = [w for w in weighed if w[0] >= NAMED]
    if named:
        _, why, mention = max(named, key=lambda w: w[0])
        return mention, why
    return None, "the sentence names only the other side"


def clause_of(
    text: str, low: int, high: int, start: int, end: int, *, words: bool = True
) -> tuple[int, int]:
    """The clause of the sentence [low, high) holding [start, end): between punctuation marks
    and (with `words`) conjunctions."""
    clause_start, clause_end = low, high
    for match in (_CLAUSE if words else _PUNCTUATION).finditer(text, low, high):
        if match.end() <= start:
            clause_start = match.end()
        elif match.start() >= end:
            clause_end = match.start()
            break
    return clause_start, clause_end


def _mentioned(low: int, high: int, mentions: list[Mention]) -> bool:
    return any(low <= m.start < high for m in mentions)


def _weighed(
    text: str, low: int, high: int, mentions: list[Mention]
) -> list[tuple[float, str, Mention | None]]:
    """Each mention of the sentence [low, high), and each "the country"/"there", weighed."""
    weighed: list[tuple[float, str, Mention | None]] = []
    for mention in mentions:
        if low <= mention.start < high:
            weight, why = _weight(text, low, mention.start, mention.end, mention.possessive)
            weighed.append((weight, f"“{mention.text}”: {why}", mention))
    for match in _COUNTRY_WORDS.finditer(text, low, high):
        antecedent = country_before(mentions, match.start())
        if antecedent is None:
            continue
        whose = match.group("whose") is not None
        weight, why = _weight(text, low, match.start(), match.end(), whose)
        if match.group().lower() in ("there", "here"):
            weight, why = WHERE, "where it is"
        # The antecedent stands where the words are, for the clause test.
        stand_in = Mention(
            match.start(),
            match.end(),
            antecedent.text,
            whose,
            antecedent.known,
            antecedent.new,
            antecedent.how,
            antecedent.score,
        )
        said = f"“{match.group()}” (“{antecedent.text}”, named before): {why}"
        weighed.append((weight, said, stand_in))
    return weighed


def _weight(text: str, low: int, start: int, end: int, possessive: bool) -> tuple[float, str]:
    """How strongly the words around a mention make it the sentence's subject."""
    before = [w.strip(',.;:“”"()').lower() for w in text[low:start].split()]
    while before and before[-1] in ("the", "a", "an", "its", "their", "our"):
        before.pop()
    previous = before[-1] if before else ""
    if previous in _OTHER_SIDE:
        return OTHER_SIDE, f"the other side (“{previous} …”)"
    if previous in _WHERE:
        return WHERE, f"where it is (“{previous} …”)"
    if possessive:
        return WHOSE, "whose it is (“…’s”)"
    if previous == "between":
        return WHOSE, "“between …”"
    if previous == "for" and len(before) == 1:
        return WHOSE, "“For …,”"
    following = re.match(r"\s+([a-z][a-z-]+)", text[end : end + 30])
    if following and following.group(1) not in _NOT_A_NOUN and not _verb(following.group(1)):
        return WHOSE, f"what it qualifies (“… {following.group(1)}”)"
    return NAMED, "named in the sentence"


def _verb(word: str) -> bool:
    """Whether a word after a name reads as its verb ("funds", "invested", "reached")."""
    return word.endswith(("ed", "es")) or (word.endswith("s") and not word.endswith("ss"))


def role_party(
    text: str,
    evidence: tuple[int, int],
    name: tuple[int, int],
    title: str,
    sentence: tuple[int, int],
    mentions: list[Mention],
    home: Mention | None,
) -> tuple[Mention | None, str]:
    """The party whose office a role is, and why (None: the role names none)."""
    low, high = evidence
    own = [
        m
        for m in mentions
        if low <= m.start < high
        and not (name[0] <= m.start < name[1])
        and _previous_word(text, low, m.start) not in ("to", "for")
    ]
    if own:
        return own[0], f"“{own[0].text}” in the role: {own[0].how}"
    if not _OFFICE.search(title):
        return None, "the role names no party"
    countries = [
        m for m in mentions if sentence[0] <= m.start < sentence[1] and m.kind == "country"
    ]
    if countries:
        nearest = min(countries, key=lambda m: abs(m.start - name[0]))
        return nearest, f"a national office; “{nearest.text}” is named in the sentence"
    if home is not None:
        return home, f"a national office; the article is about “{home.text}”"
    return None, "a national office, but no country is named"


def _previous_word(text: str, low: int, start: int) -> str:
    words = [w.lower() for w in text[low:start].split() if w.lower() not in ("the", "a", "an")]
    return words[-1] if words else ""
