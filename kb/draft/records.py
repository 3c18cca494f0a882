"""Assemble what was found into records of the data format, with slugs, offsets and notes.

Every passage is grounded the way the loader grounds it (kb.loader.grounding.Text: first
occurrence, whitespace and quote marks normalised), so the offsets printed are the ones `kb load`
will store, and a record whose passage would not ground is never written.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from kb.draft.dates import Published
from kb.draft.events import Event
from kb.draft.figures import Figure
from kb.draft.known import EMPTY, Known
from kb.draft.lexicon import word_set
from kb.draft.linking import Linked, PersonLink
from kb.draft.linking.link import Link
from kb.draft.people import People, Role
from kb.draft.quotes import Quote
from kb.draft.record import DraftRecord
from kb.draft.segment import evidence_span
from kb.draft.shared import metric_records, party_records
from kb.loader.grounding import Text

SLUG_MAX = 200
_SLUG_WORDS = 4
# Little words left out of slugs built from a passage.
_SLUG_SKIP = word_set("a an the of and or to in on at for with by is are was were it its")


@dataclass(frozen=True)
class Article:
    """The article to draft: its text, file name, SHA-256, source slug and publication date."""

    text: str
    path: str
    sha256: str
    slug: str
    published: Published | None = None


@dataclass(frozen=True)
class Unattributed:
    """A quotation that reads as speech but whose speaker was not found: not drafted."""

    start: int
    end: int
    text: str


@dataclass
class Draft:
    """The draft of one article: its records, and the quotations left out for want of a speaker."""

    article: Article
    records: list[DraftRecord]
    unattributed: list[Unattributed]
    # How the draft is linked into the knowledge base it was drafted against.
    links: list[Link] = field(default_factory=list)
    # What the draft was linked against ("nothing" when drafted alone), and notes about it.
    against: str = "nothing"
    notes: list[str] = field(default_factory=list)

    def of_type(self, record_type: str) -> list[DraftRecord]:
        """The records of one type, in order."""
        return [record for record in self.records if record.type == record_type]


def slugify(text: str, limit: int = SLUG_MAX) -> str:
    """A slug: ASCII lowercase letters and digits joined by single hyphens, at most `limit` long."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug


class Slugs:
    """Hands out slugs unique within each record type, in the draft and (for the shared
    records a draft may create: people, parties, metrics) in the knowledge base."""

    def __init__(self, known: Known = EMPTY) -> None:
        self.used: dict[str, set[str]] = {}
        self.known = known

    def take(self, record_type: str, *parts: str) -> str:
        """A unique slug built from `parts` (a number is added on a clash)."""
        base = slugify("-".join(part for part in parts if part), SLUG_MAX - 4) or record_type
        used = self.used.setdefault(record_type, set())
        slug, number = base, 2
        while slug in used or self._known(record_type, slug):
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        return slug

    def _known(self, record_type: str, slug: str) -> bool:
        # Quotes, figures and events take the source's slug as a prefix: the source's own
        # check (kb.draft.draft) covers them.
        if record_type not in ("person", "party", "metric"):
            return False
        return bool(self.known.taken(record_type, [slug]))


def assemble(
    article: Article,
    title: str,
    author: str | None,
    people: People,
    quotes: list[Quote],
    figures: list[Figure],
    events: list[Event],
    linked: Linked,
    slugs: Slugs,
) -> Draft:
    """The draft records of an article, linked and grounded; quotes with no speaker become
    notes."""
    grounding = Text(article.text)
    builder = _Builder(article, grounding, slugs, linked)
    records = [builder.source(title, author)]
    records += party_records(linked)
    records += metric_records(linked)
    person_slugs = builder.people(people, records)
    quote_slugs = builder.quotes(people, quotes, person_slugs, records)
    builder.figures(figures, quotes, quote_slugs, records)
    builder.events(events, person_slugs, records)
    unattributed = [
        Unattributed(quote.start, quote.end, _passage(article.text, quote.start, quote.end))
        for quote in quotes
        if quote.speaker is None
    ]
    return Draft(article, records, unattributed, links=linked.links)


def _passage(text: str, start: int, end: int) -> str:
    """A passage as written into a record: its words, whitespace runs as single spaces."""
    return " ".join(text[start:end].split())


