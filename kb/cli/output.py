"""Print rows as an aligned, word-wrapped table, JSON, JSON Lines or CSV (stdlib only)."""

from __future__ import annotations

import csv
import io
import json
import shutil
import textwrap
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import click

FORMATS = ("table", "json", "jsonl", "csv")
FALLBACK_WIDTH = 100
GAP = "  "

Row = dict[str, Any]


@dataclass(frozen=True)
class Column:
    """A table column: its header, how to show a row's cell, and whether it may wrap."""

    header: str
    cell: Callable[[Row], Any]
    wrap: bool = False
    right: bool = False


def field(
    header: str, key: str | None = None, *, wrap: bool = False, right: bool = False
) -> Column:
    """A column showing one field of the row (the header's name unless `key` is given)."""
    name = key or header
    return Column(header, lambda row: row.get(name), wrap=wrap, right=right)


def emit(
    rows: Sequence[Row],
    fmt: str,
    columns: Sequence[Column],
    *,
    empty: str,
    note: str | None = None,
    more: str | None = None,
) -> None:
    """Print `rows` in `fmt`; a table may end with a `note`, and says `empty` on stderr.

    `more` says rows were left out: under a table, or on stderr so that data stays clean.
    """
    if fmt == "table":
        if not rows:
            click.echo(empty, err=True)
            return
        click.echo(table(rows, columns))
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

    Words are never cut: a word longer than its column overflows it instead. Rows are
    separated by a blank line when any cell takes more than one line.
    """
    cells = [[show(column.cell(row)) for column in columns] for row in rows]
    widths = column_widths(cells, columns, width or terminal_width())
    lines = [_line([c.header for c in columns], widths, columns)]
    lines.append(_line(["-" * w for w in widths], widths, columns))
    blocks = [_wrap_row(row, widths, columns) for row in cells]
    spaced = any(len(block) > 1 for block in blocks)
    for index, block in enumerate(blocks):
        if spaced and index:
            lines.append("")
        lines.extend(block)
    return "\n".join(lines)


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

    The space left is shared out so that narrow wrapped columns keep their natural width and
    wide ones split the remainder; no wrapped column gets narrower than its longest word.
    """
    natural = [max([len(c.header), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    wrapped = [i for i, c in enumerate(columns) if c.wrap]
    spare = width - len(GAP) * (len(columns) - 1)
    spare -= sum(natural[i] for i in range(len(columns)) if i not in wrapped)
    widths = list(natural)
    pending = sorted(wrapped, key=lambda i: natural[i])
    for placed, i in enumerate(pending):
        share = max(spare // (len(pending) - placed), 1)
        floor = max([len(columns[i].header), *(_longest_word(row[i]) for row in cells)])
        widths[i] = max(min(natural[i], share), floor)
        spare -= widths[i]
    return widths


def _longest_word(text: str) -> int:
    """Length of the longest word (run of non-spaces) in `text`."""
    return max((len(word) for word in text.split()), default=0)


def _wrap_row(cells: list[str], widths: list[int], columns: Sequence[Column]) -> list[str]:
    """The lines of one table row, wrapped cells padded below with blanks."""
    parts = [
        _wrap(cell, width) if column.wrap else [cell]
        for cell, width, column in zip(cells, widths, columns, strict=True)
    ]
    height = max(len(p) for p in parts)
    return [
        _line([p[n] if n < len(p) else "" for p in parts], widths, columns) for n in range(height)
    ]


def _wrap(text: str, width: int) -> list[str]:
    """Lines of `text` no wider than `width`, broken only at spaces (never inside a word)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def _line(cells: Sequence[str], widths: list[int], columns: Sequence[Column]) -> str:
    """One printed line: cells padded to their widths, trailing spaces removed."""
    padded = [
        cell.rjust(width) if column.right else cell.ljust(width)
        for cell, width, column in zip(cells, widths, columns, strict=True)
    ]
    return GAP.join(padded).rstrip()
