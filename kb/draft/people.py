"""People: capitalised names in a person's context, their roles, and every later mention.

A run of capitalised words is a person's name only in a context that says so: a title before it
("Prime Minister NAME", "museum director NAME", "Deputy Minister of Foreign Affairs of
Kazakhstan NAME", "The President of the European Commission, NAME,"), a role after it ("NAME,
EU Ambassador to Kazakhstan"), an honorific, a speech verb next to it ("said NAME", "NAME
added", "According to NAME,"), or "and" joining it to another person. A title's words, its
country and the words of an office's name are never part of the name; particles (von der
Leyen) and initials (J. R. Hallström) are. Names are compared folded: one printed with and
without diacritics, in another order (Tanaka Hiroshi, Hiroshi Tanaka) or by its end (Ruiz
Ortega, Zhou for Zhou Minghui) is one person, and later mentions by surname are merged into it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

from kb.draft.lexicon import (
    FUNCTION_WORDS,
    HONORIFICS,
    NAME_PARTICLES,
    NOT_NAME_WORDS,
    ROLE_NOUNS,
    ROLE_PLURALS,
    SPEECH_VERBS,
    TITLE_MODIFIERS,
)
from kb.draft.segment import Layout
from kb.draft.titles import (
    CHAIN_CONNECTORS,
    COUNTRY_NAMES,
    GAPS,
    MAX_CHAIN_WORDS,
    MAX_TITLE_WORDS,
    TITLE_GOES_ON,
    TITLE_NOUNS,
    chain_role,
    given_name,
    last_title_word,
    name_start,
    title_gap,
    title_start,
)
from kb.names import DEMONYMS, fold

_WORD = re.compile(r"[^\W\d_]+(?:[-’'][^\W\d_]+)*")
_SPEECH = "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True))
_SPEECH_AFTER = re.compile(rf"\s+(?:{_SPEECH})\b")
# "…, NAME, said": a name closing an apposition, then the speech verb.
_SPEECH_AFTER_COMMA = re.compile(rf",\s+(?:{_SPEECH})\b")
_ACCORDING = re.compile(r"\b[Aa]ccording to\s+$")
_SPEECH_BEFORE = re.compile(rf"\b(?:{_SPEECH}|according to)\s+$", re.IGNORECASE)
# "NAME, ROLE": the role phrase runs to the next punctuation mark.
_APPOSITION = re.compile(r"(?:[’']s)?,\s+(?P<role>[^,.;:!?()“”\"«»\n]{2,120})")
# Leading words of a role phrase that are not part of the title: "the company's", "its".
_ROLE_LEAD = re.compile(r"^(?:(?:the|a|an|its|their|his|her|our)\s+)?(?:[\w-]+[’']s\s+)?", re.I)
_ROLE_WORDS = 4
# "NAME, 58,": an age after a name.
_AGE = re.compile(r",\s+\d{1,3},")
# "an epidemiologist at ORG": a word naming an occupation (-ist, -er, -or, -ian, -ant, -ent),
# then at/of/for/with an organization.
_OCCUPATION_AT = re.compile(
    r"(?:an?|the)\s+(?:[a-z-]+\s+){0,2}?"
    r"(?!(?:center|centre|border|corner|river|water|number|quarter|order|letter|computer)\b)"
    r"[a-z-]+(?:ist|er|or|ian|ant|ent)\s+(?:at|of|for|with)\s+(?:the\s+)?[A-Z]"
)


@dataclass(frozen=True)
class Role:
    """A role as the text states it: the title and the evidence passage's offsets."""

    title: str
    start: int
    end: int


@dataclass
class Person:
    """A person: full name as printed, surname, roles, and whether the surname is used alone."""

    name: str
    surname: str
    roles: list[Role] = field(default_factory=list)
    surname_used: bool = False


@dataclass(frozen=True)
class Mention:
    """A mention of a person (full name or surname) at offsets [start, end)."""

    start: int
    end: int
    person: int
    speaking: bool = False


