"""Typed SQLAlchemy 2 models: the schema of the knowledge base and its documentation.

Every column carries a one-line `comment`; it documents the public schema (other tools read the
database directly) and is stored in the database where the dialect supports comments.
The schema itself is created only by the Alembic migrations in migrations/; a test checks that
these models and the migrations agree. Text compares and sorts byte by byte on either backend:
SQLite's default BINARY collation, and "C" on every text column on PostgreSQL (migration 0011,
checked by tests/test_migrations.py rather than declared on each column here).
"""

from __future__ import annotations

from typing import Annotated

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Enumerations, stored as text and enforced by CHECK constraints.
PRECISIONS = ("year", "month", "day")
SOURCE_KINDS = ("article", "reference")
PARTY_KINDS = ("country", "organization")
QUOTE_KINDS = ("direct", "partial")
FIGURE_KINDS = ("amount", "count", "share", "multiplier", "change")
QUALIFIERS = ("exact", "about", "almost", "more_than", "at_least", "less_than", "at_most")
EVENT_KINDS = (
    "anniversary",
    "establishment",
    "signing",
    "entry_into_force",
    "meeting",
    "visit",
    "celebration",
    "other",
)
EVENT_OCCURRENCES = ("happened", "ongoing", "planned")
# Review state of a record: `kb draft` writes drafts; a curator reviews them.
REVIEW_STATUSES = ("reviewed", "draft")

# Length of an ISO-8601 date of each precision: 1995, 1995-01, 1995-01-23.
PRECISION_LENGTHS = {"year": 4, "month": 7, "day": 10}

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations can name every constraint."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


IntPk = Annotated[int, mapped_column(Integer, primary_key=True, comment="Integer key for joins.")]
ReviewStatus = Annotated[
    str,
    mapped_column(
        String(10),
        server_default=text("'reviewed'"),
        comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
    ),
]
Slug = Annotated[
    str,
    mapped_column(
        String(200), unique=True, nullable=False, comment="Stable key that data files use."
    ),
]


def in_check(column: str, values: tuple[str, ...]) -> str:
    """SQL text of a CHECK that `column` holds one of `values` (constant enumerations only)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def review_check() -> CheckConstraint:
    """CHECK that a record's review status is a known one."""
    return CheckConstraint(in_check("status", REVIEW_STATUSES), name="status_known")


def date_checks(prefix: str, *, required: bool = False) -> tuple[CheckConstraint, ...]:
    """CHECK constraints for a date triple: `<prefix>`, `<prefix>_precision`, `<prefix>_inferred`.

    The precision must be a known one, present exactly when the date is, and the date text
    must have the length of that precision (1995 / 1995-01 / 1995-01-23).
    """
    precision = f"{prefix}_precision"
    lengths = " OR ".join(
        f"({precision} = '{name}' AND length({prefix}) = {length})"
        for name, length in PRECISION_LENGTHS.items()
    )
    checks = [
        CheckConstraint(in_check(precision, PRECISIONS), name=f"{prefix}_precision_known"),
        CheckConstraint(f"{prefix} IS NULL OR {lengths}", name=f"{prefix}_matches_precision"),
    ]
    if not required:
        checks.append(
            CheckConstraint(
                f"({prefix} IS NULL) = ({precision} IS NULL)", name=f"{prefix}_has_precision"
            )
        )
    return tuple(checks)


def span_check(start: str, end: str) -> CheckConstraint:
    """CHECK that a character span [start, end) is non-empty and starts at or after 0."""
    return CheckConstraint(f"{start} >= 0 AND {end} > {start}", name=f"{start}_before_{end}")


class Source(Base):
    """A document: a news article, or a reference carrying only a supporting sentence."""

    __tablename__ = "sources"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", SOURCE_KINDS), name="kind_known"),
        *date_checks("published"),
        CheckConstraint("retrieved IS NULL OR length(retrieved) = 10", name="retrieved_is_a_day"),
        # Each source's slug by id, in a few pages: ordering a party's figures by source looks
        # up thousands of slugs, and each row of the table, text and all, fills a page of its
        # own (migration 0005; SQLite is told to use it, see kb.tables.SOURCE_SLUGS).
        Index("ix_sources_id_slug", "id", "slug"),
        {"comment": "Documents the facts come from, with their full text."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    title: Mapped[str] = mapped_column(Text, comment="Headline or title of the document.")
    kind: Mapped[str] = mapped_column(
        String(20), comment="article (a news document) or reference (a supporting source)."
    )
    outlet: Mapped[str | None] = mapped_column(Text, comment="Publisher or outlet.")
    url: Mapped[str | None] = mapped_column(Text, comment="Where the document was published.")
    published: Mapped[str | None] = mapped_column(
        String(10), comment="Publication date, ISO-8601 at its precision."
    )
    published_precision: Mapped[str | None] = mapped_column(
        String(5), comment="Precision of published: year, month or day."
    )
    published_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when the date was inferred, not printed."
    )
    author: Mapped[str | None] = mapped_column(Text, comment="Author, when stated.")
    language: Mapped[str | None] = mapped_column(String(20), comment="BCP-47 language code.")
    path: Mapped[str | None] = mapped_column(
        Text, comment="Path of the text file under seeds/, when the text came from a file."
    )
    text: Mapped[str] = mapped_column(Text, comment="The full text that spans point into.")
    sha256: Mapped[str] = mapped_column(String(64), comment="SHA-256 of the UTF-8 bytes of text.")
    retrieved: Mapped[str | None] = mapped_column(
        String(10), comment="Day the document was retrieved, ISO-8601."
    )

    quotes: Mapped[list[Quote]] = relationship(back_populates="source")


