"""Metrics as shared records; figures as of a date; roles, participants and aliases any file adds.

- `metrics`: what a figure measures (slug, name, aliases, description, kind, unit), shared by
  every source like a party. `figures.metric` (free text) becomes `figures.metric_id`. Existing
  figures keep what they measured: each distinct metric text (compared as the conflict check
  compared it, ignoring case and runs of whitespace) and kind becomes one metric, named by the
  first text seen, with a slug made from it; its unit is its figures' common unit, if they
  share one (and it is not 'unknown').
- `figures.as_of` (+ precision, inferred): the date a level holds at ("to date", "at the end of
  2022"), apart from a period the figure covers. A figure that had only `period_end` was
  documented as an as-of figure: its period_end moves into as_of.
- `roles.status`, and `event_participants` gain a status and, for a participation another
  source states, that source and the evidence passage.
- `aliases`: another name of a person or party as a source prints it, added by that source's
  file.
- Full-text search: figures index their surface and evidence (their metric is a record now);
  metrics are searchable by name and aliases.
- `ix_events_kind_date`: a kind's events in a window of dates, which `kb draft` looks up to
  link a new article's event to another source's record of the same happening.
- `_kb_names`, internal: the look-up keys of every name of a person or party (kb.names), so
  that `kb draft` finds the people and parties an article names by an indexed query; every
  load keeps it current.
- The loader's bookkeeping is cleared (`_kb_files`, `_kb_records`), so the next load rereads
  every file (and fills `_kb_names`): a data file written before this revision names metrics by text, which the loader
  now reports, with the slugs this migration made as suggestions.

Downgrade keeps figures' metrics as text and as-of dates as period ends; it drops the aliases,
the metric records, and the participations stated by other sources (the old schema has no
place for them).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 18:00:00.000000
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUS_CHECK = "status IN ('reviewed', 'draft')"
FIGURE_KINDS = "'amount', 'count', 'share', 'multiplier', 'change'"
PRECISIONS = "'year', 'month', 'day'"
# Views are dropped before the tables they read are rebuilt (SQLite cannot rename a table a
# view names) and made again afterwards; timeline reads events_view.
VIEWS = ("timeline", "events_view", "figures_view", "quotes_view")
OLD_BY_SUBJECT = [
    "subject_id", "source_id", "surface_start", "id", "kind", "unit", "metric", "qualifier",
    "value", "period_start", "period_end", "slug",
]  # fmt: skip
BY_SUBJECT = [
    "subject_id", "source_id", "surface_start", "id", "kind", "unit", "metric_id", "qualifier",
    "value", "period_start", "period_end", "as_of", "slug",
]  # fmt: skip
# Full-text index: the columns as of this revision (kb/search/index.py holds the current ones).
FIGURES_FTS = ("surface", "evidence")
OLD_FIGURES_FTS = ("surface", "evidence", "metric")
METRICS_FTS = ("name", "aliases")
PG_DOCUMENTS = {
    "figures": "surface || ' ' || evidence",
    "metrics": "name || ' ' || aliases::jsonb::text",
}
OLD_PG_FIGURES = "surface || ' ' || evidence || ' ' || metric"
# figures.period_end no longer doubles as the as-of date: (before, after) this revision.
PERIOD_END_COMMENTS = (
    "End of the period, or the as-of date, ISO-8601.",
    "End of the period the figure covers, ISO-8601.",
)

FIGURES_VIEW = """
CREATE VIEW figures_view AS
SELECT
    f.id,
    f.slug,
    subject.name AS subject_name,
    m.name AS metric,
    f.surface,
    f.value,
    f.unit,
    f.qualifier,
    f.kind,
    f.base,
    f.period_start,
    f.period_start_precision,
    f.period_start_inferred,
    f.period_end,
    f.period_end_precision,
    f.period_end_inferred,
    f.as_of,
    f.as_of_precision,
    f.as_of_inferred,
    speaker.name AS stated_by,
    q.slug AS quote_slug,
    s.title AS source_title,
    s.slug AS source_slug,
    subject.slug AS subject_slug,
    m.slug AS metric_slug,
    f.evidence,
    f.surface_start,
    f.surface_end,
    f.status