@dataclass
class People:
    """The people of an article and their mentions in text order."""

    persons: list[Person]
    mentions: list[Mention]

    def __post_init__(self) -> None:
        self.mentions.sort(key=lambda mention: mention.start)
        self._starts = [mention.start for mention in self.mentions]

    def within(self, start: int, end: int) -> Mention | None:
        """The first mention that starts in [start, end)."""
        index = bisect_left(self._starts, start)
        if index < len(self.mentions) and self.mentions[index].start < end:
            return self.mentions[index]
        return None

    def all_within(self, start: int, end: int) -> list[Mention]:
        """Every mention that starts in [start, end)."""
        index = bisect_left(self._starts, start)
        found = []
        while index < len(self.mentions) and self.mentions[index].start < end:
            found.append(self.mentions[index])
            index += 1
        return found

    def before(self, position: int, skip: Callable[[int], bool]) -> int | None:
        """The person mentioned last before `position`, ignoring mentions where skip() holds."""
        index = bisect_left(self._starts, position) - 1
        while index >= 0:
            mention = self.mentions[index]
            if not skip(mention.start):
                return mention.person
            index -= 1
        return None

    def speaker_before(self, position: int, since: int, skip: Callable[[int], bool]) -> int | None:
        """The person last named as the subject of a speech verb in [since, position)."""
        index = bisect_left(self._starts, position) - 1
        while index >= 0 and self.mentions[index].start >= since:
            mention = self.mentions[index]
            if mention.speaking and not skip(mention.start):
                return mention.person
            index -= 1
        return None

    def with_role(self, noun: str, position: int) -> int | None:
        """The person last mentioned before `position` whose role title contains `noun`."""
        wanted = noun.lower()
        index = bisect_left(self._starts, position) - 1
        while index >= 0:
            person = self.mentions[index].person
            titles = " ".join(role.title.lower() for role in self.persons[person].roles)
            if re.search(rf"\b{re.escape(wanted)}\b", titles):
                return person
            index -= 1
        return None


@dataclass
class _Candidate:
    """A run of capitalised words that may name a person."""

    start: int
    end: int
    words: list[str]
    strong: bool
    role: Role | None = None
    speaking: bool = False


def find_people(layout: Layout) -> People:
    """The people named in the body, with their roles and mentions."""
    text = layout.text
    body_start = layout.paragraphs[0][0] if layout.paragraphs else len(text)
    tokens = [match.span() for match in _WORD.finditer(text, body_start)]
    candidates = [
        candidate
        for run in _runs(text, tokens)
        if (candidate := _candidate(text, tokens, run)) is not None
    ]
    _join_coordinated(text, candidates)
    return _merge(candidates)


