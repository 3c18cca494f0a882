"""The loader's internal tables (migrations 0004, 0006): files loaded, where records are defined,
and the look-up keys of names."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, MetaData, String, Table, Text

INTERNAL = MetaData()

files = Table(
    "_kb_files",
    INTERNAL,
    Column("id", Integer, primary_key=True),
    Column("path", Text, nullable=False, unique=True),
    Column("sha256", String(64), nullable=False),
    Column("counts", Text, nullable=False),  # JSON: rows per table the file defines
)

records = Table(
    "_kb_records",
    INTERNAL,
    Column("tablename", String(32), primary_key=True),
    # A record's slug; for a record without one (a role, an alias or a participant written
    # as a record of its own), its natural key (kb.loader.tables.KEYS).
    Column("slug", Text, primary_key=True),
    Column("file_id", Integer, ForeignKey("_kb_files.id", ondelete="CASCADE"), nullable=False),
    Column("line", Integer, nullable=False),
)

texts = Table(
    "_kb_texts",
    INTERNAL,
    Column("path", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
)

# The look-up keys of every name of a person or party (kb.names), so that `kb draft` finds the
# people and parties an article names by an indexed query (migration 0006; kb.loader.lookup).
names = Table(
    "_kb_names",
    INTERNAL,
    Column("kind", String(10), nullable=False),  # person or party
    Column("slug", String(200), nullable=False),  # the person's or party's slug
    Column("key", Text, nullable=False),
    Column("origin", String(32), nullable=False),  # the table the name is in
    Column("origin_key", Text, nullable=False),  # that record's slug, or an alias row's key
)