class _Builder:
    """Builds the records of one draft."""

    def __init__(self, article: Article, grounding: Text, slugs: Slugs, linked: Linked) -> None:
        self.article = article
        self.text = article.text
        self.grounding = grounding
        self.slugs = slugs
        self.linked = linked
        self.quote_spans: dict[str, tuple[int, int]] = {}

    def ground(self, passage: str, found_at: int, notes: list[str]) -> tuple[int, int] | None:
        """Where the loader will ground a passage; a note when that is an earlier occurrence."""
        span = self.grounding.find(passage)
        if span is not None and span[0] != found_at:
            notes.append(
                f"the same words occur earlier, at {span[0]}-{span[1]}: the loader grounds that "
                "occurrence (quote a longer passage to pick this one)"
            )
        return span

    def source(self, title: str, author: str | None) -> DraftRecord:
        """The source record: the article's file beside the draft's seeds directory."""
        article = self.article
        fields: dict[str, Any] = {"slug": article.slug, "title": title}
        if author is not None:
            fields["author"] = author
        if article.published is not None:
            fields["published"] = article.published.value
        fields.update(
            {"language": "en", "path": article.path, "sha256": article.sha256, "status": "draft"}
        )
        return DraftRecord("source", fields)

    def people(self, people: People, records: list[DraftRecord]) -> dict[int, str]:
        """Records of new people (with their roles), and the roles and new names of known
        ones; returns each drafted person's slug by index."""
        slugs: dict[int, str] = {}
        new: dict[str, DraftRecord] = {}
        stated: set[tuple[str, str]] = set()
        for index, person in enumerate(people.persons):
            linked = self.linked.people[index]
            slugs[index] = linked.slug
            roles = []
            for role, notes in self.roles(index, person.roles):
                # One person printed twice (two spellings) may be given one title twice.
                if (linked.slug, role["title"]) not in stated:
                    stated.add((linked.slug, role["title"]))
                    roles.append((role, notes))
            if linked.known is not None:
                records += [self.role_record(linked.slug, role, notes) for role, notes in roles]
                continue
            record = new.get(linked.slug)
            if record is None:
                record = self.person_record(linked)
                new[linked.slug] = record
                records.append(record)
            self.add_roles(record, roles)
        known = {id(linked): linked for linked in self.linked.people if linked.known is not None}
        for linked in known.values():
            records += self.alias_records(linked)
        return slugs

    def person_record(self, linked: PersonLink) -> DraftRecord:
        """A new person: the name as first printed, other printed forms as aliases."""
        fields: dict[str, Any] = {"slug": linked.slug, "name": linked.printed[0]}
        if len(linked.printed) > 1:
            fields["aliases"] = linked.printed[1:]
        record = DraftRecord("person", fields)
        record.notes.append(f"new person: {linked.link.why()}")
        return record

    def add_roles(self, record: DraftRecord, roles: list[tuple[dict[str, Any], list[str]]]) -> None:
        """A new person's roles, nested in the person record (status last)."""
        listed: list[dict[str, Any]] = record.fields.pop("roles", [])
        record.fields.pop("status", None)
        for role, notes in roles:
            span = role.pop("_span")
            record.offsets[f"roles[{len(listed)}].evidence"] = span
            record.field_notes[f"roles[{len(listed)}]"] = notes
            listed.append(role)
        if listed:
            record.fields["roles"] = listed
        record.fields["status"] = "draft"

    def roles(self, index: int, roles: list[Role]) -> list[tuple[dict[str, Any], list[str]]]:
        """A drafted person's roles as the records hold them, each with its party and notes."""
        found = []
        for number, role in enumerate(roles):
            notes: list[str] = []
            evidence = _passage(self.text, role.start, role.end)
            span = self.ground(evidence, role.start, notes)
            if span is None:
                continue
            fields: dict[str, Any] = {"title": role.title}
            party = self.linked.role_parties.get((index, number))
            if party is not None and party.mention is not None and party.mention.slug:
                fields["party"] = party.mention.slug
                notes.append(f"party {party.mention.slug}: {party.reason}")
            elif party is not None:
                notes.append(f"no party: {party.reason}")
            fields.update({"source": self.article.slug, "evidence": evidence, "_span": span})
            found.append((fields, notes))
        return found

    def role_record(self, person: str, role: dict[str, Any], notes: list[str]) -> DraftRecord:
        """A role of a known person, as a record of its own."""
        span = role.pop("_span")
        record = DraftRecord("role", {"person": person, **role, "status": "draft"})
        record.offsets["evidence"] = span
        record.notes += notes
        return record

    def alias_records(self, linked: PersonLink) -> list[DraftRecord]:
        """The names this article prints for a known person that the base does not know."""
        records = []
        for name in linked.new_names:
            span = self.grounding.find(name)
            if span is None:
                continue
            fields = {"person": linked.slug, "name": name, "source": self.article.slug}
            record = DraftRecord("alias", {**fields, "status": "draft"})
            record.offsets["name"] = span
            record.notes.append(f"{linked.slug} as this article prints it")
            records.append(record)
        return records

    def quotes(
        self,
        people: People,
        quotes: list[Quote],
        person_slugs: dict[int, str],
        records: list[DraftRecord],
    ) -> dict[int, str]:
        """Quote records for quotes with a speaker; returns each one's slug by start offset."""
        slugs: dict[int, str] = {}
        for quote in quotes:
            if quote.speaker is None:
                continue
            text = _passage(self.text, quote.start, quote.end)
            record = DraftRecord("quote", {})
            span = self.ground(text, quote.start, record.notes)
            if span is None:
                continue
            speaker = people.persons[quote.speaker]
            words = _slug_words(text)
            slug = self.slugs.take("quote", self.article.slug, speaker.surname, *words)
            record.fields = {
                "slug": slug,
                "source": self.article.slug,
                "speaker": person_slugs[quote.speaker],
                "kind": quote.kind,
                "text": text,
                "status": "draft",
            }
            record.notes += quote.notes
            record.offsets["text"] = span
            self.quote_spans[slug] = span
            slugs[quote.start] = slug
            records.append(record)
        return slugs

    def figures(
        self,
        figures: list[Figure],
        quotes: list[Quote],
        quote_slugs: dict[int, str],
        records: list[DraftRecord],
    ) -> None:
        """Figure records, each linked to the quote that states it (if any)."""
        for index, figure in enumerate(figures):
            record = self.figure(figure, index, _quote_slug(figure, quotes, quote_slugs))
            if record is not None:
                records.append(record)

    def figure(self, figure: Figure, index: int, quote: str | None) -> DraftRecord | None:
        """One figure record, grounded like the loader grounds it."""
        record = DraftRecord("figure", {})
        start, end = evidence_span(self.text, figure.sentence.start, figure.sentence.end)
        surface = _passage(self.text, figure.start, figure.end)
        start = self._evidence_start(surface, start, figure.start)
        evidence = _passage(self.text, start, end)
        evidence_at = self.ground(evidence, start, record.notes)
        if evidence_at is None:
            return None
        surface_at, quote = self._surface(surface, evidence_at, quote)
        if surface_at is None:
            return None
        record.offsets.update({"evidence": evidence_at, "surface": surface_at})
        fields: dict[str, Any] = {
            "slug": self.slugs.take("figure", self.article.slug, surface, _unit_word(figure)),
            "source": self.article.slug,
        }
        if quote is not None:
            fields["quote"] = quote
        self.subject_and_metric(record, fields, index)
        fields.update(
            {
                "kind": figure.kind,
                "surface": surface,
                "value": _number(figure.value),
                "unit": figure.unit,
                "qualifier": figure.qualifier,
            }
        )
        if figure.base:
            fields["base"] = figure.base
        _period_fields(fields, figure)
        fields.update({"evidence": evidence, "status": "draft"})
        record.fields = fields
        return record

    def subject_and_metric(self, record: DraftRecord, fields: dict[str, Any], index: int) -> None:
        """A figure's subject and metric, each with the comment saying why."""
        found = self.linked.subjects[index]
        mention = found.mention
        if mention is not None and mention.slug is not None:
            fields["subject"] = mention.slug
            record.field_notes["subject"] = [f"{mention.slug}: {found.reason}"]
        else:
            record.field_notes["metric"] = [f"no subject: {found.reason}"]
        fields["metric"] = self.linked.metrics[index]
        link = self.linked.metric_links[index]
        record.field_notes.setdefault("metric", []).append(link.describe())

    def _evidence_start(self, surface: str, start: int, figure_start: int) -> int:
        """Where a figure's evidence starts: the sentence's start, unless the same surface occurs
        earlier in the sentence ("25%" before "the remaining 5%"): then the clause's start, so
        that the loader finds the surface where the figure is."""
        if self._first(surface, start, figure_start):
            return start
        for boundary in re.finditer(r"[,;:]\s+", self.text[start:figure_start]):
            if self._first(surface, start + boundary.end(), figure_start):
                return start + boundary.end()
        return figure_start

    def _first(self, surface: str, start: int, figure_start: int) -> bool:
        """Whether the surface's first occurrence after `start` is the figure's."""
        span = self.grounding.find(surface, start, figure_start + len(surface) + 1)
        return span is not None and span[0] == figure_start

    def _surface(
        self, surface: str, evidence: tuple[int, int], quote: str | None
    ) -> tuple[tuple[int, int] | None, str | None]:
        """The surface's span as the loader finds it; the quote link kept only if it holds."""
        if quote is not None:
            quote_start, quote_end = self.quote_spans[quote]
            low, high = max(evidence[0], quote_start), min(evidence[1], quote_end)
            if low < high and (span := self.grounding.find(surface, low, high)) is not None:
                return span, quote
        return self.grounding.find(surface, *evidence), None

    def events(
        self, events: list[Event], person_slugs: dict[int, str], records: list[DraftRecord]
    ) -> None:
        """Event records, with the people taking part and the other names noted."""
        for index, event in enumerate(events):
            record = DraftRecord("event", {})
            evidence = _passage(self.text, event.start, event.end)
            span = self.ground(evidence, event.start, record.notes)
            if span is None:
                continue
            record.offsets["evidence"] = span
            words = _slug_words(event.name)
            fields: dict[str, Any] = {
                "slug": self.slugs.take("event", self.article.slug, *words),
                "source": self.article.slug,
                "name": event.name,
                "kind": event.kind,
                "occurrence": event.occurrence,
            }
            if event.date is not None:
                fields["date"] = event.date[0]
                if event.date[1]:
                    fields["date_inferred"] = True
            same = self.linked.same_as[index]
            if same.target is not None:
                fields["same_as"] = same.target
                record.field_notes["same_as"] = [same.describe()]
            else:
                record.notes.append(f"same_as {same.describe()}")
            people = [person_slugs[p] for p in event.participants]
            taking_part = [{"party": slug} for slug in self.linked.participants[index]]
            taking_part += [{"person": slug} for slug in dict.fromkeys(people)]
            if taking_part:
                fields["participants"] = taking_part
            fields.update({"evidence": evidence, "status": "draft"})
            named = [name for name in event.named if name not in self._party_texts(event)]
            if named:
                record.notes.append(f"also named (parties?): {', '.join(named)}")
            record.fields = fields
            records.append(record)

    def _party_texts(self, event: Event) -> set[str]:
        """The names in an event's evidence that were linked to parties."""
        return {
            mention.text
            for mention in self.linked.mentions
            if event.start <= mention.start < event.end
        }


