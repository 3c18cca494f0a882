"""Link a draft into the knowledge base: people, parties, figures' subjects and metrics, and
events' same_as, each link with the reason a comment gives it (kb.draft.linking.link.Link).

Parties the article names but the base lacks are created only when a record of the draft needs
one: a figure's subject, the party of a role, a participant in an event (not a place where it
happened). A country or organization named only in passing ("Italian pasta makers", a meeting
"in Luxembourg") gets no record.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from kb.draft.events import Event
from kb.draft.figures import Figure
from kb.draft.known import Known, KnownMetric
from kb.draft.linking.events import same_as
from kb.draft.linking.link import Link
from kb.draft.linking.metrics import NewMetric, choose
from kb.draft.linking.naming import name_metric, subject_phrase
from kb.draft.linking.parties import Mention, NewParty, Unlinked, resolve
from kb.draft.linking.people import PersonLink, link_people
from kb.draft.linking.subjects import clause_of, home_country, role_party, subject
from kb.draft.parties import COUNTRIES, find_phrases
from kb.draft.people import People
from kb.draft.segment import Layout
from kb.names import DEMONYMS, fold

__all__ = ["Link", "Linked", "NewMetric", "NewParty", "PersonLink", "link"]

# take(record_type, name) -> a slug no record of that type has, in the base or the draft.
TakeSlug = Callable[[str, str], str]


@dataclass
class Subject:
    """A figure's subject: the mention it is found by (None: no party), and why."""

    mention: Mention | None
    reason: str


@dataclass
class Linked:
    """Every decision linking one draft into the base."""

    people: list[PersonLink]
    mentions: list[Mention]
    unlinked: list[Unlinked]
    role_parties: dict[tuple[int, int], Subject]
    subjects: list[Subject]
    metrics: list[str]
    new_metrics: list[NewMetric]
    new_parties: list[NewParty]
    participants: list[list[str]]
    same_as: list[Link]
    metric_links: list[Link] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)


def link(
    parts: Layout,
    people: People,
    figures: list[Figure],
    surfaces: list[str],
    events: list[Event],
    known: Known,
    take: TakeSlug,
) -> Linked:
    """Link people, parties, figures and events of a draft into `known`."""
    text = parts.text
    mentions, unlinked = resolve(text, find_phrases(parts, people), known)
    person_links = link_people(text, people, known, lambda name: take("person", bare_name(name)))
    home = home_country(mentions)
    roles = _role_parties(parts, people, mentions, home)
    subjects = [
        Subject(*subject(text, f.start, f.end, (f.sentence.start, f.sentence.end), mentions))
        for f in figures
    ]
    takers = [_participants(text, event, mentions) for event in events]
    needed = [s.mention for s in (*roles.values(), *subjects) if s.mention is not None]
    # A party the base lacks takes part in an event only if the text names it more than once
    # ("an Uzbek delegation … Uzbekistan"), and not as the place ("in Luxembourg").
    named = Counter(id(m.new) for m in mentions if m.new is not None)
    needed += [m for group in takers for m, place in group if not place and named[id(m.new)] > 1]
    new_parties = _create(needed, take)
    mentions = [m for m in mentions if m.known is not None or (m.new is not None and m.new.slug)]
    participants = [
        list(dict.fromkeys(m.slug for m, _ in group if m.slug is not None)) for group in takers
    ]
    same = [
        same_as(
            event,
            " ".join(text[event.start : event.end].split()),
            set(participants[index]),
            {person_links[p].slug for p in event.participants},
            known,
        )
        for index, event in enumerate(events)
    ]
    metrics, new_metrics, metric_links = _metrics(
        parts, figures, surfaces, subjects, mentions, known, take
    )
    linked = Linked(
        person_links,
        mentions,
        unlinked,
        roles,
        subjects,
        metrics,
        new_metrics,
        new_parties,
        participants,
        same,
        metric_links,
    )
    linked.links = _links(text, linked, figures, surfaces, metric_links)
    return linked


def bare_name(name: str) -> str:
    """A person's name without a country's name or adjective glued to its front ("Kazakh
    Kassym-Jomart Tokayev"), for the slug."""
    words = name.split()
    while len(words) > 2 and (fold(words[0]) in DEMONYMS or fold(words[0]) in COUNTRIES):
        words.pop(0)
    return " ".join(words)


def _role_parties(
    parts: Layout, people: People, mentions: list[Mention], home: Mention | None
) -> dict[tuple[int, int], Subject]:
    """The party of each drafted role, by (person index, role index)."""
    found: dict[tuple[int, int], Subject] = {}
    for index, person in enumerate(people.persons):
        for number, role in enumerate(person.roles):
            sentence = parts.sentence_at(role.start)
            name = _name_span(people, index, role.start, role.end)
            found[(index, number)] = Subject(
                *role_party(
                    parts.text,
                    (role.start, role.end),
                    name,
                    role.title,
                    (sentence.start, sentence.end),
                    mentions,
                    home,
                )
            )
    return found


def _name_span(people: People, index: int, start: int, end: int) -> tuple[int, int]:
    """Where the person's name is inside a role's evidence."""
    for mention in people.all_within(start, end):
        if mention.person == index:
            return mention.start, mention.end
    return start, start


def _participants(text: str, event: Event, mentions: list[Mention]) -> list[tuple[Mention, bool]]:
    """The parties named in an event's evidence, each with whether it is only the place."""
    found = []
    for mention in mentions:
        if event.start <= mention.start < event.end:
            words = text[max(event.start, mention.start - 12) : mention.start].split()
            place = bool(words) and words[-1].lower() in ("in", "at", "near")
            found.append((mention, place))
    return found


