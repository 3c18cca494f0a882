"""render(): a source's text as an HTML fragment, with every grounded span marked.

The fragment, inside ``<div class="kb-annotation" data-source-id=… data-slug=…>``:

- ``<style>`` with CSS (the constant ``CSS``; ``render(…, style=False)`` leaves it out);
- ``<p class="kb-coverage">``: "4 sentences with figures or quotes not yet curated" (or "All
  sentences with figures or quotes are curated"), ``<p class="kb-summary">`` counting the
  facts, and ``<ul class="kb-legend">`` explaining the type markers;
- ``<div class="kb-text">``: the source text exactly as stored (``white-space: pre-wrap``; a
  carriage return is written ``&#13;`` so the parser keeps it), so that the container's
  textContent is the text, and every mark's textContent is ``text[start:end]``;
- ``<ol class="kb-facts">``: the facts in text order (a figure once, at its surface).

**Marks.** Each mark is one ``<mark>`` element (marks nest, and links may not)::

    <mark class="kb-mark kb-{kind} kb-{status}" id="kb-{kind}-{id}" data-kind="{kind}"
          data-table="{table}" data-id="{id}" data-start="{start}" data-end="{end}"
          data-href="{row_url(table, id)}" title="…">…</mark>

kind is quote, figure-surface, figure-evidence, event or role; status is reviewed or draft.
data-kind and data-id together identify a mark (a figure's surface and evidence marks share
data-table and data-id). The title says the type, the label (a quote's speaker, a figure's
metric and value), "draft, not yet reviewed" for a draft, and the figures a figure conflicts
with.

The link to the record is an empty ``<a class="kb-tag kb-tag-{kind} kb-{status}"
href="{row_url(table, id)}" title=…></a>`` just before the mark, outside it (its title, the
mark's, is its accessible name): its visible type marker (Q, F, F·ev, E, R; a draft's ends in
?) is CSS generated content, so it adds no text to the mark or to any mark around it. A
figure in conflict is followed, just after its surface mark, by an empty ``<a
class="kb-conflict" href="{row_url('figures', other)}" data-id="{other}">`` (shown as ≠) for
each figure it disagrees with; the side list links them by name.

**Nesting and pieces.** Marks are opened outermost first (the longer span; for equal spans:
quote, event, role, figure evidence, figure surface) and nest properly. Where two spans cross,
the later-closing one is split where the other ends, and reopened after it: each piece is a
``<mark>`` with the same data-kind, data-table, data-id, data-start and data-end (those of the
whole span), plus ``class="… kb-piece"``, ``data-part="0"``, ``"1"``… in text order and
``data-piece-start`` / ``data-piece-end`` (its own offsets). Only the first piece has the id
and the tag link before it; only the last has the conflict links after it. A mark that is not
split has no data-part. Joining the pieces' texts in data-part order gives the span's text.

**Uncovered sentences** (kb.annotate.coverage) are ``<span class="kb-uncovered"
data-start=… data-end=… title=…>``; they overlap no mark, so they never cross one.

Everything is HTML-escaped: the text, labels, titles and every attribute value, row_url's
result included. The text is written in one pass over the sorted boundaries of all spans.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from collections.abc import Callable

from kb.annotate.coverage import counted
from kb.annotate.spans import RANK, Annotation, Mark

RowUrl = Callable[[str, int], str]

# What each kind of mark is called, in titles and in the side list.
NAMES = {
    "quote": "Quote",
    "figure-surface": "Figure",
    "figure-evidence": "Evidence of a figure",
    "event": "Event",
    "role": "Role",
}
# The type marker each kind shows before its mark (CSS generated content: see CSS).
TAGS = {
    "quote": "Q",
    "figure-surface": "F",
    "figure-evidence": "F·ev",
    "event": "E",
    "role": "R",
}
# Plural nouns of the summary line, by table.
NOUNS = {
    "quotes": ("quote", "quotes"),
    "figures": ("figure", "figures"),
    "events": ("event", "events"),
    "roles": ("role", "roles"),
}
DRAFT = "draft"
# What escaping changes: in attribute values, and in the text (with carriage returns).
_SPECIAL = re.compile("[&<>\"']")
_SPECIAL_IN_TEXT = re.compile("[&<>\r]")
UNCOVERED_TITLE = "Holds a number or a quotation mark that no record covers"

_COLOURS = {
    "quote": "#1f5fbf",
    "figure-surface": "#a34f00",
    "figure-evidence": "#a34f00",
    "event": "#2e7d32",
    "role": "#7b3fa0",
}
_TAG_RULES = "\n".join(
    f'.kb-text a.kb-tag-{kind}::before {{ content: "{tag}"; }}\n'
    f".kb-text a.kb-tag-{kind}, .kb-legend .kb-key-{kind}, .kb-facts .kb-{kind} .kb-type "
    f"{{ color: {_COLOURS[kind]}; }}"
    for kind, tag in TAGS.items()
)
CSS = f"""\
.kb-annotation {{ font: 16px/1.5 Georgia, "Times New Roman", serif; color: #1b1b1b;
  max-width: 52rem; }}