def _slug_words(passage: str) -> list[str]:
    """The first few telling words of a passage, for a slug."""
    words = [word for word in re.findall(r"[^\W_]+", passage) if word.lower() not in _SLUG_SKIP]
    return words[:_SLUG_WORDS]


def _quote_slug(figure: Figure, quotes: list[Quote], slugs: dict[int, str]) -> str | None:
    """The slug of the drafted quote whose words contain the figure."""
    for quote in quotes:
        if quote.start <= figure.start and figure.end <= quote.end and quote.start in slugs:
            return slugs[quote.start]
    return None


def _unit_word(figure: Figure) -> str:
    """A word that tells figures with the same surface apart in their slugs."""
    return figure.unit.split()[-1] if figure.kind == "count" else ""


def _number(value: float) -> int | float:
    """A value as written: an integer when whole, else rounded to four decimals."""
    if value == int(value):
        return int(value)
    return round(value, 4)


def _period_fields(fields: dict[str, Any], figure: Figure) -> None:
    """period_start / period_end, or as_of, and their _inferred flags, when the sentence gives
    them."""
    start, end = figure.period_start, figure.period_end
    if start is not None and end is not None:
        common = min(len(start[0]), len(end[0]))
        if start[0][:common] > end[0][:common]:
            return  # an impossible period: leave it to the curator
    for name, period in (("period_start", start), ("period_end", end), ("as_of", figure.as_of)):
        if period is not None:
            fields[name] = period[0]
            if period[1]:
                fields[f"{name}_inferred"] = True
