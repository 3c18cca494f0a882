"""Internal tables of the loader: the data files loaded, and which file defines each record.

`_kb_files` holds one row per data file a load has read: its absolute path, the SHA-256 of its
bytes and how many rows of each table it defines. `_kb_records` says which file (and line)
defines each record, by table and slug. `_kb_texts` remembers the size, modification time and
SHA-256 of each source text file read, so that a reload rehashes only texts whose size or time
changed. A reload skips a data file whose bytes and texts are unchanged; the records attributed
to it stay as they are, and only the files that changed are read, checked and merged. The tables start with "_kb_"
because they are kb's bookkeeping, not part of the documented data (docs/schema.md lists them
as internal); deleting their rows is safe: the next load then reads every file.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create _kb_files, _kb_records and _kb_texts."""
    op.create_table(
        "_kb_files",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
    )
    op.create_table(
        "_kb_records",
        sa.Column("tablename", sa.String(32), nullable=False),
        sa.Column("slug", sa.String(200), nullable=False),
        sa.Column(
            "file_id",
            sa.Integer(),
            sa.ForeignKey("_kb_files.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tablename", "slug"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix__kb_records_file_id", "_kb_records", ["file_id"])
    op.create_table(
        "_kb_texts",
        sa.Column("path", sa.Text(), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mtime_ns", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("_kb_texts")
    op.drop_index("ix__kb_records_file_id", table_name="_kb_records")
    op.drop_table("_kb_records")
    op.drop_table("_kb_files")
