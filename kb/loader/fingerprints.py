"""Recognise data files unchanged since the last load, by content hash, and record this load's.

A file is skipped when its SHA-256 equals the one stored in `_kb_files` at the last load and
the source texts its sources name (under the seeds directory) still have the SHA-256 the
database holds. Its records stay as they are; everything else is read. After a load, the
files read replace their old entries, and `_kb_records` says which file defines each record.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import bindparam, insert, select, text
from sqlalchemy.engine import Connection

from kb.loader.bookkeeping import files as files_table
from kb.loader.staging import stage_name
from kb.loader.tables import SPECS


@dataclass
class FilePlan:
    """The data files of a load: each one's SHA-256, and which are skipped (by index)."""

    files: list[Path]
    digests: list[str]
    skipped: set[int]

    @property
    def bytes_to_read(self) -> int:
        """The size of the files that are read."""
        return sum(
            self.files[i].stat().st_size for i in range(len(self.files)) if i not in self.skipped
        )


def digest(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def plan_files(
    connection: Connection, files: list[Path], seeds_dir: Path, *, reread: bool
) -> FilePlan:
    """Hash every file; choose those to skip (none when `reread`); fill kb_skipped_files."""
    digests = [digest(path) for path in files]
    plan = FilePlan(files, digests, set())
    connection.exec_driver_sql("DROP TABLE IF EXISTS kb_skipped_files")
    connection.exec_driver_sql(
        "CREATE TEMPORARY TABLE kb_skipped_files (file_id INTEGER PRIMARY KEY)"
    )
    if reread or not files:
        return plan
    known = {
        row.path: (row.id, row.sha256)
        for row in connection.execute(
            select(files_table.c.id, files_table.c.path, files_table.c.sha256)
        )
    }
    candidates: dict[int, int] = {}  # file id -> index in `files`
    for index, (path, sha256) in enumerate(zip(files, digests, strict=True)):
        entry = known.get(_key(path))
        if entry is not None and entry[1] == sha256:
            candidates[entry[0]] = index
    for file_id in _changed_texts(connection, set(candidates), seeds_dir):
        del candidates[file_id]
    if candidates:
        connection.execute(
            text("INSERT INTO kb_skipped_files (file_id) VALUES (:file_id)"),
            [{"file_id": file_id} for file_id in candidates],
        )
    plan.skipped = set(candidates.values())
    return plan


def _changed_texts(connection: Connection, file_ids: set[int], seeds_dir: Path) -> set[int]:
    """Files among `file_ids` with a source whose text file no longer has the stored hash."""
    if not file_ids:
        return set()
    rows = connection.execute(
        text(
            "SELECT k.file_id, s.path, s.sha256 FROM _kb_records k "
            "JOIN sources s ON s.slug = k.slug WHERE k.tablename = 'sources' "
            "AND s.path IS NOT NULL"
        )
    )
    changed: set[int] = set()
    for file_id, path, sha256 in rows:
        if file_id not in file_ids or file_id in changed:
            continue
        try:
            if digest(seeds_dir / path) != sha256:
                changed.add(file_id)
        except OSError:
            changed.add(file_id)  # gone or unreadable: read the file, which reports it
    return changed


def _key(path: Path) -> str:
    """How `_kb_files` names a file: its absolute, resolved path."""
    return str(path.resolve())


def record_files(connection: Connection, plan: FilePlan) -> None:
    """Replace the entries of every file but the skipped ones with this load's files."""
    keep = "SELECT file_id FROM kb_skipped_files"
    connection.exec_driver_sql(f"DELETE FROM _kb_records WHERE file_id NOT IN ({keep})")
    connection.exec_driver_sql(f"DELETE FROM _kb_files WHERE id NOT IN ({keep})")
    read = [i for i in range(len(plan.files)) if i not in plan.skipped]
    if not read:
        return
    connection.execute(
        insert(files_table),
        [{"path": _key(plan.files[i]), "sha256": plan.digests[i]} for i in read],
    )
    ids = dict(
        connection.execute(
            select(files_table.c.path, files_table.c.id).where(
                files_table.c.path.in_(bindparam("paths", expanding=True))
            ),
            {"paths": [_key(plan.files[i]) for i in read]},
        ).all()
    )
    connection.exec_driver_sql("DROP TABLE IF EXISTS kb_file_ids")
    connection.exec_driver_sql("CREATE TEMPORARY TABLE kb_file_ids (idx INTEGER, file_id INTEGER)")
    connection.execute(
        text("INSERT INTO kb_file_ids (idx, file_id) VALUES (:idx, :file_id)"),
        [{"idx": i, "file_id": ids[_key(plan.files[i])]} for i in read],
    )
    for name, spec in SPECS.items():
        if "slug" not in spec.key:
            continue
        connection.exec_driver_sql(
            f"INSERT INTO _kb_records (tablename, slug, file_id, line) "
            f"SELECT '{name}', s.slug, m.file_id, s._line FROM {stage_name(name)} s "
            f"JOIN kb_file_ids m ON m.idx = s._file ORDER BY s.slug"
        )
    connection.exec_driver_sql("DROP TABLE kb_file_ids")
