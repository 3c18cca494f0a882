"""Initial schema: sources, parties, people, roles, quotes, figures, events, participants.

Revision ID: 0001
Revises:
Create Date: 2026-11-28 04:02:53.873070
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""

    op.create_table(
        "parties",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column(
            "name", sa.Text(), nullable=False, comment="Name of the country or organization."
        ),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="country or organization."),
        sa.Column(
            "aliases", sa.JSON(), nullable=False, comment="Other names, as a JSON array of strings."
        ),
        sa.CheckConstraint(
            "kind IN ('country', 'organization')", name=op.f("ck_parties_kind_known")
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_parties_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parties")),
        sa.UniqueConstraint("slug", name=op.f("uq_parties_slug")),
        comment="Countries and organizations.",
    )
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="Full name as printed."),
        sa.Column(
            "aliases",
            sa.JSON(),
            nullable=False,
            comment="Other names (surname, spellings), as a JSON array.",
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_people_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
        sa.UniqueConstraint("slug", name=op.f("uq_people_slug")),
        comment="People named in the sources.",
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column("title", sa.Text(), nullable=False, comment="Headline or title of the document."),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="article (a news document) or reference (a supporting source).",
        ),
        sa.Column("outlet", sa.Text(), nullable=True, comment="Publisher or outlet."),
        sa.Column("url", sa.Text(), nullable=True, comment="Where the document was published."),
        sa.Column(
            "published",
            sa.String(length=10),
            nullable=True,
            comment="Publication date, ISO-8601 at its precision.",
        ),
        sa.Column(
            "published_precision",
            sa.String(length=5),
            nullable=True,
            comment="Precision of published: year, month or day.",
        ),
        sa.Column(
            "published_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="True when the date was inferred, not printed.",
        ),
        sa.Column("author", sa.Text(), nullable=True, comment="Author, when stated."),
        sa.Column("language", sa.String(length=20), nullable=True, comment="BCP-47 language code."),
        sa.Column(
            "path",
            sa.Text(),
            nullable=True,
            comment="Path of the text file under seeds/, when the text came from a file.",
        ),
        sa.Column(
            "text", sa.Text(), nullable=False, comment="The full text that spans point into."
        ),
        sa.Column(
            "sha256",
            sa.String(length=64),
            nullable=False,
            comment="SHA-256 of the UTF-8 bytes of text.",
        ),
        sa.Column(
            "retrieved",
            sa.String(length=10),
            nullable=True,
            comment="Day the document was retrieved, ISO-8601.",
        ),
        sa.CheckConstraint("kind IN ('article', 'reference')", name=op.f("ck_sources_kind_known")),
        sa.CheckConstraint(
            "published IS NULL OR (published_precision = 'year' AND length(published) = 4) OR (published_precision = 'month' AND length(published) = 7) OR (published_precision = 'day' AND length(published) = 10)",
            name=op.f("ck_sources_published_matches_precision"),
        ),
        sa.CheckConstraint(
            "published_precision IN ('year', 'month', 'day')",
            name=op.f("ck_sources_published_precision_known"),
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_sources_status_known")),
        sa.CheckConstraint(
            "(published IS NULL) = (published_precision IS NULL)",
            name=op.f("ck_sources_published_has_precision"),
        ),
        sa.CheckConstraint(
            "retrieved IS NULL OR length(retrieved) = 10",
            name=op.f("ck_sources_retrieved_is_a_day"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("slug", name=op.f("uq_sources_slug")),
        comment="Documents the facts come from, with their full text.",
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column("name", sa.Text(), nullable=False, comment="Short description of what happened."),
        sa.Column("kind", sa.String(length=20), nullable=False, comment="Kind of event."),
        sa.Column(
            "occurrence",
            sa.String(length=10),
            nullable=False,
            comment="happened, ongoing or planned.",
        ),
        sa.Column("source_id", sa.Integer(), nullable=False, comment="Source reporting it."),
        sa.Column(
            "same_as_id",
            sa.Integer(),
            nullable=True,
            comment="Another source's record of the same happening, if any.",
        ),
        sa.Column(
            "date",
            sa.String(length=10),
            nullable=True,
            comment="When it happened, ISO-8601 at its precision.",
        ),
        sa.Column(
            "date_precision",
            sa.String(length=5),
            nullable=True,
            comment="Precision of date: year, month or day.",
        ),
        sa.Column(
            "date_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="True when the date was inferred, not printed.",
        ),
        sa.Column(
            "evidence", sa.Text(), nullable=False, comment="Passage of the source reporting it."
        ),
        sa.Column(
            "evidence_start", sa.Integer(), nullable=False, comment="Start offset of evidence."
        ),
        sa.Column("evidence_end", sa.Integer(), nullable=False, comment="End offset (exclusive)."),
        sa.CheckConstraint(
            "date IS NULL OR (date_precision = 'year' AND length(date) = 4) OR (date_precision = 'month' AND length(date) = 7) OR (date_precision = 'day' AND length(date) = 10)",
            name=op.f("ck_events_date_matches_precision"),
        ),
        sa.CheckConstraint(
            "date_precision IN ('year', 'month', 'day')",
            name=op.f("ck_events_date_precision_known"),
        ),
        sa.CheckConstraint(
            "kind IN ('anniversary', 'establishment', 'signing', 'entry_into_force', 'meeting', 'visit', 'celebration', 'other')",
            name=op.f("ck_events_kind_known"),
        ),
        sa.CheckConstraint(
            "occurrence IN ('happened', 'ongoing', 'planned')",
            name=op.f("ck_events_occurrence_known"),
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_events_status_known")),
        sa.CheckConstraint(
            "(date IS NULL) = (date_precision IS NULL)", name=op.f("ck_events_date_has_precision")
        ),
        sa.CheckConstraint(
            "evidence_start >= 0 AND evidence_end > evidence_start",
            name=op.f("ck_events_evidence_start_before_evidence_end"),
        ),
        sa.ForeignKeyConstraint(
            ["same_as_id"],
            ["events.id"],
            name=op.f("fk_events_same_as_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_events_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
        comment="Happenings reported by a source, with date, precision and participants.",
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_date"), ["date"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_same_as_id"), ["same_as_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_source_id"), ["source_id"], unique=False)

    op.create_table(
        "quotes",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column(
            "text", sa.Text(), nullable=False, comment="The quoted words, verbatim from the source."
        ),
        sa.Column("speaker_id", sa.Integer(), nullable=False, comment="Who said it."),
        sa.Column("source_id", sa.Integer(), nullable=False, comment="Where it is printed."),
        sa.Column(
            "kind",
            sa.String(length=10),
            nullable=False,
            comment="direct (a whole quotation) or partial (a fragment in a sentence).",
        ),
        sa.Column(
            "text_start",
            sa.Integer(),
            nullable=False,
            comment="Start offset of text in the source.",
        ),
        sa.Column(
            "text_end",
            sa.Integer(),
            nullable=False,
            comment="End offset (exclusive) in the source.",
        ),
        sa.Column(
            "said_on",
            sa.String(length=10),
            nullable=True,
            comment="When it was said, if known (not the publication date).",
        ),
        sa.Column(
            "said_on_precision",
            sa.String(length=5),
            nullable=True,
            comment="Precision of said_on: year, month or day.",
        ),
        sa.Column(
            "said_on_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="True when said_on was inferred, not printed.",
        ),
        sa.CheckConstraint("kind IN ('direct', 'partial')", name=op.f("ck_quotes_kind_known")),
        sa.CheckConstraint(
            "said_on IS NULL OR (said_on_precision = 'year' AND length(said_on) = 4) OR (said_on_precision = 'month' AND length(said_on) = 7) OR (said_on_precision = 'day' AND length(said_on) = 10)",
            name=op.f("ck_quotes_said_on_matches_precision"),
        ),
        sa.CheckConstraint(
            "said_on_precision IN ('year', 'month', 'day')",
            name=op.f("ck_quotes_said_on_precision_known"),
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_quotes_status_known")),
        sa.CheckConstraint(
            "(said_on IS NULL) = (said_on_precision IS NULL)",
            name=op.f("ck_quotes_said_on_has_precision"),
        ),
        sa.CheckConstraint(
            "text_start >= 0 AND text_end > text_start",
            name=op.f("ck_quotes_text_start_before_text_end"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_quotes_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["speaker_id"],
            ["people.id"],
            name=op.f("fk_quotes_speaker_id_people"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotes")),
        sa.UniqueConstraint("slug", name=op.f("uq_quotes_slug")),
        comment="Verbatim quotes with speaker, source and span.",
    )
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_quotes_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_quotes_speaker_id"), ["speaker_id"], unique=False)

    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column("person_id", sa.Integer(), nullable=False, comment="The person."),
        sa.Column("title", sa.Text(), nullable=False, comment="The role as stated."),
        sa.Column(
            "party_id",
            sa.Integer(),
            nullable=True,
            comment="Organization or country the role is held in or for, if any.",
        ),
        sa.Column(
            "source_id", sa.Integer(), nullable=False, comment="Source that states the role."
        ),
        sa.Column(
            "evidence", sa.Text(), nullable=False, comment="Passage of the source stating the role."
        ),
        sa.Column(
            "evidence_start", sa.Integer(), nullable=False, comment="Start offset of evidence."
        ),
        sa.Column("evidence_end", sa.Integer(), nullable=False, comment="End offset (exclusive)."),
        sa.CheckConstraint(
            "evidence_start >= 0 AND evidence_end > evidence_start",
            name=op.f("ck_roles_evidence_start_before_evidence_end"),
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_roles_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_roles_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_roles_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint(
            "person_id", "source_id", "title", name=op.f("uq_roles_person_id_source_id_title")
        ),
        comment="Roles of people as stated in a source.",
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_roles_party_id"), ["party_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roles_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roles_source_id"), ["source_id"], unique=False)

    op.create_table(
        "event_participants",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column("event_id", sa.Integer(), nullable=False, comment="The event."),
        sa.Column("party_id", sa.Integer(), nullable=True, comment="A party taking part."),
        sa.Column("person_id", sa.Integer(), nullable=True, comment="A person taking part."),
        sa.Column("role", sa.Text(), nullable=True, comment="Their part in it, e.g. 'signatory'."),
        sa.CheckConstraint(
            "(party_id IS NULL) <> (person_id IS NULL)",
            name=op.f("ck_event_participants_party_or_person"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_participants_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["party_id"],
            ["parties.id"],
            name=op.f("fk_event_participants_party_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_event_participants_person_id_people"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_participants")),
        sa.UniqueConstraint(
            "event_id",
            "party_id",
            "person_id",
            name=op.f("uq_event_participants_event_id_party_id_person_id"),
        ),
        comment="Who takes part in each event: a party or a person.",
    )
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_participants_event_id"), ["event_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_participants_party_id"), ["party_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_event_participants_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "figures",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            server_default=sa.text("'reviewed'"),
            nullable=False,
            comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
        ),
        sa.Column("source_id", sa.Integer(), nullable=False, comment="Source stating it."),
        sa.Column(
            "quote_id",
            sa.Integer(),
            nullable=True,
            comment="The quote that states it; NULL when the narration does.",
        ),
        sa.Column("subject_id", sa.Integer(), nullable=True, comment="Party the figure is about."),
        sa.Column(
            "metric", sa.Text(), nullable=False, comment="What is measured, e.g. 'EU investment'."
        ),
        sa.Column(
            "kind",
            sa.String(length=12),
            nullable=False,
            comment="amount, count, share, multiplier or change.",
        ),
        sa.Column(
            "surface",
            sa.Text(),
            nullable=False,
            comment="The number as printed, e.g. 'US$160 billion'.",
        ),
        sa.Column(
            "value", sa.Float(), nullable=False, comment="Parsed value, scale applied (1.6e11)."
        ),
        sa.Column(
            "unit",
            sa.Text(),
            nullable=False,
            comment="ISO 4217 code of an amount ('unknown' if the text gives none), 'percent', 'times', or the thing counted.",
        ),
        sa.Column(
            "qualifier",
            sa.String(length=10),
            nullable=False,
            comment="exact, about, almost, more_than, at_least, less_than or at_most.",
        ),
        sa.Column(
            "base",
            sa.Text(),
            nullable=True,
            comment="What a share is a share of, e.g. 'Kazakhstan's foreign trade'.",
        ),
        sa.Column(
            "period_start",
            sa.String(length=10),
            nullable=True,
            comment="Start of the period the figure covers, ISO-8601.",
        ),
        sa.Column(
            "period_start_precision",
            sa.String(length=5),
            nullable=True,
            comment="Precision of period_start.",
        ),
        sa.Column(
            "period_start_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="True when period_start was inferred.",
        ),
        sa.Column(
            "period_end",
            sa.String(length=10),
            nullable=True,
            comment="End of the period, or the as-of date, ISO-8601.",
        ),
        sa.Column(
            "period_end_precision",
            sa.String(length=5),
            nullable=True,
            comment="Precision of period_end.",
        ),
        sa.Column(
            "period_end_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment="True when period_end was inferred.",
        ),
        sa.Column(
            "evidence", sa.Text(), nullable=False, comment="Passage of the source stating it."
        ),
        sa.Column(
            "evidence_start", sa.Integer(), nullable=False, comment="Start offset of evidence."
        ),
        sa.Column("evidence_end", sa.Integer(), nullable=False, comment="End offset (exclusive)."),
        sa.Column(
            "surface_start", sa.Integer(), nullable=False, comment="Start offset of surface."
        ),
        sa.Column("surface_end", sa.Integer(), nullable=False, comment="End offset (exclusive)."),
        sa.CheckConstraint(
            "kind <> 'amount' OR unit = 'unknown' OR (length(unit) = 3 AND unit = upper(unit))",
            name=op.f("ck_figures_amount_unit_is_a_currency"),
        ),
        sa.CheckConstraint(
            "kind IN ('amount', 'count', 'share', 'multiplier', 'change')",
            name=op.f("ck_figures_kind_known"),
        ),
        sa.CheckConstraint(
            "period_end IS NULL OR (period_end_precision = 'year' AND length(period_end) = 4) OR (period_end_precision = 'month' AND length(period_end) = 7) OR (period_end_precision = 'day' AND length(period_end) = 10)",
            name=op.f("ck_figures_period_end_matches_precision"),
        ),
        sa.CheckConstraint(
            "period_end_precision IN ('year', 'month', 'day')",
            name=op.f("ck_figures_period_end_precision_known"),
        ),
        sa.CheckConstraint(
            "period_start IS NULL OR (period_start_precision = 'year' AND length(period_start) = 4) OR (period_start_precision = 'month' AND length(period_start) = 7) OR (period_start_precision = 'day' AND length(period_start) = 10)",
            name=op.f("ck_figures_period_start_matches_precision"),
        ),
        sa.CheckConstraint(
            "period_start_precision IN ('year', 'month', 'day')",
            name=op.f("ck_figures_period_start_precision_known"),
        ),
        sa.CheckConstraint(
            "qualifier IN ('exact', 'about', 'almost', 'more_than', 'at_least', 'less_than', 'at_most')",
            name=op.f("ck_figures_qualifier_known"),
        ),
        sa.CheckConstraint("status IN ('reviewed', 'draft')", name=op.f("ck_figures_status_known")),
        sa.CheckConstraint(
            "(period_end IS NULL) = (period_end_precision IS NULL)",
            name=op.f("ck_figures_period_end_has_precision"),
        ),
        sa.CheckConstraint(
            "(period_start IS NULL) = (period_start_precision IS NULL)",
            name=op.f("ck_figures_period_start_has_precision"),
        ),
        sa.CheckConstraint(
            "evidence_start >= 0 AND evidence_end > evidence_start",
            name=op.f("ck_figures_evidence_start_before_evidence_end"),
        ),
        sa.CheckConstraint(
            "surface_start >= 0 AND surface_end > surface_start",
            name=op.f("ck_figures_surface_start_before_surface_end"),
        ),
        sa.CheckConstraint(
            "surface_start >= evidence_start AND surface_end <= evidence_end",
            name=op.f("ck_figures_surface_inside_evidence"),
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["quotes.id"],
            name=op.f("fk_figures_quote_id_quotes"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_figures_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["parties.id"],
            name=op.f("fk_figures_subject_id_parties"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures")),
        sa.UniqueConstraint("slug", name=op.f("uq_figures_slug")),
        comment="Numbers stated in a source, parsed, with subject, metric and span.",
    )
    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_figures_quote_id"), ["quote_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_figures_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_figures_subject_id"), ["subject_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""

    with op.batch_alter_table("figures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_figures_subject_id"))
        batch_op.drop_index(batch_op.f("ix_figures_source_id"))
        batch_op.drop_index(batch_op.f("ix_figures_quote_id"))

    op.drop_table("figures")
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_participants_person_id"))
        batch_op.drop_index(batch_op.f("ix_event_participants_party_id"))
        batch_op.drop_index(batch_op.f("ix_event_participants_event_id"))

    op.drop_table("event_participants")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roles_source_id"))
        batch_op.drop_index(batch_op.f("ix_roles_person_id"))
        batch_op.drop_index(batch_op.f("ix_roles_party_id"))

    op.drop_table("roles")
    with op.batch_alter_table("quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quotes_speaker_id"))
        batch_op.drop_index(batch_op.f("ix_quotes_source_id"))

    op.drop_table("quotes")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_events_source_id"))
        batch_op.drop_index(batch_op.f("ix_events_same_as_id"))
        batch_op.drop_index(batch_op.f("ix_events_date"))

    op.drop_table("events")
    op.drop_table("sources")
    op.drop_table("people")
    op.drop_table("parties")
