"""PostgreSQL: every searchable table's tsvectors stored and GIN-indexed; phrases stay in a column.

Before, only quotes kept their tsvectors in a table (`quotes_fts`, revision 0007); figures,
events, sources, people and metrics had GIN indexes on an expression, `to_tsvector('simple',
columns joined by spaces)`, which ranking had to compute again for every match, and in which a
phrase could run from the end of one column into the start of the next ("… Astana" + "Vilnius
…" matched "Astana Vilnius").

- Each of them gets a table `<table>_fts` (row id, `document` tsvector) with the GIN index
  `ix_<table>_fts`, filled by the SQL function `<table>_fts_document(columns…)` and kept by
  statement-level triggers with transition tables (`<table>_ai/_au/_ad/_at`), as quotes_fts is:
  one INSERT … SELECT per statement, however many rows it writes. The expression indexes go.
- Every document function, quotes_fts_document included, puts a gap between its columns: a
  lexeme no text can produce (a single space, which the parser never emits and no prefix
  matches) one position after each column's last word, so a phrase's words can never be
  adjacent across two columns. The quotes' documents are recomputed.
- SQLite is unchanged: an FTS5 phrase never spans two columns.

Downgrade restores the expression indexes of revisions 0002 and 0006 and 0007's quote
documents.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as of this revision (kb/search/index.py holds the current definitions; a test checks
# that they agree). Every name below is written out: no SQL is built from input.
# The gap between two columns: a tsvector of one lexeme, a space, at position 1 (so at the
# position after the last word of what it is appended to). Dollar-quoted with a tag of its
# own, as it goes inside $$ function bodies; the colon escaped from op.execute's text().
GAP = r"$gap$' '\:1$gap$::tsvector"
# Per table: its indexed columns with their SQL types (JSON as its jsonb text, which shows
# non-ASCII letters as themselves).
COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "figures": (("surface", "text"), ("evidence", "text")),
    "events": (("name", "text"), ("evidence", "text")),
    "sources": (("title", "text"),),
    "people": (("name", "text"), ("aliases", "json")),
    "metrics": (("name", "text"), ("aliases", "json")),
}
# The expression indexes this revision replaces: (revision 0002 or 0006's) documents.
OLD_DOCUMENTS = {
    "figures": "surface || ' ' || evidence",
    "events": "name || ' ' || evidence",
    "sources": "title",
    "people": "name || ' ' || aliases::jsonb::text",
    "metrics": "name || ' ' || aliases::jsonb::text",
}
QUOTES_DOCUMENT = """
CREATE OR REPLACE FUNCTION quotes_fts_document(quote text, speaker text, aliases json)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', quote), 'D'){gap}
        || setweight(to_tsvector('simple', coalesce(speaker, '')), 'C'){gap}
        || setweight(to_tsvector('simple', coalesce(aliases::jsonb::text, '')), 'B')
$$
"""
QUOTES_FILL = """
INSERT INTO quotes_fts (id, document)
SELECT q.id, quotes_fts_document(q.text, p.name, p.aliases)
FROM quotes AS q LEFT JOIN people AS p ON p.id = q.speaker_id
"""


def _text(column: str, sql_type: str) -> str:
    """A column as the text its document indexes."""
    return f"coalesce({column}::jsonb::text, '')" if sql_type == "json" else column


def document_function(table: str) -> str:
    """CREATE FUNCTION <table>_fts_document: its columns' tsvectors, a gap between each two."""
    columns = COLUMNS[table]
    parameters = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
    parts = [f"to_tsvector('simple', {_text(name, sql_type)})" for name, sql_type in columns]
    body = f" || {GAP} || ".join(parts)
    return (
        f"CREATE FUNCTION {table}_fts_document({parameters}) "
        f"RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT {body} $$"
    )


def _call(table: str, alias: str) -> str:
    """<table>_fts_document applied to row `alias`'s columns."""
    arguments = ", ".join(f"{alias}.{name}" for name, _ in COLUMNS[table])
    return f"{table}_fts_document({arguments})"


