"""Events: sentences reporting that something happened, is happening or will happen.

A sentence holds an event when it has a trigger (signed, established, entered into force, met,
visited, opened, launched, anniversary…). Two triggers in one sentence are two events only when
the second is in a clause of its own with its own date or another occurrence ("established
relations in 1992 and opened embassies a year later"); otherwise the later one is part of the
first ("met … and agreed to set up …"), unless it is a verb in the past of another kind ("met
in Aktau on Thursday … and signed a declaration"): then it is a second event, dated like the
first. The date is the nearest date expression in the trigger's stretch of the sentence, its
own clause first, except one right after a speech verb ("the airline said on Wednesday"), which
dates the saying, and a deadline ("by 2027"). References to a happening already reported ("after
the signing", "the meeting was co-chaired"), aims ("efforts to establish"), proposals and
questions are not events. Names are written like headlines (kb.draft.headline).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from kb.draft.dates import DateMention, Published, find_dates, resolve
from kb.draft.headline import headline
from kb.draft.lexicon import (
    CELEBRATION_NOUNS,
    EVENT_TRIGGERS,
    MONTHS_AND_DAYS,
    PLANNED_CUES,
    SPEECH_VERBS,
    word_set,
)
from kb.draft.people import People
from kb.draft.segment import Layout, Sentence, evidence_span

_TRIGGERS = [(kind, re.compile(pattern, re.IGNORECASE)) for kind, pattern in EVENT_TRIGGERS]
_PLANNED = re.compile(PLANNED_CUES, re.IGNORECASE)
# "the first summit of heads of state is planned for April": the plan told after the noun.
_PLANNED_AFTER = re.compile(
    r"(?:\s+[\w’'-]+){0,8}?\s+(?:is|are|was|were)\s+(?:planned|scheduled|due|expected)\b"
)
_ONGOING = re.compile(r"\b(?:is|are|am)\s+(?:now\s+)?\w+ing\b", re.IGNORECASE)
_CELEBRATION = re.compile(CELEBRATION_NOUNS, re.IGNORECASE)
# Prepositions that open an adverbial before a sentence's subject ("On the sidelines of …,").
_LEAD_PREPOSITIONS = word_set(
    "on at in after during following before earlier later since with under as for from by "
    "despite according amid over within"
)
_LEAD_ADVERBS = word_set(
    "meanwhile however separately also yesterday today earlier later last this next thus"
)
_PAST_VERBS = frozenset(("met", "held", "began", "took", "won", "set", "made", "led"))
_EVENT_NOUNS = frozenset(("meeting", "summit", "talks", "signing", "visit", "visits"))
_DEFINITE = re.compile(r"\b(?:the|this|that)\s+$", re.IGNORECASE)
# What makes "the meeting" the report of one: "the meeting was held in …".
_TAKES_PLACE = re.compile(
    r"\s+(?:of\b|(?:was|were|is|are|will be)\s+(?:held|planned|scheduled|due)|took place"
    r"|will take place)"
)
# "opening speech", "open a new chapter", "opening the meeting": no opening of anything new.
_NOT_OPENED = re.compile(
    r"\s+(?:of\s+)?(?:(?:the|a|an|his|her|its|their|new)\s+)*(?:chapters?|pages?|speech|remarks"
    r"|address|statement|meeting|session|summit|conference|forum|plenary|discussions?|debate"
    r"|credit line|line of credit|accounts?)\b",
    re.IGNORECASE,
)
_TOOK_PLACE = re.compile(r"(?:was|were|will be|would be|is to be) held|took place", re.I)
_PASSIVE_BY = re.compile(r"\s+by\b")
_AGREED_PLAN = re.compile(r"agree(?:d|s)? to (?:hold|host|meet|convene|visit|open|sign)\b", re.I)
_GATHERING_HELD = re.compile(
    r"(?:agree(?:d|s)? to |[\w]+ )?(?:hold|host)s? (?:a|an|the|its|their) (?:[\w-]+ ){0,3}?"
    r"(?:forum|summit|meeting|session|consultations?|talks)\b",
    re.IGNORECASE,
)
_TALKS_OPENED = re.compile(
    r"\s+(?:[\w€$£.,-]+\s+){0,4}?(?:round of talks|talks|negotiations|consultations)\b", re.I
)
_PROGRAMME_OPENED = re.compile(
    r"\s+(?:[\w€$£.,-]+\s+){0,7}?(?:package|programme|program|initiative|strategy|campaign|fund"
    r"|forum|conference|exhibition|fair)\b",
    re.IGNORECASE,
)
_AIM = re.compile(
    r"\b(?:efforts?|aimed at|aims? to|in order|ways?|seeks?|seeking|opportunit(?:y|ies)|potential"
    r"|need|importance of|helps?|able|ability|how|proposed|proposes|suggested|offered)"
    r"\s+(?:to\s+)?$"
    r"|\basked\s+(?:when|whether|if|how|why)\b[^.?]*$",
    re.IGNORECASE,
)
_SPEECH = "|".join(sorted(set(SPEECH_VERBS) | {"reported"}, key=len, reverse=True))
_SAID_BEFORE = re.compile(rf"\b(?:{_SPEECH})(?:\s+\w+){{0,2}}\s+$")
_SAID_AFTER = re.compile(rf",?\s*(?:{_SPEECH})\b")
_BOUNDARY = re.compile(r"\s+and\s+|;\s*|,\s+|\s+but\s+|\s+while\s+")
_THAT_WAS = re.compile(
    r"(?:That|This|It)\s+(?:was|happened|took place)\s+(?:in|on)\s+[^.]{1,30}\.?", re.I
)
_ATTRIBUTION_TAIL = re.compile(
    rf",\s+(?:[\w’'-]+\s+){{0,4}}?(?:{_SPEECH})\b[^,]*$|,\s+according to\b.*$"
)
_CAPITALISED = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:of\s+(?:the\s+)?)?[A-Z][\w’'-]*)*")
_NAME_WORDS = 20
# Capitalised only because they open a sentence or a clause: not part of a name.
_LEADING = word_set(
    "the a an on in at by for with from to of and but this that these those it its their our "
    "we they he she i there under since after before over thus meanwhile however also last "
    "next when while if as officials further"
)


@dataclass
class Event:
    """An event found in a sentence."""

    start: int
    end: int
    kind: str
    occurrence: str
    date: tuple[str, bool] | None
    name: str
    participants: list[int] = field(default_factory=list)
    named: list[str] = field(default_factory=list)
    # The subject its name opens with (a later event of the sentence may share it).
    subject: str = ""


@dataclass(frozen=True)
class _Trigger:
    """A trigger word or phrase in a sentence."""

    start: int
    end: int
    kind: str


def find_events(
    layout: Layout, people: People, published: Published | None, quoted: Callable[[int], bool]
) -> list[Event]:
    """Every event the body reports, in text order."""
    text = layout.text
    dates = [
        mention for start, end in layout.paragraphs for mention in find_dates(text, start, end)
    ]
    events: list[Event] = []
    for index, sentence in enumerate(layout.sentences):
        triggers = _triggers(text, sentence)
        if not triggers:
            continue
        own = [date for date in dates if sentence.start <= date.start < sentence.end]
        previous: Event | None = None
        for group in _groups(text, sentence, triggers, own):
            subject = previous.subject if previous is not None else ""
            event = _event(text, layout, index, group, own, dates, published, people, subject)
            if group.inherits and event.date is None and previous is not None:
                event.date = previous.date
            previous = event
            _antecedent(text, people, event)
            event.participants = _participants(text, people, event, quoted)
            event.named = _named(text, people, event)
            events.append(event)
    return events


def _triggers(text: str, sentence: Sentence) -> list[_Trigger]:
    """The triggers of a sentence, in order, without overlaps (the first kind listed wins)."""
    found: list[_Trigger] = []
    for kind, pattern in _TRIGGERS:
        for match in pattern.finditer(text, sentence.start, sentence.end):
            if not _happening(text, sentence, match):
                continue
            if all(match.end() <= t.start or match.start() >= t.end for t in found):
                found.append(_Trigger(match.start(), match.end(), kind))
    return sorted(found, key=lambda trigger: trigger.start)


def _happening(text: str, sentence: Sentence, match: re.Match[str]) -> bool:
    """Whether a trigger reports a happening: not an aim ("efforts to establish"), not a
    reference to one already reported ("after the signing", "the meeting was co-chaired"), not
    an opening speech or a new chapter."""
    if _AIM.search(text, max(sentence.start, match.start() - 30), match.start()):
        return False
    after = text[match.end() : min(sentence.end, match.end() + 60)]
    if _NOT_OPENED.match(after) and match.group().lower().startswith("open"):
        return False
    if _PASSIVE_BY.match(after) and match.group().lower().startswith("opened"):
        return False
    if match.group().lower() in _EVENT_NOUNS and _DEFINITE.search(
        text, max(sentence.start, match.start() - 6), match.start()
    ):
        return bool(_TAKES_PLACE.match(after))
    return True


@dataclass
class _Group:
    """Triggers that report one event, and the stretch of the sentence that belongs to it."""

    triggers: list[_Trigger]
    start: int
    end: int
    occurrence: str
    # A second happening of the sentence with no date of its own takes the first one's.
    inherits: bool = False


def _groups(
    text: str, sentence: Sentence, triggers: list[_Trigger], dates: list[DateMention]
) -> list[_Group]:
    """Triggers grouped into events. A trigger in the same clause as the one before it is part
    of its event; one in a clause of its own starts a new event only if that clause has its own
    date or another occurrence ("… in 1992 and opened embassies a year later")."""
    starts = [_clause_start(text, sentence, triggers, index) for index in range(len(triggers))]
    groups: list[_Group] = []
    for index, trigger in enumerate(triggers):
        if index and _predicate_of(text, triggers[index - 1], trigger):
            starts[index] = None  # "the first meeting of EU and Asian leaders was held in …"
        start = starts[index]
        end = next((s for s in starts[index + 1 :] if s is not None), sentence.end)
        occurrence = _occurrence(text, sentence, trigger, end)
        if groups and start is None:
            groups[-1].triggers.append(trigger)
            groups[-1].end = end
            continue
        begin = sentence.start if start is None else start
        has_date = any(begin <= date.start < end for date in dates if _dates_event(text, date))
        another = _another_happening(text, trigger, groups[-1]) if groups else False
        if groups and not has_date and occurrence == groups[-1].occurrence and not another:
            groups[-1].triggers.append(trigger)
            groups[-1].end = end
            continue
        groups.append(_Group([trigger], begin, end, occurrence, inherits=another and not has_date))
    return groups


def _predicate_of(text: str, noun: _Trigger, trigger: _Trigger) -> bool:
    """Whether a trigger says where or when a gathering named before it took place."""
    named = text[noun.start : noun.end].lower() in _EVENT_NOUNS
    return named and _TOOK_PLACE.fullmatch(text, trigger.start, trigger.end) is not None


def _another_happening(text: str, trigger: _Trigger, group: _Group) -> bool:
    """Whether a trigger in a clause of its own reports a second happening: a verb in the past
    of another kind than the group's ("met in Aktau … and signed a declaration"), not an
    infinitive ("agreed to set up")."""
    if trigger.kind == group.triggers[0].kind:
        return False
    word = text[trigger.start : trigger.end].split()[0].lower()
    if (word not in _PAST_VERBS and not word.endswith("ed")) or word in ("agreed", "decided"):
        return False  # "met … and agreed to set up a commission": what the meeting decided
    before = text[max(0, trigger.start - 12) : trigger.start].lower().split()
    return not before or before[-1] not in ("to", "be", "been", "was", "were", "is", "are")


def _clause_start(
    text: str, sentence: Sentence, triggers: list[_Trigger], index: int
) -> int | None:
    """Where a trigger's clause starts, if a clause boundary separates it from the trigger
    before it (None when they share a clause, or for the first trigger)."""
    if index == 0:
        return None
    start = None
    for match in _BOUNDARY.finditer(text, triggers[index - 1].end, triggers[index].start):
        start = match.end()
    return start


def _occurrence(text: str, sentence: Sentence, trigger: _Trigger, end: int) -> str:
    """planned, ongoing or happened: from the words before the trigger in its clause."""
    clause_start = sentence.start
    for match in _BOUNDARY.finditer(text, sentence.start, trigger.start):
        clause_start = match.end()
    before = text[clause_start : trigger.end]
    if _PLANNED.search(before) or _PLANNED_AFTER.match(text, trigger.end, end):
        return "planned"
    if _AGREED_PLAN.match(text, trigger.start, end):
        return "planned"  # "agreed to hold a forum in October": the forum is to come
    if _ONGOING.search(before):
        return "ongoing"
    return "happened"


def _dates_event(text: str, date: DateMention, trigger: _Trigger | None = None) -> bool:
    """Whether a date may date an event: not a comparison, not a deadline, not the date
    something was said (unless the saying is the event: "announced the package on Monday")."""
    if date.preposition.startswith("than") or date.preposition in ("by", "until", "till"):
        return False  # a comparison, or a deadline ("to halve transit times by 2027")
    said = _SAID_BEFORE.search(text, max(0, date.start - 40), date.start)
    if said is not None and trigger is not None and trigger.start <= said.start() < trigger.end:
        return True
    return said is None


def _clause_around(text: str, sentence: Sentence, trigger: _Trigger) -> tuple[int, int]:
    """The stretch of the sentence between the clause boundaries around a trigger."""
    low = sentence.start
    for match in _BOUNDARY.finditer(text, sentence.start, trigger.start):
        low = match.end()
    following = _BOUNDARY.search(text, trigger.end, sentence.end)
    return low, following.start() if following is not None else sentence.end


def _event(
    text: str,
    layout: Layout,
    index: int,
    group: _Group,
    own: list[DateMention],
    dates: list[DateMention],
    published: Published | None,
    people: People,
    subject_before: str = "",
) -> Event:
    """The event of one group of triggers."""
    sentence = layout.sentences[index]
    kind = _kind(text, sentence, group.triggers[0])
    start, end = evidence_span(text, sentence.start, sentence.end)
    trigger = group.triggers[0]
    candidates = [
        d for d in own if group.start <= d.start < group.end and _dates_event(text, d, trigger)
    ]
    date = None
    if candidates:
        # A date in the trigger's own clause first ("… had tripled since 2015 and that the EU
        # had opened a centre last year"), then the nearest.
        low, high = _clause_around(text, sentence, trigger)
        nearest = min(
            candidates,
            key=lambda d: (not low <= d.start < high, abs(d.start - trigger.start)),
        )
        anchor = _anchor(dates, nearest.start)
        date = resolve(nearest, published, anchor, future=group.occurrence == "planned")
    elif (following := _that_was(text, layout, index)) is not None:
        mention, end = following
        date = resolve(mention, published, _anchor(dates, mention.start))
    name, subject = _name(text, group, sentence, people, own, subject_before)
    return Event(start, end, kind, group.occurrence, date, name, subject=subject)


def _antecedent(text: str, people: People, event: Event) -> None:
    """A name that starts with "who" ("who met NAME…") gets the person it refers to."""
    if not event.name.lower().startswith("who "):
        return
    found = re.search(re.escape(event.name[4:].split(" ")[0]), text[event.start : event.end])
    clause = event.start + found.start() if found else event.end
    mentions = people.all_within(event.start, clause)
    if mentions:
        event.name = f"{people.persons[mentions[-1].person].name} {event.name[4:]}"


def _kind(text: str, sentence: Sentence, trigger: _Trigger) -> str:
    """The trigger's kind; an anniversary that events or ceremonies mark is a celebration."""
    if trigger.kind == "anniversary" and _CELEBRATION.search(text, sentence.start, trigger.start):
        return "celebration"
    if trigger.kind == "establishment":
        # "will open a new round of talks" is a meeting; "launched an investment package",
        # "will open a business forum" are other happenings, not something established.
        after = text[trigger.end : min(sentence.end, trigger.end + 80)]
        if _TALKS_OPENED.match(after):
            return "meeting"
        if _PROGRAMME_OPENED.match(after):
            return "other"
    if trigger.kind == "other" and _GATHERING_HELD.match(text, trigger.start, sentence.end):
        return "meeting"  # "agreed to hold a business forum", "would hold its next session"
    return trigger.kind


