"""Read a YAML data file: a mapping of plural record types to lists of records.

The file's size is checked before it is read (a YAML file is composed in memory whole), and
what the node tree holds is converted record by record, so a problem names its record.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kb.loader.limits import MAX_ALIAS_NODES, MAX_YAML_BYTES, size
from kb.loader.problems import Problem, Problems, shown
from kb.loader.raw import RawRecord, file_problem, suggest
from kb.loader.spec import PLURALS
from kb.loader.yamlnodes import INVALID, NULL, STR, AliasBomb, Converter, compose

# The record's field at the start of a dotted path such as "roles[0].evidence".
_FIELD_OF_PATH = re.compile(r"[^.\[]+")


def read_yaml(path: Path, file: str, problems: Problems) -> Iterator[RawRecord]:
    """Records of a YAML file (shown as `file`); what cannot be read becomes a problem."""
    length = path.stat().st_size
    if length > MAX_YAML_BYTES:
        problems.add(
            file_problem(
                file,
                None,
                f"the file is {size(length)}; a YAML file may hold at most {size(MAX_YAML_BYTES)}",
                "split it into several files, or write bulk data as JSON Lines (.jsonl)",
            )
        )
        return
    text = _decode(path.read_bytes(), file, problems)
    root = None if text is None else _compose(text, file, problems)
    if root is None:
        return
    if not isinstance(root, MappingNode):
        problems.add(
            file_problem(
                file,
                root.start_mark.line + 1,
                "the file must be a mapping of record types to lists of records",
                "start with a line such as 'quotes:'",
            )
        )
        return
    yield from _records(root, file, problems)


def _decode(raw: bytes, file: str, problems: Problems) -> str | None:
    """The text of the file's bytes (UTF-8, a byte-order mark allowed), or None."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.add(
            file_problem(
                file, line, f"not UTF-8 (byte {raw[error.start]:#04x})", "save the file as UTF-8"
            )
        )
        return None


def _compose(text: str, file: str, problems: Problems) -> Node | None:
    """The file's node tree (None when empty or unreadable, the latter with a problem)."""
    try:
        return compose(text)
    except yaml.MarkedYAMLError as error:
        line, message = _syntax_error(error)
        problems.add(
            file_problem(
                file,
                line,
                f"YAML syntax error: {message}",
                "check the indentation, and put quotes around a value that holds ': ' or "
                "starts with a character such as [ { * & ! or a quote mark",
            )
        )
    except yaml.reader.ReaderError as error:
        problems.add(_reader_error(error, text, file))
    except (yaml.YAMLError, RecursionError) as error:
        problems.add(file_problem(file, None, f"cannot read YAML: {error}"))
    return None


def _reader_error(error: yaml.reader.ReaderError, text: str, file: str) -> Problem:
    """A character YAML does not allow in a file (a control character such as NUL)."""
    # libyaml gives the position in UTF-8 bytes, PyYAML in characters: find the character.
    code = error.character if isinstance(error.character, int) else ord(error.character)
    at = text.find(chr(code))
    return file_problem(
        file,
        text.count("\n", 0, at) + 1 if at >= 0 else None,
        f"the character U+{code:04X} is not allowed in YAML",
        'remove it; in a double-quoted string an escape such as "\\t" may stand for one',
    )


def _syntax_error(error: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """The line of a syntax error and what is wrong, with where the broken part starts."""
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark is not None else None
    context = error.context_mark.line + 1 if error.context_mark is not None else None
    if error.context and error.problem and context is not None and context != line:
        # An unclosed quote or bracket is noticed lines later; say where it was opened.
        return line, f"{error.problem} ({error.context} that starts on line {context})"
    return line, " ".join(str(part) for part in (error.context, error.problem) if part)


def _records(root: MappingNode, file: str, problems: Problems) -> Iterator[RawRecord]:
    """Walk the top mapping; convert each record node with its own table of lines."""
    records: list[RawRecord] = []
    converter = Converter()
    for key_node, value_node in root.value:
        items = _record_list(key_node, value_node, file, problems)
        if items is None:
            continue
        record_type, nodes = items
        for index, item in enumerate(nodes, start=1):
            record = _record(item, index, record_type, file, converter, problems)
            if record is not None:
                records.append(record)
    _attribute(converter, records, file, problems)
    yield from records


def _record_list(
    key_node: Node, value_node: Node, file: str, problems: Problems
) -> tuple[str, list[Node]] | None:
    """The record type and record nodes under one top-level key, or None (with a problem)."""
    key_line = key_node.start_mark.line + 1
    if not isinstance(key_node, ScalarNode) or key_node.tag != STR:
        problems.add(file_problem(file, key_line, "a record type must be a plain name"))
        return None
    plural = str(key_node.value)
    if plural not in PLURALS:
        problems.add(
            file_problem(
                file,
                key_line,
                f"unknown record type {shown(plural)} (expected one of {', '.join(PLURALS)})",
                suggest(plural, PLURALS),
            )
        )
        return None
    if value_node.tag == NULL:
        return None
    if not isinstance(value_node, SequenceNode):
        problems.add(
            file_problem(
                file,
                key_line,
                f"'{plural}' must hold a list of records",
                f"write each record as an item: '{plural}:' then lines starting with '  - '",
            )
        )
        return None
    return PLURALS[plural], list(value_node.value)


def _record(
    item: Node, index: int, record_type: str, file: str, converter: Converter, problems: Problems
) -> RawRecord | None:
    """The record of one list item, or None when it is not a mapping (or is an alias bomb)."""
    lines: dict[str, int] = {}
    line = item.start_mark.line + 1
    try:
        value = converter.convert(item, "", lines)
    except AliasBomb as bomb:
        # Name the record's own field, not the path deep inside the expansion.
        field = _FIELD_OF_PATH.match(bomb.path)
        name = field.group() if field else None
        problems.add(
            Problem(
                file,
                lines.get(name, line) if name else line,
                _slug_of(item) or f"#{index}",
                record_type,
                name,
                f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; refusing to read it",
                "write the values out instead of repeating them through anchors and aliases",
            )
        )
        return None
    if isinstance(value, dict):
        return RawRecord(record_type, file, line, index, value, lines)
    if value is not INVALID:
        problems.add(
            Problem(
                file,
                line,
                f"#{index}",
                record_type,
                None,
                "a record must be a mapping of fields",
                "write 'field: value' lines under the '- ' of the record",
            )
        )
    return None


def _slug_of(node: Node) -> str | None:
    """The slug written in a record node, read without converting the record."""
    fields = node.value if isinstance(node, MappingNode) else []
    for key, value in fields:
        if isinstance(key, ScalarNode) and key.value == "slug" and isinstance(value, ScalarNode):
            return str(value.value) or None
    return None


def _attribute(
    converter: Converter, records: list[RawRecord], file: str, problems: Problems
) -> None:
    """Report the converter's node issues, each under the record holding its line."""
    by_line = sorted(records, key=lambda r: r.line)
    for issue in converter.issues:
        owner = _owner(by_line, issue.line)
        if owner is None:
            problems.add(file_problem(file, issue.line, issue.message, issue.hint))
        else:
            problems.add(
                Problem(
                    file,
                    issue.line,
                    owner.label,
                    owner.type,
                    issue.path or None,
                    issue.message,
                    issue.hint,
                )
            )


def _owner(records: list[RawRecord], line: int) -> RawRecord | None:
    """The last record starting at or before `line` (records sorted by line)."""
    index = bisect_right(records, line, key=lambda record: record.line)
    return records[index - 1] if index else None
