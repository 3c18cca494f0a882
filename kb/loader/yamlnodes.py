"""Turn a composed YAML node tree into plain values, remembering the line of every field.

PyYAML's constructors lose positions, so the loader composes the node tree (no objects are
built from tags) and converts the nodes itself: only the standard scalar, sequence and mapping
tags are allowed, timestamps stay text, and aliases are expanded under a budget so a small
file cannot make the loader build millions of nodes (an "alias bomb").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kb.loader.limits import MAX_ALIAS_NODES
from kb.loader.problems import shown

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP = (
    _TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp")
)
SEQ, MAP, MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"
SCALAR_TAGS = frozenset((STR, INT, FLOAT, BOOL, NULL, TIMESTAMP))

# YAML 1.1 (PyYAML) reads an unquoted 1.6e11 (an exponent without a dot or sign) as text;
# YAML 1.2 and JSON read it as a number. Other numbers already resolve as int or float.
_EXPONENT_NUMBER = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+")

_constructor = SafeConstructor()

LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Invalid:
    """Stands for a value that could not be read; its problem is already reported."""

    def __repr__(self) -> str:
        return "<invalid>"


INVALID = Invalid()


class AliasBomb(Exception):
    """Expanding the aliases of a document would build too many nodes; where it ran out."""

    def __init__(self, line: int, path: str) -> None:
        super().__init__(f"line {line}, {path or 'record'}")
        self.line = line
        self.path = path


@dataclass
class NodeIssue:
    """A problem found while converting nodes: the line, the dotted field path, the message."""

    line: int
    path: str
    message: str
    hint: str | None = None


@dataclass
class Converter:
    """Converts the nodes of one document; `lines` maps each dotted path to its 1-based line."""

    issues: list[NodeIssue] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)
    _active: set[int] = field(default_factory=set)
    _revisits: int = 0

    def convert(self, node: Node, path: str, lines: dict[str, int]) -> Any:
        """The plain value of `node`; its line and those of everything inside go into `lines`."""
        line = node.start_mark.line + 1
        lines.setdefault(path, line)
        key = id(node)
        if key in self._active:
            self.issues.append(NodeIssue(line, path, "an alias refers to itself"))
            return INVALID
        if key in self._seen:
            self._revisits += 1
            if self._revisits > MAX_ALIAS_NODES:
                raise AliasBomb(line, path)
        self._seen.add(key)
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, line)
        self._active.add(key)
        try:
            if isinstance(node, SequenceNode):
                if node.tag != SEQ:
                    return self._bad_tag(node, path, line)
                return [
                    self.convert(item, f"{path}[{index}]", lines)
                    for index, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode):
                if node.tag != MAP:
                    return self._bad_tag(node, path, line)
                return self._mapping(node, path, lines)
            return self._bad_tag(node, path, line)
        finally:
            self._active.discard(key)

    def _mapping(self, node: MappingNode, path: str, lines: dict[str, int]) -> Any:
        """A dict of the mapping; keys are the text of scalar keys, repeated keys are problems."""
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == MERGE:
                self.issues.append(
                    NodeIssue(
                        key_line,
                        f"{path}.<<" if path else "<<",
                        "merge keys (<<) are not supported",
                        "write the fields out",
                    )
                )
                continue
            if not isinstance(key_node, ScalarNode) or key_node.tag not in SCALAR_TAGS:
                # A collection, or a scalar under another tag (!!python/name:…, !custom).
                self.issues.append(NodeIssue(key_line, path, "a key must be a plain name"))
                continue
            name = str(key_node.value)
            child = f"{path}.{name}" if path else name
            if name in result:
                self.issues.append(
                    NodeIssue(
                        key_line,
                        child,
                        f"given twice (first on line {lines.get(child, '?')})",
                        "keep one of them",
                    )
                )
                continue
            lines[child] = key_line
            result[name] = self.convert(value_node, child, lines)
        return result

    def _scalar(self, node: ScalarNode, path: str, line: int) -> Any:
        """The value of a scalar under the standard tags; timestamps stay text."""
        tag, text = node.tag, node.value
        if tag == STR:
            if not node.style and _EXPONENT_NUMBER.fullmatch(
                text
            ):  # plain: libyaml says "", PyYAML None
                return float(text)
            return text
        if tag == TIMESTAMP:
            return text
        if tag == NULL:
            return None
        try:
            if tag == BOOL:
                return _constructor.construct_yaml_bool(node)
            if tag == INT:
                return _constructor.construct_yaml_int(node)
            if tag == FLOAT:
                return _constructor.construct_yaml_float(node)
        except (ValueError, yaml.YAMLError):
            message = f"cannot read {shown(text)} as {tag[len(_TAG) :]}"
            self.issues.append(NodeIssue(line, path, message))
            return INVALID
        return self._bad_tag(node, path, line)

    def _bad_tag(self, node: Node, path: str, line: int) -> Invalid:
        """Report a tag outside the safe standard set (e.g. !!python/object)."""
        tag = node.tag or "?"
        shown = "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag
        self.issues.append(
            NodeIssue(
                line,
                path,
                f"the tag {shown} is not allowed",
                "remove it: only plain text, numbers, true/false, lists and mappings are read",
            )
        )
        return INVALID


def compose(text: str) -> Node | None:
    """Compose the single YAML document in `text` (None when it is empty)."""
    return yaml.compose(text, Loader=LOADER)
