"""Full-text search knows speakers: a quote is indexed with its speaker's name and aliases.

`kb search "Jankauskas investment"` finds the quote in which Jankauskas speaks of investment:
its index row holds the quote's words and its speaker's name and aliases, so a query may mix
them. (Before, a quote was indexed by its words alone, and a person by their names alone.)

- SQLite: `quotes_fts` becomes an FTS5 table of three columns (text, speaker_name,
  speaker_aliases) whose external content is the view `quotes_fts_source` (a quote joined to
  its speaker). The triggers `quotes_ai/_ad/_au` write the speaker's names with the quote's
  words; `quotes_fts_speaker` on people reindexes a person's quotes, in one statement, when
  their name or aliases change. FTS5 reads the view for snippets, 'rebuild' and
  'integrity-check'. (FTS5 prepares its statements on the content without virtual tables, so
  the view cannot use json_each: the aliases are indexed as their JSON text, as people_fts
  indexes them.)
- PostgreSQL: the GIN expression index `ix_quotes_fts` on quotes gives way to a table
  `quotes_fts` (quote id, `document` tsvector) with a GIN index of that name, filled by
  `quotes_fts_document(text, name, aliases)`: the quote's words labelled D, the speaker's name
  C and aliases B. Statement-level triggers with transition tables keep it in step: one
  INSERT … SELECT (or UPDATE, DELETE) per statement on quotes, one UPDATE per statement on
  people that changes names or aliases.

A later migration that rebuilds quotes or people on SQLite (batch mode copies, drops and
renames a table) loses their triggers and breaks the view: it must drop the view first and
create the view and triggers again afterwards, then 'rebuild' quotes_fts.

Downgrade restores revision 0002's index of the quotes' words alone.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen as of this revision (kb/search/index.py holds the current definitions; a test checks
# that they agree). Every name below is written out: no SQL is built from input.
QUOTES_FTS = ("text", "speaker_name", "speaker_aliases")
SOURCE_VIEW = "quotes_fts_source"
SPEAKER_TRIGGER = "quotes_fts_speaker"

# SQLite ---------------------------------------------------------------------------------------

# LEFT JOIN, as the triggers look the speaker up by a scalar subquery: a quote whose speaker
# were missing would still be indexed, by its words, the same way by both.
SQLITE_VIEW = """
CREATE VIEW quotes_fts_source AS
SELECT q.id, q.text, p.name AS speaker_name, p.aliases AS speaker_aliases
FROM quotes AS q
LEFT JOIN people AS p ON p.id = q.speaker_id
"""
# `content="…"` double-quoted, as 0002 writes it.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE quotes_fts USING fts5(text, speaker_name, speaker_aliases, "
    'content="quotes_fts_source", content_rowid="id")'
)
# bm25 with the speaker's name and aliases weighing a hundredth of the quote's words.
SQLITE_RANK = "INSERT INTO quotes_fts(quotes_fts, rank) VALUES ('rank', 'bm25(1.0, 0.01, 0.01)')"
_INSERT = """
    INSERT INTO quotes_fts(rowid, text, speaker_name, speaker_aliases) VALUES (
        new.id, new.text,
        (SELECT name FROM people WHERE id = new.speaker_id),
        (SELECT aliases FROM people WHERE id = new.speaker_id));
"""
# External content: a row is deleted from the index by giving the values it was indexed with.
_DELETE = """
    INSERT INTO quotes_fts(quotes_fts, rowid, text, speaker_name, speaker_aliases) VALUES (
        'delete', old.id, old.text,
        (SELECT name FROM people WHERE id = old.speaker_id),
        (SELECT aliases FROM people WHERE id = old.speaker_id));
"""
SQLITE_TRIGGERS = {
    "quotes_ai": "CREATE TRIGGER quotes_ai AFTER INSERT ON quotes BEGIN" + _INSERT + "END",
    "quotes_ad": "CREATE TRIGGER quotes_ad AFTER DELETE ON quotes BEGIN" + _DELETE + "END",
    # Only when what is indexed changes (a reload rewrites every column of a changed quote).
    "quotes_au": (
        "CREATE TRIGGER quotes_au AFTER UPDATE ON quotes WHEN old.id IS NOT new.id "
        "OR old.text IS NOT new.text OR old.speaker_id IS NOT new.speaker_id BEGIN"
        + _DELETE
        + _INSERT
        + "END"
    ),
    # A person renamed, or given another alias: their quotes, through ix_quotes_speaker_id.
    "quotes_fts_speaker": """
CREATE TRIGGER quotes_fts_speaker AFTER UPDATE OF name, aliases ON people
WHEN old.name IS NOT new.name OR old.aliases IS NOT new.aliases BEGIN
    INSERT INTO quotes_fts(quotes_fts, rowid, text, speaker_name, speaker_aliases)
    SELECT 'delete', id, text, old.name, old.aliases FROM quotes WHERE speaker_id = old.id;
    INSERT INTO quotes_fts(rowid, text, speaker_name, speaker_aliases)
    SELECT id, text, new.name, new.aliases FROM quotes WHERE speaker_id = new.id;