class Party(Base):
    """A country or organization that figures are about and events involve."""

    __tablename__ = "parties"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", PARTY_KINDS), name="kind_known"),
        {"comment": "Countries and organizations."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    name: Mapped[str] = mapped_column(Text, comment="Name of the country or organization.")
    kind: Mapped[str] = mapped_column(String(20), comment="country or organization.")
    aliases: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Other names, as a JSON array of strings."
    )


class Metric(Base):
    """What a figure measures, shared by every source: figures that name the same metric (and
    subject) measure the same thing, whatever words their sources use."""

    __tablename__ = "metrics"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", FIGURE_KINDS), name="kind_known"),
        CheckConstraint(
            "kind <> 'amount' OR unit IS NULL OR (length(unit) = 3 AND unit = upper(unit))",
            name="amount_unit_is_a_currency",
        ),
        {"comment": "What figures measure, shared by every source (like Wikidata's properties)."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    name: Mapped[str] = mapped_column(
        Text, comment="What is measured, e.g. 'EU share of foreign trade'."
    )
    aliases: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Other wordings of the metric, as a JSON array of strings."
    )
    description: Mapped[str | None] = mapped_column(
        Text, comment="What exactly is measured, and of whom (the subject of its figures)."
    )
    kind: Mapped[str] = mapped_column(
        String(12), comment="Kind of its figures: amount, count, share, multiplier or change."
    )
    unit: Mapped[str | None] = mapped_column(
        Text,
        comment="Unit of its figures ('percent', 'times', the thing counted, a currency); "
        "NULL for amounts in any currency.",
    )


class Person(Base):
    """A person named in a source."""

    __tablename__ = "people"
    __table_args__ = (
        review_check(),
        {"comment": "People named in the sources."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    name: Mapped[str] = mapped_column(Text, comment="Full name as printed.")
    aliases: Mapped[list[str]] = mapped_column(
        JSON, default=list, comment="Other names (surname, spellings), as a JSON array."
    )

    roles: Mapped[list[Role]] = relationship(back_populates="person")
    quotes: Mapped[list[Quote]] = relationship(back_populates="speaker")


class Role(Base):
    """A role of a person as one source states it, e.g. 'EU Ambassador to Kazakhstan'."""

    __tablename__ = "roles"
    __table_args__ = (
        review_check(),
        UniqueConstraint("person_id", "source_id", "title"),
        span_check("evidence_start", "evidence_end"),
        {"comment": "Roles of people as stated in a source."},
    )

    id: Mapped[IntPk]
    status: Mapped[ReviewStatus]
    person_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True, comment="The person."
    )
    title: Mapped[str] = mapped_column(Text, comment="The role as stated.")
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"),
        index=True,
        comment="Organization or country the role is held in or for, if any.",
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"),
        index=True,
        comment="Source that states the role.",
    )
    evidence: Mapped[str] = mapped_column(Text, comment="Passage of the source stating the role.")
    evidence_start: Mapped[int] = mapped_column(Integer, comment="Start offset of evidence.")
    evidence_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive).")

    person: Mapped[Person] = relationship(back_populates="roles")


class Alias(Base):
    """Another name of a person or party as one source prints it (a spelling, a short form),
    recorded by that source's file rather than by the file that defines the person or party."""

    __tablename__ = "aliases"
    __table_args__ = (
        review_check(),
        CheckConstraint("(party_id IS NULL) <> (person_id IS NULL)", name="party_or_person"),
        UniqueConstraint("person_id", "party_id", "source_id", "name"),
        span_check("name_start", "name_end"),
        {"comment": "Names of people and parties as other sources print them."},
    )

    id: Mapped[IntPk]
    status: Mapped[ReviewStatus]
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="CASCADE"), index=True, comment="The person so named."
    )
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), index=True, comment="The party so named."
    )
    name: Mapped[str] = mapped_column(Text, comment="The name as the source prints it.")
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"),
        index=True,
        comment="Source that prints the name.",
    )
    name_start: Mapped[int] = mapped_column(Integer, comment="Start offset of name in the source.")
    name_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive).")


