"""Merge the staging tables into kb's tables with set-based SQL, and count what changed.

Per table, in load order: each staged row is matched to the real row with its natural key and
sorted into insert, update or unchanged in one query (a temporary plan table); then one
INSERT … SELECT and one UPDATE … FROM write them, references turned from slugs into ids by
index lookups. Rows of the table that no file restates (and no skipped file defines) are
missing: listed, and deleted with prune. Ids of updated rows are kept.

A load that at least doubles a full-text-indexed SQLite table drops the triggers that keep its
FTS5 table in step (for quotes, also the one on people that follows their speakers' names) for
the writes and rebuilds the index once afterwards: keeping it in step row by row costs several
times more. On PostgreSQL the quotes' tsvectors live in quotes_fts, written by statement-level
triggers (one INSERT … SELECT per statement): a load into an empty searchable table drops
that trigger and, once the rows are in, has kb.loader.documents build the whole search table
(documents, key, GIN index) on a second connection while the load writes the next tables;
write_documents(), last in the load's transaction, puts it in place.
"""

from __future__ import annotations  # noqa: I001

from collections import Counter
import dataclasses
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection

from kb.loader.documents import DocumentHelper
from kb.loader.report import TableChange
from kb.loader.spec import TABLES
from kb.loader.staging import stage_name
from kb.loader.tables import KEYED, PARENTS, SPECS, real_key
from kb.search.index import FTS_TABLES, INDEXED_APART, fts_table, fts_triggers, pg_documents

# Rows changed in a PostgreSQL table past which the load refreshes its statistics.
_ANALYZE_AFTER = 1_000
# Columns stored as JSON text: compared and copied as text.
_JSON = {"aliases"}


