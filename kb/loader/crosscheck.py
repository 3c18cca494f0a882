"""Checks across records, set-based over the staging tables: unique slugs and references.

Each check is one query that returns only the rows at fault, with where they were read, so a
clean collection of a million records costs a few index joins. A reference resolves to a
record in the files or in the database, except with prune, where a record only the database
holds is about to be deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kb.loader.merge import match, row_label, skipped_owner
from kb.loader.problems import Problem, Problems, display_path
from kb.loader.raw import suggest
from kb.loader.spec import TABLE_OF_TYPE
from kb.loader.staging import line_of, stage_name
from kb.loader.tables import KEYED, PARENTS, SPANS, SPECS, real_key, staged_key

TYPE_OF_TABLE = {table: record_type for record_type, table in TABLE_OF_TYPE.items()}
# (table, field, referenced table): every reference a record can make, in the order the
# fields of a record are checked.
REFERENCES = (
    ("roles", "person", "people"),
    ("roles", "source", "sources"),
    ("roles", "party", "parties"),
    ("aliases", "person", "people"),
    ("aliases", "party", "parties"),
    ("aliases", "source", "sources"),
    ("quotes", "speaker", "people"),
    ("quotes", "source", "sources"),
    ("figures", "source", "sources"),
    ("figures", "subject", "parties"),
    ("figures", "metric", "metrics"),
    ("figures", "quote", "quotes"),
    ("events", "source", "sources"),
    ("events", "same_as", "events"),
    ("event_participants", "event", "events"),
    ("event_participants", "party", "parties"),
    ("event_participants", "person", "people"),
    ("event_participants", "source", "sources"),
)
SLUGGED = ("sources", "parties", "metrics", "people", "quotes", "figures", "events")
# Past this many slugs, "did you mean" looks only at slugs sharing the first characters.
_SUGGEST_ALL = 5_000


@dataclass(frozen=True)
class Place:
    """Where a staged row came from, for a problem about it."""

    file: str
    line: int
    label: str
    record_type: str
    lines: str | None

    def problem(self, path: str | None, message: str, hint: str | None = None) -> Problem:
        """A problem about this row's record (and field `path`)."""
        line = line_of(self.lines, path, self.line)
        return Problem(self.file, line, self.label, self.record_type, path, message, hint)