def _anchor(dates: list[DateMention], position: int) -> str | None:
    """The last date printed in full before `position`: what "a decade later" counts from."""
    anchor = None
    for date in dates:
        if date.start >= position:
            break
        if date.value is not None:
            anchor = date.value
    return anchor


def _that_was(text: str, layout: Layout, index: int) -> tuple[DateMention, int] | None:
    """A date given by the next sentence ("That was in 1995."), and where that sentence ends."""
    if index + 1 >= len(layout.sentences):
        return None
    sentence, following = layout.sentences[index], layout.sentences[index + 1]
    if following.paragraph != sentence.paragraph:
        return None
    if not _THAT_WAS.fullmatch(text, following.start, following.end):
        return None
    mentions = find_dates(text, following.start, following.end)
    if not mentions:
        return None
    return mentions[0], evidence_span(text, following.start, following.end)[1]


def _name(
    text: str,
    group: _Group,
    sentence: Sentence,
    people: People,
    dates: list[DateMention],
    before: str,
) -> tuple[str, str]:
    """A short headline-like name (kb.draft.headline) for the group's stretch of the sentence,
    without its opening adverbial and trailing attribution, and the subject it opens with.
    `before` is the subject of the sentence's event before this one."""
    start = sentence.start if group.start == sentence.start else group.start
    if group.start != sentence.start:
        # The stretch begins after the previous trigger: start at its clause instead.
        for match in _BOUNDARY.finditer(text, sentence.start, group.triggers[0].start):
            start = match.end()
    trigger = group.triggers[0]
    end = group.end if len(group.triggers) == 1 else sentence.end
    tail = _ATTRIBUTION_TAIL.search(text, start, end)
    if tail is not None and tail.start() > trigger.end:
        end = tail.start()
    lead = text.find(", ", start, trigger.start)
    if lead >= 0 and _adverbial(text, start, lead, dates) and not people.all_within(start, lead):
        start = lead + 2
    while start < trigger.start and text[start] in " “”\"‘’'«»":
        start += 1
    named = headline(text, (start, end), (trigger.start, trigger.end), people, dates, before)
    return named.name or text[trigger.start : trigger.end], named.subject


