"""Write a draft as YAML (what a curator saves and loads) or as one JSON document.

YAML is written by hand rather than by a YAML library so that each record can carry comments
(its offsets, notes for the curator) and long passages fold like hand-curated files. Scalars are
written plain only when YAML reads them back as the same text; otherwise double-quoted, with
every character YAML may not hold literally escaped.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.draft.lexicon import word_set
from kb.draft.record import DraftRecord
from kb.draft.records import Draft

WIDTH = 100
_SECTIONS = (
    ("sources", "source"),
    ("parties", "party"),
    ("metrics", "metric"),
    ("people", "person"),
    ("roles", "role"),
    ("aliases", "alias"),
    ("quotes", "quote"),
    ("figures", "figure"),
    ("events", "event"),
)
# What each section holds, said once above it.
_ABOUT = {
    "parties": "countries and organizations the knowledge base lacks, needed by records below",
    "metrics": "what figures below measure that no known metric does",
    "people": "people the knowledge base does not know",
    "roles": "roles this article states for people the knowledge base knows",
    "aliases": "names this article prints for people the knowledge base knows by other names",
}
# YAML 1.1 reads these plain words as booleans or null.
_SPECIAL = word_set("y n yes no on off true false null")
# Characters YAML may hold literally (its printable set), minus the line breaks NEL, LS and PS.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    "\U00010000-\U0010ffff]"
)
_SHOWN = 100


def to_json(draft: Draft) -> str:
    """The draft as one JSON document: records (JSON Lines style), offsets, notes, links."""
    offsets: dict[str, dict[str, list[int]]] = {}
    notes: dict[str, list[str]] = {}
    for number, record in enumerate(draft.records):
        key = f"{record.type}/{record.fields.get('slug', number)}"
        if record.offsets:
            offsets[key] = {name: list(span) for name, span in record.offsets.items()}
        if record.notes:
            notes[key] = list(record.notes)
    document = {
        "article": draft.article.path,
        "records": [{"type": record.type, **record.fields} for record in draft.records],
        "offsets": offsets,
        "notes": notes,
        "unattributed": [
            {"start": quote.start, "end": quote.end, "text": quote.text}
            for quote in draft.unattributed
        ],
        "against": draft.against,
        "links": [
            {
                "kind": link.kind,
                "surface": link.surface,
                "start": link.start,
                "target": link.target,
                "new": link.new,
                "reason": link.reason,
                "score": round(link.score, 3),
                "close": [list(pair) for pair in link.close],
            }
            for link in draft.links
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


def to_yaml(draft: Draft) -> str:
    """The draft as a YAML data file, with offsets and notes as comments."""
    lines = _header(draft)
    for plural, record_type in _SECTIONS:
        records = draft.of_type(record_type)
        if not records:
            continue
        lines += [""]
        if plural in _ABOUT:
            lines.append(f"# {_ABOUT[plural]}")
        lines.append(f"{plural}:")
        for index, record in enumerate(records):
            if index:
                lines.append("")
            lines += _record(record)
    if draft.unattributed:
        lines += ["", "# Quotations with no speaker found (not drafted; add them by hand):"]
        for quote in draft.unattributed:
            shown = quote.text if len(quote.text) <= _SHOWN else quote.text[: _SHOWN - 1] + "…"
            lines.append(f"#   {quote.start}-{quote.end}: “{_comment(shown)}”")
    return "\n".join(lines) + "\n"


def _header(draft: Draft) -> list[str]:
    """The comment at the top of a YAML draft: how to use it, and what it is linked to."""
    path = _comment(draft.article.path)
    lines = [
        f"# Draft records for {path}, written by `kb draft`.",
        "# Review each record: correct it and set `status: reviewed`, or delete it; then",
        "# `kb load` this file. The article must be in the seeds directory (`--seeds DIR`, or",
        f"# seeds/ beside this file's directory) as {path}.",
        "# Offsets are [start, end) character offsets into the text: where `kb load` grounds",
        "# each passage.",
        *_notes("", f"Linked against: {draft.against}. A comment before each link says why."),
    ]
    lines += [line for note in draft.notes for line in _notes("", note)]
    lines += _names(draft)
    return lines


def _names(draft: Draft) -> list[str]:
    """The people and parties the article names, and what each is linked to."""
    lines: list[str] = []
    for kind, heading in (("person", "People"), ("party", "Parties")):
        targets: dict[tuple[str | None, bool], list[str]] = {}
        for link in draft.links:
            if link.kind == kind:
                forms = targets.setdefault((link.target, link.new), [])
                if link.surface not in forms:
                    forms.append(link.surface)
        if not targets:
            continue
        lines.append(f"# {heading}:")
        for (target, new), forms in targets.items():
            said = _comment(", ".join(forms))
            if target is None:
                lines.append(f"#   {said}: not linked (several known records fit equally)")
            else:
                lines.append(f"#   {said} → {target} ({'new' if new else 'known'})")
    return lines


def _comment(text: str) -> str:
    """Text that is safe inside a one-line comment."""
    return " ".join(text.split())


def _notes(indent: str, note: str) -> list[str]:
    """A note as comment lines of at most WIDTH characters (longer words stay whole)."""
    lines = _wrap(_comment(note), len(indent) + 4)
    return [f"{indent}# {lines[0]}", *(f"{indent}#   {line}" for line in lines[1:])]


def _record(record: DraftRecord) -> list[str]:
    """One record as a block sequence item, with its notes and offsets as comments."""
    lines = [line for note in record.notes for line in _notes("  ", note)]
    spans = {name: span for name, span in record.offsets.items() if not name.startswith("roles")}
    if spans:
        shown = ", ".join(f"{name} {start}-{end}" for name, (start, end) in spans.items())
        lines.append(f"  # offsets: {shown}")
    first = True
    for key, value in record.fields.items():
        prefix = "  - " if first else "    "
        if not first:
            lines += [
                line for note in record.field_notes.get(key, []) for line in _notes("    ", note)
            ]
        first = False
        if key == "roles":
            lines.append(f"{prefix}roles:")
            lines += _roles(value, record)
        else:
            lines += _field(prefix, key, value, 4)
    return lines


def _roles(roles: list[dict[str, Any]], record: DraftRecord) -> list[str]:
    """A person's roles, each with the offsets of its evidence and its notes."""
    lines = []
    for index, role in enumerate(roles):
        for note in record.field_notes.get(f"roles[{index}]", []):
            lines += _notes("      ", note)
        span = record.offsets.get(f"roles[{index}].evidence")
        if span is not None:
            lines.append(f"      # offsets: evidence {span[0]}-{span[1]}")
        first = True
        for key, value in role.items():
            prefix = "      - " if first else "        "
            first = False
            lines += _field(prefix, key, value, 8)
    return lines


