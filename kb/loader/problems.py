"""Problems found in data files, and the LoadError that lists them all."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kb.errors import KbError

MAX_PROBLEMS = 100

# Values quoted in messages are cut to this many characters: a message is one readable line.
SHOWN_CHARS = 80
# Code points a terminal or a UTF-8 stream cannot take: NUL and unpaired surrogates.
_UNPRINTABLE = re.compile("[\x00\ud800-\udfff]")


def shown(value: Any) -> str:
    """A value as messages quote it: its repr, cut short (with the length) when long."""
    if isinstance(value, str) and len(value) > SHOWN_CHARS:
        start = repr(value[:SHOWN_CHARS])
        return f"{start[:-1]}…{start[-1]} ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def printable(text: str) -> str:
    """`text` with NUL and unpaired surrogates written as escapes, so it can be printed."""
    return _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)


def clipped(text: str) -> str:
    """A name from the data (a slug, a field path) cut to a readable length for messages."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the data: where it is, what is wrong, and how to fix it.

    `record` is the record's slug, or "#N" when it has none (N: its position in its YAML
    list, or its line in a JSON Lines file);
    `record`, `record_type` and `field` are None for problems of a whole file (a syntax error).
    """

    file: str
    line: int | None
    record: str | None
    record_type: str | None
    field: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        subject = []
        # A record of an unknown type is still named: "record 'x'".
        kind = self.record_type or ("record" if self.record is not None else None)
        if kind is not None:
            if self.record is None:
                subject.append(kind)
            elif self.record.startswith("#"):
                subject.append(f"{kind} {self.record}")
            else:
                subject.append(f"{kind} '{clipped(self.record)}'")
        if self.field is not None:
            subject.append(f"field '{clipped(self.field)}'")
        text = f"{where}: "
        if subject:
            text += " ".join(subject) + ": "
        text += self.message
        if self.hint:
            text += ("" if text.endswith((".", "!", "?", ":")) else ".") + " "
            text += self.hint[0].upper() + self.hint[1:]
        return printable(text)

    def to_dict(self) -> dict[str, Any]:
        """The problem as a JSON-able dict."""
        return asdict(self)


class LoadError(KbError):
    """The data has problems: every one found (up to MAX_PROBLEMS) is listed, nothing is written."""

    def __init__(
        self,
        problems: Iterable[Problem],
        *,
        where: str,
        omitted: int = 0,
        loading: bool = True,
    ) -> None:
        self.problems = list(problems)
        self.where = where
        self.omitted = omitted
        self.loading = loading
        super().__init__(self._render())

    @property
    def total(self) -> int:
        """How many problems were found, including those not listed."""
        return len(self.problems) + self.omitted

    def _render(self) -> str:
        count = self.total
        header = f"{count} problem{'s' if count != 1 else ''} in {printable(self.where)}"
        if self.loading:
            header += "; nothing was loaded"
        lines = [header, *(str(problem) for problem in self.problems)]
        if self.omitted:
            lines.append(
                f"… and {self.omitted} more (only the first {len(self.problems)} are listed)."
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._render()

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-able dict."""
        return {
            "where": self.where,
            "total": self.total,
            "omitted": self.omitted,
            "problems": [problem.to_dict() for problem in self.problems],
        }


class Problems:
    """Collects problems from every stage of a run, keeping the first MAX_PROBLEMS."""

    def __init__(self, limit: int = MAX_PROBLEMS) -> None:
        self.kept: list[Problem] = []
        self.omitted = 0
        self.limit = limit

    def add(self, problem: Problem) -> None:
        """Record a problem (counted but not kept past the limit)."""
        if len(self.kept) < self.limit:
            self.kept.append(problem)
        else:
            self.omitted += 1

    def __bool__(self) -> bool:
        return bool(self.kept) or self.omitted > 0

    def __len__(self) -> int:
        return len(self.kept) + self.omitted

    def error(self, where: str, *, loading: bool) -> LoadError:
        """A LoadError listing the kept problems in file and line order."""
        ordered = sorted(self.kept, key=lambda p: (p.file, p.line or 0))
        return LoadError(ordered, where=where, omitted=self.omitted, loading=loading)


def display_path(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    text = str(path)
    if not path.is_absolute():
        return text
    # What path.relative_to(Path.cwd()) gives, compared as strings: a load shows every one of
    # its files, and pathlib's way cost 0.2 s for 10,000 of them.
    cwd = os.getcwd()
    folded, inside = os.path.normcase(text), os.path.normcase(cwd.rstrip(os.sep) + os.sep)
    if folded == os.path.normcase(cwd):
        return "."
    return text[len(inside) :] if folded.startswith(inside) else text