def _same(table: str) -> str:
    """Row o (old) and n (new) have the same id and indexed columns."""
    checks = ["n.id = o.id"]
    for name, sql_type in COLUMNS[table]:
        if sql_type == "json":
            checks.append(f"n.{name}::jsonb IS NOT DISTINCT FROM o.{name}::jsonb")
        else:
            checks.append(f"n.{name} IS NOT DISTINCT FROM o.{name}")
    return " AND ".join(checks)


def triggers(table: str) -> list[tuple[str, str, str]]:
    """(trigger, event and transition tables, body) of each statement-level trigger that keeps
    <table>_fts in step; its function is named <table>_fts_<trigger's suffix>."""
    fts = f"{table}_fts"
    insert = f"INSERT INTO {fts} (id, document) SELECT n.id, {_call(table, 'n')} FROM new_rows n"  # noqa: S608
    return [
        (
            f"{table}_ai",
            f"INSERT ON {table} REFERENCING NEW TABLE AS new_rows",
            f"{insert};",
        ),
        (
            # Only the rows whose id or indexed columns changed.
            f"{table}_au",
            f"UPDATE ON {table} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            f"DELETE FROM {fts} AS f USING old_rows AS o WHERE f.id = o.id AND NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM new_rows AS n WHERE {_same(table)});\n"
            f"{insert} WHERE NOT EXISTS (SELECT 1 FROM old_rows AS o WHERE {_same(table)});",
        ),
        (
            f"{table}_ad",
            f"DELETE ON {table} REFERENCING OLD TABLE AS old_rows",
            f"DELETE FROM {fts} AS f USING old_rows AS o WHERE f.id = o.id;",  # noqa: S608
        ),
        (f"{table}_at", f"TRUNCATE ON {table}", f"TRUNCATE {fts};"),
    ]


def _function_name(trigger: str) -> str:
    """The trigger function of `trigger` (<table>_a?): <table>_fts_a?."""
    table, suffix = trigger.rsplit("_", 1)
    return f"{table}_fts_{suffix}"


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        return
    # Quotes: the same rows, documents with gaps; the index is built after the rows.
    op.execute(QUOTES_DOCUMENT.format(gap=f" || {GAP}"))
    op.execute("DROP INDEX ix_quotes_fts")
    op.execute("TRUNCATE quotes_fts")
    op.execute(QUOTES_FILL)
    op.execute("CREATE INDEX ix_quotes_fts ON quotes_fts USING gin (document)")
    for table in COLUMNS:
        fts = f"{table}_fts"
        op.execute(f"DROP INDEX ix_{fts}")
        op.execute(document_function(table))
        op.execute(f"CREATE TABLE {fts} (id integer PRIMARY KEY, document tsvector NOT NULL)")
        op.execute(
            f"COMMENT ON TABLE {fts} IS 'Full-text index of {table} (kept by triggers on {table}).'"
        )
        op.execute(
            f"INSERT INTO {fts} (id, document) SELECT t.id, {_call(table, 't')} FROM {table} t"  # noqa: S608
        )
        op.execute(f"CREATE INDEX ix_{fts} ON {fts} USING gin (document)")
        for name, event, body in triggers(table):
            function = _function_name(name)
            op.execute(
                f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                f"BEGIN\n{body}\nRETURN NULL;\nEND $$"
            )
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION {function}()"
            )


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        return
    for table, columns in COLUMNS.items():
        for name, _event, _body in triggers(table):
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {_function_name(name)}()")
        op.execute(f"DROP TABLE {table}_fts")
        types = ", ".join(sql_type for _, sql_type in columns)
        op.execute(f"DROP FUNCTION {table}_fts_document({types})")
        op.execute(
            f"CREATE INDEX ix_{table}_fts ON {table} "
            f"USING gin (to_tsvector('simple', {OLD_DOCUMENTS[table]}))"
        )
    op.execute(QUOTES_DOCUMENT.format(gap=""))
    op.execute("DROP INDEX ix_quotes_fts")
    op.execute("TRUNCATE quotes_fts")
    op.execute(QUOTES_FILL)
    op.execute("CREATE INDEX ix_quotes_fts ON quotes_fts USING gin (document)")