def _field(prefix: str, key: str, value: Any, indent: int) -> list[str]:
    """`key: value` lines; long text folds onto the lines after the key."""
    head = f"{prefix}{key}:"
    if isinstance(value, list):
        return [f"{head} {_flow_list(value)}"]
    if isinstance(value, str):
        if _folds(value, len(head) + 1):
            return [f"{head} >-", *(" " * (indent + 2) + line for line in _wrap(value, indent + 2))]
        return [f"{head} {scalar(value)}"]
    return [f"{head} {scalar(value)}"]


def _flow_list(items: list[Any]) -> str:
    """A flow sequence: [a, b] or [{person: x}, {person: y}]."""
    shown = []
    for item in items:
        if isinstance(item, dict):
            inner = ", ".join(f"{key}: {_flow_scalar(value)}" for key, value in item.items())
            shown.append(f"{{{inner}}}")
        else:
            shown.append(_flow_scalar(item))
    return f"[{', '.join(shown)}]"


def _flow_scalar(value: Any) -> str:
    """A scalar inside a flow collection: plain only without flow indicators."""
    text = scalar(value)
    if isinstance(value, str) and text == value and re.search(r"[,\[\]{}]", value):
        return _double_quoted(value)
    return text


def scalar(value: Any) -> str:
    """A one-line YAML scalar that reads back as `value` (text, number or boolean)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if "e" not in text else f"{value:.6f}".rstrip("0")
    text = str(value)
    return text if _plain(text) else _double_quoted(text)


def _plain(text: str) -> bool:
    """Whether YAML reads `text`, written plain, back as the same text."""
    if not text or not text[0].isalpha() or text != text.strip():
        return False
    if text.lower() in _SPECIAL or _NOT_PRINTABLE.search(text):
        return False
    if any(character in text for character in "\t\n\r"):
        return False
    return ": " not in text and " #" not in text and not text.endswith(":")


def _double_quoted(text: str) -> str:
    """A double-quoted scalar with every character YAML may not hold literally escaped."""
    body = json.dumps(text, ensure_ascii=False)
    return _NOT_PRINTABLE.sub(lambda match: _escape(match.group()), body)


def _escape(character: str) -> str:
    """A YAML escape for one character."""
    code = ord(character)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _folds(text: str, used: int) -> bool:
    """Whether text is long enough to fold, and can fold without changing (single spaces)."""
    return used + len(text) > WIDTH and _plain_block(text)


def _plain_block(text: str) -> bool:
    """Whether text can be a folded block scalar: printable, single spaces, no edge spaces."""
    return (
        text == text.strip()
        and "  " not in text
        and "\n" not in text
        and "\t" not in text
        and not _NOT_PRINTABLE.search(text)
    )


def _wrap(text: str, indent: int) -> list[str]:
    """The lines of a folded scalar: words joined by single spaces up to the width."""
    width = max(WIDTH - indent, 20)
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return lines