def _create(needed: list[Mention], take: TakeSlug) -> list[NewParty]:
    """Slugs for the new parties some record needs, in the order first needed."""
    created: list[NewParty] = []
    for mention in needed:
        party = mention.new
        if party is not None and party.slug is None:
            party.slug = take("party", party.name)
            created.append(party)
    return created


def _metrics(
    parts: Layout,
    figures: list[Figure],
    surfaces: list[str],
    subjects: list[Subject],
    mentions: list[Mention],
    known: Known,
    take: TakeSlug,
) -> tuple[list[str], list[NewMetric], list[Link]]:
    """Each figure's metric slug (known, or new and then reused), and the links."""
    text = parts.text
    available: list[KnownMetric | NewMetric] = list(known.metrics())
    created: list[NewMetric] = []
    slugs: list[str] = []
    links: list[Link] = []
    for index, (figure, surface, found) in enumerate(zip(figures, surfaces, subjects, strict=True)):
        clause = _clause(text, figure)
        echo = _echo(text, figures, index, clause)
        if echo is not None:
            # "… 27.5 percent of external trade, down from almost 40 percent a decade ago".
            before = links[echo]
            reason = f"what “{surfaces[echo]}” measures: its clause names nothing else"
            linked = Link("metric", surface, figure.start, slugs[echo], before.new, reason, 0.0)
            slugs.append(slugs[echo])
            links.append(linked)
            continue
        sentence = figure.sentence
        context = f"{_previous_sentence(parts, figure)} {parts.title}"
        metric, linked = choose(
            figure, surface, available, text[clause[0] : clause[1]],
            text[sentence.start : sentence.end], context,
        )  # fmt: skip
        if metric is None:
            earlier = _measured_before(text, figures, index)
            name = name_metric(text, figure, clause, found.mention, mentions, earlier)
            unit = None if figure.kind == "amount" else figure.unit
            metric = NewMetric(take("metric", name), name, figure.kind, unit, surface)
            created.append(metric)
            available.append(metric)
            reason = f"named for what is measured; {linked.reason}"
            linked = Link(
                "metric", surface, figure.start, metric.slug, True, reason, 0.0, linked.close
            )
        slugs.append(metric.slug)
        links.append(linked)
    return slugs, created, links


def _measured_before(text: str, figures: list[Figure], index: int) -> str:
    """What the nearest earlier figure of the same sentence measures, by the words before it
    in its clause ("trade turnover" for "…reached $48.2 billion, up 14%")."""
    figure = figures[index]
    for earlier in range(index - 1, -1, -1):
        other = figures[earlier]
        if other.sentence != figure.sentence:
            return ""
        clause = _clause(text, other)
        phrase = subject_phrase(text[clause[0] : other.start])
        if phrase:
            return phrase
    return ""


def _echo(text: str, figures: list[Figure], index: int, clause: tuple[int, int]) -> int | None:
    """The figure before this one in its sentence that it measures again, if its own clause
    says nothing of what it measures (no words before it, no base): one of the same kind and
    unit."""
    figure = figures[index]
    if figure.base or subject_phrase(text[clause[0] : figure.start]):
        return None
    for earlier in range(index - 1, -1, -1):
        other = figures[earlier]
        if other.sentence != figure.sentence:
            return None
        if (other.kind, other.unit) == (figure.kind, figure.unit):
            return earlier
    return None


def _clause(text: str, figure: Figure) -> tuple[int, int]:
    """The stretch of the figure's sentence between punctuation marks that holds it ("and"
    stays inside: "trade between Kazakhstan and the EU" is one thing measured)."""
    sentence = figure.sentence
    return clause_of(text, sentence.start, sentence.end, figure.start, figure.end, words=False)


def _previous_sentence(parts: Layout, figure: Figure) -> str:
    index = parts.sentence_index(figure.start)
    if index == 0:
        return ""
    previous = parts.sentences[index - 1]
    if previous.paragraph != figure.sentence.paragraph:
        return ""
    return parts.text[previous.start : previous.end]


def _links(
    text: str,
    linked: Linked,
    figures: list[Figure],
    surfaces: list[str],
    metric_links: list[Link],
) -> list[Link]:
    """Every link of the draft, for comments, JSON and scoring."""
    links: list[Link] = []
    seen: set[tuple[str, str]] = set()
    for person in linked.people:
        for form in person.printed:
            if (form, person.slug) in seen:
                continue
            seen.add((form, person.slug))
            base = person.link
            links.append(Link("person", form, base.start, person.slug, person.known is None,
                              base.reason, base.score, base.close))  # fmt: skip
    for mention in linked.mentions:
        links.append(
            Link(
                "party",
                mention.text,
                mention.start,
                mention.slug,
                mention.known is None,
                mention.how,
                mention.score,
                mention.close,
            )
        )
    for figure, surface, found in zip(figures, surfaces, linked.subjects, strict=True):
        target = found.mention.slug if found.mention is not None else None
        new = found.mention is not None and found.mention.known is None
        links.append(Link("subject", surface, figure.start, target, new, found.reason, 0.0))
    links.extend(metric_links)
    links.extend(linked.same_as)
    for unsure in linked.unlinked:
        reason = "several known parties fit equally"
        links.append(
            Link("party", unsure.text, unsure.start, None, False, reason, 0.0, unsure.close)
        )
    return links
