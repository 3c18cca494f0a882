"""Read a JSON Lines data file a line at a time: one record per line, each under a size limit.

The file is never read whole: a bulk file of a million records costs the memory of its
records, not of its text as well, and a line past MAX_LINE_BYTES is skipped in bounded chunks.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from kb.loader.limits import MAX_LINE_BYTES, size
from kb.loader.problems import Problem, Problems, shown
from kb.loader.raw import RawRecord, file_problem, suggest
from kb.loader.spec import RECORD_TYPES

# Past float's range (about 1.8e308, 309 digits) an integer is read as a float, infinite, so
# the checks report "must be a finite number" instead of int() failing on thousands of digits.
_MAX_INT_DIGITS = 400
_SKIP_CHUNK = 1 << 20


class Part(NamedTuple):
    """A stretch of whole lines of a file: bytes [start, end) (end None: to the end of the
    file), the first of them being line `first_line`."""

    start: int = 0
    end: int | None = None
    first_line: int = 1


WHOLE = Part()


def read_jsonl(
    path: Path, file: str, problems: Problems, part: Part = WHOLE
) -> Iterator[RawRecord]:
    """Records of a JSON Lines file (shown as `file`), or of a part of it: one object per line
    with a "type"."""
    # One decoder for the whole file: json.loads() with options builds a new one per call.
    repeated: list[str] = []
    decoder = json.JSONDecoder(object_pairs_hook=_pairs_hook(repeated), parse_int=_int)
    with path.open("rb") as stream:
        stream.seek(part.start)
        for number, text in _lines(stream, file, problems, part):
            repeated.clear()
            record = _record(decoder, repeated, text, number, file, problems)
            if record is not None:
                yield record


def _lines(
    stream: BinaryIO, file: str, problems: Problems, part: Part
) -> Iterator[tuple[int, str]]:
    """(line number, text) of each non-blank line of the part that is short enough and UTF-8."""
    number = part.first_line - 1
    # Bytes left in the part (-1: all), which begins and ends at the start of a line.
    left = -1 if part.end is None else part.end - part.start
    while left != 0 and (raw := stream.readline(MAX_LINE_BYTES + 2)):  # content and "\r\n"
        number += 1
        length = len(raw)
        body = raw.removesuffix(b"\n").removesuffix(b"\r")
        if len(body) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            length += _skip_line(stream)
        if left > 0:
            left = max(left - length, 0)
        if len(body) > MAX_LINE_BYTES:
            problems.add(
                file_problem(
                    file,
                    number,
                    f"the line is longer than {size(MAX_LINE_BYTES)}, the limit for one record",
                    "a record this large is a mistake (source texts belong in files under "
                    "the seeds directory, named by 'path'); shorten or split it",
                )
            )
            continue
        if number == 1:
            body = body.removeprefix(codecs.BOM_UTF8)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.add(
                file_problem(
                    file,
                    number,
                    f"not UTF-8 (byte {body[error.start]:#04x} at column {error.start + 1})",
                    "save the file as UTF-8",
                )
            )
            continue
        if text.strip():
            yield number, text


def _skip_line(stream: BinaryIO) -> int:
    """Read past the end of the current line, a chunk at a time; the bytes skipped."""
    skipped = 0
    while chunk := stream.readline(_SKIP_CHUNK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _record(
    decoder: json.JSONDecoder,
    repeated: list[str],
    text: str,
    number: int,
    file: str,
    problems: Problems,
) -> RawRecord | None:
    """The record of one line, or None (with a problem) when the line is not one.

    `decoder` notes in `repeated` the names given twice in the line's objects.
    """
    try:
        value = decoder.decode(text)
    except json.JSONDecodeError as error:
        problems.add(
            file_problem(
                file,
                number,
                f"invalid JSON: {error.msg} (column {error.colno})",
                "each line holds one whole JSON object: names and text in double quotes, "
                "no comma after the last item",
            )
        )
        return None
    except RecursionError:
        problems.add(
            file_problem(
                file,
                number,
                "the JSON is nested too deeply",
                "a record nests lists and objects a few levels deep at most",
            )
        )
        return None
    if not isinstance(value, dict):
        problems.add(
            file_problem(
                file,
                number,
                "each line must be a JSON object",
                'write one record per line, e.g. {"type": "party", "slug": "ruritania", ...}',
            )
        )
        return None
    record_type = value.pop("type", None)
    record = RawRecord(str(record_type), file, number, number, value, may_hold_invalid=False)
    for name in repeated:
        problems.add(record.problem(name, "given twice", "keep one of them"))
    if record_type not in RECORD_TYPES:
        problems.add(_type_problem(record, record_type))
        return None
    return record


def _type_problem(record: RawRecord, record_type: Any) -> Problem:
    """The problem of a record whose "type" is missing or unknown."""
    message = f"unknown type {shown(record_type)}" if record_type else "missing 'type'"
    return Problem(
        record.file,
        record.line,
        record.label,
        None,
        "type",
        f"{message} (expected one of {', '.join(RECORD_TYPES)})",
        suggest(record_type, RECORD_TYPES) if isinstance(record_type, str) else None,
    )


def _int(digits: str) -> int | float:
    """An integer of the JSON; one past float's range becomes an (infinite) float."""
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else float(digits)


def _pairs_hook(repeated: list[str]) -> Any:
    """An object_pairs_hook that builds a dict and notes keys given more than once."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        # dict() in C; only an object that lost keys to repeats is looked at name by name.
        result = dict(pairs)
        if len(result) < len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    repeated.append(key)
                seen.add(key)
        return result

    return hook