.kb-annotation .kb-coverage {{ font: bold 15px/1.4 system-ui, sans-serif; }}
.kb-annotation .kb-coverage.kb-left {{ color: #b71c1c; }}
.kb-annotation .kb-summary, .kb-annotation .kb-legend, .kb-annotation .kb-facts {{
  font: 13px/1.5 system-ui, sans-serif; }}
.kb-annotation .kb-legend {{ list-style: none; padding: 0; display: flex; flex-wrap: wrap;
  gap: .3rem 1.2rem; }}
.kb-legend .kb-key {{ font-weight: bold; border: 1px solid; border-radius: 2px;
  padding: 0 3px; font-size: 11px; }}
.kb-legend .kb-key-draft {{ border-style: dashed; }}
.kb-text {{ white-space: pre-wrap; overflow-wrap: break-word; line-height: 2.3;
  border-top: 1px solid #ddd; border-bottom: 1px solid #ddd; padding: .8rem 0; }}
.kb-text mark.kb-mark {{ color: inherit; background: none; }}
.kb-text mark.kb-quote {{ background: rgba(31, 95, 191, .07); border-bottom: 3px double #1f5fbf;
  padding-bottom: 6px; }}
.kb-text mark.kb-event {{ border-bottom: 2px solid #2e7d32; padding-bottom: 3px; }}
.kb-text mark.kb-role {{ border-bottom: 2px dotted #7b3fa0; padding-bottom: 3px; }}
.kb-text mark.kb-figure-evidence {{ text-decoration: underline dotted #a34f00;
  text-underline-offset: 3px; }}
.kb-text mark.kb-figure-surface {{ background: rgba(163, 79, 0, .10); border: 1px solid #a34f00;
  border-radius: 3px; font-weight: bold; padding: 0 1px; }}
.kb-text mark.kb-mark.kb-draft {{ outline: 1px dashed #555; outline-offset: 1px;
  background-image: repeating-linear-gradient(135deg, transparent 0 5px,
  rgba(0, 0, 0, .08) 5px 7px); }}
.kb-text mark.kb-mark:target {{ outline: 2px solid #000; }}
.kb-text a.kb-tag, .kb-text a.kb-conflict {{ font: bold 10px/1 system-ui, sans-serif;
  vertical-align: super; text-decoration: none; border: 1px solid; border-radius: 2px;
  padding: 0 2px; margin: 0 1px; background: #fff; }}
.kb-text a.kb-tag.kb-draft {{ border-style: dashed; }}
.kb-text a.kb-tag.kb-draft::after {{ content: "?"; }}
.kb-text a.kb-conflict {{ color: #b71c1c; }}
.kb-text a.kb-conflict::before {{ content: "≠"; }}
{_TAG_RULES}
.kb-text .kb-uncovered {{ text-decoration: underline wavy #c62828; text-underline-offset: 4px;
  text-decoration-skip-ink: none; }}
.kb-text .kb-uncovered::before {{ content: "?"; font: bold 10px/1 system-ui, sans-serif;
  vertical-align: super; color: #fff; background: #c62828; border-radius: 2px;
  padding: 0 2px; margin-right: 1px; }}
.kb-facts li {{ margin: .15rem 0; }}
.kb-facts .kb-type {{ font-weight: bold; }}
.kb-facts .kb-where {{ color: #666; }}
.kb-facts .kb-status {{ border: 1px dashed #555; border-radius: 2px; padding: 0 3px; }}
.kb-facts .kb-conflicts {{ color: #b71c1c; }}
"""


def _escape(value: object) -> str:
    """`value` as text, escaped for an attribute value or element content (looked over once
    first: most texts have nothing to escape)."""
    words = str(value)
    return html.escape(words, quote=True) if _SPECIAL.search(words) else words


def render(annotation: Annotation, row_url: RowUrl, *, style: bool = True) -> str:
    """The annotation as an HTML fragment (escaped throughout); `row_url(table, id)` gives the
    address of a record's row. See the module docstring for the markup."""
    links = _Links(annotation, row_url)
    parts = [
        f'<div class="kb-annotation" data-source-id="{annotation.source_id}" '
        f'data-slug="{_escape(annotation.slug)}">',
    ]
    if style:
        parts.append(f"<style>{CSS}</style>")
    left = len(annotation.uncovered)
    parts.append(
        f'<p class="kb-coverage{" kb-left" if left else ""}" data-count="{left}">'
        f"{_escape(counted(left))}</p>"
    )
    parts.append(_summary(annotation.marks))
    parts.append(_LEGEND)
    # No line breaks around the text: its container's textContent is the text exactly.
    parts.append(f'<div class="kb-text">{_text(annotation, links)}</div>')
    parts.append(_side_list(annotation.marks, links))
    parts.append("</div>")
    return "\n".join(parts)


class _Links:
    """What marks share, escaped once a page: addresses of rows, labels, the names of the
    figures marks conflict with, and the parts of tags that depend on kind and status."""

    def __init__(self, annotation: Annotation, row_url: RowUrl) -> None:
        self.row_url = row_url
        self.urls: dict[tuple[str, int], str] = {}
        self.escaped: dict[str, str] = {}
        self.kinds: dict[tuple[str, str, str], tuple[str, str, str]] = {}
        self.figures = {
            mark.row_id: mark.label for mark in annotation.marks if mark.kind == "figure-surface"
        }

    def url(self, table: str, row_id: int) -> str:
        """row_url(table, row_id), escaped for an attribute."""
        key = (table, row_id)
        found = self.urls.get(key)
        if found is None:
            found = self.urls[key] = _escape(self.row_url(table, row_id))
        return found

    def escape(self, words: str) -> str:
        """`words` escaped, each distinct text once a page (a figure's two marks share their
        label; kinds and statuses recur)."""
        found = self.escaped.get(words)
        if found is None:
            found = self.escaped[words] = _escape(words)
        return found

    def kind(self, mark: Mark) -> tuple[str, str, str]:
        """For marks of this kind, status and table, escaped: the class attribute, the
        data-kind and data-table attributes, and the start of the tag link (up to its
        address)."""
        key = (mark.kind, mark.status, mark.table)
        found = self.kinds.get(key)
        if found is None:
            kind, status, table = (_escape(part) for part in key)
            found = self.kinds[key] = (
                f"kb-mark kb-{kind} kb-{status}",
                f' data-kind="{kind}" data-table="{table}"',
                f'<a class="kb-tag kb-tag-{kind} kb-{status}" href="',
            )
        return found

    def figure(self, row_id: int) -> str:
        """A figure's name: its label when this source states it, else its id."""
        label = self.figures.get(row_id)
        return f"figure #{row_id}" + (f" ({label})" if label else " (another source)")


def title(mark: Mark, links: _Links) -> str:
    """A mark's title, escaped: type and label, draft, conflicts."""
    label = links.escape(mark.label)
    if mark.kind == "quote":
        words = f"Quote by {label}"
    else:
        words = f"{links.escape(NAMES.get(mark.kind, mark.kind))}: {label}"
    if mark.status == DRAFT:
        words += " (draft, not yet reviewed)"
    if mark.conflict_with:
        others = ", ".join(map(links.figure, mark.conflict_with))
        words += f" — conflicts with {_escape(others)}"
    return words


def _text(annotation: Annotation, links: _Links) -> str:
    """The text with its marks and uncovered sentences as elements: one pass over the sorted
    boundaries, splitting a span where another it crosses ends (see the module docstring).

    Elements are numbered: the marks within the text, then the uncovered sentences; what the
    pass needs of each is in lists by number (a page may have tens of thousands).
    """
    text = annotation.text
    size = len(text)
    elements = _Elements(links)
    for mark in annotation.marks:
        start, end = max(mark.start, 0), min(mark.end, size)
        if start < end:
            elements.add_mark(mark, start, end)
    for start, end in annotation.uncovered:
        start, end = max(start, 0), min(end, size)
        if start < end:
            elements.add_uncovered(start, end)
    starts, ends, keys = elements.starts, elements.ends, elements.keys
    starting: dict[int, list[int]] = defaultdict(list)
    for number in sorted(range(len(keys)), key=keys.__getitem__):
        starting[starts[number]].append(number)
    closing = set(ends)
    slots = [0] * len(keys)  # where in `out` the open piece of each element has its tag
    escape = _text_escape(text)
    out: list[str] = []
    stack: list[int] = []
    position = 0
    for boundary in sorted(closing.union(starting)):
        if boundary > position:
            out.append(escape(text[position:boundary]))
            position = boundary
        opening = starting.get(boundary, [])
        if boundary in closing:
            # Close what ends here, and all opened inside the outermost of those; what goes
            # on past here is reopened as its next piece, with what opens here.
            lowest = -1
            for index, number in enumerate(stack):
                if ends[number] == boundary:
                    lowest = index
                    break
            if lowest >= 0:
                going_on = []
                for number in reversed(stack[lowest:]):
                    out.append(elements.closings[number])
                    if ends[number] != boundary:
                        out[slots[number]] = elements.piece(number, boundary)
                        going_on.append(number)
                    else:
                        if number in elements.parts:
                            out[slots[number]] = elements.piece(number, boundary)
                        out.append(elements.afters[number])
                del stack[lowest:]
                if going_on:
                    opening = sorted([*going_on, *opening], key=lambda n: (-ends[n], keys[n]))
        for number in opening:
            if number in elements.parts:
                elements.piece_starts[number] = boundary
                out.append("")  # the piece's tag, written once its end is known
            else:
                out.append(elements.befores[number])
                out.append(elements.tags[number])
            slots[number] = len(out) - 1
            stack.append(number)
    out.append(escape(text[position:]))
    return "".join(out)


class _Elements:
    """The elements of the text by number, each as the pass writes it: its span, its tag as
    one whole piece, what goes before its first and after its last piece, its closing tag,
    its sort key; and for those split so far, their pieces."""

    def __init__(self, links: _Links) -> None:
        self.links = links
        self.marks: list[Mark] = []  # the mark of each element numbered below its length
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.tags: list[str] = []
        self.befores: list[str] = []
        self.afters: list[str] = []
        self.closings: list[str] = []
        self.keys: list[tuple[int, int, int, int]] = []  # by start, outermost first
        self.parts: dict[int, int] = {}  # element number -> pieces of it ended so far
        self.piece_starts: dict[int, int] = {}  # element number -> where its open piece starts

    def add_mark(self, mark: Mark, start: int, end: int) -> None:
        """A mark over [start, end)."""
        links = self.links
        url = links.url(mark.table, mark.row_id)
        said = title(mark, links)
        classes, attributes, tag = links.kind(mark)
        self.marks.append(mark)
        self.starts.append(start)
        self.ends.append(end)
        self.tags.append(
            f'<mark class="{classes}" id="kb-{links.escape(mark.kind)}-{mark.row_id}"'
            f'{attributes} data-id="{mark.row_id}" data-start="{start}" data-end="{end}" '
            f'data-href="{url}" title="{said}">'
        )
        self.befores.append(f'{tag}{url}" title="{said}"></a>')
        self.afters.append(_conflict_links(mark, links) if mark.conflict_with else "")
        self.closings.append("</mark>")
        self.keys.append((start, -end, RANK.get(mark.kind, len(RANK)), mark.row_id))

    def add_uncovered(self, start: int, end: int) -> None:
        """An uncovered sentence over [start, end): outside every mark (added after them)."""
        self.starts.append(start)
        self.ends.append(end)
        self.tags.append(
            f'<span class="kb-uncovered" data-start="{start}" data-end="{end}" '
            f'title="{UNCOVERED_TITLE}">'
        )
        self.befores.append("")
        self.afters.append("")
        self.closings.append("</span>")
        self.keys.append((start, -end, -1, 0))

    def piece(self, number: int, end: int) -> str:
        """The opening tag of the open piece of element `number`, which ends at `end`; count
        the piece."""
        part = self.parts.get(number, 0)
        self.parts[number] = part + 1
        start = self.piece_starts.get(number, self.starts[number])
        pieces = f' data-part="{part}" data-piece-start="{start}" data-piece-end="{end}">'
        if number >= len(self.marks):  # an uncovered sentence crossing a mark after all
            return (
                self.tags[number].replace('class="kb-uncovered"', 'class="kb-uncovered kb-piece"')[
                    :-1
                ]
                + pieces
            )
        mark, links = self.marks[number], self.links
        classes, attributes, _ = links.kind(mark)
        ident = f' id="kb-{links.escape(mark.kind)}-{mark.row_id}"' if part == 0 else ""
        return (
            f'<mark class="{classes} kb-piece"{ident}{attributes} data-id="{mark.row_id}" '
            f'data-start="{self.starts[number]}" data-end="{self.ends[number]}" '
            f'data-href="{links.url(mark.table, mark.row_id)}" title="{title(mark, links)}"'
            f"{pieces}"
        )


def _conflict_links(mark: Mark, links: _Links) -> str:
    """After a figure's surface: a link to each figure it disagrees with."""
    if mark.kind != "figure-surface":
        return ""
    return "".join(
        f'<a class="kb-conflict" href="{links.url("figures", other)}" data-id="{other}" '
        f'title="Conflicts with {_escape(links.figure(other))}"></a>'
        for other in mark.conflict_with
    )


def _text_escape(text: str) -> Callable[[str], str]:
    """The escaping of element content for `text` (carriage returns as &#13;, which an HTML
    parser would otherwise read as line feeds); nothing at all for a text with nothing to
    escape, as most are."""
    if not _SPECIAL_IN_TEXT.search(text):
        return str
    if "\r" not in text:
        return lambda piece: html.escape(piece, quote=False)
    return lambda piece: html.escape(piece, quote=False).replace("\r", "&#13;")


def _summary(marks: tuple[Mark, ...]) -> str:
    """'2 quotes, 12 figures, 7 events, 1 role (3 drafts)', counting records, not marks."""
    records = {(mark.table, mark.row_id): mark.status for mark in marks}
    tables = Counter(table for table, _ in records)
    drafts = sum(status == DRAFT for status in records.values())
    counts = [
        f"{tables[table]} {one if tables[table] == 1 else many}"
        for table, (one, many) in NOUNS.items()
    ]
    line = ", ".join(counts)
    if drafts:
        line += f" ({drafts} draft{'' if drafts == 1 else 's'}, not yet reviewed)"
    return f'<p class="kb-summary">{_escape(line)}</p>'


_LEGEND = (
    '<ul class="kb-legend">'
    + "".join(
        f'<li><span class="kb-key kb-key-{kind}">{_escape(TAGS[kind])}</span> '
        f"{_escape(NAMES[kind].lower())}</li>"
        for kind in ("quote", "figure-surface", "figure-evidence", "event", "role")
    )
    + '<li><span class="kb-key kb-key-draft">?</span> draft, not yet reviewed (dashed)</li>'
    + '<li><span class="kb-key">≠</span> figures that disagree</li>'
    + "</ul>"
)


def _side_list(marks: tuple[Mark, ...], links: _Links) -> str:
    """The facts in text order: type, label and link to the row, where in the text, draft,
    and links to the figures a figure disagrees with. A figure is listed once, at its surface.
    """
    items = ['<ol class="kb-facts">']
    heads: dict[tuple[str, str, str], str] = {}  # the start of an item, by kind, status, table
    for mark in marks:
        if mark.kind == "figure-evidence":
            continue
        key = (mark.kind, mark.status, mark.table)
        head = heads.get(key)
        if head is None:
            kind, status, table = (_escape(part) for part in key)
            head = heads[key] = (
                f'<li class="kb-fact kb-{kind} kb-{status}" data-kind="{kind}" '
                f'data-table="{table}" data-id="'
            )
        item = (
            f'{head}{mark.row_id}" data-start="{mark.start}" data-end="{mark.end}">'
            f'<span class="kb-type">{links.escape(NAMES.get(mark.kind, mark.kind))}</span> '
            f'<a class="kb-row" href="{links.url(mark.table, mark.row_id)}">'
            f"{links.escape(mark.label)}</a> "
            f'<a class="kb-where" href="#kb-{links.escape(mark.kind)}-{mark.row_id}" '
            f'title="Show in the text">{mark.start}–{mark.end}</a>'
        )
        if mark.status == DRAFT:
            item += ' <span class="kb-status">draft</span>'
        if mark.conflict_with:
            others = ", ".join(
                f'<a class="kb-conflict" href="{links.url("figures", other)}" '
                f'data-id="{other}">{_escape(links.figure(other))}</a>'
                for other in mark.conflict_with
            )
            item += f' <span class="kb-conflicts">conflicts with {others}</span>'
        items.append(item + "</li>")
    items.append("</ol>")
    return "".join(items)
