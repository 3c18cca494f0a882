"""What the full-text index holds: the searchable tables, their columns, and the objects it adds.

Every searchable table has an index of its own columns (FTS_TABLES). A quote's also holds its
speaker's name and aliases, so that "Jankauskas investment" finds the quote in which Jankauskas
speaks of investment, though neither the quote's words nor the person's names hold both words.
One index row per quote, holding both, is what lets one MATCH (or @@) take any mix of them, be
ranked as one document, and stay an index lookup: no per-query join of two searches. The
speaker's names are another table's columns, so:

- On SQLite, `quotes_fts` is an FTS5 table (text, speaker_name, speaker_aliases) whose external
  content is the view `quotes_fts_source`, each quote joined to its speaker. Nothing is stored
  twice (a table of its own would copy every quote's text; a contentless one could not make
  snippets); FTS5's 'rebuild' and 'integrity-check' read the view, so `kb check` also catches
  a speaker's names out of step. Triggers on quotes (`quotes_ai/_ad/_au`) and one on people
  (`quotes_fts_speaker`, when a person's name or aliases change) keep it in step, set-based: a
  renamed person's quotes are reindexed by one statement through ix_quotes_speaker_id. A bulk
  load drops them all and rebuilds the index once (kb.loader.merge). FTS5 reads its content
  without virtual tables, so the view cannot spread the aliases with json_each: they are
  indexed as their JSON text, as people_fts indexes them. Datasette and sqlite-utils detect an
  index only by content="<table>", so kb's Datasette metadata names this one (`fts_table`) for
  the quotes table.
- On PostgreSQL, `quotes_fts` is a table (quote id, `document` tsvector) with the GIN index
  `ix_quotes_fts`, filled by the SQL function `quotes_fts_document(text, name, aliases)` and
  kept by statement-level triggers with transition tables on quotes and people: one INSERT …
  SELECT (or UPDATE, DELETE) per statement however many rows it writes, so a bulk load does no
  per-row trigger work; a load into an empty quotes table builds the GIN index after the rows.
  A table of its own rather than a column of quotes keeps the quotes table the same on both
  backends (the models, exports); a generated column cannot read people.

A match in a quote's own words ranks above one in its speaker's names: bm25 weighs the
speaker's columns at SPEAKER_WEIGHT (and quotes_fts's `rank` is configured alike); on
PostgreSQL the name and aliases are labelled C and B, which ts_rank_cd weighs at
SPEAKER_WEIGHT, while the quote's words (label D) keep ts_rank_cd's default 0.1, so a quote
found by its words alone ranks exactly as before (on SQLite nearly: bm25 counts the names in
the row's length). A quote found through its speaker counts as a match of its type. Its
snippet shows the quote's words; when the speaker's names match, the speaker's name comes
first, marked (kb.search.hits).

The other tables have external-content FTS5 tables over themselves on SQLite. On PostgreSQL
each keeps its documents in `<table>_fts` like quotes (migration 0009): `<table>_fts_document(
columns…)` fills it, statement-level triggers `<table>_ai/_au/_ad/_at` keep it, and ranking
reads the stored tsvector rather than computing it per match. Every document function leaves
a gap between two columns (DOCUMENT_GAP, a lexeme no text produces, one position after the
column's last word), so a phrase never runs across columns, as in FTS5. Migrations 0002,
0006, 0007 and 0009 keep frozen copies of these definitions; a test checks that they agree.

Standard library only: the CLI, Alembic's env.py and `kb check` read these constants cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.sql.schema import SchemaItem

# Each searchable table and its own indexed columns. On SQLite, `<table>_fts` is an
# external-content FTS5 table over them (for quotes, with SPEAKER_COLUMNS after them); on
# PostgreSQL, `ix_<table>_fts` is a GIN index on their 'simple' tsvector (for quotes, on
# quotes_fts.document).
FTS_TABLES: dict[str, tuple[str, ...]] = {
    "quotes": ("text",),
    "figures": ("surface", "evidence"),
    "events": ("name", "evidence"),
    "sources": ("title",),
    "people": ("name", "aliases"),
    "metrics": ("name", "aliases"),
}

# The quotes' index also holds the speaker's name (people.name) and aliases (people.aliases,
# as its JSON text): columns of the view quotes_fts_source on SQLite.
SPEAKER_COLUMNS = ("speaker_name", "speaker_aliases")
# PostgreSQL: the tables whose tsvectors are stored in a table of their own, `<table>_fts`
# (since migration 0009, every searchable table).
INDEXED_APART = tuple(FTS_TABLES)
# PostgreSQL: what a document puts between two columns: a lone space, a lexeme the parser never
# emits and no prefix query matches, at the position after the column's last word.
DOCUMENT_GAP = "$gap$' ':1$gap$::tsvector"
# SQLite: the view that is quotes_fts's content, and the trigger on people that reindexes a
# person's quotes when their name or aliases change.
QUOTES_FTS_SOURCE = "quotes_fts_source"
SPEAKER_TRIGGER = "quotes_fts_speaker"
# How much a match in the speaker's names counts beside one in the quote's own words (1.0 in
# bm25 on SQLite; 0.1, ts_rank_cd's default for unlabelled words, on PostgreSQL). Migration
# 0007 configures quotes_fts's `rank` with the SQLite weight.
SPEAKER_WEIGHT = {"sqlite": 0.01, "postgresql": 0.01}

# What `kb search --type` calls a hit from each table.
HIT_TYPES: dict[str, str] = {
    "quote": "quotes",
    "figure": "figures",
    "event": "events",
    "source": "sources",
    "person": "people",
    "metric": "metrics",
}

# How many hits a search shows unless asked for another number.
DEFAULT_LIMIT = 20
# Matches of each table that a search ranks: the newest (highest ids). A word found in most
# rows would otherwise have every row scored (bm25 or ts_rank_cd), for a million facts
# nearly a second; finding the newest matches costs no ranking.
RANKED = 1000
# Matches of each table that a search counts; past this it says "more than" and lists the
# table's newest matches unranked. Counting reads every match (on PostgreSQL the heap row of
# each, after the GIN index has listed them all): at a million facts, counting to 10,000 put
# a two-word search's p95 at 45 ms on PostgreSQL, to 1,000 at 16 ms. Equal to RANKED, so a
# table's matches are ranked all or none.
COUNTED = RANKED
# A table where a word of the query is in more records than this is not ranked on SQLite:
# bm25 reads every record holding each word of the query, however few hold them all.
COMMON = 10_000

# Tables FTS5 creates beside each `<table>_fts` to hold the index.
FTS5_SHADOW_SUFFIXES = ("data", "idx", "content", "docsize", "config")


def fts_table(table: str) -> str:
    """The name of the FTS5 table (SQLite) over `table`; for quotes, also the name of the
    table holding their tsvectors on PostgreSQL."""
    return f"{table}_fts"


def fts_columns(table: str) -> tuple[str, ...]:
    """The columns of `table`'s FTS5 table (SQLite): its own, and for quotes the speaker's."""
    return FTS_TABLES[table] + (SPEAKER_COLUMNS if table == "quotes" else ())


def gin_index(table: str) -> str:
    """The name of the GIN index (PostgreSQL) over `table` (for quotes, on quotes_fts)."""
    return f"ix_{table}_fts"


def pg_documents(table: str) -> str:
    """PostgreSQL: a SELECT of the id and document of every row of `table`, as its insert
    trigger `<table>_ai` computes them for the rows of one statement."""
    columns, rows = _document_arguments(table)
    function = f"{table}_fts_document"  # names from FTS_TABLES, constants of ours
    return f"SELECT {_ID[table]}, {function}({', '.join(columns)}) AS document {rows}"


def pg_document_inputs(table: str) -> str:
    """PostgreSQL: a SELECT of the id of every row of `table` and the arguments its document
    function `<table>_fts_document` takes, in order (kb.loader.documents)."""
    columns, rows = _document_arguments(table)
    return f"SELECT {_ID[table]}, {', '.join(columns)} {rows}"


# The id column of each table's rows in _document_arguments' FROM clause.
_ID = {table: "q.id" if table == "quotes" else "t.id" for table in FTS_TABLES}


def _document_arguments(table: str) -> tuple[list[str], str]:
    """The arguments of `<table>_fts_document` for a row, and the FROM clause of the rows."""
    if table == "quotes":
        # The speaker's names: another table's columns.
        return ["q.text", "p.name", "p.aliases"], (
            "FROM quotes AS q LEFT JOIN people AS p ON p.id = q.speaker_id"
        )
    return [f"t.{column}" for column in FTS_TABLES[table]], f"FROM {table} AS t"


def pg_triggers(table: str) -> dict[str, str]:
    """PostgreSQL: the statement-level triggers that keep `<table>_fts` in step, each with the
    table it is on (`<table>_ai/_au/_ad/_at`; for quotes, also the one on people)."""
    triggers = {f"{table}_{event}": table for event in ("ai", "au", "ad", "at")}
    if table == "quotes":
        triggers[SPEAKER_TRIGGER] = "people"
    return triggers


def fts_triggers(table: str) -> dict[str, str]:
    """SQLite: the triggers that keep `table`'s FTS5 table in step, each with the table it is
    on (`<table>_ai/_ad/_au`; for quotes, also the one on people)."""
    triggers = {f"{table}_{event}": table for event in ("ai", "ad", "au")}
    if table == "quotes":
        triggers[SPEAKER_TRIGGER] = "people"
    return triggers


def is_index_object(name: str | None, type_: str) -> bool:
    """True for a table, view or index that full-text search adds (the models do not describe
    them)."""
    if type_ == "table":
        return name in _fts_table_names()
    if type_ == "view":
        return name == QUOTES_FTS_SOURCE
    if type_ == "index":
        return name in {gin_index(table) for table in FTS_TABLES}
    return False


def include_object(
    _object: SchemaItem,
    name: str | None,
    type_: str,
    _reflected: bool,
    _compare_to: SchemaItem | None,
) -> bool:
    """Alembic's include_object hook: compare everything but full-text and loader bookkeeping.

    The loader's internal tables (`_kb_files`, `_kb_records`, migration 0004) belong to
    kb.loader.bookkeeping, not to the models.
    """
    if name is not None and name.startswith(("_kb_", "ix__kb_")):
        return False
    return not is_index_object(name, type_)


def _fts_table_names() -> set[str]:
    """Every FTS5 table and shadow table the migration creates (and on PostgreSQL, quotes_fts)."""
    names = {fts_table(table) for table in FTS_TABLES}
    return names | {f"{name}_{suffix}" for name in names for suffix in FTS5_SHADOW_SUFFIXES}
