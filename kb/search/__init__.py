"""Full-text search over quotes, figures, events, sources, people and metrics.

FTS5 tables kept by triggers on SQLite, GIN tsvector indexes on PostgreSQL (created by
migrations 0002, 0006 and 0007); a quote is indexed with its speaker's name and aliases, so
"Jankauskas investment" finds it. `index` says what is indexed, `terms` turns what a user
types into a query that cannot be a syntax error, `fts5` and `tsvector` build each dialect's
SQL, and `run.search` runs it. Importing this package (and `index`) costs only the standard
library, so the CLI can take the constants without loading SQLAlchemy.
"""

from kb.search.index import FTS_TABLES, HIT_TYPES, include_object, is_index_object

__all__ = ["FTS_TABLES", "HIT_TYPES", "include_object", "is_index_object"]
