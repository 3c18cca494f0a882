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
from kb.draft.lexicon import word_set
from kb.draft.people import People
from kb.draft.quotes import Quote
from kb.draft.segment import evidence_span
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


@dataclass
class DraftRecord:
    """A record in the data format, the offsets of its passages, and notes for the curator."""

    type: str
    fields: dict[str, Any]
    offsets: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


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


class _Slugs:
    """Hands out slugs unique within each record type."""

    def __init__(self) -> None:
        self.used: dict[str, set[str]] = {}

    def take(self, record_type: str, *parts: str) -> str:
        """A unique slug built from `parts` (a number is added on a clash)."""
        base = slugify("-".join(part for part in parts if part), SLUG_MAX - 4) or record_type
        used = self.used.setdefault(record_type, set())
        slug, number = base, 2
        while slug in used:
            slug, number = f"{base}-{number}", number + 1
        used.add(slug)
        return slug


def assemble(
    article: Article,
    title: str,
    author: str | None,
    people: People,
    quotes: list[Quote],
    figures: list[Figure],
    events: list[Event],
) -> Draft:
    """The draft records of an article, grounded; quotes with no speaker become notes."""
    grounding = Text(article.text)
    slugs = _Slugs()
    builder = _Builder(article, grounding, slugs)
    records = [builder.source(title, author)]
    person_slugs = builder.people(people, records)
    quote_slugs = builder.quotes(people, quotes, person_slugs, records)
    builder.figures(figures, quotes, quote_slugs, records)
    builder.events(events, person_slugs, records)
    unattributed = [
        Unattributed(quote.start, quote.end, _passage(article.text, quote.start, quote.end))
        for quote in quotes
        if quote.speaker is None
    ]
    return Draft(article, records, unattributed)


def _passage(text: str, start: int, end: int) -> str:
    """A passage as written into a record: its words, whitespace runs as single spaces."""
    return " ".join(text[start:end].split())


class _Builder:
    """Builds the records of one draft."""

    def __init__(self, article: Article, grounding: Text, slugs: _Slugs) -> None:
        self.article = article
        self.text = article.text
        self.grounding = grounding
        self.slugs = slugs
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
        """Person records with their roles; returns each person's slug by index."""
        slugs: dict[int, str] = {}
        for index, person in enumerate(people.persons):
            slug = self.slugs.take("person", person.name)
            slugs[index] = slug
            fields: dict[str, Any] = {"slug": slug, "name": person.name}
            if person.surname_used and person.surname != person.name:
                fields["aliases"] = [person.surname]
            record = DraftRecord("person", fields)
            roles: list[dict[str, str]] = []
            for role in person.roles:
                evidence = _passage(self.text, role.start, role.end)
                span = self.ground(evidence, role.start, record.notes)
                if span is None:
                    continue
                record.offsets[f"roles[{len(roles)}].evidence"] = span
                roles.append(
                    {"title": role.title, "source": self.article.slug, "evidence": evidence}
                )
            if roles:
                fields["roles"] = roles
            fields["status"] = "draft"
            records.append(record)
        return slugs

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
        for figure in figures:
            record = self.figure(figure, _quote_slug(figure, quotes, quote_slugs))
            if record is not None:
                records.append(record)

    def figure(self, figure: Figure, quote: str | None) -> DraftRecord | None:
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
        fields.update(
            {
                "metric": figure.metric,
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
        for event in events:
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
            if event.participants:
                fields["participants"] = [{"person": person_slugs[p]} for p in event.participants]
            fields.update({"evidence": evidence, "status": "draft"})
            if event.named:
                record.notes.append(f"also named (parties?): {', '.join(event.named)}")
            record.fields = fields
            records.append(record)


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
    """period_start / period_end and their _inferred flags, when the sentence gives them."""
    start, end = figure.period_start, figure.period_end
    if start is not None and end is not None:
        common = min(len(start[0]), len(end[0]))
        if start[0][:common] > end[0][:common]:
            return  # an impossible period: leave it to the curator
    for name, period in (("period_start", start), ("period_end", end)):
        if period is not None:
            fields[name] = period[0]
            if period[1]:
                fields[f"{name}_inferred"] = True