class Quote(Base):
    """Words a person said, verbatim as a source prints them."""

    __tablename__ = "quotes"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", QUOTE_KINDS), name="kind_known"),
        span_check("text_start", "text_end"),
        *date_checks("said_on"),
        {"comment": "Verbatim quotes with speaker, source and span."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    text: Mapped[str] = mapped_column(Text, comment="The quoted words, verbatim from the source.")
    speaker_id: Mapped[int] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), index=True, comment="Who said it."
    )
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True, comment="Where it is printed."
    )
    kind: Mapped[str] = mapped_column(
        String(10), comment="direct (a whole quotation) or partial (a fragment in a sentence)."
    )
    text_start: Mapped[int] = mapped_column(Integer, comment="Start offset of text in the source.")
    text_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive) in the source.")
    said_on: Mapped[str | None] = mapped_column(
        String(10), comment="When it was said, if known (not the publication date)."
    )
    said_on_precision: Mapped[str | None] = mapped_column(
        String(5), comment="Precision of said_on: year, month or day."
    )
    said_on_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when said_on was inferred, not printed."
    )

    speaker: Mapped[Person] = relationship(back_populates="quotes")
    source: Mapped[Source] = relationship(back_populates="quotes")


class Figure(Base):
    """A number a source states: its surface text, parsed value, unit and what it measures."""

    __tablename__ = "figures"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", FIGURE_KINDS), name="kind_known"),
        CheckConstraint(in_check("qualifier", QUALIFIERS), name="qualifier_known"),
        CheckConstraint(
            "kind <> 'amount' OR unit = 'unknown' OR (length(unit) = 3 AND unit = upper(unit))",
            name="amount_unit_is_a_currency",
        ),
        span_check("evidence_start", "evidence_end"),
        span_check("surface_start", "surface_end"),
        CheckConstraint(
            "surface_start >= evidence_start AND surface_end <= evidence_end",
            name="surface_inside_evidence",
        ),
        *date_checks("period_start"),
        *date_checks("period_end"),
        *date_checks("as_of"),
        CheckConstraint(
            "as_of IS NULL OR (period_start IS NULL AND period_end IS NULL)",
            name="as_of_or_period",
        ),
        # A subject's figures with every column that `kb figures --subject` sorts by (but the
        # source's slug) and the conflict check compares: both read this index alone, not the
        # scattered table rows (migrations 0005, 0006). Led by what a figure measures, so that
        # a figure's group, and a subject's figures of one metric, are each a range (0010).
        Index(
            "ix_figures_by_subject",
            "subject_id",
            "metric_id",
            "kind",
            "unit",
            "source_id",
            "surface_start",
            "id",
            "qualifier",
            "value",
            "period_start",
            "period_end",
            "as_of",
            "slug",
        ),
        {"comment": "Numbers stated in a source, parsed, with subject, metric and span."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True, comment="Source stating it."
    )
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="RESTRICT"),
        index=True,
        comment="The quote that states it; NULL when the narration does.",
    )
    # Indexed by ix_figures_by_subject (its first column), not on its own.
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"), comment="Party the figure is about."
    )
    metric_id: Mapped[int] = mapped_column(
        ForeignKey("metrics.id", ondelete="RESTRICT"), index=True, comment="What is measured."
    )
    kind: Mapped[str] = mapped_column(
        String(12), comment="amount, count, share, multiplier or change."
    )
    surface: Mapped[str] = mapped_column(
        Text, comment="The number as printed, e.g. 'US$160 billion'."
    )
    value: Mapped[float] = mapped_column(Float, comment="Parsed value, scale applied (1.6e11).")
    unit: Mapped[str] = mapped_column(
        Text,
        comment="ISO 4217 code of an amount ('unknown' if the text gives none), 'percent', "
        "'times', or the thing counted.",
    )
    qualifier: Mapped[str] = mapped_column(
        String(10), comment="exact, about, almost, more_than, at_least, less_than or at_most."
    )
    base: Mapped[str | None] = mapped_column(
        Text, comment="What a share is a share of, e.g. 'Kazakhstan's foreign trade'."
    )
    period_start: Mapped[str | None] = mapped_column(
        String(10), comment="Start of the period the figure covers, ISO-8601."
    )
    period_start_precision: Mapped[str | None] = mapped_column(
        String(5), comment="Precision of period_start."
    )
    period_start_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when period_start was inferred."
    )
    period_end: Mapped[str | None] = mapped_column(
        String(10), comment="End of the period the figure covers, ISO-8601."
    )
    period_end_precision: Mapped[str | None] = mapped_column(
        String(5), comment="Precision of period_end."
    )
    period_end_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when period_end was inferred."
    )
    as_of: Mapped[str | None] = mapped_column(
        String(10),
        comment="The date the value holds at (a level such as a share 'to date'), ISO-8601; "
        "NULL when the figure covers a period.",
    )
    as_of_precision: Mapped[str | None] = mapped_column(String(5), comment="Precision of as_of.")
    as_of_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when as_of was inferred."
    )
    evidence: Mapped[str] = mapped_column(Text, comment="Passage of the source stating it.")
    evidence_start: Mapped[int] = mapped_column(Integer, comment="Start offset of evidence.")
    evidence_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive).")
    surface_start: Mapped[int] = mapped_column(Integer, comment="Start offset of surface.")
    surface_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive).")


