"""Records as read from a data file, before any check: values, and the lines they came from."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from kb.loader.problems import Problem

# Names (fields, record types, choices) are short; nothing longer is a misspelling of one.
MAX_NAME = 100


@dataclass
class RawRecord:
    """A record as read: its type, values, and where it and each of its fields are."""

    type: str
    file: str
    line: int
    ordinal: int
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)
    # Whether values may be yamlnodes.Invalid (a YAML value that could not be read); JSON
    # values never are, so their checks skip looking for them.
    may_hold_invalid: bool = True

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from the fields, as Record is (kb.loader.checking): four times faster.
        fields = (self.type, self.file, self.line, self.ordinal, self.data, self.lines)
        return RawRecord, (*fields, self.may_hold_invalid)

    @property
    def label(self) -> str:
        """The slug when it is usable text, else "#N" (the record's position in its list)."""
        slug = self.data.get("slug")
        if isinstance(slug, str) and slug:
            return slug
        return f"#{self.ordinal}"

    def line_of(self, path: str) -> int:
        """The line of a field (dotted path), or the record's line when not known."""
        return self.lines.get(path, self.line)

    def problem(self, path: str | None, message: str, hint: str | None = None) -> Problem:
        """A problem about this record (and one of its fields, when `path` is given)."""
        line = self.line if path is None else self.line_of(path)
        return Problem(self.file, line, self.label, self.type, path, message, hint)


def suggest(word: str, choices: Any, most: int = 1) -> str | None:
    """A "did you mean" hint for a misspelt name (the `most` closest), or None when nothing
    is close."""
    if len(word) > MAX_NAME:
        return None  # not a misspelt name; and difflib's cost grows with the length
    close = [f"'{c}'" for c in difflib.get_close_matches(word, list(choices), n=most, cutoff=0.6)]
    if not close:
        return None
    listed = close[0] if len(close) == 1 else f"{', '.join(close[:-1])} or {close[-1]}"
    return f"did you mean {listed}?"


def file_problem(file: str, line: int | None, message: str, hint: str | None = None) -> Problem:
    """A problem of a whole file (or one line of it), not of one record."""
    return Problem(file, line, None, None, None, message, hint)
