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
          data-table="{table}" data-id="{id}" data-start="{start}" data-end="{end}">…</mark>

kind is quote, figure-surface, figure-evidence, event or role; status is reviewed or draft.
data-kind and data-id together identify a mark (a figure's surface and evidence marks share
data-table and data-id). The id is the target of the side list's links.

The link to the record is an empty ``<a class="kb-tag kb-tag-{kind} kb-{status}"
href="{row_url(table, id)}" title="…"></a>`` just before the mark, outside it. Its title, its
accessible name and what hovering over its marker shows, says the type, the label (a quote's
speaker, a figure's metric and value), "draft, not yet reviewed" for a draft, and the figures
a figure conflicts with; the mark itself has neither title nor address, which would only
repeat the link's (a dense page has ten thousand marks). The link's visible type marker (Q,
F, F·ev, E, R; a draft's ends in ?) is CSS generated content, so it adds no text to the mark
or to any mark around it. A figure in conflict is followed, just after its surface mark, by
an empty ``<a class="kb-conflict" href="{row_url('figures', other)}" data-id="{other}">``
(shown as ≠) for each figure it disagrees with; the side list links them by name.

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
result included.

**How.** A megabyte of dense text makes eight of HTML, so the page is built for speed: each
mark's markup is made once, in one list per part, from strings shared by kind and status; the
text is written in one pass over the elements in text order, most of them (those nothing
opens inside of) as one string; values are escaped all at once (joined, escaped and split
again), and not at all when none needs it; and the whole is joined once.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import compress, count, islice
from operator import eq, le, lt

from kb.annotate.coverage import counted
from kb.annotate.spans import RANK, Annotation, Mark
from kb.annotate.style import CSS, LEGEND, NAMES

RowUrl = Callable[[str, int], str]

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


def _escape(value: object) -> str:
    """`value` as text, escaped for an attribute value or element content (looked over once
    first: most texts have nothing to escape)."""
    words = str(value)
    return html.escape(words, quote=True) if _SPECIAL.search(words) else words


def _escape_all(values: list[str], quote: bool = True) -> list[str]:
    """Each of `values` escaped (with `quote`, for attribute values too; without it, element
    content with carriage returns as &#13;): all in one escape of them joined by a NUL, which
    html.escape leaves alone, and nothing at all when none needs it (as on most pages)."""
    joined = "\0".join(values)
    special = ("&", "<", ">", '"', "'") if quote else ("&", "<", ">", "\r")
    if not any(character in joined for character in special):
        return values
    if joined.count("\0") != len(values) - 1:  # a value with a NUL of its own: one by one
        return [_escape_one(value, quote) for value in values]
    return _escape_one(joined, quote).split("\0")


def _escape_one(words: str, quote: bool) -> str:
    """`words` escaped: see _escape_all."""
    if quote:
        return html.escape(words, quote=True)
    return html.escape(words, quote=False).replace("\r", "&#13;")


def render(annotation: Annotation, row_url: RowUrl, *, style: bool = True) -> str:
    """The annotation as an HTML fragment (escaped throughout); `row_url(table, id)` gives the
    address of a record's row. See the module docstring for the markup.

    Built as one list of strings joined once: a megabyte of dense text makes eight of HTML."""
    page = _Page(annotation, row_url)
    head = [
        f'<div class="kb-annotation" data-source-id="{annotation.source_id}" '
        f'data-slug="{_escape(annotation.slug)}">',
    ]
    if style:
        head.append(f"<style>{CSS}</style>")
    left = len(annotation.uncovered)
    head.append(
        f'<p class="kb-coverage{" kb-left" if left else ""}" data-count="{left}">'
        f"{_escape(counted(left))}</p>"
    )
    head.append(_summary(annotation.marks))
    head.append(LEGEND)
    # No line breaks around the text: its container's textContent is the text exactly.
    out = ["\n".join(head), '\n<div class="kb-text">']
    _text(annotation, page, out)
    out.append("</div>\n")
    _side_list(annotation.marks, page, out)
    out.append("\n</div>")
    return "".join(out)


class _Kind:
    """The escaped parts of the markup of marks of one kind, status and table."""

    def __init__(self, kind: str, status: str, table: str) -> None:
        name = NAMES.get(kind, kind)
        self.rank = RANK.get(kind, len(RANK))  # in text order, for equal spans
        kind, status, table = (_escape(part) for part in (kind, status, table))
        self.kind, self.status, self.table = kind, status, table
        # Before the address in the tag link; before the id in the mark; after it.
        self.link = f'<a class="kb-tag kb-tag-{kind} kb-{status}" href="'
        self.mark = f'<mark class="kb-mark kb-{kind} kb-{status}" id="kb-{kind}-'
        self.data = f' data-kind="{kind}" data-table="{table}"'
        self.attributes = f'"{self.data} data-id="'
        # The title around the label.
        self.said = "Quote by " if kind == "quote" else f"{_escape(name)}: "
        self.draft = " (draft, not yet reviewed)" if status == DRAFT else ""
        # A side-list item: before its id; before its address; before its id in its link;
        # after where it is.
        self.fact = (
            f'<li class="kb-fact kb-{kind} kb-{status}" data-kind="{kind}" '
            f'data-table="{table}" data-id="'
        )
        self.type = f'<span class="kb-type">{_escape(name)}</span> <a class="kb-row" href="'
        self.where = f'<a class="kb-where" href="#kb-{kind}-'
        self.status_note = ' <span class="kb-status">draft</span>' if status == DRAFT else ""


class _Page:
    """What the text and the side list share, escaped once a page, in lists in the order of
    annotation.marks (a page may have tens of thousands): each mark's markup parts by kind,
    status and table, its address, its label and the end of its title (the figures it
    conflicts with); and the figures' names and addresses."""

    def __init__(self, annotation: Annotation, row_url: RowUrl) -> None:
        marks = annotation.marks
        self.row_url = row_url
        known: dict[tuple[str, str, str], _Kind] = {}

        def kind(mark: Mark) -> _Kind:
            key = (mark.kind, mark.status, mark.table)
            found = known[key] = _Kind(*key)
            return found

        get = known.get
        self.kinds = [get((m.kind, m.status, m.table)) or kind(m) for m in marks]
        self.starts = [mark.start for mark in marks]
        self.ends = [mark.end for mark in marks]
        self.ids = [mark.row_id for mark in marks]
        # The numbers as text, each written once (most are written twice or more), and the
        # end of the tags of marks and of side-list items: id, start, end.
        self.id_texts = list(map(str, self.ids))
        self.start_texts = list(map(str, self.starts))
        self.end_texts = list(map(str, self.ends))
        self.spans = [
            f'{row_id}" data-start="{start}" data-end="{end}">'
            for row_id, start, end in zip(
                self.id_texts, self.start_texts, self.end_texts, strict=True
            )
        ]
        self.urls = _escape_all([row_url(mark.table, mark.row_id) for mark in marks])
        self.labels = _escape_all([mark.label for mark in marks])
        self.in_conflict = [index for index, mark in enumerate(marks) if mark.conflict_with]
        # The labels of the figures this source states, for naming those in conflict.
        self.figures = {
            mark.row_id: mark.label
            for mark in (marks if self.in_conflict else ())
            if mark.kind == "figure-surface"
        }
        # Escaped, by figure id: its name, its address, its links in the text and in the list.
        self.names: dict[int, str] = {}
        self.figure_urls: dict[int, str] = {}
        self.text_links: dict[int, str] = {}
        self.list_links: dict[int, str] = {}
        self.conflicts = [""] * len(marks)
        ends: dict[tuple[int, ...], str] = {}  # a figure's two marks share their partners
        for index in self.in_conflict:
            others = marks[index].conflict_with
            found = ends.get(others)
            if found is None:
                found = ends[others] = " — conflicts with " + ", ".join(map(self.name, others))
            self.conflicts[index] = found

    def figure_url(self, row_id: int) -> str:
        """row_url('figures', row_id), escaped."""
        found = self.figure_urls.get(row_id)
        if found is None:
            found = self.figure_urls[row_id] = _escape(self.row_url("figures", row_id))
        return found

    def figure(self, row_id: int) -> str:
        """A figure's name: its label when this source states it, else its id."""
        label = self.figures.get(row_id)
        return f"figure #{row_id}" + (f" ({label})" if label else " (another source)")

    def name(self, row_id: int) -> str:
        """figure(row_id), escaped."""
        found = self.names.get(row_id)
        if found is None:
            found = self.names[row_id] = _escape(self.figure(row_id))
        return found

    def text_link(self, row_id: int) -> str:
        """The conflict link to the figure `row_id` after a figure's surface in the text."""
        found = self.text_links.get(row_id)
        if found is None:
            found = self.text_links[row_id] = (
                f'<a class="kb-conflict" href="{self.figure_url(row_id)}" data-id="{row_id}" '
                f'title="Conflicts with {self.name(row_id)}"></a>'
            )
        return found

    def list_link(self, row_id: int) -> str:
        """The conflict link to the figure `row_id` in a side-list item."""
        found = self.list_links.get(row_id)
        if found is None:
            found = self.list_links[row_id] = (
                f'<a class="kb-conflict" href="{self.figure_url(row_id)}" '
                f'data-id="{row_id}">{self.name(row_id)}</a>'
            )
        return found

    def link(self, index: int) -> str:
        """The tag link before the mark annotation.marks[index], with its title: type and
        label, draft, conflicts."""
        kind = self.kinds[index]
        return (
            f'{kind.link}{self.urls[index]}" title="{kind.said}{self.labels[index]}'
            f'{kind.draft}{self.conflicts[index]}"></a>'
        )

    def conflict_links(self, mark: Mark) -> str:
        """After a figure's surface: a link to each figure it disagrees with."""
        if mark.kind != "figure-surface":
            return ""
        return "".join(map(self.text_link, mark.conflict_with))


def _text(annotation: Annotation, page: _Page, out: list[str]) -> None:
    """The text with its marks and uncovered sentences as elements, onto `out`: one pass over
    the elements in order, splitting one where another it crosses ends (see the module
    docstring).

    Elements are numbered: the marks within the text, then the uncovered sentences; what the
    pass needs of each is in lists by number, each made in one go: its span, its opening (the
    tag link and the tag) and its closing (the end tag and the conflict links). Marks in text
    order already, as annotate() gives them, are not sorted again.
    """
    text = annotation.text
    size = len(text)
    marks = annotation.marks
    starts, ends, ids = page.starts, page.ends, page.ids
    kinds, urls, labels, conflicts = page.kinds, page.urls, page.labels, page.conflicts
    id_texts, spans = page.id_texts, page.spans
    # The index in annotation.marks of each element that is a mark: all of them, unless one
    # reaches out of the text or is empty.
    numbered: Sequence[int] = range(len(marks))
    if marks and (min(starts) < 0 or max(ends) > size or not all(map(lt, starts, ends))):
        numbered = [i for i in numbered if max(starts[i], 0) < min(ends[i], size)]
        starts = [max(starts[i], 0) for i in numbered]
        ends = [min(ends[i], size) for i in numbered]
        ids = [ids[i] for i in numbered]
        kinds = [kinds[i] for i in numbered]
        urls, labels, conflicts, id_texts = (
            [words[i] for i in numbered] for words in (urls, labels, conflicts, id_texts)
        )
        spans = [
            f'{row_id}" data-start="{start}" data-end="{end}">'
            for row_id, start, end in zip(ids, starts, ends, strict=True)
        ]
    else:
        # Copies: the uncovered sentences are added below.
        starts, ends, ids = starts.copy(), ends.copy(), ids.copy()
    ranks = [kind.rank for kind in kinds]
    opens = [
        f'{kind.link}{url}" title="{kind.said}{label}{kind.draft}{conflict}"></a>'
        f"{kind.mark}{row_id}{kind.attributes}{span}"
        for kind, url, label, conflict, row_id, span in zip(
            kinds, urls, labels, conflicts, id_texts, spans, strict=True
        )
    ]
    closes = ["</mark>"] * len(opens)
    if page.in_conflict:
        number_of = {index: number for number, index in enumerate(numbered)}
        for index in page.in_conflict:
            if index in number_of:
                closes[number_of[index]] += page.conflict_links(marks[index])
    in_order = _in_order(starts, ends, ranks, ids)
    for start, end in annotation.uncovered:
        start, end = max(start, 0), min(end, size)
        if start < end:
            starts.append(start)
            ends.append(end)
            ranks.append(-1)
            ids.append(0)
            opens.append(
                f'<span class="kb-uncovered" data-start="{start}" data-end="{end}" '
                f'title="{UNCOVERED_TITLE}">'
            )
            closes.append("</span>")

    def key(number: int) -> tuple[int, int, int, int]:
        """The element's place in text order: by start, the longer first, uncovered sentences
        first, then marks by kind (outermost first) and id."""
        return (starts[number], -ends[number], ranks[number], ids[number])

    if in_order:  # as annotate() gives them: only the uncovered sentences to put in place
        order = list(range(len(numbered)))
        for number in sorted(range(len(numbered), len(opens)), key=key):
            order.insert(bisect_right(order, key(number), key=key), number)
    else:
        order = sorted(range(len(opens)), key=key)
    pieces = _Pieces(annotation, page, numbered, starts, ends)
    segments = _sweep(text, order, key, opens, closes, pieces, out)
    if segments:
        escaped = _escape_all([out[at] for at in segments], quote=False)
        for at, segment in zip(segments, escaped, strict=True):
            out[at] = segment


def _in_order(starts: list[int], ends: list[int], ranks: list[int], ids: list[int]) -> bool:
    """Whether the spans are in text order already: by start, and those with the same start
    by key (the longer first, then by rank and id)."""
    if not all(map(le, starts, islice(starts, 1, None))):
        return False
    same = compress(count(), map(eq, starts, islice(starts, 1, None)))
    return all(
        (-ends[i], ranks[i], ids[i]) <= (-ends[i + 1], ranks[i + 1], ids[i + 1]) for i in same
    )


def _sweep(
    text: str,
    order: list[int],
    key: Callable[[int], tuple[int, int, int, int]],
    opens: list[str],
    closes: list[str],
    pieces: _Pieces,
    out: list[str],
) -> list[int]:
    """The text with its elements (numbered as in _text, `order` their numbers in text order)
    onto `out`; where in `out` the pieces of text are, if they need escaping.

    Each step is at a boundary: the nearest end of the elements open, where they close, or
    else the next element's start, where it opens. Where elements end, what ends there closes,
    and so does all opened inside the outermost of those; what goes on past there is reopened
    as its next piece, with what starts there, outermost first.
    """
    starts, ends = pieces.starts, pieces.ends
    split = pieces.parts
    escaping = any(character in text for character in "&<>\r")
    segments: list[int] = []
    append = out.append
    stack: list[int] = []  # the open elements, outermost first…
    stack_ends: list[int] = []  # …and where each ends
    # Whether an element open ends after one opened before it (so it will be split): until
    # one does, the innermost element ends first.
    tangled = False
    # Where in `out` the open piece of an element that will be split has its tag.
    slots: dict[int, int] = {}
    after = len(text) + 1  # past every boundary
    starts_in_order = [starts[number] for number in order]
    starts_in_order.append(after)
    position = next_up = 0
    while True:
        start = starts_in_order[next_up]
        # Close what ends before the next element starts, or where it starts.
        while stack_ends:
            boundary = min(stack_ends) if tangled else stack_ends[-1]
            if boundary > start:
                break
            if boundary > position:
                if escaping:
                    segments.append(len(out))
                append(text[position:boundary])
                position = boundary
            lowest = stack_ends.index(boundary)
            if lowest == len(stack_ends) - 1:  # only the innermost ends here, as most do
                number = stack.pop()
                stack_ends.pop()
                if split and number in split:
                    out[slots[number]] = pieces.tag(number, boundary)
                append(closes[number])
                continue
            going_on = []
            for number in reversed(stack[lowest:]):
                if ends[number] != boundary:
                    append(pieces.closing(number))
                    out[slots[number]] = pieces.tag(number, boundary)
                    going_on.append(number)
                else:
                    if number in split:
                        out[slots[number]] = pieces.tag(number, boundary)
                    append(closes[number])
            del stack[lowest:]
            del stack_ends[lowest:]
            if going_on:
                # Reopen what goes on, with what starts here, outermost first.
                while starts_in_order[next_up] == boundary:
                    going_on.append(order[next_up])
                    next_up += 1
                start = starts_in_order[next_up]
                for number in sorted(going_on, key=lambda n: (-ends[n], key(n))):
                    if number in split:
                        pieces.starts_of[number] = boundary
                        append("")  # the piece's tag, written once its end is known
                    else:
                        append(opens[number])
                    slots[number] = len(out) - 1
                    stack.append(number)
                    stack_ends.append(ends[number])
            tangled = any(map(lt, stack_ends, stack_ends[1:]))
        if start == after:
            break
        # Open the next element.
        number = order[next_up]
        next_up += 1
        end = ends[number]
        first = (min(stack_ends) if tangled else stack_ends[-1]) if stack_ends else after
        if end <= first and end <= starts_in_order[next_up]:
            # Nothing opens inside it and it ends first: write it whole, as most are.
            if escaping:
                if start > position:
                    segments.append(len(out))
                    append(text[position:start])
                append(opens[number])
                segments.append(len(out))
                append(text[start:end])
                append(closes[number])
            else:
                append(f"{text[position:start]}{opens[number]}{text[start:end]}{closes[number]}")
            position = end
            continue
        if start > position:
            if escaping:
                segments.append(len(out))
            append(text[position:start])
            position = start
        if end > first:  # something open ends first: this will be split there
            tangled = True
            slots[number] = len(out)
        append(opens[number])
        stack.append(number)
        stack_ends.append(end)
    if escaping:
        segments.append(len(out))
    append(text[position:])
    return segments


class _Pieces:
    """The elements of the text that are split into pieces: how many pieces of each have
    ended, where its open piece starts, and the opening tags of pieces."""

    def __init__(
        self,
        annotation: Annotation,
        page: _Page,
        marks: Sequence[int],
        starts: list[int],
        ends: list[int],
    ) -> None:
        self.annotation = annotation
        self.page = page
        self.marks = marks  # the index in annotation.marks of each element that is a mark
        self.starts = starts
        self.ends = ends
        self.parts: dict[int, int] = {}  # element number -> pieces of it ended so far
        self.starts_of: dict[int, int] = {}  # element number -> where its open piece starts

    def closing(self, number: int) -> str:
        """The end tag of element `number` (without the links after a mark's last piece)."""
        return "</mark>" if number < len(self.marks) else "</span>"

    def tag(self, number: int, end: int) -> str:
        """The opening tag of the open piece of element `number`, which ends at `end` (the
        first piece of a mark with the tag link before it); count the piece."""
        part = self.parts.get(number, 0)
        self.parts[number] = part + 1
        whole = f'data-start="{self.starts[number]}" data-end="{self.ends[number]}"'
        start = self.starts_of.get(number, self.starts[number])
        pieces = f' data-part="{part}" data-piece-start="{start}" data-piece-end="{end}">'
        if number >= len(self.marks):  # an uncovered sentence crossing a mark after all
            return f'<span class="kb-uncovered kb-piece" {whole} title="{UNCOVERED_TITLE}"{pieces}'
        index = self.marks[number]
        kind = self.page.kinds[index]
        row_id = self.annotation.marks[index].row_id
        ident = f' id="kb-{kind.kind}-{row_id}"' if part == 0 else ""
        tag = (
            f'<mark class="kb-mark kb-{kind.kind} kb-{kind.status} kb-piece"{ident}{kind.data} '
            f'data-id="{row_id}" {whole}{pieces}'
        )
        return self.page.link(index) + tag if part == 0 else tag


def _summary(marks: tuple[Mark, ...]) -> str:
    """'2 quotes, 12 figures, 7 events, 1 role (3 drafts)', counting records, not marks."""
    # Each table's records, id -> status (a figure's two marks are one record).
    records = {
        table: {mark.row_id: mark.status for mark in marks if mark.table == table}
        for table in {mark.table for mark in marks}
    }
    tables = {table: len(statuses) for table, statuses in records.items()}
    drafts = sum(list(statuses.values()).count(DRAFT) for statuses in records.values())
    counts = [
        f"{tables.get(table, 0)} {one if tables.get(table) == 1 else many}"
        for table, (one, many) in NOUNS.items()
    ]
    line = ", ".join(counts)
    if drafts:
        line += f" ({drafts} draft{'' if drafts == 1 else 's'}, not yet reviewed)"
    return f'<p class="kb-summary">{_escape(line)}</p>'


def _side_list(marks: tuple[Mark, ...], page: _Page, out: list[str]) -> None:
    """The facts in text order, onto `out`: type, label and link to the row, where in the
    text, draft, and links to the figures a figure disagrees with. A figure is listed once, at
    its surface."""
    out.append('<ol class="kb-facts">')
    conflicts = [""] * len(marks)
    for index in page.in_conflict:
        others = ", ".join(map(page.list_link, marks[index].conflict_with))
        conflicts[index] = f' <span class="kb-conflicts">conflicts with {others}</span>'
    out += [
        f'{kind.fact}{span}{kind.type}{url}">{label}</a> {kind.where}{row_id}" '
        f'title="Show in the text">{start}–{end}</a>{kind.status_note}{conflict}</li>'
        for mark, kind, span, url, label, row_id, start, end, conflict in zip(
            marks,
            page.kinds,
            page.spans,
            page.urls,
            page.labels,
            page.id_texts,
            page.start_texts,
            page.end_texts,
            conflicts,
            strict=True,
        )
        if mark.kind != "figure-evidence"
    ]
    out.append("</ol>")