class CrossCheck:
    """The set-based checks of one load."""

    def __init__(
        self,
        connection: Connection,
        files: list[str],
        problems: Problems,
        *,
        prune: bool,
        skipped: bool,
        distinct: frozenset[str] = frozenset(),
    ) -> None:
        self.connection = connection
        self.distinct = distinct  # tables whose staged slugs are known to be distinct
        self.files = files
        self.problems = problems
        self.prune = prune
        self.skipped = skipped
        self.sizes: dict[str, int] = {}  # distinct slugs per table, files and database
        self.candidates: dict[tuple[str, str], list[str]] = {}  # (table, prefix) -> slugs

    def run(self) -> None:
        """Every check, in the order a reader would fix them."""
        for table in SLUGGED:
            self.duplicates(table)
            if self.skipped:
                self.defined_by_skipped_files(table)
        for table in KEYED:
            self.duplicate_keys(table)
            if self.skipped:
                self.keys_defined_by_skipped_files(table)
        for table, field, target in REFERENCES:
            self.references(table, field, target)
        self.same_source_same_as()
        self.figures_fit_metrics()
        if not self.prune and not self.problems:
            # Only over a consistent collection: a duplicate or a bad reference would make
            # these report consequences of the problem rather than problems of their own.
            self.kept_spans()
            self.kept_surfaces()
            self.kept_figures_fit_metrics()

    def _rows(self, sql: str, **params: Any) -> list[Any]:
        """The rows of a query."""
        return list(self.connection.execute(text(sql), params))

    def place(self, table: str, row: Any) -> Place:
        """Where a staged row (with _file, _line, _label, _lines, and for a row that may be
        written inside its parent's record, _path) came from."""
        nested = table in PARENTS and row._path is not None
        record_table = PARENTS[table][0] if nested else table
        return Place(
            self.files[row._file],
            row._line,
            row._label,
            TYPE_OF_TABLE[record_table],
            row._lines,
        )

    def duplicates(self, table: str) -> None:
        """A slug defined twice in the files: name both places."""
        if table in self.distinct:
            return
        stage = stage_name(table)
        # Repeated slugs first, from the slug index alone: a lookup per staged row would cost
        # far more when (as almost always) there are none.
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s.slug, f._file AS first_file, "
            f"f._line AS first_line FROM (SELECT slug, min(_seq) AS first FROM {stage} "
            f"WHERE slug IS NOT NULL GROUP BY slug HAVING count(*) > 1) d "
            f"JOIN {stage} s ON s.slug = d.slug AND s._seq > d.first "
            f"JOIN {stage} f ON f._seq = d.first ORDER BY s._seq"
        )
        for row in rows:
            self.problems.add(
                self.place(table, row).problem(
                    "slug",
                    f"duplicate slug: {TYPE_OF_TABLE[table]} '{row.slug}' is also defined at "
                    f"{self.files[row.first_file]}:{row.first_line}",
                    "give one of them another slug, or remove one",
                )
            )

    def defined_by_skipped_files(self, table: str) -> None:
        """A slug a changed file defines that an unchanged (skipped) file defines too."""
        # CROSS JOIN: SQLite, which has no statistics for the staging table, would otherwise
        # walk every record of the table in _kb_records (0.05 s at a million facts, for a
        # reload that stages nothing); each staged row looked up by key costs next to nothing.
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s.slug, f.path, k.line AS first_line "
            f"FROM {stage_name(table)} s CROSS JOIN _kb_records k "
            "JOIN _kb_files f ON f.id = k.file_id JOIN kb_skipped_files x ON x.file_id = k.file_id "
            "WHERE k.tablename = :table AND k.slug = s.slug ORDER BY s._seq",
            table=table,
        )
        for row in rows:
            self.problems.add(
                self.place(table, row).problem(
                    "slug",
                    f"duplicate slug: {TYPE_OF_TABLE[table]} '{row.slug}' is also defined at "
                    f"{display_path(Path(row.path))}:{row.first_line}",
                    "give one of them another slug, or remove one",
                )
            )

    def duplicate_keys(self, table: str) -> None:
        """A row without a slug (a role, an alias, a participant) stated twice, where one of
        them is a record of its own (repeats inside one record are reported with it)."""
        stage = stage_name(table)
        same = " AND ".join(f"o.{field} IS t.{field}" for field in SPECS[table].key)
        if self.connection.dialect.name == "postgresql":
            same = same.replace(" IS ", " IS NOT DISTINCT FROM ")
        rows = self._rows(
            f"SELECT t._file, t._line, t._label, t._lines, t._path, o._file AS first_file, "
            f"o._line AS first_line, o._lines AS first_lines, o._path AS first_path "
            f"FROM {stage} t JOIN {stage} o ON {same} "
            f"AND o._seq <> t._seq WHERE t._path IS NULL "
            f"AND (o._path IS NOT NULL OR o._seq < t._seq) ORDER BY t._seq"
        )
        for row in rows:
            self.problems.add(
                self.place(table, row).problem(
                    None,
                    f"repeats the {_ROW_NAMES[table]} stated at {self.files[row.first_file]}:"
                    f"{line_of(row.first_lines, row.first_path, row.first_line)}",
                    "state it once: remove one of them",
                )
            )

    def keys_defined_by_skipped_files(self, table: str) -> None:
        """A row without a slug that a changed file states and an unchanged (skipped) file
        already defines."""
        postgresql = self.connection.dialect.name == "postgresql"
        owners = skipped_owner(table)
        # PostgreSQL would test `f.id IN (…)` against every file for every row (seconds at
        # 10,000 files); as an array, the owners are found once per row and looked up by key.
        owned = f"f.id = ANY(ARRAY({owners}))" if postgresql else f"f.id IN ({owners})"
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s._path, f.path FROM "
            f"{stage_name(table)} s JOIN {table} r ON r.id = ({match(table, postgresql)}) "
            f"JOIN _kb_files f ON {owned} ORDER BY s._seq"
        )
        for row in rows:
            self.problems.add(
                self.place(table, row).problem(
                    None,
                    f"repeats the {_ROW_NAMES[table]} stated in {display_path(Path(row.path))}",
                    "state it once: remove one of them",
                )
            )

    def references(self, table: str, field: str, target: str) -> None:
        """References to records that neither the files nor the database hold."""
        stage, target_stage = stage_name(table), stage_name(target)
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s._path, s.{field} AS ref, "
            f"EXISTS (SELECT 1 FROM {target} t WHERE t.slug = s.{field}) AS in_database "
            f"FROM {stage} s WHERE s.{field} IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {target_stage} t WHERE t.slug = s.{field}) "
            + (
                ""
                if self.prune
                else f"AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.slug = s.{field}) "
            )
            + "ORDER BY s._seq"
        )
        record_type = TYPE_OF_TABLE[target]
        for row in rows:
            path = f"{row._path}.{field}" if row._path is not None else field
            place = self.place(table, row)
            if row.in_database:
                self.problems.add(
                    place.problem(
                        path,
                        f"{record_type} '{row.ref}' is only in the database, "
                        "and pruning deletes it",
                        "load the file that defines it too, or do not prune",
                    )
                )
                continue
            # Metrics are named in words that several slugs may share: show a few.
            most = 3 if target == "metrics" else 1
            hint = suggest(row.ref, self._known(target, row.ref), most)
            self.problems.add(
                place.problem(path, f"no {record_type} has the slug '{row.ref}'", hint)
            )

    def _known(self, table: str, near: str) -> list[str]:
        """Slugs of `table` (files and database) a misspelling of `near` may be.

        Fetched once per table (or, for a large one, per two-letter prefix): a collection with
        many bad references asks for the same candidates again and again.
        """
        stage = stage_name(table)
        union = f"SELECT slug FROM {stage} WHERE slug IS NOT NULL UNION SELECT slug FROM {table}"
        if table not in self.sizes:
            self.sizes[table] = self._rows(f"SELECT count(*) FROM ({union}) u")[0][0]
        prefix = near[:2] if self.sizes[table] > _SUGGEST_ALL else ""
        if (table, prefix) not in self.candidates:
            if prefix:
                bounded = (
                    f"SELECT slug FROM {stage} WHERE slug >= :low AND slug < :high UNION "
                    f"SELECT slug FROM {table} WHERE slug >= :low AND slug < :high "
                    f"LIMIT {_SUGGEST_ALL}"
                )
                rows = self._rows(bounded, low=prefix, high=prefix + "\uffff")
            else:
                rows = self._rows(union)
            self.candidates[table, prefix] = [row[0] for row in rows]
        return self.candidates[table, prefix]

    def same_source_same_as(self) -> None:
        """same_as links records of one happening in different sources."""
        stage = stage_name("events")
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s.same_as, s.source FROM {stage} s "
            f"WHERE s.same_as IS NOT NULL AND s.same_as <> s.slug AND s.source = COALESCE("
            f"(SELECT o.source FROM {stage} o WHERE o.slug = s.same_as ORDER BY o._seq LIMIT 1), "
            f"(SELECT src.slug FROM events e JOIN sources src ON src.id = e.source_id "
            f"WHERE e.slug = s.same_as)) ORDER BY s._seq"
        )
        for row in rows:
            self.problems.add(
                self.place("events", row).problem(
                    "same_as",
                    f"event '{row.same_as}' is from the same source '{row.source}'",
                    "same_as links records of one happening in different sources",
                )
            )

    def figures_fit_metrics(self) -> None:
        """A figure's kind is its metric's, and so is its unit when the metric names one."""
        rows = self._rows(
            f"SELECT s._file, s._line, s._label, s._lines, s.metric, s.kind, s.unit, "
            f"m.kind AS metric_kind, m.unit AS metric_unit FROM {stage_name('figures')} s "
            f"JOIN ({self._metrics()}) m ON m.slug = s.metric "
            f"WHERE s.kind <> m.kind OR (m.unit IS NOT NULL AND s.unit <> m.unit) ORDER BY s._seq"
        )
        for row in rows:
            place = self.place("figures", row)
            if row.kind != row.metric_kind:
                self.problems.add(
                    place.problem(
                        "kind",
                        f"is {row.kind!r}, but metric '{row.metric}' takes {row.metric_kind!r} "
                        "figures",
                        "choose the metric that measures this kind of figure, or correct the kind",
                    )
                )
            else:
                self.problems.add(
                    place.problem(
                        "unit",
                        f"is {row.unit!r}, but metric '{row.metric}' is measured in "
                        f"{row.metric_unit!r}",
                        "convert the figure to the metric's unit, or choose another metric",
                    )
                )

    def _metrics(self) -> str:
        """A subquery: slug, kind and unit of every metric, from its first definition in the
        files, else from the database."""
        stage = stage_name("metrics")
        return (
            f"SELECT slug, kind, unit FROM {stage} WHERE _seq IN "
            f"(SELECT min(_seq) FROM {stage} WHERE slug IS NOT NULL GROUP BY slug) "
            f"UNION ALL SELECT slug, kind, unit FROM metrics WHERE NOT EXISTS "
            f"(SELECT 1 FROM {stage} x WHERE x.slug = metrics.slug)"
        )

    def kept_figures_fit_metrics(self) -> None:
        """A figure the files do not restate must still fit its metric's new kind and unit."""
        metrics, figures = stage_name("metrics"), stage_name("figures")
        rows = self._rows(
            f"SELECT m._file, m._line, m._label, m._lines, f.slug AS figure, f.kind, f.unit, "
            f"m.kind AS metric_kind, "
            f"({_skipped_file('figures', 'f')}) AS kept_in FROM figures f "
            f"JOIN metrics old ON old.id = f.metric_id JOIN {metrics} m ON m.slug = old.slug "
            f"WHERE NOT EXISTS (SELECT 1 FROM {figures} x WHERE x.slug = f.slug) "
            f"AND (f.kind <> m.kind OR (m.unit IS NOT NULL AND f.unit <> m.unit)) "
            f"ORDER BY m._seq, f.id"
        )
        for row in rows:
            self.problems.add(
                self.place("metrics", row).problem(
                    "kind" if row.kind != row.metric_kind else "unit",
                    f"no longer fits figure '{row.figure}', a {row.kind} in {row.unit!r} "
                    f"({_kept_where(row.kept_in)})",
                    _kept_hint(row.kept_in, "figure"),
                )
            )

    def kept_spans(self) -> None:
        """Rows the files do not restate must still be held by a source's changed text."""
        sources = stage_name("sources")
        for table, fields in SPANS.items():
            key = _key_match(table)
            checks = " OR ".join(
                f"substr(s.text, r.{f}_start + 1, r.{f}_end - r.{f}_start) <> r.{f}" for f in fields
            )
            rows = self._rows(
                f"SELECT s._file, s._line, s._label, s._lines, s.path, "
                f"{row_label(table)} AS row_label, ({_skipped_file(table)}) AS kept_in "
                f"FROM {table} r "
                f"JOIN sources old ON old.id = r.source_id "
                f"JOIN {sources} s ON s.slug = old.slug AND s.text IS NOT NULL "
                f"AND s.sha256 <> old.sha256 "
                f"WHERE NOT EXISTS ({key}) AND ({checks}) ORDER BY s._seq"
            )
            for row in rows:
                self.problems.add(
                    self.place("sources", row).problem(
                        "path" if row.path is not None else "text",
                        f"the new text no longer holds {row.row_label} "
                        f"({table[:-1]} {_kept_where(row.kept_in)})",
                        _kept_hint(row.kept_in, "record"),
                    )
                )

    def kept_surfaces(self) -> None:
        """A figure the files do not restate must stay inside its quote's new span."""
        quotes, figures = stage_name("quotes"), stage_name("figures")
        rows = self._rows(
            f"SELECT q._file, q._line, q._label, q._lines, f.slug AS figure, "
            f"({_skipped_file('figures', 'f')}) AS kept_in FROM figures f "
            f"JOIN quotes old ON old.id = f.quote_id "
            f"JOIN {quotes} q ON q.slug = old.slug AND q.text_start IS NOT NULL "
            f"WHERE NOT EXISTS (SELECT 1 FROM {figures} x WHERE x.slug = f.slug) "
            f"AND NOT (q.text_start <= f.surface_start AND f.surface_start < f.surface_end "
            f"AND f.surface_end <= q.text_end) ORDER BY q._seq"
        )
        for row in rows:
            self.problems.add(
                self.place("quotes", row).problem(
                    "text",
                    f"no longer holds the surface of figure '{row.figure}' "
                    f"({_kept_where(row.kept_in)})",
                    _kept_hint(row.kept_in, "figure"),
                )
            )


