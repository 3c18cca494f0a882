"""Quotes: which quotations are speech, whole or partial, and who said them.

The speaker comes from the attribution around the quotation, tried in this order: after it
("…," said NAME / NAME added / she said / according to NAME / said TITLE NAME, with a title of
any length between the verb and the name), before it (NAME said: "…", NAME, ROLE, said: "…"),
for a partial quote the person or "the ROLE" the sentence names before it, then a quotation
that goes on from the previous one in its paragraph, a speaker named in the next sentence
("With these words, NAME …", "This was stated by NAME"), and last the previous quote's speaker.
A pronoun stands for the person last reported speaking, else the subject of the last sentence
naming someone, honorifics (Mr, Ms) telling a man from a woman; when someone else could be
meant, the quote carries a note naming them. "The ambassador" is the last person with that
role. A quotation cut off by the end of the text is noted as incomplete. Short quotations of one
or two words that are not attributed as speech are scare quotes, not quotes.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from kb.draft.lexicon import PRONOUNS, ROLE_NOUNS, SPEECH_VERBS
from kb.draft.marks import Quotation
from kb.draft.people import People
from kb.draft.segment import Layout

_SPEECH = "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True))
_WHO = r"[^,.;:!?“”\"«»\n]{1,80}"
_WHO_WORDS = r"(?:[^\s,.;:!?“”\"«»]+\s+){1,5}?"
_CLOSING = r"[\s,»”’\"'.]*"
# After the verb the speaker may come after a role and a comma: "said Kestria's foreign
# minister, Tomas Veli".
_AFTER_VERB = re.compile(rf"{_CLOSING}(?:{_SPEECH})\s+(?P<who>[^.;:!?“”\"«»\n]{{1,200}})")
_AFTER_WHO = re.compile(rf"{_CLOSING}(?P<who>{_WHO_WORDS})(?:{_SPEECH})\b")
_AFTER_ACCORDING = re.compile(rf"{_CLOSING}(?i:according to)\s+(?P<who>{_WHO})")
_BEFORE = re.compile(rf"(?P<who>{_WHO_WORDS})(?:{_SPEECH})(?:\s+[\w’']+){{0,4}}?\s*[:,]\s*$")
_BEFORE_ACCORDING = re.compile(rf"(?i:according to)\s+(?P<who>{_WHO}),\s*$")
_NAMED_NEXT = re.compile(
    rf"\b(?:words|promise|pledge|message|remarks?|statement|warning|came from|said|says|told"
    rf"|according|belong|belongs|belonged|(?:{_SPEECH})\s+by)\b",
    re.IGNORECASE,
)
# "NAME, director of …, said:" — a speech verb (and a colon or comma) ending the words before
# a quotation whose subject an apposition keeps away from the verb.
_BEFORE_VERB = re.compile(rf"\b(?:{_SPEECH})(?:\s+[\w’']+){{0,3}}?\s*[:,]\s*$")
# "the Kazakh deputy minister noted that …": a person named by a role.
_ROLES = "|".join(sorted(ROLE_NOUNS, key=len, reverse=True))
_THE_ROLE = re.compile(
    rf"\bthe\s+(?:[\w’'-]+\s+){{0,3}}?(?P<noun>{_ROLES})(?![\w-])", re.IGNORECASE
)
_LETTERS = re.compile(r"[^\W\d_]+")
_HONORIFIC = re.compile(r"\b(Mr|Mrs|Ms|Miss)\.?\s+$")
_HONORIFIC_GENDER = {"mr": "he", "mrs": "she", "ms": "she", "miss": "she"}
# The note that marks a quotation cut off by the end of the text (scored by kb.draft.scoring).
INCOMPLETE = "incomplete"
# A quotation of this many words or fewer that nobody is said to have said is a scare quote.
_SCARE_WORDS = 2


@dataclass(frozen=True)
class Quote:
    """A quotation that is speech: the quoted words' offsets, kind and speaker (person index)."""

    start: int
    end: int
    kind: str
    speaker: int | None
    quotation: Quotation
    # What the curator should check: a speaker guessed from an ambiguous pronoun, a quotation
    # cut off by the end of the text.
    notes: tuple[str, ...] = ()


def find_quotes(layout: Layout, quotations: list[Quotation], people: People) -> list[Quote]:
    """The quotations that are speech, each with its speaker (None when none was found)."""
    resolver = _Resolver(layout, quotations, people)
    quotes: list[Quote] = []
    for quotation in quotations:
        quote = resolver.quote(quotation, quotes[-1] if quotes else None)
        if quote is not None:
            quotes.append(quote)
    return quotes


