"""Read data files (YAML, JSON Lines) into raw records that remember their file and lines."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from kb.loader.problems import Problem, Problems, display_path
from kb.loader.spec import PLURALS, RECORD_TYPES
from kb.loader.yamlnodes import INVALID, MAX_ALIAS_NODES, AliasBomb, Converter, compose

YAML_SUFFIXES = (".yaml", ".yml")
JSONL_SUFFIXES = (".jsonl",)
DATA_SUFFIXES = YAML_SUFFIXES + JSONL_SUFFIXES


@dataclass
class RawRecord:
    """A record as read: its type, values, and where it and each of its fields are."""

    type: str
    file: str
    line: int
    ordinal: int
    data: dict[str, Any]
    lines: dict[str, int] = field(default_factory=dict)

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


def suggest(word: str, choices: Any) -> str | None:
    """A "did you mean" hint for a misspelt name, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def data_files(path: Path, problems: Problems) -> list[Path]:
    """The data files at `path`: the file itself, or those under a directory in name order."""
    shown = display_path(path)
    if path.is_dir():
        found = sorted(
            p
            for p in path.rglob("*")
            if p.suffix.lower() in DATA_SUFFIXES
            and p.is_file()
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        if not found:
            problems.add(
                Problem(
                    shown,
                    None,
                    None,
                    None,
                    None,
                    "no data files here",
                    "data files end in .yaml, .yml or .jsonl",
                )
            )
        return found
    if not path.exists():
        problems.add(Problem(shown, None, None, None, None, "no such file or directory"))
        return []
    if path.suffix.lower() not in DATA_SUFFIXES:
        problems.add(
            Problem(
                shown,
                None,
                None,
                None,
                None,
                "not a data file",
                "data files end in .yaml, .yml or .jsonl",
            )
        )
        return []
    return [path]


def read_file(path: Path, problems: Problems) -> list[RawRecord]:
    """The records of one data file; what cannot be read becomes a problem."""
    shown = display_path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        problems.add(
            Problem(
                shown,
                line,
                None,
                None,
                None,
                f"not UTF-8 (byte {raw[error.start]:#04x})",
                "save the file as UTF-8",
            )
        )
        return []
    if path.suffix.lower() in JSONL_SUFFIXES:
        return list(_read_jsonl(text, shown, problems))
    return list(_read_yaml(text, shown, problems))


def _file_problem(file: str, line: int | None, message: str, hint: str | None = None) -> Problem:
    """A problem of a whole file, not of one record."""
    return Problem(file, line, None, None, None, message, hint)


def _read_yaml(text: str, file: str, problems: Problems) -> Iterator[RawRecord]:
    """Records of a YAML file: a mapping of plural record types to lists of records."""
    try:
        root = compose(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        problems.add(_file_problem(file, line, f"YAML syntax error: {message}"))
        return
    except (yaml.YAMLError, RecursionError) as error:
        problems.add(_file_problem(file, None, f"cannot read YAML: {error}"))
        return
    if root is None:
        return
    if not isinstance(root, MappingNode):
        problems.add(
            _file_problem(
                file,
                root.start_mark.line + 1,
                "the file must be a mapping of record types to lists of records",
                "start with a line such as 'quotes:'",
            )
        )
        return
    converter = Converter()
    try:
        yield from _yaml_records(root, file, converter, problems)
    except AliasBomb:
        problems.add(
            _file_problem(
                file,
                None,
                f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes; refusing to read it",
                "write the records out instead of repeating them through anchors",
            )
        )
    except RecursionError:
        problems.add(_file_problem(file, None, "the YAML is nested too deeply"))


def _yaml_records(
    root: MappingNode, file: str, converter: Converter, problems: Problems
) -> Iterator[RawRecord]:
    """Walk the top mapping; convert each record node with its own table of lines."""
    records: list[RawRecord] = []
    for key_node, value_node in root.value:
        key_line = key_node.start_mark.line + 1
        if not isinstance(key_node, ScalarNode):
            problems.add(_file_problem(file, key_line, "a record type must be a plain name"))
            continue
        plural = str(key_node.value)
        if plural not in PLURALS:
            problems.add(
                _file_problem(
                    file,
                    key_line,
                    f"unknown record type '{plural}' (expected one of {', '.join(PLURALS)})",
                    suggest(plural, PLURALS),
                )
            )
            continue
        record_type = PLURALS[plural]
        if value_node.tag == "tag:yaml.org,2002:null":
            continue
        if not isinstance(value_node, SequenceNode):
            problems.add(_file_problem(file, key_line, f"'{plural}' must hold a list of records"))
            continue
        for index, item in enumerate(value_node.value, start=1):
            lines: dict[str, int] = {}
            value = converter.convert(item, "", lines)
            line = item.start_mark.line + 1
            if not isinstance(value, dict):
                if value is not INVALID:
                    problems.add(
                        Problem(
                            file,
                            line,
                            f"#{index}",
                            record_type,
                            None,
                            "a record must be a mapping of fields",
                        )
                    )
                continue
            records.append(RawRecord(record_type, file, line, index, value, lines))
    # Node issues are attributed to records after conversion, so they can name the slug.
    by_line = sorted(records, key=lambda r: r.line)
    for issue in converter.issues:
        owner = _owner(by_line, issue.line)
        if owner is None:
            problems.add(_file_problem(file, issue.line, issue.message, issue.hint))
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
    yield from records


def _owner(records: list[RawRecord], line: int) -> RawRecord | None:
    """The last record starting at or before `line` (records sorted by line)."""
    owner = None
    for record in records:
        if record.line > line:
            break
        owner = record
    return owner


def _read_jsonl(text: str, file: str, problems: Problems) -> Iterator[RawRecord]:
    """Records of a JSON Lines file: one object per line with a "type"; blank lines skipped."""
    for number, line_text in enumerate(text.split("\n"), start=1):
        line_text = line_text.rstrip("\r")
        if not line_text.strip():
            continue
        repeated: list[str] = []
        try:
            value = json.loads(line_text, object_pairs_hook=_pairs_hook(repeated))
        except json.JSONDecodeError as error:
            problems.add(
                _file_problem(file, number, f"invalid JSON: {error.msg} (column {error.colno})")
            )
            continue
        if not isinstance(value, dict):
            problems.add(_file_problem(file, number, "each line must be a JSON object"))
            continue
        record_type = value.pop("type", None)
        record = RawRecord(str(record_type), file, number, number, value)
        for name in repeated:
            problems.add(record.problem(name, "given twice", "keep one of them"))
        if record_type not in RECORD_TYPES:
            message = f"unknown type {record_type!r}" if record_type else "missing 'type'"
            problems.add(
                Problem(
                    file,
                    number,
                    record.label,
                    None,
                    "type",
                    f"{message} (expected one of {', '.join(RECORD_TYPES)})",
                    suggest(record_type, RECORD_TYPES) if isinstance(record_type, str) else None,
                )
            )
            continue
        yield record


def _pairs_hook(repeated: list[str]) -> Any:
    """An object_pairs_hook that builds a dict and notes keys given more than once."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in pairs:
            if key in result:
                repeated.append(key)
            result[key] = value
        return result

    return hook