FROM figures AS f
JOIN sources AS s ON s.id = f.source_id
JOIN metrics AS m ON m.id = f.metric_id
LEFT JOIN parties AS subject ON subject.id = f.subject_id
LEFT JOIN quotes AS q ON q.id = f.quote_id
LEFT JOIN people AS speaker ON speaker.id = q.speaker_id
ORDER BY s.slug, f.surface_start, f.id
"""

# A participant another source states is labelled with that source: "Olzhas Bektenov (chair)
# [kazinform-2024-07-10]".
PARTICIPANT_LABEL = (
    "coalesce(party.name, person.name) || coalesce(' (' || ep.role || ')', '')",
    "coalesce(party.name, person.name) || coalesce(' (' || ep.role || ')', '') "
    "|| coalesce(' [' || stated.slug || ']', '')",
)
PARTICIPANT_JOIN = (
    "LEFT JOIN people AS person ON person.id = ep.person_id\n",
    "LEFT JOIN people AS person ON person.id = ep.person_id\n"
    "        LEFT JOIN sources AS stated ON stated.id = ep.source_id\n",
)


def upgrade() -> None:
    """Apply this revision."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")
    _drop_search(sqlite, "figures")
    _create_metrics()
    _fill_metrics()
    with op.batch_alter_table("figures", recreate="always" if sqlite else "auto") as batch:
        batch.drop_index("ix_figures_by_subject")
        batch.add_column(
            sa.Column("metric_id", sa.Integer(), nullable=True, comment="What is measured.")
        )
        for column in _date_columns("as_of"):
            batch.add_column(column)
    _figures_metric_ids()
    with op.batch_alter_table("figures", recreate="always" if sqlite else "auto") as batch:
        batch.alter_column("metric_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("metric")
        batch.create_foreign_key(
            op.f("fk_figures_metric_id_metrics"),
            "metrics",
            ["metric_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        for check, sql in _date_checks("as_of").items():
            batch.create_check_constraint(op.f(check), sql)
        batch.create_check_constraint(
            op.f("ck_figures_as_of_or_period"),
            "as_of IS NULL OR (period_start IS NULL AND period_end IS NULL)",
        )
        batch.create_index("ix_figures_metric_id", ["metric_id"])
        batch.create_index("ix_figures_by_subject", BY_SUBJECT)
    _period_end_comment(sqlite, *PERIOD_END_COMMENTS)
    _create_search(sqlite, "figures", FIGURES_FTS)
    _create_search(sqlite, "metrics", METRICS_FTS)
    _roles_status(sqlite)
    _participant_sources(sqlite)
    _create_aliases()
    _bookkeeping(sqlite)
    _create_names()
    op.create_index("ix_events_kind_date", "events", ["kind", "date"])
    _create_views(new=True)


def downgrade() -> None:
    """Revert this revision."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    for view in VIEWS:
        op.execute(f"DROP VIEW {view}")
    op.drop_index("ix_events_kind_date", table_name="events")
    op.drop_index("ix__kb_names_origin", table_name="_kb_names")
    op.drop_index("ix__kb_names_key", table_name="_kb_names")
    op.drop_table("_kb_names")
    op.drop_table("aliases")
    op.execute("DELETE FROM event_participants WHERE source_id IS NOT NULL")
    with op.batch_alter_table("event_participants", recreate="always" if sqlite else "auto") as b:
        b.drop_constraint(
            op.f("uq_event_participants_event_id_party_id_person_id_source_id"), "unique"
        )
        b.drop_constraint(op.f("ck_event_participants_source_with_evidence"), "check")
        b.drop_constraint(op.f("ck_event_participants_evidence_start_before_evidence_end"), "check")
        b.drop_constraint(op.f("ck_event_participants_status_known"), "check")
        b.drop_index("ix_event_participants_source_id")
        for name in ("source_id", "evidence", "evidence_start", "evidence_end", "status"):
            b.drop_column(name)
        b.create_unique_constraint(
            op.f("uq_event_participants_event_id_party_id_person_id"),
            ["event_id", "party_id", "person_id"],
        )
    with op.batch_alter_table("roles", recreate="always" if sqlite else "auto") as batch:
        batch.drop_constraint(op.f("ck_roles_status_known"), "check")
        batch.drop_column("status")
    _drop_search(sqlite, "metrics")
    _drop_search(sqlite, "figures")
    with op.batch_alter_table("figures", recreate="always" if sqlite else "auto") as batch:
        batch.drop_index("ix_figures_by_subject")
        batch.add_column(sa.Column("metric", sa.Text(), nullable=True))
    op.execute(
        "UPDATE figures SET metric = (SELECT name FROM metrics WHERE metrics.id = metric_id), "
        "period_end = coalesce(period_end, as_of), "
        "period_end_precision = coalesce(period_end_precision, as_of_precision), "
        "period_end_inferred = CASE WHEN as_of IS NULL THEN period_end_inferred "
        "ELSE as_of_inferred END, as_of = NULL, as_of_precision = NULL"
    )
    with op.batch_alter_table("figures", recreate="always" if sqlite else "auto") as batch:
        batch.alter_column(
            "metric",
            existing_type=sa.Text(),
            nullable=False,
            comment="What is measured, e.g. 'EU investment'.",
        )
        batch.drop_index("ix_figures_metric_id")
        batch.drop_constraint(op.f("fk_figures_metric_id_metrics"), "foreignkey")
        for check in (*_date_checks("as_of"), "ck_figures_as_of_or_period"):
            batch.drop_constraint(op.f(check), "check")
        for name in ("metric_id", "as_of", "as_of_precision", "as_of_inferred"):
            batch.drop_column(name)
        batch.create_index("ix_figures_by_subject", OLD_BY_SUBJECT)
    _period_end_comment(sqlite, *reversed(PERIOD_END_COMMENTS))
    _create_search(sqlite, "figures", OLD_FIGURES_FTS, OLD_PG_FIGURES)
    op.drop_table("metrics")
    _create_views(new=False)


# Metrics ---------------------------------------------------------------------------------


def _create_metrics() -> None:
    """The metrics table."""
    op.create_table(
        "metrics",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        sa.Column(
            "slug", sa.String(length=200), nullable=False, comment="Stable key that data files use."
        ),
        _status_column(),
        sa.Column(
            "name",
            sa.Text(),
            nullable=False,
            comment="What is measured, e.g. 'EU share of foreign trade'.",
        ),
        sa.Column(
            "aliases",
            sa.JSON(),
            nullable=False,
            comment="Other wordings of the metric, as a JSON array of strings.",
        ),
        sa.Column(
            "description",
            sa.Text(),
            nullable=True,
            comment="What exactly is measured, and of whom (the subject of its figures).",
        ),
        sa.Column(
            "kind",
            sa.String(length=12),
            nullable=False,
            comment="Kind of its figures: amount, count, share, multiplier or change.",
        ),
        sa.Column(
            "unit",
            sa.Text(),
            nullable=True,
            comment="Unit of its figures ('percent', 'times', the thing counted, a currency); "
            "NULL for amounts in any currency.",
        ),
        sa.CheckConstraint(
            "kind <> 'amount' OR unit IS NULL OR (length(unit) = 3 AND unit = upper(unit))",
            name="ck_metrics_amount_unit_is_a_currency",
        ),
        sa.CheckConstraint(f"kind IN ({FIGURE_KINDS})", name="ck_metrics_kind_known"),
        sa.CheckConstraint(STATUS_CHECK, name="ck_metrics_status_known"),
        sa.PrimaryKeyConstraint("id", name="pk_metrics"),
        sa.UniqueConstraint("slug", name="uq_metrics_slug"),
        comment="What figures measure, shared by every source (like Wikidata's properties).",
    )


def _fill_metrics() -> None:
    """One metric per distinct metric text (whitespace and case folded) and kind of figures."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT metric, kind, unit FROM figures ORDER BY id")).all()
    found: dict[tuple[str, str], dict[str, object]] = {}
    for metric, kind, unit in rows:
        key = (" ".join(metric.split()).casefold(), kind)
        entry = found.setdefault(key, {"name": metric, "kind": kind, "units": set()})
        entry["units"].add(unit)  # type: ignore[attr-defined]
    taken: set[str] = set()
    metrics = sa.table(
        "metrics",
        sa.column("slug"),
        sa.column("name"),
        sa.column("aliases"),
        sa.column("kind"),
        sa.column("unit"),
    )
    values = []
    for (_, kind), entry in found.items():
        slug = _unique(_slugify(str(entry["name"])) or "metric", taken)
        units = entry["units"]
        unit = next(iter(units)) if len(units) == 1 else None  # type: ignore[arg-type]
        values.append(
            {
                "slug": slug,
                "name": entry["name"],
                "aliases": "[]",
                "kind": kind,
                "unit": None if unit == "unknown" else unit,
            }
        )
    if values:
        op.bulk_insert(metrics, values)


def _figures_metric_ids() -> None:
    """Point each figure at its metric; move as-of dates out of period_end."""
    connection = op.get_bind()
    metrics = connection.execute(sa.text("SELECT id, name, kind FROM metrics")).all()
    ids = {(" ".join(name.split()).casefold(), kind): id_ for id_, name, kind in metrics}
    figures = connection.execute(sa.text("SELECT id, metric, kind FROM figures")).all()
    updates = [
        {"id": id_, "metric_id": ids[(" ".join(metric.split()).casefold(), kind)]}
        for id_, metric, kind in figures
    ]
    if updates:
        connection.execute(
            sa.text("UPDATE figures SET metric_id = :metric_id WHERE id = :id"), updates
        )
    op.execute(
        "UPDATE figures SET as_of = period_end, as_of_precision = period_end_precision, "
        "as_of_inferred = period_end_inferred, period_end = NULL, period_end_precision = NULL, "
        "period_end_inferred = false WHERE period_start IS NULL AND period_end IS NOT NULL"
    )


def _slugify(text: str) -> str:
    """A slug from a metric's text: ASCII letters and digits joined by single hyphens."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))[:190].strip("-")


def _unique(slug: str, taken: set[str]) -> str:
    """`slug`, or `slug-2`, `slug-3` … when already taken."""
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    taken.add(candidate)
    return candidate


# Figures ---------------------------------------------------------------------------------


def _period_end_comment(sqlite: bool, before: str, after: str) -> None:
    """Change the column comment of figures.period_end (SQLite keeps no comments)."""
    if not sqlite:
        op.alter_column(
            "figures",
            "period_end",
            existing_type=sa.String(10),
            existing_nullable=True,
            comment=after,
            existing_comment=before,
        )


def _date_columns(prefix: str) -> list[sa.Column[object]]:
    """A date triple of a figure: the date, its precision, whether it was inferred."""
    return [
        sa.Column(
            prefix,
            sa.String(length=10),
            nullable=True,
            comment="The date the value holds at (a level such as a share 'to date'), "
            "ISO-8601; NULL when the figure covers a period.",
        ),
        sa.Column(
            f"{prefix}_precision",
            sa.String(length=5),
            nullable=True,
            comment=f"Precision of {prefix}.",
        ),
        sa.Column(
            f"{prefix}_inferred",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
            comment=f"True when {prefix} was inferred.",
        ),
    ]


def _date_checks(prefix: str) -> dict[str, str]:
    """The CHECK constraints of a date triple (as kb.models.date_checks writes them)."""
    precision = f"{prefix}_precision"
    lengths = (
        f"({precision} = 'year' AND length({prefix}) = 4) OR "
        f"({precision} = 'month' AND length({prefix}) = 7) OR "
        f"({precision} = 'day' AND length({prefix}) = 10)"
    )
    return {
        f"ck_figures_{prefix}_precision_known": f"{precision} IN ({PRECISIONS})",
        f"ck_figures_{prefix}_matches_precision": f"{prefix} IS NULL OR {lengths}",
        f"ck_figures_{prefix}_has_precision": f"({prefix} IS NULL) = ({precision} IS NULL)",
    }


# Roles, participants, aliases ----------------------------------------------------------------


def _status_column() -> sa.Column[str]:
    """The review status every record has."""
    return sa.Column(
        "status",
        sa.String(length=10),
        server_default=sa.text("'reviewed'"),
        nullable=False,
        comment="reviewed, or draft (written by `kb draft`, not yet reviewed by a curator).",
    )


def _roles_status(sqlite: bool) -> None:
    """roles.status (a role drafted by `kb draft` is a draft too)."""
    with op.batch_alter_table("roles", recreate="always" if sqlite else "auto") as batch:
        batch.add_column(_status_column())
        batch.create_check_constraint(op.f("ck_roles_status_known"), STATUS_CHECK)


def _participant_sources(sqlite: bool) -> None:
    """event_participants: status, and the source and evidence of another source's statement."""
    mode = "always" if sqlite else "auto"
    with op.batch_alter_table("event_participants", recreate=mode) as batch:
        batch.add_column(_status_column())
        batch.add_column(
            sa.Column(
                "source_id",
                sa.Integer(),
                nullable=True,
                comment="Source stating the participation, when not the event's own; NULL: "
                "the event's.",
            )
        )
        batch.add_column(
            sa.Column(
                "evidence",
                sa.Text(),
                nullable=True,
                comment="Passage of that source stating it (NULL with source_id).",
            )
        )
        batch.add_column(
            sa.Column(
                "evidence_start", sa.Integer(), nullable=True, comment="Start offset of evidence."
            )
        )
        batch.add_column(
            sa.Column(
                "evidence_end", sa.Integer(), nullable=True, comment="End offset (exclusive)."
            )
        )
        batch.create_foreign_key(
            op.f("fk_event_participants_source_id_sources"),
            "sources",
            ["source_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index("ix_event_participants_source_id", ["source_id"])
        batch.create_check_constraint(op.f("ck_event_participants_status_known"), STATUS_CHECK)
        batch.create_check_constraint(
            op.f("ck_event_participants_source_with_evidence"),
            "(source_id IS NULL) = (evidence IS NULL) AND (evidence IS NULL) = "
            "(evidence_start IS NULL) AND (evidence IS NULL) = (evidence_end IS NULL)",
        )
        batch.create_check_constraint(
            op.f("ck_event_participants_evidence_start_before_evidence_end"),
            "evidence_start >= 0 AND evidence_end > evidence_start",
        )
        batch.drop_constraint(op.f("uq_event_participants_event_id_party_id_person_id"), "unique")
        batch.create_unique_constraint(
            op.f("uq_event_participants_event_id_party_id_person_id_source_id"),
            ["event_id", "party_id", "person_id", "source_id"],
        )


def _create_aliases() -> None:
    """The aliases table."""
    op.create_table(
        "aliases",
        sa.Column("id", sa.Integer(), nullable=False, comment="Integer key for joins."),
        _status_column(),
        sa.Column("person_id", sa.Integer(), nullable=True, comment="The person so named."),
        sa.Column("party_id", sa.Integer(), nullable=True, comment="The party so named."),
        sa.Column("name", sa.Text(), nullable=False, comment="The name as the source prints it."),
        sa.Column(
            "source_id", sa.Integer(), nullable=False, comment="Source that prints the name."
        ),
        sa.Column(
            "name_start",
            sa.Integer(),
            nullable=False,
            comment="Start offset of name in the source.",
        ),
        sa.Column("name_end", sa.Integer(), nullable=False, comment="End offset (exclusive)."),
        sa.CheckConstraint(
            "(party_id IS NULL) <> (person_id IS NULL)", name="ck_aliases_party_or_person"
        ),
        sa.CheckConstraint(
            "name_start >= 0 AND name_end > name_start",
            name="ck_aliases_name_start_before_name_end",
        ),
        sa.CheckConstraint(STATUS_CHECK, name="ck_aliases_status_known"),
        sa.ForeignKeyConstraint(
            ["party_id"], ["parties.id"], name="fk_aliases_party_id_parties", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name="fk_aliases_person_id_people", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name="fk_aliases_source_id_sources", ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_aliases"),
        sa.UniqueConstraint(
            "person_id",
            "party_id",
            "source_id",
            "name",
            name="uq_aliases_person_id_party_id_source_id_name",
        ),
        comment="Names of people and parties as other sources print them.",
    )
    for column in ("person_id", "party_id", "source_id"):
        op.create_index(f"ix_aliases_{column}", "aliases", [column])


def _bookkeeping(sqlite: bool) -> None:
    """Forget the files loaded (the next load rereads them all); keys of records defined
    without a slug (a role, an alias, a participant another file adds) may be long."""
    op.execute("DELETE FROM _kb_records")
    op.execute("DELETE FROM _kb_files")
    if not sqlite:  # SQLite does not enforce a VARCHAR's length
        op.alter_column("_kb_records", "slug", type_=sa.Text(), existing_type=sa.String(200))


def _create_names() -> None:
    """_kb_names: the look-up keys of the names of people and parties."""
    op.create_table(
        "_kb_names",
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(32), nullable=False),
        sa.Column("origin_key", sa.Text(), nullable=False),
    )
    op.create_index("ix__kb_names_key", "_kb_names", ["key", "kind"])
    op.create_index("ix__kb_names_origin", "_kb_names", ["origin", "origin_key"])


# Search and views ---------------------------------------------------------------------------


def _revision_module(name: str) -> ModuleType:
    """The module of an earlier revision, for the SQL it keeps (views, FTS5 tables)."""
    script = op.get_context().script
    assert script is not None
    found = script.get_revision(name)
    assert found is not None
    return found.module


def _drop_search(sqlite: bool, table: str) -> None:
    """Drop a table's FTS5 table and triggers (SQLite) or GIN index (PostgreSQL)."""
    if sqlite:
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER {table}_{suffix}")
        op.execute(f"DROP TABLE {table}_fts")
    else:
        op.execute(f"DROP INDEX ix_{table}_fts")


def _create_search(
    sqlite: bool, table: str, columns: tuple[str, ...], pg_document: str | None = None
) -> None:
    """A table's full-text index, as migration 0002 makes one."""
    if sqlite:
        _revision_module("0002")._create_sqlite_fts(table, columns)
    else:
        document = pg_document or PG_DOCUMENTS[table]
        op.execute(
            f"CREATE INDEX ix_{table}_fts ON {table} USING gin (to_tsvector('simple', {document}))"
        )


def _create_views(*, new: bool) -> None:
    """The views of migration 0003, with this revision's figures_view and participant labels
    (new) or as they were (not new)."""
    views = _revision_module("0003")
    events_view = views.EVENTS_VIEW
    if new:
        label, join = PARTICIPANT_LABEL[1], PARTICIPANT_JOIN[1]
        events_view = events_view.replace(PARTICIPANT_LABEL[0], label).replace(
            PARTICIPANT_JOIN[0], join
        )
        assert label in events_view and join in events_view
    op.execute(views.QUOTES_VIEW)
    op.execute(FIGURES_VIEW if new else views.FIGURES_VIEW)
    op.execute(
        events_view.format(
            reporters=views._joined("source_slug", ", "),
            participants=views._joined("label", "; ", "id"),
        )
    )
    op.execute(views.TIMELINE)
