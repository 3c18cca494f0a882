"""Events: a drafted event is the same happening as a known one (`same_as`) when it is of the
same kind, the dates overlap at their precisions (1995 and 1995-01-23 do; 2024-03-11 and
2024-03-12 do not), and at least one party or person takes part in both.

Known events are looked up by kind and date (an indexed query). Among those that qualify the
one with the most participants in common wins, then one dated as precisely as the draft, then
the first record of its group (one whose own same_as is empty), so that a group of records of
one happening grows around its first record. Two candidates of different groups that tie are
named in a comment and neither is linked.
"""

from __future__ import annotations

from kb.draft.events import Event
from kb.draft.known import MAX_EVENTS, Known, KnownEvent
from kb.draft.linking.link import Link

BASE = 0.6
PER_SHARED = 0.1
SAME_DATE = 0.1
FIRST_OF_GROUP = 0.05


def same_as(event: Event, evidence: str, parties: set[str], people: set[str], known: Known) -> Link:
    """The link of a drafted event to the known record of the same happening (target None:
    there is none)."""
    if event.date is None:
        return Link("same_as", evidence, event.start, None, False, "the event has no date", 0.0)
    date = event.date[0]
    scored: list[tuple[float, str, KnownEvent]] = []
    candidates = known.events(event.kind, date, parties, people)
    if len(candidates) >= MAX_EVENTS:
        reason = f"{MAX_EVENTS} or more known {event.kind}s overlap {date} with someone in common"
        return Link("same_as", evidence, event.start, None, False, reason, 0.0)
    slugs = {candidate.slug for candidate in candidates}
    groups = _groups(candidates)
    for candidate in candidates:
        shared = sorted((candidate.parties & parties) | (candidate.people & people))
        value = BASE + PER_SHARED * min(len(shared) - 1, 2)
        value += SAME_DATE if candidate.date == date else 0.0
        # The first of its group among the candidates: no same_as, or one to a record that
        # does not qualify (an undated one).
        value += FIRST_OF_GROUP if candidate.same_as not in slugs else 0.0
        kind = event.kind.replace("_", " ")
        article = "an" if kind[0] in "aeiou" else "a"
        said = f"{article} {kind} of {candidate.date} (overlaps {date}), "
        said += f"both with {', '.join(shared)}"
        scored.append((value, said, candidate))
    if not scored:
        reason = f"no known {event.kind} overlapping {date} with a party or person in common"
        return Link("same_as", evidence, event.start, None, False, reason, 0.0)
    scored.sort(key=lambda s: (-s[0], s[2].slug))
    best_value, said, best = scored[0]
    rivals = [
        (c.slug, round(v, 2))
        for v, _, c in scored[1:]
        if v == best_value and groups[c.slug] != groups[best.slug]
    ]
    if rivals:
        reason = f"several known happenings fit equally ({said})"
        close = ((best.slug, round(best_value, 2)), *rivals[:3])
        return Link("same_as", evidence, event.start, None, False, reason, 0.0, close)
    others = tuple((c.slug, round(v, 2)) for v, _, c in scored[1:4])
    return Link("same_as", evidence, event.start, best.slug, False, said, best_value, others)


def _groups(events: list[KnownEvent]) -> dict[str, str]:
    """Each candidate's group: records joined by same_as, directly or through others (a
    record both point at need not be a candidate)."""
    parent: dict[str, str] = {}

    def root(slug: str) -> str:
        while parent.get(slug, slug) != slug:
            slug = parent[slug]
        return slug

    for event in events:
        if event.same_as is not None:
            parent[root(event.slug)] = root(event.same_as)
    return {event.slug: root(event.slug) for event in events}