@dataclass
class Merger:
    """Writes one load's staged rows into the real tables."""

    connection: Connection
    prune: bool
    skipped_rows: Counter[str]  # rows per table that skipped (unchanged) files define
    staged_rows: dict[str, int]  # rows per table in its staging table
    # Tables that were empty before this load.
    filled: set[str] = dataclasses.field(default_factory=set)
    # Builds the search tables of the tables filled from empty, while run() runs (PostgreSQL
    # only: on SQLite no table's documents are written apart, so it is never asked).
    helper: DocumentHelper | None = None
    # Tables whose search tables the helper builds, with their indexes' statements (should
    # the load have to build them after all) and what to run once they are in place.
    later: list[tuple[str, list[str], list[str]]] = dataclasses.field(default_factory=list)

    @property
    def postgresql(self) -> bool:
        """Whether the database is PostgreSQL (else SQLite)."""
        return self.connection.dialect.name == "postgresql"

    def run(self) -> dict[str, TableChange]:
        """Merge every table in load order; then, with prune, delete the missing rows.

        On PostgreSQL, search tables the helper builds are put in place by
        write_documents(), which the load calls last.
        """
        changes: dict[str, TableChange] = {}
        rebuild = self._bulk_fts_tables()
        triggers = self._drop_triggers(rebuild)
        for name in TABLES:
            changes[name] = self.merge(name)
        if self.prune:
            for name in reversed(TABLES):
                self._sql(f"DELETE FROM {name} WHERE id IN (SELECT id FROM kb_missing_{name})")
                changes[name].deleted = len(changes[name].missing)
        for table in rebuild:
            self._sql(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")
        for statement in triggers:
            self._sql(statement)
        if self.postgresql:
            # After a bulk change, fresh statistics for the planner: autovacuum would get to
            # them only later, and plans made on stale counts can be slower by orders.
            later = {name for name, _, _ in self.later}  # analyzed once they are in place
            for name, change in changes.items():
                if change.inserted + change.updated + change.deleted >= _ANALYZE_AFTER:
                    searched = () if name in later else _search_tables(name)
                    for analyzed in (name, *searched):
                        self._sql(f"ANALYZE {analyzed}")
        for name in TABLES:
            self._sql(f"DROP TABLE IF EXISTS kb_plan_{name}")
            self._sql(f"DROP TABLE IF EXISTS kb_missing_{name}")
        return changes

    def _sql(self, statement: str) -> None:
        """Run one statement."""
        self.connection.execute(text(statement))

    def _scalar(self, statement: str) -> int:
        """The single integer a query returns."""
        return int(self.connection.execute(text(statement)).scalar_one() or 0)

    # Full-text index ------------------------------------------------------------------

    def _bulk_fts_tables(self) -> list[str]:
        """SQLite FTS-indexed tables this load at least doubles: rebuilt once at the end."""
        if self.postgresql:
            return []
        chosen = []
        for table in FTS_TABLES:
            before = self._scalar(f"SELECT count(*) FROM {table}")
            staged = self.staged_rows[table]
            if staged > 0 and staged >= before:
                chosen.append(table)
        return chosen

    def _drop_triggers(self, tables: list[str]) -> list[str]:
        """Drop the triggers that keep the FTS5 tables of `tables` in step; return the
        statements that recreate them."""
        statements = []
        for table in tables:
            for name, on in fts_triggers(table).items():
                rows = self.connection.execute(
                    text(
                        "SELECT sql FROM sqlite_master "
                        "WHERE type = 'trigger' AND name = :name AND tbl_name = :on"
                    ),
                    {"name": name, "on": on},
                )
                for (sql,) in rows.all():
                    self._sql(f"DROP TRIGGER {name}")
                    statements.append(sql)
        return statements

    # One table ------------------------------------------------------------------------

    def merge(self, name: str) -> TableChange:
        """Insert, update and count one table's staged rows; find its missing rows."""
        stage = stage_name(name)
        staged = self.staged_rows[name]
        empty = self.connection.execute(text(f"SELECT 1 FROM {name} LIMIT 1")).first() is None
        change = TableChange()
        if empty:
            # Into an empty table, build its secondary indexes once after the insert (as a
            # bulk load would) rather than entry by entry during it; on PostgreSQL also its
            # foreign keys to tables this load filled from empty, checked once by one join
            # when they are added back rather than by a trigger per row. (Only those: dropping
            # a foreign key locks the table it refers to, which readers of a table that had
            # rows must not wait for.) Nothing can be missing.
            rebuild = []
            searched: tuple[bool, list[str], list[str]] = (False, [], [])
            if staged:
                rebuild += drop_indexes(self.connection, name)
                if self.postgresql:
                    rebuild += drop_foreign_keys(self.connection, name, {*self.filled, name})
                    searched = self._search_apart(name)
            self._insert(name, f"FROM {stage} s")
            # The documents first: the helper then computes them while this table's indexes
            # and keys are built (a second or more at a third of a million rows).
            self._documents(name, staged, *searched)
            for statement in rebuild:
                self._sql(statement)
            change.inserted = staged
            self.filled.add(name)
            self._no_missing(name)
        else:
            self._plan(name)
            counts: dict[str, int] = dict(
                self.connection.execute(
                    text(f"SELECT action, count(*) FROM kb_plan_{name} GROUP BY action")
                ).all()
            )
            change.inserted = int(counts.get("i", 0))
            change.updated = int(counts.get("u", 0))
            change.unchanged = int(counts.get("s", 0))
            # Before the insert: a row is missing when no staged row matched it and no
            # skipped file defines it. When the counts add up, no row can be: skip the scan.
            matched = change.updated + change.unchanged
            if self._scalar(f"SELECT count(*) FROM {name}") == matched + self.skipped_rows[name]:
                self._no_missing(name)
            else:
                change.missing = self._missing(name)
            if change.inserted:
                self._insert(
                    name,
                    f"FROM {stage} s JOIN kb_plan_{name} p ON p._seq = s._seq AND p.action = 'i'",
                )
            if change.updated:
                self._update(name)
        if name == "events":
            self._link_same_as()
        change.unchanged += self.skipped_rows[name]
        return change

    def _search_apart(self, name: str) -> tuple[bool, list[str], list[str]]:
        """PostgreSQL, into an empty table: drop the GIN index of its search table and the
        trigger that writes each inserted row's document there; return whether the documents
        are to be written (the trigger was there), the statements that make the search table's
        indexes again, and the one that makes the trigger again.

        The trigger would do the same work, but first keep every new row in a transition
        table (spilled to disk past work_mem): a third of the insert's time at 333,333 events.
        """
        indexes: list[str] = []
        for table in _search_tables(name):
            indexes += drop_indexes(self.connection, table)
        if name not in FTS_TABLES:
            return False, indexes, []
        rows = self.connection.execute(
            text(
                "SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t "
                "WHERE t.tgrelid = to_regclass(:table) AND t.tgname = :trigger"
            ),
            {"table": name, "trigger": f"{name}_ai"},
        ).all()
        if not rows:
            return False, indexes, []
        self._sql(f"DROP TRIGGER {name}_ai ON {name}")
        return True, indexes, [rows[0][0]]

    def _documents(
        self, name: str, rows: int, write: bool, indexes: list[str], then: list[str]
    ) -> None:
        """Write the documents of a table just filled (if `write`), build its search table's
        `indexes`, then run `then`: at once, or after the last table when the helper builds
        the search table."""
        helper = self.helper
        if write and helper is not None and helper.submit(self.connection, name, rows, indexes):
            self.later.append((name, indexes, then))
            return
        if write:
            self._documents_here(name)
        for statement in [*indexes, *then]:
            self._sql(statement)

    def write_documents(self) -> None:
        """Put the search tables the helper built in place (or, where it could not, compute
        their documents and build their indexes here), then make their triggers again.

        Called last in the load's transaction, after the bookkeeping, which the load's backend
        writes while the helper's builds the last search tables.
        """
        for name, indexes, then in self.later:
            assert self.helper is not None  # only the helper defers documents
            if self.helper.move(self.connection, name):
                statements = then
            else:
                self._documents_here(name)
                statements = [*indexes, *then, *(f"ANALYZE {t}" for t in _search_tables(name))]
            for statement in statements:
                self._sql(statement)
        self.later.clear()

    def _documents_here(self, name: str) -> None:
        """Compute the documents of every row of `name` in the load's transaction."""
        # CREATE TABLE … AS may compute the documents in parallel workers (an INSERT …
        # SELECT may not): to_tsvector is most of the cost.
        self._sql(f"CREATE TEMPORARY TABLE kb_documents AS {pg_documents(name)}")
        self._sql(
            f"INSERT INTO {fts_table(name)} (id, document) SELECT id, document FROM kb_documents"
        )
        self._sql("DROP TABLE kb_documents")

    def _no_missing(self, name: str) -> None:
        """An empty kb_missing_<name>: nothing of the table is missing."""
        self._sql(f"DROP TABLE IF EXISTS kb_missing_{name}")
        self._sql(f"CREATE TEMPORARY TABLE kb_missing_{name} (id INTEGER, label TEXT)")

    def _plan(self, name: str) -> None:
        """kb_plan_<name>: each staged row's real id and action (i insert, u update, s same)."""
        stage = stage_name(name)
        self._sql(f"DROP TABLE IF EXISTS kb_plan_{name}")
        self._sql(
            f"CREATE TEMPORARY TABLE kb_plan_{name} AS "
            f"SELECT m._seq, m.id, CASE WHEN m.id IS NULL THEN 'i' "
            f"WHEN {self._differs(name)} THEN 'u' ELSE 's' END AS action "
            f"FROM (SELECT s._seq, ({self._match(name)}) AS id FROM {stage} s) m "
            f"JOIN {stage} s ON s._seq = m._seq LEFT JOIN {name} r ON r.id = m.id"
        )
        self._sql(f"CREATE INDEX kb_plan_{name}_id ON kb_plan_{name} (id)")
        if self.postgresql:
            self._sql(f"ANALYZE kb_plan_{name}")  # temporary tables get no statistics otherwise

    def _match(self, name: str) -> str:
        """A correlated subquery: the id of the real row with staged row `s`'s natural key."""
        return match(name, self.postgresql)

    @property
    def _not_same(self) -> str:
        """The null-safe inequality operator."""
        return "IS DISTINCT FROM" if self.postgresql else "IS NOT"

    def _differs(self, name: str) -> str:
        """SQL true when real row `r` differs from staged row `s` in any field."""
        spec = SPECS[name]
        terms = [f"{self._real(column)} {self._not_same} s.{column}" for column in spec.columns]
        for field, (column, target) in spec.refs.items():
            terms.append(
                f"(SELECT slug FROM {target} WHERE id = r.{column}) {self._not_same} s.{field}"
            )
        return "(" + " OR ".join(terms) + ")"

    def _real(self, column: str) -> str:
        """A real column as compared with its staged value (JSON as text on PostgreSQL)."""
        if column in _JSON and self.postgresql:
            return f"CAST(r.{column} AS TEXT)"
        return f"r.{column}"

    def _value(self, column: str) -> str:
        """A staged column as written into the real table (JSON cast on PostgreSQL)."""
        if column in _JSON and self.postgresql:
            return f"CAST(s.{column} AS JSON)"
        return f"s.{column}"

    def _insert(self, name: str, source: str) -> None:
        """INSERT … SELECT the staged rows of `source` (a FROM clause over `s`), in file order.

        References are joined by slug (each slug is unique, so a join finds at most one row),
        which the planner can hash: a lookup per row costs more for a large load.
        """
        spec = SPECS[name]
        columns = [*spec.columns, *(column for column, _ in spec.refs.values())]
        values = [self._value(column) for column in spec.columns]
        joins = []
        for field, (_, target) in spec.refs.items():
            if field == "same_as":  # set once every event has an id (_link_same_as)
                values.append("NULL")
                continue
            values.append(f"ref_{field}.id")
            joins.append(f"LEFT JOIN {target} ref_{field} ON ref_{field}.slug = s.{field}")
        self._sql(
            f"INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(values)} "
            f"{source} {' '.join(joins)} ORDER BY s._seq"
        )

    def _update(self, name: str) -> None:
        """UPDATE … FROM the staged rows planned as updates, keeping their ids."""
        spec = SPECS[name]
        assignments = [f"{column} = {self._value(column)}" for column in spec.columns]
        assignments += [
            f"{column} = ({_id_of(target, f's.{field}')})"
            for field, (column, target) in spec.refs.items()
        ]
        self._sql(
            f"UPDATE {name} SET {', '.join(assignments)} FROM {stage_name(name)} s "
            f"JOIN kb_plan_{name} p ON p._seq = s._seq "
            f"WHERE p.action = 'u' AND {name}.id = p.id"
        )

    def _link_same_as(self) -> None:
        """Set same_as once every event has an id (it may name one inserted in this load)."""
        stage = stage_name("events")
        self._sql(
            f"UPDATE events SET same_as_id = ({_id_of('events', 's.same_as')}) FROM {stage} s "
            f"WHERE events.slug = s.slug AND s.same_as IS NOT NULL "
            f"AND events.same_as_id {self._not_same} ({_id_of('events', 's.same_as')})"
        )

    # Missing rows ---------------------------------------------------------------------

    def _missing(self, name: str) -> list[str]:
        """Rows no staged row matched and no skipped file defines: kept in kb_missing_<name>."""
        self._sql(f"DROP TABLE IF EXISTS kb_missing_{name}")
        self._sql(
            f"CREATE TEMPORARY TABLE kb_missing_{name} AS SELECT r.id, {row_label(name)} AS label "
            f"FROM {name} r WHERE NOT EXISTS (SELECT 1 FROM kb_plan_{name} p WHERE p.id = r.id) "
            f"AND NOT EXISTS ({skipped_owner(name)})"
        )
        rows = self.connection.execute(text(f"SELECT label FROM kb_missing_{name} ORDER BY id"))
        return [row[0] for row in rows]


def _search_tables(name: str) -> tuple[str, ...]:
    """PostgreSQL: the table holding the tsvectors of `name`'s rows, when they are stored
    apart (quotes_fts, written by triggers on quotes); else none."""
    return (fts_table(name),) if name in INDEXED_APART else ()


def _id_of(table: str, slug: str) -> str:
    """A subquery: the id of the row of `table` with slug `slug` (an SQL expression)."""
    return f"SELECT id FROM {table} WHERE slug = {slug}"


def match(name: str, postgresql: bool) -> str:
    """A correlated subquery: the id of the real row `r` of table `name` with staged row `s`'s
    natural key."""
    spec = SPECS[name]
    conditions = []
    for field in spec.key:
        if field in spec.refs:
            column, target = spec.refs[field]
            # Null-safe only where the key may be null: PostgreSQL cannot use an index for
            # IS NOT DISTINCT FROM.
            nullable = spec.table.c[column].nullable
            same = ("IS NOT DISTINCT FROM" if postgresql else "IS") if nullable else "="
            conditions.append(f"r.{column} {same} ({_id_of(target, f's.{field}')})")
        else:
            conditions.append(f"r.{field} = s.{field}")
    return f"SELECT r.id FROM {name} r WHERE {' AND '.join(conditions)}"


def skipped_owner(name: str, alias: str = "r") -> str:
    """A subquery: the id of the skipped (unchanged) data file defining real row `alias` of
    table `name`, if any.

    A row with a slug is defined where _kb_records says. A row without one is defined by its
    own file when it was written as a record of its own (_kb_records then holds its key), else
    by the file of the record it was written in (its person, its event).
    """
    recorded = (
        "SELECT k.file_id FROM _kb_records k JOIN kb_skipped_files x ON x.file_id = k.file_id "
        "WHERE k.tablename = '{table}' AND k.slug = {key}"
    )
    if name not in KEYED:
        return recorded.format(table=name, key=f"{alias}.slug")
    key = real_key(name, alias)
    own = recorded.format(table=name, key=key)
    if name not in PARENTS:
        return own
    parent, field = PARENTS[name]
    column = SPECS[name].refs[field][0]
    in_parent = recorded.format(
        table=parent, key=f"(SELECT slug FROM {parent} WHERE id = {alias}.{column})"
    )
    if name == "event_participants":
        # A participant of its own always names a source; one inside its event never does.
        alone = f"{alias}.source_id IS NOT NULL"
        return f"{own} AND {alone} UNION ALL {in_parent} AND NOT ({alone})"
    written_alone = f"SELECT 1 FROM _kb_records o WHERE o.tablename = '{name}' AND o.slug = {key}"
    return f"{own} UNION ALL {in_parent} AND NOT EXISTS ({written_alone})"


def row_label(name: str) -> str:
    """SQL for a readable key of real row `r`: its slug, or for a row without one, who and
    what it is about."""
    if name == "roles":
        return (
            "(SELECT slug FROM people WHERE id = r.person_id) || ': ' || r.title || ' (' || "
            "(SELECT slug FROM sources WHERE id = r.source_id) || ')'"
        )
    if name == "aliases":
        return (
            "coalesce((SELECT slug FROM people WHERE id = r.person_id), "
            "(SELECT slug FROM parties WHERE id = r.party_id)) || ': ' || r.name || ' (' || "
            "(SELECT slug FROM sources WHERE id = r.source_id) || ')'"
        )
    if name == "event_participants":
        return (
            "(SELECT slug FROM events WHERE id = r.event_id) || ': ' || CASE "
            "WHEN r.party_id IS NOT NULL THEN 'party ' || "
            "(SELECT slug FROM parties WHERE id = r.party_id) "
            "ELSE 'person ' || (SELECT slug FROM people WHERE id = r.person_id) END || "
            "coalesce(' (' || (SELECT slug FROM sources WHERE id = r.source_id) || ')', '')"
        )
    return "r.slug"


def drop_foreign_keys(
    connection: Connection, table: str, referenced: set[str], *, primary_key: bool = False
) -> list[str]:
    """PostgreSQL: drop the foreign keys of `table` that refer to a table in `referenced` (and
    with `primary_key` its primary key); return the statements that add them back, which
    check every row in one query (or build the key's index in one sort)."""
    rows = connection.execute(
        text(
            "SELECT c.conname, pg_get_constraintdef(c.oid), r.relname FROM pg_constraint c "
            "LEFT JOIN pg_class r ON r.oid = c.confrelid "
            "WHERE c.contype IN ('f', 'p') AND c.conrelid = to_regclass(:t) "
            "ORDER BY c.contype DESC, c.conname"
        ),
        {"t": table},
    ).all()
    statements = []
    for name, definition, target in rows:
        if target in referenced or (target is None and primary_key):
            connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
            statements.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    return statements


def drop_indexes(connection: Connection, table: str) -> list[str]:
    """Drop a table's own secondary indexes; return the statements that rebuild them.

    Indexes that back constraints (primary keys, unique slugs) stay: they cannot be dropped
    on their own, and the unique slugs are what later tables' references look up. On
    PostgreSQL this includes the GIN full-text index, built once after the rows are in.
    """
    if connection.dialect.name == "postgresql":
        query = (
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = :t AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = "
            "to_regclass(quote_ident(i.schemaname) || '.' || quote_ident(i.indexname)))"
        )
    else:
        query = (
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            "AND tbl_name = :t AND sql IS NOT NULL"
        )
    rows = connection.execute(text(query), {"t": table}).all()
    for name, _ in rows:
        connection.execute(text(f'DROP INDEX "{name}"'))
    return [sql for _, sql in rows]
