"""Event names written like headlines: who did what, in the present tense, without dates.

"Deputy Minister of Foreign Affairs of Kazakhstan Roman Vassilenko met EU Ambassador Kęstutis
Jankauskas in Astana on Tuesday" is named "Vassilenko meets Jankauskas in Astana": people by
surname (their titles and appositions dropped), the trigger verb in the headline's present ("met"
→ "meets", "will visit" → "to visit", "has signed" → "signs"), dates left to the event's date
field, and the name cut to a few words at a clause's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kb.draft.dates import DateMention
from kb.draft.lexicon import NAME_PARTICLES, SPEECH_VERBS, word_set
from kb.draft.people import People

_WORDS = 12
# Irregular past forms of the verbs events are reported with, and their present.
_IRREGULAR = {
    "met": "meet", "held": "hold", "began": "begin", "came": "come", "took": "take",
    "won": "win", "set": "set", "made": "make", "went": "go", "gone": "go", "taken": "take",
    "begun": "begin", "led": "lead", "sent": "send", "built": "build", "brought": "bring",
}  # fmt: skip
# Stems that lost a final e with -ed ("approved" → "approve").
_FINAL_E = ("v", "at", "ud", "ut", "iz", "rg", "nc", "rc", "ss")
_AUXILIARIES = frozenset(("has", "have", "had", "was", "were", "is", "are", "been", "be"))
_MODALS = frozenset(("will", "would", "shall", "could", "can", "may", "might", "must", "to"))
_PLURAL_SUBJECTS = word_set("we they both two three four five parties")
_DATE_LEADS = frozenset(
    ("on", "in", "at", "by", "since", "last", "this", "next", "early", "late", "mid", "earlier")
)
_TRAILING = word_set(
    "a an the of to in on at for with by from and or but as that which who its their his her "
    "was were is are"
)
# Where what follows the verb ends: a comma, or a relative or time clause.
_CLAUSE_END = re.compile(r",|;|\s(?:who|which|where|when|while|as|after|before|because)\s")
# A second verb joined by "and" ("held talks … and toured a plant"): another happening.
_SECOND_VERB = re.compile(r"\s+and\s+(?:\w+ed|met|held|began|took|won|signed|will|to|that)\b")
# The last of several clauses before a trigger: "the number had tripled and that the EU had".
_LAST_CLAUSE = re.compile(r"\s+and\s+that\s+|;\s+")
# "Greggson's, the bakery chain, plans": an apposition inside the subject.
_APPOSITION = re.compile(r",\s+(?:the|a|an)\s+[^,]{1,60},\s*")
_NAME_BEFORE_COMMA = re.compile(r"(?P<name>(?:[A-Z][\w’'-]*\s+)*[A-Z][\w’'-]*),\s*$")
_OF_COUNTRY = re.compile(r" of (?:the )?[A-Z][\w’'-]*(?: [A-Z][\w’'-]*)*")
_DETERMINERS = word_set("the a an its his her their our this")
# A subject longer than this before a noun trigger is a sentence, not a headline's subject.
_SUBJECT_WORDS = 6
_VAGUE_TIME = re.compile(
    r"\s+(?:last|this|next)\s+(?:week|weekend)\b|\s+on the same day\b|\s+earlier\b", re.I
)
_ADVERBS = word_set("now also already just officially formally finally jointly")
# A relative clause inside the subject: "A former bank manager who stole … (was jailed)".
_RELATIVE = re.compile(r"(?<=\w)[\s,]+(?:who|which|that)\s.*$")
_PREPOSITIONS = word_set("in of from at for between with on to")
# "Officials said (that) …": an attribution before what is reported.
_SPEECH = "|".join(sorted(SPEECH_VERBS, key=len, reverse=True))
_ATTRIBUTION = re.compile(rf"^.*?\b(?:{_SPEECH})(?:\s+\w+)?\s+that\s+|^.*?\b(?:said|says)\s+")
# A clause's opening conjunction: "and the two signed", "where the companies signed".
_CONJUNCTION = re.compile(r"^(?:and|but|while|whereas|where|when|as|that)\s+", re.IGNORECASE)
# "… by NAME, who arrived", "the Caspian Wind Forum, which opened": the relative pronoun
# stands for the name before it.
_WHO = re.compile(
    r"(?P<antecedent>(?:[A-Z][\w’'-]*\s+)*[A-Z][\w’'-]*|(?:(?:[Tt]he|[Aa]n?)\s+)?[^\s,]+),?"
    r"\s+(?:who|which)\s*$"
)


@dataclass(frozen=True)
class Headline:
    """An event's name, and the subject it opens with (for a second event of the sentence)."""

    name: str
    subject: str


