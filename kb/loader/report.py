"""What validate() and load() return: record counts, and per-table changes of a load."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ValidationSummary:
    """Files read and records per type (sources, parties, people, roles, quotes, ...)."""

    files: list[Path]
    counts: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        """The summary as a JSON-able dict."""
        return {"files": [str(f) for f in self.files], "counts": dict(self.counts)}


@dataclass
class TableChange:
    """How a load changes one table; `missing` names rows in the database but not in the files."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    missing: list[str] = field(default_factory=list)
    deleted: int = 0

    @property
    def changed(self) -> bool:
        """Whether the table is (or, in a dry run, would be) written to."""
        return bool(self.inserted or self.updated or self.deleted)

    def to_dict(self) -> dict[str, Any]:
        """The change as a JSON-able dict."""
        return {
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": list(self.missing),
            "deleted": self.deleted,
        }


@dataclass
class LoadReport:
    """The outcome of a load: files read and the change to each table, in load order.

    `dry_run` says nothing was kept; `pruned` says rows missing from the files were deleted
    (prune=True was asked for); `skipped` lists the files not read because they are unchanged
    since the last load (their records count as unchanged); `observed` holds what load()'s
    observer saw before and after the writes (None without one).
    """

    files: list[Path]
    tables: dict[str, TableChange]
    dry_run: bool = False
    pruned: bool = False
    skipped: list[Path] = field(default_factory=list)
    observed: tuple[Any, Any] | None = None

    @property
    def changed(self) -> bool:
        """Whether any table is (or would be) changed."""
        return any(change.changed for change in self.tables.values())

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-able dict."""
        return {
            "files": [str(f) for f in self.files],
            "dry_run": self.dry_run,
            "pruned": self.pruned,
            "skipped": [str(f) for f in self.skipped],
            "changed": self.changed,
            "tables": {name: change.to_dict() for name, change in self.tables.items()},
        }