def _runs(text: str, tokens: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Runs [first, last] of token indices: capitalised words (and particles) one space apart."""
    runs = []
    first: int | None = None
    for index, (start, end) in enumerate(tokens):
        word = text[start:end]
        capital = word[0].isupper()
        gap = text[tokens[index - 1][1] : start] if index else ""
        joined = (
            first is not None
            and (gap in GAPS or (gap == ". " and _initial(text, tokens[index - 1])))
            and (capital or word.lower() in NAME_PARTICLES)
        )
        if joined:
            continue
        if first is not None:
            runs.append((first, index - 1))
        first = index if capital or _particles_then_name(text, tokens, index) else None
    if first is not None:
        runs.append((first, len(tokens) - 1))
    return runs


def _initial(text: str, token: tuple[int, int]) -> bool:
    """Whether a token is an initial: one capital letter with a full stop ("J. R. Hallström")."""
    return token[1] - token[0] == 1 and text[token[0]].isupper() and text[token[1]] == "."


def _particles_then_name(text: str, tokens: list[tuple[int, int]], index: int) -> bool:
    """Whether lower-case particles start a surname here ("… and von der Leyen said")."""
    while index < len(tokens) and text[slice(*tokens[index])] in NAME_PARTICLES:
        if index + 1 >= len(tokens) or text[tokens[index][1] : tokens[index + 1][0]] not in GAPS:
            return False
        index += 1
    return index < len(tokens) and text[slice(*tokens[index])][0].isupper()


def _candidate(text: str, tokens: list[tuple[int, int]], run: tuple[int, int]) -> _Candidate | None:
    """The person a run may name, with the title before it if there is one."""
    first, last = run
    words = [text[start:end] for start, end in tokens[first : last + 1]]
    if len(words) > 1 and all(word.lower() in NAME_PARTICLES for word in words[:-1]):
        # A surname with its particles, printed alone ("von der Leyen"): kept whole.
        start, end = tokens[first][0], tokens[last][1]
        return _Candidate(start, end, words, False)
    while words and (words[0].lower() in FUNCTION_WORDS or words[0].lower() in NAME_PARTICLES):
        words.pop(0)
        first += 1
    while words and words[-1].lower() in NAME_PARTICLES:
        words.pop()
        last -= 1
    if not words:
        return None
    title_at = last_title_word(words)
    strong = False
    role: Role | None = None
    if title_at is not None:
        name_first = first + title_at + 1
        if name_first > last:
            return None
        strong = True
        if words[title_at].lower().rstrip(".") not in HONORIFICS:
            role = _role_before(text, tokens, first, name_first, last)
        first = name_first
    elif (split := _title_with_of(text, tokens, first, last)) is not None:
        first, role = split
        strong = True
    else:
        strong, role = _context_before(text, tokens, first, last)
    name_words = [
        text[start:end] + ("." if _initial(text, (start, end)) else "")
        for start, end in tokens[first : last + 1]
    ]
    owner = name_words[-1] != _strip_possessive(name_words[-1])
    name_words[-1] = _strip_possessive(name_words[-1])
    if not _is_name(name_words):
        return None
    if owner and role is None and re.match(r"\s+[a-z]", text[tokens[last][1] :]):
        strong = False  # "said Kestria's foreign minister": an owner, not the speaker
    if strong and title_at is None and role is None and len(name_words) == 1:
        # "said Kazakhstan would…", "according to Reuters calculations": a single word after a
        # speech verb names the speaker only where the attribution ends ("…," said Berg.).
        ends = text[tokens[last][1] : tokens[last][1] + 1] in ("", ".", "!", "?", ";")
        # "According to Zieliński, the bank…": the attribution ends at the comma.
        according = _ACCORDING.search(text, max(0, tokens[first][0] - 20), tokens[first][0])
        strong = ends or (according is not None and text[tokens[last][1]] == ",")
    start, end = tokens[first][0], tokens[last][0] + len(name_words[-1])
    candidate = _Candidate(start, end, name_words, strong, role)
    _context_after(text, candidate)
    return candidate


def _role_before(
    text: str, tokens: list[tuple[int, int]], title_first: int, name_first: int, last: int
) -> Role:
    """A title printed before the name, within the same run ("Prime Minister NAME")."""
    word = text[slice(*tokens[title_first])]
    if word[-2:] in ("’s", "'s") and title_first + 1 < name_first:
        title_first += 1  # "Kyrgyzstan’s Foreign Minister": the title is "Foreign Minister"
    title_start = tokens[title_first][0]
    title_end = tokens[name_first - 1][1]
    return Role(text[title_start:title_end], title_start, tokens[last][1])


def _title_with_of(
    text: str, tokens: list[tuple[int, int]], first: int, last: int
) -> tuple[int, Role] | None:
    """A title with "of" (or "and") before a name: "Prime Minister of Kazakhstan NAME", "Deputy
    Minister of Foreign Affairs of Kazakhstan NAME", "Minister of Industry and Construction NAME".
    The name is the run's last two words (and any particles); the words before it, back to the
    title's role noun, complete the title."""
    role = chain_role(text, tokens, first - 1)
    if role is None:
        return None
    given = [given_name(text[slice(*tokens[index])]) for index in range(first, last)]
    if text[slice(*tokens[first - 1])] == "and" and all(given):
        return None  # "… Şahin Aydın and J. R. Hallström": another person, not the title's end
    name_first = name_start(text, tokens, first, last)
    if name_first <= first:
        return None
    title_first = title_start(text, tokens, role)
    title = text[tokens[title_first][0] : tokens[name_first - 1][1]]
    return name_first, Role(title, tokens[title_first][0], tokens[last][1])


def _apposed_title(text: str, tokens: list[tuple[int, int]], first: int, last: int) -> Role | None:
    """A title set before a name with a comma: "The President of the European Commission,
    NAME," or "said the head of the subsoil department at the ministry, NAME." The title runs
    back from the comma to its role noun, which an article opens or which is capitalised."""
    if first < 1 or text[tokens[first - 1][1] : tokens[first][0]].strip() != ",":
        return None
    end = tokens[first - 1][1]
    role: int | None = None
    index = first - 1
    for _ in range(MAX_CHAIN_WORDS):
        word = text[slice(*tokens[index])]
        if word.lower() in ROLE_NOUNS and (
            index == first - 1 or text[slice(*tokens[index + 1])] in TITLE_GOES_ON
        ):
            role = index
        opening = index == 0 or not title_gap(text, tokens, index)
        inner = not opening and text[slice(*tokens[index - 1])] in CHAIN_CONNECTORS
        if (word.lower() in ("the", "a", "an") and not inner) or opening:
            break  # the article that opens the title, not one inside it ("of the Union")
        index -= 1
    if role is None or (
        text[slice(*tokens[index])].lower() not in ("the", "a", "an")
        and not text[tokens[role][0]].isupper()
    ):
        return None
    title_first = title_start(text, tokens, role)
    start = tokens[title_first][0]
    return Role(text[start:end], start, tokens[last][1])


def _context_before(
    text: str, tokens: list[tuple[int, int]], first: int, last: int
) -> tuple[bool, Role | None]:
    """Whether the words before a run make it a name, and the title they give: "museum
    director NAME", "mayors NAME", "the project leader, NAME", "said NAME"."""
    if first > 0:
        gap = text[tokens[first - 1][1] : tokens[first][0]]
        previous = text[slice(*tokens[first - 1])].lower()
        if gap in GAPS and previous in ROLE_PLURALS:
            return True, None
        if (gap in GAPS or gap.strip() == ",") and previous in ROLE_NOUNS:
            return True, _title_back(text, tokens, first - 1, last)
        if gap == ". " and previous in HONORIFICS:
            return True, None  # "Dr. Maria Santos"
        if last > first and (role := _apposed_title(text, tokens, first, last)) is not None:
            return True, role
    preceding = text[max(0, tokens[first][0] - 40) : tokens[first][0]]
    return bool(_SPEECH_BEFORE.search(preceding)), None


def _title_back(text: str, tokens: list[tuple[int, int]], role: int, last: int) -> Role:
    """A title ending in the role noun at token `role`, taking the words before it that belong
    to it: capitalised words, modifiers (deputy, chief…) and one lower-case noun (union leader);
    not an article, a possessive (the company's) or a verb."""
    title_first = role
    lower_taken = False
    while title_first > 0 and role - title_first < MAX_TITLE_WORDS:
        if text[tokens[title_first - 1][1] : tokens[title_first][0]] not in GAPS:
            break
        word = text[slice(*tokens[title_first - 1])]
        lower = word.lower()
        if lower in FUNCTION_WORDS or lower in SPEECH_VERBS or word[-2:] in ("’s", "'s"):
            break
        if not word[0].isupper() and lower not in TITLE_MODIFIERS:
            if lower_taken:
                break
            lower_taken = True
        title_first -= 1
    title_start = tokens[title_first][0]
    return Role(text[title_start : tokens[role][1]], title_start, tokens[last][1])


def _context_after(text: str, candidate: _Candidate) -> None:
    """A speech verb or a role phrase after the name makes it a name; a role phrase is kept."""
    end = candidate.end
    if len(candidate.words) > 1 and _AGE.match(text, end):
        candidate.strong = True  # "Derek Hollis, 58, admitted…"
    if _SPEECH_AFTER.match(text, end) or (
        _SPEECH_AFTER_COMMA.match(text, end) and text[: candidate.start].rstrip().endswith(",")
    ):
        candidate.strong = candidate.speaking = True
    elif _SPEECH_BEFORE.search(text, max(0, candidate.start - 40), candidate.start):
        # "…," said NAME. / said NAME, ROLE: not "said NAME had…", where NAME is spoken about.
        candidate.speaking = text[end : end + 1] in ("", ".", ",", ";", "!", "?")
    apposition = _APPOSITION.match(text, end)
    if apposition is None:
        return
    phrase = apposition.group("role").strip()
    phrase = re.split(r"\s+(?:who|which|whose|said|says|told|added)\b", phrase)[0]
    title = phrase[_ROLE_LEAD.match(phrase).end() :]  # type: ignore[union-attr]
    words = title.split()
    role_at = next(
        (i for i, word in enumerate(words[:_ROLE_WORDS]) if word.lower().strip("’'") in ROLE_NOUNS),
        None,
    )
    if role_at is None:
        if len(candidate.words) > 1 and _OCCUPATION_AT.match(phrase):
            # "Maria Santos, an epidemiologist at the National Institute of Health"
            candidate.strong = True
            if candidate.role is None:
                evidence_end = apposition.start("role") + len(phrase)
                candidate.role = Role(title, candidate.start, evidence_end)
        return
    if role_at + 1 < len(words) and words[role_at + 1][0].isupper():
        return  # "…, Mayor Tomas Rebic": a title before the next name, not this one's role
    candidate.strong = True
    if candidate.role is None:
        evidence_end = apposition.start("role") + len(phrase)
        candidate.role = Role(title, candidate.start, evidence_end)


def _strip_possessive(word: str) -> str:
    """A name word without a possessive ending (Farrow’s → Farrow)."""
    return word[:-2] if word[-2:] in ("’s", "'s") else word


def _is_name(words: list[str]) -> bool:
    """Whether the words can be a person's name (not an organization, a place or an acronym)."""
    for word in words:
        lower = word.lower()
        if lower in NAME_PARTICLES or (len(word) == 2 and word[1] == "." and word[0].isupper()):
            continue  # a particle, an initial
        if not word[0].isupper() or lower in NOT_NAME_WORDS or lower in ROLE_NOUNS:
            return False
        if fold(word) in DEMONYMS or fold(word) in COUNTRY_NAMES or fold(word) in TITLE_NOUNS:
            return False  # "Kazakhstan", "Kazakh", "Commerce", "High Technology Park"
        if word.isupper() and len(word) > 1:
            return False
    return True


def _join_coordinated(text: str, candidates: list[_Candidate]) -> None:
    """A full name joined by "and" to a person's name is a person's name too."""
    for left, right in pairwise(candidates):
        if text[left.end : right.start] != " and ":
            continue
        if left.strong and len(right.words) > 1:
            right.strong = True
        elif right.strong and len(left.words) > 1:
            left.strong = True


def _merge(candidates: list[_Candidate]) -> People:
    """Persons from the full names found in context; every mention matched to one of them.
    Names are compared folded, so that a name printed with and without its diacritics
    (António, Antonio) or with a capitalised particle (Von der Leyen) is one person."""
    _promote_full_names(candidates)
    persons, by_name = _full_names(candidates)
    by_surname: dict[str, list[int]] = {}
    for index, person in enumerate(persons):
        by_surname.setdefault(fold(person.surname), []).append(index)
    mentions: list[Mention] = []
    for candidate in candidates:
        found = _match(candidate, by_name, by_surname, mentions)
        if found is None and candidate.strong:
            # Named by surname alone (or a single name) in a speaker's context.
            name = " ".join(candidate.words)
            found = by_name[fold(name)] = len(persons)
            persons.append(Person(name, name))
            by_surname.setdefault(fold(name), []).append(found)
        if found is None:
            continue
        person = persons[found]
        if _surname_alone(candidate.words) and person.name != " ".join(candidate.words):
            person.surname_used = True
            if fold(person.name).split()[0] == fold(" ".join(candidate.words)):
                person.surname = " ".join(candidate.words)  # family name first: Zhou Minghui
        elif len(candidate.words) > 1 and fold(person.name).endswith(
            f" {fold(' '.join(candidate.words))}"
        ):
            person.surname_used = True
            person.surname = " ".join(candidate.words)  # a double surname: Dal Bosco
        if candidate.role is not None and all(
            role.title != candidate.role.title for role in person.roles
        ):
            person.roles.append(candidate.role)
        mentions.append(Mention(candidate.start, candidate.end, found, candidate.speaking))
    return People(persons, mentions)


def _full_names(candidates: list[_Candidate]) -> tuple[list[Person], dict[str, int]]:
    """A person for each full name found in context, by folded name. The end of a longer name
    ("Ruiz Ortega") is not a person of its own, nor are the same words in another order
    ("Hiroshi Tanaka" for Tanaka Hiroshi); the name is the spelling printed first."""
    strong = [c for c in candidates if c.strong and len(c.words) > 1]
    keys = {fold(" ".join(c.words)) for c in strong if not _surname_alone(c.words)}
    spelling: dict[str, list[str]] = {}
    for candidate in candidates:
        spelling.setdefault(fold(" ".join(candidate.words)), candidate.words)
    persons: list[Person] = []
    by_name: dict[str, int] = {}
    by_order: dict[tuple[str, ...], int] = {}
    for candidate in strong:
        key = fold(" ".join(candidate.words))
        if key in by_name or key not in keys or any(k.endswith(f" {key}") for k in keys):
            continue
        order = tuple(sorted(key.split()))
        if order in by_order:
            by_name[key] = by_order[order]
            continue
        words = spelling[key]
        by_name[key] = by_order[order] = len(persons)
        persons.append(Person(" ".join(words), _surname(words)))
    return persons, by_name


def _promote_full_names(candidates: list[_Candidate]) -> None:
    """A surname in a speaker's context ("Mensah said") makes the full name it ends elsewhere
    ("Striker Kofi Mensah, 27, scored") a person's name too."""
    speakers = {fold(" ".join(c.words)) for c in candidates if c.strong and _surname_alone(c.words)}
    for candidate in candidates:
        if not candidate.strong and 1 < len(candidate.words) <= 5:
            surname = fold(_surname(candidate.words))
            candidate.strong = surname in speakers and not _surname_alone(candidate.words)


def _surname_alone(words: list[str]) -> bool:
    """Whether words are a surname printed alone: one word, or particles and one word."""
    return all(word.lower() in NAME_PARTICLES for word in words[:-1])


def _surname(words: list[str]) -> str:
    """The surname: the last word, with the particles before it (von der Leyen)."""
    index = len(words) - 1
    while index > 1 and words[index - 1].lower() in NAME_PARTICLES:
        index -= 1
    return " ".join(words[index:])


def _match(
    candidate: _Candidate,
    by_name: dict[str, int],
    by_surname: dict[str, list[int]],
    mentions: list[Mention],
) -> int | None:
    """The known person a candidate names: by full name, else by surname (the last mentioned)."""
    name = fold(" ".join(candidate.words))
    if name in by_name:
        return by_name[name]
    if not _surname_alone(candidate.words):
        # The end of a longer name: "Dal Bosco" of Lorenzo Dal Bosco, "Ferreira da Costa" of
        # Luísa Ferreira da Costa.
        ending = {i for key, i in by_name.items() if key.endswith(f" {name}")}
        return ending.pop() if len(ending) == 1 else None
    persons = by_surname.get(name)
    if not persons:
        # A family name printed first ("Zhou Minghui", later "Zhou"): the one person it opens.
        persons = list({i for key, i in by_name.items() if " " in key and key.split()[0] == name})
        if len(persons) != 1:
            return None
    for mention in reversed(mentions):
        if mention.person in persons:
            return mention.person
    return persons[0]
