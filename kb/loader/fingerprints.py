"""Recognise data files unchanged since the last load, by content hash, and record this load's.

A data file is skipped when its SHA-256 equals the one stored in `_kb_files` at the last load
and the source texts its sources name (under the seeds directory) still have the SHA-256 the
database holds. A text is rehashed only when its size or modification time differs from what
`_kb_texts` remembers (git's stat cache, for the same reason: a reload of a large collection
must not read every text). A skipped file's records stay as they are; its row counts (kept in
`_kb_files`) count as unchanged. After a load, the files read replace their old entries, and
`_kb_records` says which file defines each record.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, select, text
from sqlalchemy.engine import Connection

from kb.db import driver_execute, driver_insert, driver_marks
from kb.loader.bookkeeping import files as files_table
from kb.loader.merge import drop_foreign_keys, drop_indexes
from kb.loader.staging import stage_name
from kb.loader.tables import KEYED, SPECS, staged_key


@dataclass
class FilePlan:
    """The data files of a load: each one's SHA-256, which are skipped (by index), and the rows
    per table the skipped files define."""

    files: list[Path]
    digests: list[str | None]  # None: the file could not be read (reading it reports why)
    skipped: set[int]
    skipped_rows: Counter[str] = field(default_factory=Counter)
    # How _kb_files names each file: its absolute, resolved path.
    keys: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.keys = resolved(self.files)

    @property
    def bytes_to_read(self) -> int:
        """The size of the files that are read."""
        read = (path for i, path in enumerate(self.files) if i not in self.skipped)
        return sum(size(path) for path in read)


def size(path: Path) -> int:
    """A file's size (0 when it cannot be read: reading it reports why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def digest(path: Path | str) -> str:
    """The SHA-256 of a file's bytes."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _digest_if_readable(path: Path) -> str | None:
    """The SHA-256 of a data file, or None when it cannot be read (reported by the read)."""
    try:
        return digest(path)
    except OSError:
        return None


def plan_files(
    connection: Connection, files: list[Path], seeds_dir: Path, *, reread: bool, remember: bool
) -> FilePlan:
    """Hash every file; choose those to skip (none when `reread`); fill kb_skipped_files.

    Without `remember` (a validation, which records nothing) no file is hashed or skipped.
    """
    if remember:
        digests = [_digest_if_readable(path) for path in files]
    else:
        digests, reread = [None] * len(files), True
    plan = FilePlan(files, digests, set())
    connection.exec_driver_sql("DROP TABLE IF EXISTS kb_skipped_files")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE kb_skipped_files (file_id INTEGER PRIMARY KEY)"
    )
    if reread or not files:
        return plan
    known = {
        row.path: row
        for row in connection.execute(
            select(files_table.c.id, files_table.c.path, files_table.c.sha256, files_table.c.counts)
        )
    }
    candidates: dict[int, int] = {}  # file id -> index in `files`
    for index, (key, sha256) in enumerate(zip(plan.keys, digests, strict=True)):
        entry = known.get(key)
        if entry is not None and sha256 is not None and entry.sha256 == sha256:
            candidates[entry.id] = index
    for file_id in _changed_texts(connection, set(candidates), seeds_dir):
        del candidates[file_id]
    if candidates:
        connection.execute(
            text("INSERT INTO kb_skipped_files (file_id) VALUES (:file_id)"),
            [{"file_id": file_id} for file_id in candidates],
        )
    plan.skipped = set(candidates.values())
    for index in plan.skipped:
        plan.skipped_rows.update(json.loads(known[plan.keys[index]].counts))
    return plan


def _changed_texts(connection: Connection, file_ids: set[int], seeds_dir: Path) -> set[int]:
    """Files among `file_ids` with a source whose text file no longer has the stored hash."""
    if not file_ids:
        return set()
    # Straight from the driver, as tuples: one row per source text (55,000 at a million
    # facts), where SQLAlchemy's rows cost a reload 0.3 s more.
    remembered = {
        path: (size, mtime_ns, sha256)
        for path, size, mtime_ns, sha256 in driver_execute(
            connection, "SELECT path, size, mtime_ns, sha256 FROM _kb_texts"
        ).fetchall()
    }
    rows = driver_execute(
        connection,
        "SELECT k.file_id, s.path, s.sha256 FROM _kb_records k "
        "JOIN sources s ON s.slug = k.slug WHERE k.tablename = 'sources' "
        "AND s.path IS NOT NULL",
    ).fetchall()
    root = str(seeds_dir.resolve())
    changed: set[int] = set()
    for file_id, path, sha256 in rows:
        if file_id not in file_ids or file_id in changed:
            continue
        full = os.path.join(root, path)
        try:
            stat = os.stat(full)
            # Where size or time differ (or the text was never seen), only the content can tell.
            same_stat = remembered.get(full) == (stat.st_size, stat.st_mtime_ns, sha256)
            if not same_stat and digest(full) != sha256:
                changed.add(file_id)
        except OSError:
            changed.add(file_id)  # gone or unreadable: read the file, which reports it
    return changed


def resolved(paths: list[Path]) -> list[str]:
    """The absolute, resolved path of each file (what Path.resolve() gives), each directory
    resolved once: resolving costs a system call per component of the path."""
    directories: dict[Path, str] = {}
    found = []
    for path in paths:
        directory = directories.get(path.parent)
        if directory is None:
            directory = directories[path.parent] = os.path.realpath(path.parent)
        candidate = os.path.join(directory, path.name)
        found.append(os.path.realpath(candidate) if os.path.islink(candidate) else candidate)
    return found


def record_files(
    connection: Connection, plan: FilePlan, counts: dict[int, dict[str, int]], seeds_dir: Path
) -> None:
    """Replace the entries of every file but the skipped ones with this load's files.

    `counts` gives, per file index, the rows of each table the file defines.
    """
    replaced = "SELECT id FROM _kb_files WHERE id NOT IN (SELECT file_id FROM kb_skipped_files)"
    # By the file index: a reload that reads one file of 10,000 deletes a few hundred rows,
    # where `file_id NOT IN (...)` went through all of them (a million at a million facts).
    connection.exec_driver_sql(f"DELETE FROM _kb_records WHERE file_id IN ({replaced})")
    connection.exec_driver_sql(f"DELETE FROM _kb_files WHERE id IN ({replaced})")
    # A file that could not be hashed is not remembered: the next load reads it again.
    read = [
        i for i in range(len(plan.files)) if i not in plan.skipped and plan.digests[i] is not None
    ]
    if not read:
        return
    driver_insert(
        connection,
        "_kb_files",
        ("path", "sha256", "counts"),
        [(plan.keys[i], plan.digests[i], json.dumps(counts.get(i, {}))) for i in read],
    )
    _record_attributions(connection, plan, read)
    _remember_texts(connection, seeds_dir)


def _record_attributions(connection: Connection, plan: FilePlan, read: list[int]) -> None:
    """_kb_records: the file and line of every record staged in this load."""
    ids = dict(
        connection.execute(
            select(files_table.c.path, files_table.c.id).where(
                files_table.c.path.in_(bindparam("paths", expanding=True))
            ),
            {"paths": [plan.keys[i] for i in read]},
        ).all()
    )
    connection.exec_driver_sql("DROP TABLE IF EXISTS kb_file_ids")
    connection.exec_driver_sql("CREATE TEMPORARY TABLE kb_file_ids (idx INTEGER, file_id INTEGER)")
    driver_insert(
        connection, "kb_file_ids", ("idx", "file_id"), [(i, ids[plan.keys[i]]) for i in read]
    )
    # Into an empty table (a first load), the file index is built once afterwards, and on
    # PostgreSQL the primary key too (one sort), the foreign key to _kb_files checked once.
    empty = connection.exec_driver_sql("SELECT 1 FROM _kb_records LIMIT 1").first() is None
    indexes = drop_indexes(connection, "_kb_records") if empty else []
    # Rows in key order go into the primary key's index at its end; without the key (dropped
    # on PostgreSQL) there is nothing to order for.
    keyless = empty and connection.dialect.name == "postgresql"
    if keyless:
        indexes += drop_foreign_keys(connection, "_kb_records", {"_kb_files"}, primary_key=True)
    for name in SPECS:
        # A row without a slug is recorded (by its key) only when written as a record of its
        # own; inside its person or event it is defined by the file of that record.
        key, alone = (
            (staged_key(name), "WHERE s._path IS NULL ") if name in KEYED else ("s.slug", "")
        )
        connection.exec_driver_sql(
            f"INSERT INTO _kb_records (tablename, slug, file_id, line) "
            f"SELECT '{name}', {key}, m.file_id, s._line FROM {stage_name(name)} s "
            f"JOIN kb_file_ids m ON m.idx = s._file {alone}{'' if keyless else f'ORDER BY {key}'}"
        )
    for statement in indexes:
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DROP TABLE kb_file_ids")


def _remember_texts(connection: Connection, seeds_dir: Path) -> None:
    """_kb_texts: size, time and hash of every source text file this load read, as it read it
    (the staged sources carry the size and time the file had then), in one statement: row by
    row, the 55,000 texts of a million facts took 1.7 s of the load's single-CPU end."""
    # The path os.path.join(root, path) gives, for a path relative to the seeds directory
    # (kb.loader.texts refuses any other).
    root = os.path.join(seeds_dir.resolve(), "")
    # Into an empty table (a first load) no path can be there already: a plain insert, where
    # the conflict check costs each row a probe of the key (0.3 s at 55,000 texts).
    empty = connection.exec_driver_sql("SELECT 1 FROM _kb_texts LIMIT 1").first() is None
    statement = _INSERT_TEXTS if empty else _INSERT_TEXTS + _REPLACE_TEXT
    connection.exec_driver_sql(
        driver_marks(connection, statement.format(stage=stage_name("sources"))), (root,)
    )


# One row per text file: two sources may share one, and the last staged gives the row (a
# statement may not write one row twice).
_INSERT_TEXTS = (
    "INSERT INTO _kb_texts (path, size, mtime_ns, sha256) "
    "SELECT ? || s.path, s._text_size, s._text_mtime_ns, s.sha256 FROM {stage} s "
    "WHERE s._seq IN (SELECT max(_seq) FROM {stage} "
    "WHERE path IS NOT NULL AND _text_size IS NOT NULL GROUP BY path)"
)
# Replaces the row of a path already there (SQLite and PostgreSQL both have ON CONFLICT).
_REPLACE_TEXT = (
    " ON CONFLICT (path) DO UPDATE SET "
    "size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256"
)
