"""Print rows as an aligned, word-wrapped table, JSON, JSON Lines or CSV (stdlib only)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import click

FORMATS = ("table", "json", "jsonl", "csv")
FALLBACK_WIDTH = 100
GAP = "  "
# Optional columns from this level up give way before a slug is broken over lines.
KEEP_SLUGS_WHOLE = 2

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """A table column: its header, how to show a row's cell, and how it may give way to a
    narrow terminal.

    `wrap`: the cell may wrap at spaces; `hyphens`: also after hyphens (a slug, whose words
    are joined by them). `optional`: the column may be left out when the table cannot fit
    the width otherwise, the highest numbers first (0: never); from KEEP_SLUGS_WHOLE up, it
    is left out rather than a slug broken (see fitting()).
    """

    header: str
    cell: Callable[[Row], Any]
    wrap: bool = False
    right: bool = False
    hyphens: bool = False
    optional: int = 0

    @property
    def wraps(self) -> bool:
        """Whether the cell may take several lines."""
        return self.wrap or self.hyphens


def field(
    header: str,
    key: str | None = None,
    *,
    wrap: bool = False,
    right: bool = False,
    hyphens: bool = False,
    optional: int = 0,
) -> Column:
    """A column showing one field of the row (the header's name unless `key` is given)."""
    name = key or header

    def cell(row: Row) -> Any:
        return row.get(name)

    return Column(header, cell, wrap=wrap, right=right, hyphens=hyphens, optional=optional)


def emit(
    rows: Sequence[Row],
    fmt: str,
    columns: Sequence[Column],
    *,
    empty: str,
    note: str | None = None,
    more: str | None = None,
    render: Callable[[Sequence[Row]], str] | None = None,
) -> None:
    """Print `rows` in `fmt`; a table may end with a `note`, and says `empty` on stderr.

    `more` says rows were left out: under a table, or on stderr so that data stays clean.
    `render` draws the rows instead of one table of `columns`.
    """
    if fmt == "table":
        if not rows:
            click.echo(empty, err=True)
            return
        click.echo(render(rows) if render is not None else table(rows, columns))
        if note:
            click.echo(f"\n{note}")
        if more:
            click.echo(f"\n{more}")
        return
    if fmt == "json":
        click.echo(to_json(list(rows)))
    else:
        emit_records(rows, fmt)
    if more:
        click.echo(more, err=True)


def emit_document(
    document: Row,
    fmt: str,
    *,
    text: Callable[[Row], str],
    records: Callable[[Row], list[Row]],
) -> None:
    """Print one nested result: `text` for a table, one JSON object, or flat `records`."""
    if fmt == "table":
        click.echo(text(document))
    elif fmt == "json":
        click.echo(to_json(document))
    else:
        emit_records(records(document), fmt)


def emit_records(records: Iterable[Row], fmt: str) -> None:
    """Print flat records as JSON Lines or CSV (the formats made for streams of rows)."""
    if fmt == "jsonl":
        for record in records:
            click.echo(json.dumps(record, ensure_ascii=False, default=str))
    elif fmt == "csv":
        click.echo(to_csv(list(records)), nl=False)
    else:
        raise ValueError(f"not a record format: {fmt}")


def to_json(value: Any) -> str:
    """Indented JSON with non-ASCII text kept readable (curly quotes stay curly)."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def to_csv(records: list[Row]) -> str:
    """CSV with a header of every field; lists and objects as JSON, booleans as true/false."""
    if not records:
        return ""
    fields = list(dict.fromkeys(key for record in records for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})
    return buffer.getvalue()


def _csv_cell(value: Any) -> Any:
    """One CSV cell: JSON for structures and booleans (so a reader can parse them back)."""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def terminal_width() -> int:
    """Columns of the terminal ($COLUMNS wins); 100 when output is not a terminal."""
    return shutil.get_terminal_size((FALLBACK_WIDTH, 24)).columns


def table(rows: Sequence[Row], columns: Sequence[Column], width: int | None = None) -> str:
    """An aligned table fitting `width`, wrapping long cells at word boundaries.

    Words are never cut, and no cell is squeezed to one word a line: a wrapped column is at
    least as wide as its widest two neighbouring words. When the columns cannot fit so, the
    optional ones are left out (see Column); what still does not fit overflows. Rows are
    separated by a blank line when any cell takes more than one line.
    """
    width = width or terminal_width()
    shown, cells = fitting(rows, columns, width)
    widths = column_widths(cells, shown, width)
    lines = [_line([c.header for c in shown], widths, shown)]
    lines.append(_line(["-" * w for w in widths], widths, shown))
    blocks = [_wrap_row(row, widths, shown) for row in cells]
    spaced = any(len(block) > 1 for block in blocks)
    for index, block in enumerate(blocks):
        if spaced and index:
            lines.append("")
        lines.extend(block)
    return "\n".join(lines)


def fitting(
    rows: Sequence[Row], columns: Sequence[Column], width: int
) -> tuple[list[Column], list[list[str]]]:
    """The columns a table of `rows` shows at `width`, and the cells of each row.

    Every column, while the table fits with its slugs whole; else, until it does, less the
    columns with no text in any row, then less the columns whose `optional` is
    KEEP_SLUGS_WHOLE or more (highest first). Then, while even its narrowest layout is too
    wide, less the other optional ones.
    """
    shown = list(columns)
    cells = [[show(column.cell(row)) for column in shown] for row in rows]

    def drop(index: int) -> None:
        del shown[index]
        for row in cells:
            del row[index]

    while _narrowest(cells, shown, whole=True) > width:
        empty = [i for i in range(len(shown)) if not any(row[i] for row in cells)]
        spare = [i for i, c in enumerate(shown) if c.optional >= KEEP_SLUGS_WHOLE]
        if not (empty or spare):
            break
        drop(empty[0] if empty else max(spare, key=lambda i: shown[i].optional))
    while _narrowest(cells, shown, whole=False) > width:
        optional = [i for i, column in enumerate(shown) if column.optional]
        if not optional:
            break
        drop(max(optional, key=lambda i: shown[i].optional))
    return shown, cells


def _narrowest(cells: list[list[str]], columns: Sequence[Column], *, whole: bool) -> int:
    """The width of the narrowest layout: every column at its floor, slugs `whole` or not."""
    floors = _floors(cells, columns)
    if whole:
        floors = [
            max(floor, *(_longest_word(row[i]) for row in cells)) if c.hyphens else floor
            for i, (floor, c) in enumerate(zip(floors, columns, strict=True))
        ]
    return sum(floors) + len(GAP) * (len(columns) - 1)


def _floors(cells: list[list[str]], columns: Sequence[Column]) -> list[int]:
    """The narrowest each column may be: a fixed one its longest cell, a wrapped one its
    widest two neighbouring words (or pieces of a slug), and never below its header."""
    floors = []
    for i, column in enumerate(columns):
        widest = (_pair(row[i], column.hyphens) if column.wraps else len(row[i]) for row in cells)
        floors.append(max([len(column.header), *widest]))
    return floors


def _pair(text: str, hyphens: bool) -> int:
    """The width of the widest two neighbouring pieces of `text` on one line (one piece: its
    own width)."""
    pieces = _pieces(text, hyphens)
    if len(pieces) < 2:
        return sum(len(piece) for _, piece in pieces)
    return max(len(a) + len(b) + spaced for (_, a), (spaced, b) in pairwise(pieces))


# A piece of a slug: up to and including a hyphen, or the rest.
_SLUG_PIECE = re.compile(r"[^-]*-|[^-]+")


def _pieces(text: str, hyphens: bool) -> list[tuple[bool, str]]:
    """The pieces a cell may break between, each with whether a space comes before it: its
    words, and with `hyphens` each word cut after its hyphens."""
    pieces = []
    for word in text.split():
        parts = _SLUG_PIECE.findall(word) if hyphens else [word]
        pieces += [(index == 0, part) for index, part in enumerate(parts)]
    return pieces


def show(value: Any) -> str:
    """Text for one table cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(show(v) for v in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return " ".join(str(value).split())


def column_widths(cells: list[list[str]], columns: Sequence[Column], width: int) -> list[int]:
    """Width of each column: fixed columns get their longest cell, wrapped ones share the rest.

    Every wrapped column gets at least its floor (_floors()). Slugs (hyphens) are broken only
    when the others could not keep their floors otherwise: a broken identifier reads worse
    than wrapped prose. Then the wrapped columns share what is left, so that narrow ones keep
    their natural width and wide ones split the remainder.
    """
    natural = [max([len(c.header), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    floors = _floors(cells, columns)
    widths = [floors[i] if c.wraps else natural[i] for i, c in enumerate(columns)]
    spare = width - len(GAP) * (len(columns) - 1) - sum(widths)
    # A slug column first gets what keeps its longest slug whole (its other words may wrap).
    whole = {
        i: max([len(c.header), *(_longest_word(row[i]) for row in cells)])
        for i, c in enumerate(columns)
        if c.hyphens
    }
    for i in sorted(whole, key=lambda i: whole[i] - floors[i]):
        extra = max(min(whole[i] - widths[i], spare), 0)
        widths[i] += extra
        spare -= extra
    # The rest, narrowest first: each wrapped column takes its natural width if that is no more
    # than an even share of the room left, and never so much that a later one loses its floor.
    wrapped = sorted((i for i, c in enumerate(columns) if c.wraps), key=natural.__getitem__)
    least = [widths[i] for i in wrapped]  # a slug made whole keeps that width
    room = max(spare, 0) + sum(least)
    for placed, i in enumerate(wrapped):
        later = sum(least[placed + 1 :])
        share = room // (len(wrapped) - placed)
        widths[i] = max(least[placed], min(natural[i], share, room - later))
        room -= widths[i]
    return widths


def _longest_word(text: str) -> int:
    """Length of the longest word (run of non-spaces) in `text`."""
    return max((len(word) for word in text.split()), default=0)


def _wrap_row(cells: list[str], widths: list[int], columns: Sequence[Column]) -> list[str]:
    """The lines of one table row, wrapped cells padded below with blanks."""
    parts = [
        wrap(cell, width, hyphens=column.hyphens) if column.wraps else [cell]
        for cell, width, column in zip(cells, widths, columns, strict=True)
    ]
    height = max(len(p) for p in parts)
    return [
        _line([p[n] if n < len(p) else "" for p in parts], widths, columns) for n in range(height)
    ]


def wrap(text: str, width: int, *, hyphens: bool = False) -> list[str]:
    """Lines of `text` no wider than `width`, broken only at spaces (with `hyphens`, also
    after a hyphen), never inside a word; a piece longer than `width` overflows."""
    lines: list[str] = []
    for spaced, piece in _pieces(text, hyphens):
        joined = f"{lines[-1]}{' ' if spaced else ''}{piece}" if lines else piece
        if lines and len(joined) <= width:
            lines[-1] = joined
        else:
            lines.append(piece)
    return lines or [""]


def _line(cells: Sequence[str], widths: list[int], columns: Sequence[Column]) -> str:
    """One printed line: cells padded to their widths, trailing spaces removed."""
    padded = [
        cell.rjust(width) if column.right else cell.ljust(width)
        for cell, width, column in zip(cells, widths, columns, strict=True)
    ]
    return GAP.join(padded).rstrip()