class Event(Base):
    """A happening a source reports or implies, dated at the precision the text supports."""

    __tablename__ = "events"
    __table_args__ = (
        review_check(),
        CheckConstraint(in_check("kind", EVENT_KINDS), name="kind_known"),
        CheckConstraint(in_check("occurrence", EVENT_OCCURRENCES), name="occurrence_known"),
        *date_checks("date"),
        span_check("evidence_start", "evidence_end"),
        # Events of a kind in a window of dates: the records of one happening `kb draft` links
        # a new article's event to (migration 0006).
        Index("ix_events_kind_date", "kind", "date"),
        # Events in the order kb events lists them: a page is the index's first entries in
        # range, on PostgreSQL too (migration 0010).
        Index("ix_events_date", "date", "id"),
        {"comment": "Happenings reported by a source, with date, precision and participants."},
    )

    id: Mapped[IntPk]
    slug: Mapped[Slug]
    status: Mapped[ReviewStatus]
    name: Mapped[str] = mapped_column(Text, comment="Short description of what happened.")
    kind: Mapped[str] = mapped_column(String(20), comment="Kind of event.")
    occurrence: Mapped[str] = mapped_column(String(10), comment="happened, ongoing or planned.")
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True, comment="Source reporting it."
    )
    same_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"),
        index=True,
        comment="Another source's record of the same happening, if any.",
    )
    date: Mapped[str | None] = mapped_column(
        String(10), comment="When it happened, ISO-8601 at its precision."
    )
    date_precision: Mapped[str | None] = mapped_column(
        String(5), comment="Precision of date: year, month or day."
    )
    date_inferred: Mapped[bool] = mapped_column(
        Boolean, server_default=false(), comment="True when the date was inferred, not printed."
    )
    evidence: Mapped[str] = mapped_column(Text, comment="Passage of the source reporting it.")
    evidence_start: Mapped[int] = mapped_column(Integer, comment="Start offset of evidence.")
    evidence_end: Mapped[int] = mapped_column(Integer, comment="End offset (exclusive).")

    participants: Mapped[list[EventParticipant]] = relationship(back_populates="event")


class EventParticipant(Base):
    """A party or a person taking part in an event, as the event's source states it or, with a
    source of its own, as another source does."""

    __tablename__ = "event_participants"
    __table_args__ = (
        review_check(),
        CheckConstraint("(party_id IS NULL) <> (person_id IS NULL)", name="party_or_person"),
        CheckConstraint(
            "(source_id IS NULL) = (evidence IS NULL) AND (evidence IS NULL) = "
            "(evidence_start IS NULL) AND (evidence IS NULL) = (evidence_end IS NULL)",
            name="source_with_evidence",
        ),
        span_check("evidence_start", "evidence_end"),
        UniqueConstraint("event_id", "party_id", "person_id", "source_id"),
        {"comment": "Who takes part in each event: a party or a person."},
    )

    id: Mapped[IntPk]
    status: Mapped[ReviewStatus]
    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), index=True, comment="The event."
    )
    party_id: Mapped[int | None] = mapped_column(
        ForeignKey("parties.id", ondelete="RESTRICT"), index=True, comment="A party taking part."
    )
    person_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", ondelete="RESTRICT"), index=True, comment="A person taking part."
    )
    role: Mapped[str | None] = mapped_column(Text, comment="Their part in it, e.g. 'signatory'.")
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"),
        index=True,
        comment="Source stating the participation, when not the event's own; NULL: the event's.",
    )
    evidence: Mapped[str | None] = mapped_column(
        Text, comment="Passage of that source stating it (NULL with source_id)."
    )
    evidence_start: Mapped[int | None] = mapped_column(Integer, comment="Start offset of evidence.")
    evidence_end: Mapped[int | None] = mapped_column(Integer, comment="End offset (exclusive).")

    event: Mapped[Event] = relationship(back_populates="participants")