def headline(
    text: str,
    span: tuple[int, int],
    trigger: tuple[int, int],
    people: People,
    dates: list[DateMention],
    subject_before: str = "",
) -> Headline:
    """A short headline-like name for the event reported in text[span] around its trigger.
    `subject_before` is the subject of the sentence's event before this one, for a clause with
    none of its own ("… met in Aktau and signed a declaration")."""
    start, end = span
    cuts = _cuts(text, start, end, people, dates)
    surnames = {replacement for _, _, replacement in cuts if replacement}
    trigger_text = text[trigger[0] : trigger[1]]
    first_word = trigger_text.split()[0].lower()
    verb_form = _base(first_word) is not None or first_word in _MODALS
    subject, tense = _subject(_rewrite(text, start, trigger[0], cuts), verb_form)
    if subject.lower() in ("which", "who", ""):
        subject = _antecedent(text, start, people) if subject else subject_before
    elif _noun_trigger(subject) and len(subject.split()) > _SUBJECT_WORDS:
        # A noun deep in a long sentence ("… preparations for the visit of the President"):
        # the name is the noun's phrase.
        subject, tense = subject.split()[-1], "noun"  # from its determiner: "the visit of …"
    if verb_form or tense == "planned":
        subject = _head(subject)  # the trigger is the verb: the subject holds no other
    verb = _present(trigger_text, subject, tense, surnames)
    rest = _shorten(_rewrite(text, trigger[1], end, cuts))
    return Headline(_tidy(f"{subject} {verb}{rest}"), subject)


def _subject(before: str, verb_form: bool) -> tuple[str, str]:
    """The subject of a headline from the words before its trigger, and the tense the
    auxiliary or modal before a verb gives ("has signed", "will visit")."""
    subject = _ATTRIBUTION.sub("", before)
    subject = _LAST_CLAUSE.split(subject)[-1]
    subject = _APPOSITION.sub(" ", subject)
    subject = _CONJUNCTION.sub("", subject.strip())
    tense = "present"
    if verb_form or _ends_with_modal(subject):
        subject, tense = _drop_auxiliary(subject)
    who = _WHO.search(subject)
    if who is not None:
        subject = who.group("antecedent")
    return _RELATIVE.sub("", subject).rstrip(" ,"), tense


def _antecedent(text: str, start: int, people: People) -> str:
    """What "which" or "who" opening a clause stands for: the person or the name before its
    comma ("Ruiz Ortega, who arrived …", "the Caspian Wind Forum, which opened …")."""
    before = people.all_within(max(0, start - 200), start)
    if before and not text[before[-1].end : start].strip(" ,"):
        person = people.persons[before[-1].person]
        return person.surname or person.name
    found = _NAME_BEFORE_COMMA.search(text, max(0, start - 120), start)
    return found.group("name") if found else ""


def _head(subject: str) -> str:
    """A long subject cut to its head: the words before its first preposition or comma ("A
    second grain terminal at the Altynkol railway station" → "A second grain terminal")."""
    words = subject.split()
    if len(words) <= _SUBJECT_WORDS:
        return subject
    for index, word in enumerate(words[1:], start=1):
        if word.lower() in _PREPOSITIONS or word.endswith(","):
            cut = words[: index + 1] if word.endswith(",") else words[:index]
            return " ".join(cut).rstrip(",")
    end = _SUBJECT_WORDS
    while end < len(words) and (words[end][0].isupper() or words[end] in NAME_PARTICLES):
        end += 1  # not inside a name: "The Spanish irrigation company Riegos del Ebro"
    return " ".join(words[:end])


def _noun_trigger(subject: str) -> bool:
    """Whether the words before a trigger end with a determiner: the trigger is a noun
    ("preparations for the visit of …")."""
    words = subject.split()
    return bool(words) and words[-1].lower() in _DETERMINERS


def _tidy(name: str) -> str:
    """A name cut to _WORDS words, without vague times, trailing small words or edge marks."""
    name = _VAGUE_TIME.sub("", name)
    words = name.strip(" “”\"‘’'«».,;:").split()[:_WORDS]
    while len(words) > 2 and words[-1].lower() in _TRAILING:
        words.pop()
    name = " ".join(words).replace(" ,", ",").strip(" “”\"‘’'«».,;:")
    return name[:1].upper() + name[1:]


def _cuts(
    text: str, start: int, end: int, people: People, dates: list[DateMention]
) -> list[tuple[int, int, str]]:
    """Stretches of text[start:end] to replace: a person's title and name by the surname, a
    name's apposition dropped, a date (with its preposition) dropped."""
    cuts: list[tuple[int, int, str]] = []
    for mention in people.all_within(start, end):
        person = people.persons[mention.person]
        low, high = mention.start, mention.end
        for role in person.roles:
            if role.end == mention.end and start <= role.start < mention.start:
                low = role.start  # a title before the name
            elif role.start == mention.start and mention.end < role.end <= end:
                high = role.end  # "NAME, ROLE," after the name
                if text[high : high + 1] == ",":
                    high += 1
        age = re.match(r",\s+\d{1,3},", text[high : high + 8])
        if age is not None:
            high += age.end()  # "NAME, 52, reached"
        country = _OF_COUNTRY.match(text, high, end)
        if country is not None and person.roles:
            high = country.end()  # "President Arvid Lenz of Norland": the title's country
        possessive = re.search(r"\b[\w-]+[’']s\s+$", text[max(start, low - 30) : low])
        if possessive is not None and low != mention.start:
            low -= len(possessive.group())
        cuts.append((low, high, person.surname or person.name))
    for date in dates:
        if start <= date.start and date.end <= end:
            low = date.start
            lead = re.search(r"(?:\b\w+\s+)?$", text[max(start, low - 12) : low])
            if lead is not None and lead.group().strip().lower() in _DATE_LEADS:
                low -= len(lead.group())
            cuts.append((low, date.end, ""))
    cuts.sort()
    merged: list[tuple[int, int, str]] = []
    for cut in cuts:
        if merged and cut[0] < merged[-1][1]:
            continue  # overlapping: the first wins
        merged.append(cut)
    return merged