END
""",
}

# PostgreSQL -----------------------------------------------------------------------------------

# The quote's words keep label D (ts_rank_cd weighs it 0.1 by default, as before); the name
# is C and the aliases B, which kb.search weighs lower. Through jsonb, the aliases' text
# shows non-ASCII letters as themselves (as 0002's people index reads them).
PG_DOCUMENT = """
CREATE FUNCTION quotes_fts_document(quote text, speaker text, aliases json)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', quote), 'D')
        || setweight(to_tsvector('simple', coalesce(speaker, '')), 'C')
        || setweight(to_tsvector('simple', coalesce(aliases::jsonb::text, '')), 'B')
$$
"""
PG_TABLE = (
    "CREATE TABLE quotes_fts (id integer PRIMARY KEY, document tsvector NOT NULL)",
    "COMMENT ON TABLE quotes_fts IS 'Full-text index of quotes with their speakers'' names "
    "(kept by triggers on quotes and people).'",
)
PG_FILL = """
INSERT INTO quotes_fts (id, document)
SELECT q.id, quotes_fts_document(q.text, p.name, p.aliases)
FROM quotes AS q LEFT JOIN people AS p ON p.id = q.speaker_id
"""
PG_INDEX = "CREATE INDEX ix_quotes_fts ON quotes_fts USING gin (document)"
# (trigger, table, event and transition tables, function, body): statement-level, so one
# statement writing many rows reindexes them in one INSERT … SELECT.
PG_TRIGGERS = (
    (
        "quotes_ai",
        "quotes",
        "INSERT ON quotes REFERENCING NEW TABLE AS new_quotes",
        "quotes_fts_insert",
        """
        INSERT INTO quotes_fts (id, document)
        SELECT q.id, quotes_fts_document(q.text, p.name, p.aliases)
        FROM new_quotes AS q LEFT JOIN people AS p ON p.id = q.speaker_id;
        """,
    ),
    (
        # Only the quotes whose id, words or speaker changed.
        "quotes_au",
        "quotes",
        "UPDATE ON quotes REFERENCING OLD TABLE AS old_quotes NEW TABLE AS new_quotes",
        "quotes_fts_update",
        """
        DELETE FROM quotes_fts AS f USING old_quotes AS o
        WHERE f.id = o.id AND NOT EXISTS (
            SELECT 1 FROM new_quotes AS n
            WHERE n.id = o.id AND n.text = o.text AND n.speaker_id = o.speaker_id);
        INSERT INTO quotes_fts (id, document)
        SELECT q.id, quotes_fts_document(q.text, p.name, p.aliases)
        FROM new_quotes AS q LEFT JOIN people AS p ON p.id = q.speaker_id
        WHERE NOT EXISTS (
            SELECT 1 FROM old_quotes AS o
            WHERE o.id = q.id AND o.text = q.text AND o.speaker_id = q.speaker_id);
        """,
    ),
    (
        "quotes_ad",
        "quotes",
        "DELETE ON quotes REFERENCING OLD TABLE AS old_quotes",
        "quotes_fts_delete",
        "DELETE FROM quotes_fts AS f USING old_quotes AS o WHERE f.id = o.id;",
    ),
    ("quotes_at", "quotes", "TRUNCATE ON quotes", "quotes_fts_truncate", "TRUNCATE quotes_fts;"),
    (
        # A person renamed, or given another alias: their quotes.
        "quotes_fts_speaker",
        "people",
        "UPDATE ON people REFERENCING OLD TABLE AS old_people NEW TABLE AS new_people",
        "quotes_fts_speaker",
        """
        UPDATE quotes_fts AS f SET document = quotes_fts_document(q.text, n.name, n.aliases)
        FROM new_people AS n
        JOIN old_people AS o ON o.id = n.id
        JOIN quotes AS q ON q.speaker_id = n.id
        WHERE f.id = q.id AND (n.name IS DISTINCT FROM o.name
                               OR n.aliases::jsonb IS DISTINCT FROM o.aliases::jsonb);
        """,
    ),
)
# Revision 0002's index of the quotes' words.
OLD_PG_INDEX = "CREATE INDEX ix_quotes_fts ON quotes USING gin (to_tsvector('simple', text))"


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER quotes_{suffix}")
        op.execute("DROP TABLE quotes_fts")
        op.execute(SQLITE_VIEW)
        op.execute(SQLITE_FTS)
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(trigger)
        # The `rank` column (ORDER BY rank, as the canned query and other tools sort) weighs
        # the speaker's names as kb search does.
        op.execute(SQLITE_RANK)
        # Index the quotes there are, with their speakers.
        op.execute("INSERT INTO quotes_fts(quotes_fts) VALUES ('rebuild')")
        return
    op.execute("DROP INDEX ix_quotes_fts")
    op.execute(PG_DOCUMENT)
    for statement in PG_TABLE:
        op.execute(statement)
    op.execute(PG_FILL)
    # Built after the rows are in, as a bulk load builds it.
    op.execute(PG_INDEX)
    for name, _table, event, function, body in PG_TRIGGERS:
        op.execute(
            f"CREATE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n{body.strip()}\nRETURN NULL;\nEND $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
        )


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE quotes_fts")
        op.execute(f"DROP VIEW {SOURCE_VIEW}")
        script = op.get_context().script
        assert script is not None
        full_text_search = script.get_revision("0002")
        assert full_text_search is not None
        full_text_search.module._create_sqlite_fts("quotes", ("text",))
        return
    for name, table, _event, function, _body in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
        op.execute(f"DROP FUNCTION {function}()")
    op.execute("DROP TABLE quotes_fts")
    op.execute("DROP FUNCTION quotes_fts_document(text, text, json)")
    op.execute(OLD_PG_INDEX)
