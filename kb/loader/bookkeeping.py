"""The loader's internal tables (migration 0004): files loaded, and where records are defined."""

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
    Column("slug", String(200), primary_key=True),
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
