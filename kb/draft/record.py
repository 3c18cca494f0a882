"""A drafted record: its fields in the data format, the offsets of its passages, notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DraftRecord:
    """A record in the data format, the offsets of its passages, and notes for the curator."""

    type: str
    fields: dict[str, Any]
    offsets: dict[str, tuple[int, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Comments on one field (why it links where it does), written just before it.
    field_notes: dict[str, list[str]] = field(default_factory=dict)
