"""Titles before a name: how far a title runs back from its role noun ("Deputy Minister of
Foreign Affairs of Kazakhstan"), and where, after it, the name starts (kb.draft.people)."""

from __future__ import annotations

from kb.draft.lexicon import (
    FUNCTION_WORDS,
    HONORIFICS,
    NAME_PARTICLES,
    NOT_NAME_WORDS,
    ROLE_NOUNS,
    TITLE_MODIFIERS,
    word_set,
)
from kb.names import DEMONYMS, fold

# What may stand between two words of one title: a space, a no-break space.
GAPS = frozenset((" ", "\u00a0"))
MAX_TITLE_WORDS = 5
# Nouns that end the name of a ministry or office in a title: "Minister of Transport and
# Infrastructure NAME".
TITLE_NOUNS = word_set(
    "affairs development construction infrastructure trade economy transport industry energy "
    "finance finances agriculture integration communications education science health justice "
    "defence defense culture sport sports ecology resources policy security relations investment "
    "investments planning innovation innovations technology technologies cooperation commerce "
    "labour labor welfare protection emergencies mobility climate action environment water "
    "digital information republic union commission council ministry customs"
)
COUNTRY_NAMES = frozenset(DEMONYMS.values())
REGIONS = word_set("asia europe africa america americas caucasus balkans pacific arctic")
# Endings of nouns that close a title, not a given name: Partnerships, Relations, Development.
TITLE_ENDINGS = (
    "ships", "tion", "tions", "sion", "sions", "ment", "ments", "ics", "ies", "ity", "ism",
    "ance", "ence", "ture", "ures", "ways", "ports",
)  # fmt: skip
# Words that join the parts of a long title: "Minister of Industry and Construction".
CHAIN_CONNECTORS = frozenset(("of", "and", "for", "the", "&", "to", "at"))
# Words that carry a title on from its role noun: "Minister of", "Ambassador to", "Secretary at".
TITLE_GOES_ON = frozenset(("of", "for", "to", "at"))
MAX_CHAIN_WORDS = 24


def last_title_word(words: list[str]) -> int | None:
    """Index of the last role noun or honorific among a run's words."""
    found = None
    for index, word in enumerate(words):
        lower = word.lower().rstrip(".")
        if lower in ROLE_NOUNS or lower in HONORIFICS:
            found = index
    return found


def name_start(text: str, tokens: list[tuple[int, int]], first: int, last: int) -> int:
    """Where the name starts in a run that ends a long title ("… Infrastructure Ömer Faruk
    Yılmaz"): the run's last two words (with any particles between them), and up to two words
    more before them that read as given names, not as the end of a title or a place."""
    name_first = last
    while name_first - 1 > first and text[slice(*tokens[name_first - 1])] in NAME_PARTICLES:
        name_first -= 1
    name_first -= 1
    for _ in range(2):
        # The run's first word ends the title ("… of Ruritania Olaf Berg"): never the name's.
        if name_first - 1 <= first or not given_name(text[slice(*tokens[name_first - 1])]):
            break
        name_first -= 1
    return name_first


def given_name(word: str) -> bool:
    """Whether a capitalised word before a name may be another given name: not a word of a
    title, an organization, a place or a country ("Infrastructure", "Bank", "Asia")."""
    folded = fold(word)
    if folded in TITLE_NOUNS or folded in NOT_NAME_WORDS or folded in REGIONS:
        return False
    if folded in DEMONYMS or folded in COUNTRY_NAMES or folded in ROLE_NOUNS:
        return False
    return not folded.endswith(TITLE_ENDINGS)


def chain_role(text: str, tokens: list[tuple[int, int]], index: int) -> int | None:
    """The role noun a title ends its chain at, walking back from the connector at `index`
    ("of", "and", "for" between capitalised words: "Minister of Foreign Affairs of")."""
    if index < 1 or text[slice(*tokens[index])] not in CHAIN_CONNECTORS:
        return None
    steps = 0
    while index >= 0 and steps < MAX_CHAIN_WORDS:
        word = text[slice(*tokens[index])]
        if word[0].isupper() and word.lower() in ROLE_NOUNS:
            # The title goes on from its noun with "of" ("Minister of …"), not with a name.
            following = text[slice(*tokens[index + 1])]
            return index if following in TITLE_GOES_ON else None
        if not (word[0].isupper() or word in CHAIN_CONNECTORS):
            return None
        if index == 0 or not title_gap(text, tokens, index):
            return None
        index -= 1
        steps += 1
    return None


def title_gap(text: str, tokens: list[tuple[int, int]], index: int) -> bool:
    """Whether the gap before token `index` stays inside a title: a space, or a comma between
    capitalised words ("Ministry of Economy, Trade and Enterprise")."""
    gap = text[tokens[index - 1][1] : tokens[index][0]]
    if gap in GAPS:
        return True
    return gap == ", " and text[tokens[index][0]].isupper() and text[tokens[index - 1][0]].isupper()


def title_start(text: str, tokens: list[tuple[int, int]], role: int) -> int:
    """The first word of a title ending in the role noun at `role`: the capitalised words and
    modifiers before it (Deputy Prime Minister), not a possessive (Kazakhstan's); two titles
    joined by "and" are one ("Deputy Prime Minister and Minister of Foreign Affairs")."""
    title_first = title_words_before(text, tokens, role)
    while (
        title_first >= 2
        and text[slice(*tokens[title_first - 1])] == "and"
        and text[slice(*tokens[title_first - 2])].lower() in ROLE_NOUNS
        and text[tokens[title_first - 2][1] : tokens[title_first][0]] == " and "
    ):
        title_first = title_words_before(text, tokens, title_first - 2)
    return title_first


def title_words_before(text: str, tokens: list[tuple[int, int]], role: int) -> int:
    """The first of the title words right before the role noun at `role` (and the noun's own
    index when there are none)."""
    title_first = role
    while (
        title_first > 0
        and role - title_first < MAX_TITLE_WORDS
        and text[tokens[title_first - 1][1] : tokens[title_first][0]] in GAPS
        and title_word(text[slice(*tokens[title_first - 1])])
        and text[slice(*tokens[title_first - 1])][-2:] not in ("’s", "'s")
    ):
        title_first -= 1
    return title_first


def title_word(word: str) -> bool:
    """Whether a word before a role noun belongs to the title (Museum director, Chief executive)."""
    lower = word.lower()
    return lower not in FUNCTION_WORDS and (word[0].isupper() or lower in TITLE_MODIFIERS)