def _rewrite(text: str, start: int, end: int, cuts: list[tuple[int, int, str]]) -> str:
    """text[start:end] with the cuts that lie inside it applied."""
    pieces, position = [], start
    for low, high, replacement in cuts:
        if low < start or high > end:
            continue
        pieces += [text[position:low], replacement]
        position = high
    pieces.append(text[position:end])
    return "".join(pieces)


def _drop_auxiliary(subject: str) -> tuple[str, str]:
    """A subject without the auxiliary or modal that ends it ("Kazakhstan has" → "Kazakhstan"),
    and the tense that leaves the headline: "planned" after a modal ("will visit" → "to visit"),
    "passive" after a form of "be" ("was founded" → "founded"), else "present"."""
    words = subject.split()
    tense = "present"
    while words and words[-1].lower() in _AUXILIARIES | _MODALS | _ADVERBS:
        word = words.pop().lower()
        if word in _MODALS:
            tense = "planned"
        elif word in ("was", "were", "is", "are", "been", "be") and tense == "present":
            tense = "passive"
    return " ".join(words), tense


def _ends_with_modal(subject: str) -> bool:
    """Whether a subject ends with a modal ("The agreement will"): the trigger is a verb."""
    words = subject.split()
    return bool(words) and words[-1].lower() in _MODALS


def _present(trigger: str, subject: str, tense: str, surnames: set[str]) -> str:
    """The trigger in a headline's tense: present for what happened, "to" + verb for a plan,
    the participle alone for a passive ("Forum held in Astana")."""
    words = trigger.split()
    if not words:
        return trigger
    first = words[0].lower()
    if first in _MODALS and len(words) > 1:
        return " ".join(["to", *words[1:]])
    if tense in ("passive", "noun"):
        return trigger
    if tense == "planned":
        return " ".join(["to", _base(first) or first, *words[1:]])
    verb = _base(first)
    if verb is None:
        return trigger
    if not _plural(subject, surnames):
        verb = _third_person(verb)
    return " ".join([verb, *words[1:]])


def _base(word: str) -> str | None:
    """A past form's base ("visited" → "visit"), or None for a word that is not one."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ied"):
        return word[:-3] + "y"
    if word.endswith("eed"):
        return word[:-1]  # "agreed" → "agree"
    if word.endswith("ed") and len(word) > 4:
        base = word[:-2]
        if len(base) > 2 and base[-1] == base[-2] and base[-1] not in "sl":
            return base[:-1]  # "planned" → "plan"
        return base + "e" if base.endswith(_FINAL_E) else base
    return None  # a noun ("talks", "anniversary"), or a form already present


def _third_person(verb: str) -> str:
    """The third person singular: "meet" → "meets", "launch" → "launches", "ratify" → "ratifies"."""
    if verb.endswith(("ch", "sh", "s", "x", "z", "o")):
        return verb + "es"
    if verb.endswith("y") and verb[-2:-1] not in ("a", "e", "o", "u"):
        return verb[:-1] + "ies"
    return verb + "s"


def _plural(subject: str, surnames: set[str]) -> bool:
    """Whether a headline's subject takes a plural verb: its head noun (the word before its
    first preposition) is plural ("Lawmakers in Veresia"), or, with no preposition, it joins
    two with "and" ("Kazakhstan and the EU")."""
    words = subject.split()
    if not words:
        return False
    at = next((i for i, w in enumerate(words) if i and w.lower() in _PREPOSITIONS), None)
    if at is not None and "and" in (word.lower() for word in words[:at]):
        return True  # "Türkiye and the European Bank for Reconstruction …"
    head = words[at - 1] if at is not None else words[-1]
    if head.lower() in _PLURAL_SUBJECTS or sum(word in surnames for word in words) > 1:
        return True
    if (
        head not in surnames
        and head.lower().endswith("s")
        and not head.lower().endswith(("ss", "us", "is", "’s", "'s"))
    ):
        return True
    return at is None and "and" in (word.lower() for word in words)


def _shorten(rest: str) -> str:
    """What follows the verb, cut at the end of its clause: before a comma, a relative clause
    or a second verb joined by "and" ("… and toured a plant")."""
    found = _CLAUSE_END.search(rest)
    if found is not None:
        rest = rest[: found.start()]
    second = _SECOND_VERB.search(rest)
    if second is not None:
        rest = rest[: second.start()]
    return rest