def _skipped_file(table: str, alias: str = "r") -> str:
    """A subquery: the path of the skipped (unchanged) file defining real row `alias`, if any."""
    return f"SELECT kf.path FROM _kb_files kf WHERE kf.id IN ({skipped_owner(table, alias)})"


def _kept_hint(path: str | None, what: str) -> str:
    """How to fix a row the load does not restate (`what`: figure, record) that no longer
    fits: load its file too (or prune it), or, when an unchanged file defines it, update it."""
    return (
        f"load that {what}'s file too, or prune it" if path is None else f"update that {what} too"
    )


def _kept_where(path: str | None) -> str:
    """Where a row the load does not restate is kept: the database only, or a skipped file."""
    if path is None:
        return "in the database only, not in the files"
    return f"in {display_path(Path(path))}, which did not change and was not reread"


def _key_match(table: str) -> str:
    """A correlated subquery: the staged row with the natural key of real row `r`."""
    stage = stage_name(table)
    if table in KEYED:
        return f"SELECT 1 FROM {stage} x WHERE {staged_key(table, 'x')} = {real_key(table)}"
    return f"SELECT 1 FROM {stage} x WHERE x.slug = r.slug"


# What a row without a slug is called in messages.
_ROW_NAMES = {"roles": "role", "aliases": "alias", "event_participants": "participant"}
