"""Sources, parties, metrics and people: the records facts refer to, and one person's profile."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ScalarSelect, distinct, func, select

from kb.errors import KbError
from kb.queries.common import Reader, Row, fetch, people_called
from kb.queries.facts import events_where
from kb.queries.selects import check_limit, figure_select, quote_select, speaker_is
from kb.tables import (
    ALIASES,
    EVENTS,
    FIGURES,
    METRICS,
    PARTICIPANTS,
    PARTIES,
    PEOPLE,
    QUOTES,
    ROLES,
    SOURCES,
)


def sources(reader: Reader) -> list[Row]:
    """Every source with all its columns (full text included) and how many facts it holds."""
    s = SOURCES
    statement = select(
        *s.c,
        _count(QUOTES.c.source_id == s.c.id).label("quote_count"),
        _count(FIGURES.c.source_id == s.c.id).label("figure_count"),
        _count(EVENTS.c.source_id == s.c.id).label("event_count"),
    ).order_by(s.c.slug)
    return fetch(reader, statement)


def _count(condition: Any) -> ScalarSelect[int]:
    """A correlated COUNT(*) of the rows of one table matching `condition`."""
    return select(func.count()).where(condition).scalar_subquery()


def parties(reader: Reader) -> list[Row]:
    """Every country or organization, with all columns and how many figures are about it."""
    p = PARTIES
    statement = select(*p.c, _count(FIGURES.c.subject_id == p.c.id).label("figure_count"))
    return fetch(reader, statement.order_by(p.c.slug))


def metrics(reader: Reader, *, limit: int | None = None) -> list[Row]:
    """Every metric (what figures measure) by slug, with all columns, how many figures name it
    and how many sources state them; with `limit`, the first `limit` metrics."""
    m, f = METRICS, FIGURES
    sources = select(func.count(distinct(f.c.source_id))).where(f.c.metric_id == m.c.id)
    statement = select(
        *m.c,
        _count(f.c.metric_id == m.c.id).label("figure_count"),
        sources.scalar_subquery().label("source_count"),
    ).order_by(m.c.slug)
    return fetch(reader, statement.limit(check_limit(limit)))


def people(reader: Reader) -> list[Row]:
    """Every person with all columns, their role titles and how many quotes they have."""
    p = PEOPLE
    statement = select(*p.c, _count(QUOTES.c.speaker_id == p.c.id).label("quote_count"))
    rows = fetch(reader, statement.order_by(p.c.slug))
    titles: dict[int, list[str]] = defaultdict(list)
    for person_id, title in reader.execute(
        select(ROLES.c.person_id, ROLES.c.title).order_by(ROLES.c.id)
    ):
        if title not in titles[person_id]:
            titles[person_id].append(title)
    for row in rows:
        row["roles"] = titles.get(row["id"], [])
    return rows


def person(reader: Reader, slug: str) -> Row:
    """One person: their columns, roles (each with the source stating it), the names other
    sources print for them, quotes, figures and events.

    `slug` may also be the person's name or an alias (ignoring case) if only one person has
    it. Figures are those stated in the person's quotes; events are those they take part in.
    """
    found = people_called(reader, slug)
    if len(found) > 1:
        slugs = ", ".join(r.slug for r in found)
        raise KbError(f"{slug!r} names more than one person: {slugs}. Give a slug.")
    person_id = found[0].id
    row = fetch(reader, select(*PEOPLE.c).where(PEOPLE.c.id == person_id))[0]
    row["roles"] = roles(reader, person_id)
    row["names"] = names(reader, person_id)
    row["quotes"] = fetch(reader, quote_select().where(QUOTES.c.speaker_id == person_id))
    row["figures"] = fetch(reader, figure_select().where(speaker_is(person_id)))
    takes_part = select(PARTICIPANTS.c.event_id).where(PARTICIPANTS.c.person_id == person_id)
    row["events"] = events_where(reader, [EVENTS.c.id.in_(takes_part)])
    return row


def roles(reader: Reader, person_id: int) -> list[Row]:
    """A person's roles, each with all columns and the party and source it names, in the order
    their sources were published (then loaded)."""
    r, party, s = ROLES, PARTIES, SOURCES
    statement = (
        select(
            *r.c,
            party.c.slug.label("party_slug"),
            party.c.name.label("party_name"),
            s.c.slug.label("source_slug"),
            s.c.title.label("source_title"),
        )
        .select_from(
            r.join(s, r.c.source_id == s.c.id).outerjoin(party, r.c.party_id == party.c.id)
        )
        .where(r.c.person_id == person_id)
        .order_by(s.c.published.is_(None), s.c.published, r.c.id)
    )
    return fetch(reader, statement)


def names(reader: Reader, person_id: int) -> list[Row]:
    """The other names of a person that sources print (the `aliases` table), each with all
    columns and the source printing it, in the order their sources were published."""
    a, s = ALIASES, SOURCES
    statement = (
        select(*a.c, s.c.slug.label("source_slug"), s.c.title.label("source_title"))
        .join_from(a, s, a.c.source_id == s.c.id)
        .where(a.c.person_id == person_id)
        .order_by(s.c.published.is_(None), s.c.published, a.c.id)
    )
    return fetch(reader, statement)