class _Resolver:
    """Resolves speakers from the text around quotations."""

    def __init__(self, layout: Layout, quotations: list[Quotation], people: People) -> None:
        self.layout = layout
        self.text = layout.text
        self.people = people
        self._opens = [quotation.open for quotation in quotations]
        self._closes = [quotation.close for quotation in quotations]
        self.notes: list[str] = []

    def quoted(self, position: int) -> bool:
        """Whether `position` lies inside a quotation."""
        index = bisect_right(self._opens, position) - 1
        return index >= 0 and position < self._closes[index]

    def quote(self, quotation: Quotation, previous: Quote | None) -> Quote | None:
        """A Quote for a quotation that is speech, or None for a scare quote."""
        start, end = _words(self.text, *quotation.content)
        words = len(_LETTERS.findall(self.text, start, end))
        if words == 0:
            return None
        before = self.text[self.layout.sentence_at(quotation.open).start : quotation.open]
        kind = "direct" if self.is_direct(before, self.text[start]) else "partial"
        explicit = self.attributed(quotation, before)
        if words <= _SCARE_WORDS and (kind == "partial" or explicit is None):
            return None
        speaker = explicit
        if speaker is None and kind == "partial":
            speaker = self.in_sentence(quotation)
        if speaker is None and self._same_paragraph(quotation, previous):
            speaker = self.continued(quotation, previous)
        if speaker is None:
            # "These words belong to NAME" after the quote outweighs a quote paragraphs before.
            speaker = self.named_next(quotation)
        if speaker is None:
            speaker = self.continued(quotation, previous)
        notes, self.notes = self.notes, []
        if quotation.truncated:
            speaker = self._truncated(quotation, speaker, notes)
        return Quote(start, end, kind, speaker, quotation, tuple(notes))

    def _truncated(self, quotation: Quotation, speaker: int | None, notes: list[str]) -> int | None:
        """A quotation cut off by the end of the text: noted as incomplete, and, when its
        attribution was lost with the rest, given the person named last (noted as a guess)."""
        notes.append(
            f"{INCOMPLETE}: the text ends inside this quotation (the stored copy may be cut"
            " off); check the source for the rest"
        )
        if speaker is None:
            speaker = self.people.before(quotation.open, self.quoted)
            if speaker is not None:
                notes.append(
                    "speaker guessed: the attribution was cut off; "
                    f"{self.people.persons[speaker].name} was named last"
                )
        return speaker

    def is_direct(self, before: str, first: str) -> bool:
        """A whole quotation opens its sentence, or follows "NAME said:" / "said," / a colon."""
        stripped = before.rstrip()
        if not stripped or stripped.endswith(":"):
            return True
        if _BEFORE.search(before) or _BEFORE_ACCORDING.search(before):
            return True
        return stripped.endswith(",") and first.isupper()

    def attributed(self, quotation: Quotation, before: str) -> int | None:
        """The speaker an attribution right after or right before the quotation names."""
        sentence = self.layout.sentence_at(quotation.close)
        after_start = quotation.close + 1
        after_end = max(sentence.end, after_start)
        for pattern in (_AFTER_VERB, _AFTER_WHO, _AFTER_ACCORDING):
            found = pattern.match(self.text, after_start, after_end)
            if found is not None:
                speaker = self.who(found.start("who"), found.end("who"), quotation.open)
                if speaker is not None:
                    return speaker
        offset = quotation.open - len(before)
        for pattern in (_BEFORE, _BEFORE_ACCORDING):
            found = pattern.search(before)
            if found is not None:
                who_start, who_end = offset + found.start("who"), offset + found.end("who")
                speaker = self.who(who_start, who_end, quotation.open)
                if speaker is not None:
                    return speaker
        verb = _BEFORE_VERB.search(before)
        if verb is not None:
            # "NAME, director of …, said:": the sentence's first person before the verb.
            mentions = self.people.all_within(offset, offset + verb.start())
            if mentions:
                return mentions[0].person
        return None

    def who(self, start: int, end: int, quote_start: int) -> int | None:
        """The person an attribution's subject names: a name, a pronoun, or "the ROLE"."""
        mention = self.people.within(start, end)
        if mention is not None:
            return mention.person
        words = self.text[start:end].lower().split()
        if not words:
            return None
        if words[0] in PRONOUNS:
            # "…," she said: the person last reported as speaking, in this paragraph or the one
            # before; else the person last named.
            since = self._paragraph_start(quote_start, back=1)
            speaker = self.people.speaker_before(quote_start, since, self.quoted)
            if speaker is None:
                speaker = self._subject_before(quote_start, since)
            gender = PRONOUNS[words[0]]
            if speaker is not None and self._gender_of(speaker, quote_start) not in (gender, None):
                # The honorifics say otherwise ("Ms Keller" for "he"): the last person named
                # whom they fit.
                speaker = self._last_of_gender(gender, quote_start) or speaker
            self._check_pronoun(words[0], speaker, since, quote_start)
            return speaker
        if words[0] == "the" and len(words) <= 3 and words[-1] in ROLE_NOUNS:
            return self.people.with_role(words[-1], quote_start)
        return None

    def _subject_before(self, position: int, since: int) -> int | None:
        """The subject of the last sentence before `position` that names someone: its first
        person named ("X held talks with Y. … she said" is X); else the person named last."""
        mentions = [m for m in self.people.all_within(since, position) if not self.quoted(m.start)]
        if not mentions:
            return self.people.before(position, self.quoted)
        sentence = self.layout.sentence_at(mentions[-1].start)
        return next(m.person for m in mentions if m.start >= sentence.start)

    def _check_pronoun(self, pronoun: str, speaker: int | None, since: int, until: int) -> None:
        """A note when a pronoun could stand for more than one person named just before."""
        if speaker is None:
            return
        gender = PRONOUNS[pronoun]
        others = []
        for mention in self.people.all_within(since, until):
            person = mention.person
            if person == speaker or person in others or self.quoted(mention.start):
                continue
            if self._gender_of(person, until) in (gender, None):
                others.append(person)
        if others and self._gender_of(speaker, until) != gender:
            names = ", ".join(self.people.persons[person].name for person in others)
            taken = self.people.persons[speaker].name
            self.notes.append(
                f"speaker: “{pronoun}” may also be {names}; {taken} was taken (named last as"
                " speaking, or named last); check"
            )

    def _gender(self, position: int) -> str | None:
        """The pronoun an honorific before a mention gives ("Mr" he, "Ms" she), if any."""
        found = _HONORIFIC.search(self.text, max(0, position - 6), position)
        return None if found is None else _HONORIFIC_GENDER[found.group(1).lower()]

    def _last_of_gender(self, gender: str, until: int) -> int | None:
        """The person last named before `until` whom an honorific gives this pronoun."""
        for mention in reversed(self.people.all_within(0, until)):
            if not self.quoted(mention.start) and self._gender_of(mention.person, until) == gender:
                return mention.person
        return None

    def _gender_of(self, person: int, until: int) -> str | None:
        """The pronoun some honorific before `until` gives a person."""
        for mention in self.people.mentions:
            if mention.start >= until:
                break
            if mention.person == person and (gender := self._gender(mention.start)):
                return gender
        return None

    def _paragraph_start(self, position: int, back: int) -> int:
        """Where the paragraph `back` paragraphs before the one holding `position` starts."""
        number = self.layout.sentence_at(position).paragraph
        return self.layout.paragraphs[max(number - back, 0)][0]

    def in_sentence(self, quotation: Quotation) -> int | None:
        """For a partial quote: the person the sentence names before it, or its pronoun subject."""
        sentence = self.layout.sentence_at(quotation.open)
        mentions = [
            mention
            for mention in self.people.all_within(sentence.start, quotation.open)
            if not self.quoted(mention.start)
        ]
        if mentions:
            return mentions[-1].person
        first = self.text[sentence.start : quotation.open].split()[:1]
        if first and first[0].lower() in PRONOUNS:
            return self.people.before(sentence.start, self.quoted)
        found = _THE_ROLE.search(self.text, sentence.start, quotation.open)
        if found is not None:
            return self.people.with_role(found.group("noun"), quotation.open)
        return None

    def _same_paragraph(self, quotation: Quotation, previous: Quote | None) -> bool:
        """Whether the previous quote opens in the paragraph this one opens in."""
        if previous is None:
            return False
        here = self.layout.sentence_at(quotation.open).paragraph
        return here == self.layout.sentence_at(previous.quotation.open).paragraph

    def continued(self, quotation: Quotation, previous: Quote | None) -> int | None:
        """The previous quote's speaker, when this one goes on from it (same or next paragraph,
        nobody else named in between)."""
        if previous is None or previous.speaker is None:
            return None
        here = self.layout.sentence_at(quotation.open).paragraph
        there = self.layout.sentence_at(previous.quotation.open).paragraph
        if here - there > 1:
            return None
        between = self.people.all_within(previous.quotation.close, quotation.open)
        if any(mention.person != previous.speaker for mention in between):
            return None
        return previous.speaker

    def named_next(self, quotation: Quotation) -> int | None:
        """A speaker named only after the quote, in the next sentence ("With these words, …")."""
        index = self.layout.sentence_index(quotation.close)
        sentences = self.layout.sentences
        if index + 1 >= len(sentences):
            return None
        following = sentences[index + 1]
        if following.paragraph - sentences[index].paragraph > 1:
            return None
        if not _NAMED_NEXT.search(self.text, following.start, following.end):
            return None
        mention = self.people.within(following.start, following.end)
        return mention.person if mention is not None else None


def _words(text: str, start: int, end: int) -> tuple[int, int]:
    """The quoted words: without surrounding spaces, nor a comma before the closing mark."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end