def _adverbial(text: str, start: int, end: int, dates: list[DateMention]) -> bool:
    """Whether text[start:end] is an adverbial opening a sentence before its subject: "On
    Tuesday", "On the sidelines of the summit", "Speaking to reporters", "Meanwhile"."""
    words = text[start:end].split()
    if not words or len(words) > 12:
        return False
    first = words[0].lower()
    if first in _LEAD_PREPOSITIONS or first in _LEAD_ADVERBS or first.endswith("ing"):
        return True
    return len(words) <= 4 and any(start <= date.start < end for date in dates)


def _participants(
    text: str, people: People, event: Event, quoted: Callable[[int], bool]
) -> list[int]:
    """People named in the evidence who take part: not those only reporting it."""
    found: list[int] = []
    for mention in people.all_within(event.start, event.end):
        if quoted(mention.start) or mention.person in found:
            continue
        after = text[mention.end : mention.end + 60]
        after = re.sub(r"^,[^,]{1,50},", "", after)  # skip an apposition ("NAME, ROLE, said")
        before = text[max(0, mention.start - 60) : mention.start]
        if _SAID_AFTER.match(after) or _SAID_BEFORE.search(before):
            continue
        found.append(mention.person)
    return found


def _named(text: str, people: People, event: Event) -> list[str]:
    """Capitalised names in the evidence that are not people: parties a curator may add."""
    persons = people.all_within(event.start, event.end)
    names: list[str] = []
    for match in _CAPITALISED.finditer(text, event.start, event.end):
        words = match.group().split()
        while words and words[0].lower() in _LEADING:
            words.pop(0)
        name = " ".join(words)
        start = match.end() - len(name)
        if not name or name.lower() in MONTHS_AND_DAYS:
            continue
        if any(m.start <= start < m.end or start <= m.start < match.end() for m in persons):
            continue
        if name not in names:
            names.append(name)
    return names
