"""Coverage: the sentences of a source that hold a number or a quotation and no record covers.

The text is split as `kb draft` splits it (kb.draft.segment.layout): the first line, when it
reads as a headline, and a wire-style dateline are not sentences of the body and are left out,
like everything else `kb draft` does not draft from. A sentence *wants curating* when it holds a
digit or a quotation mark: " “ ” „ « » ‹ › and ‘ anywhere, a straight ' only where it opens a
word ('green'), never ’ (an apostrophe inside a word, Kazakhstan’s, or after one, the
countries’, as often as a closing mark). It is *uncovered* when no mark (kb.annotate.spans: a
quote, a figure's surface or evidence, an event's or a role's evidence) overlaps it by a
character.

Only what can hold an uncovered sentence is split into sentences: the paragraphs with a wanted
character outside every mark and the words it touches (a text curated to the end is not split
at all). Sentences never cross paragraphs, and layout() splits each paragraph on its own, so
laying out a paragraph alone (behind a stand-in headline) gives exactly its sentences in the
whole text's layout; a test holds this to layout() of whole texts. The rest is binary search
over the merged spans of the marks: O((sentences + marks) log marks).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from kb.annotate.spans import spans_by_source
from kb.tables import SOURCES

# What makes a sentence one that wants curating: a digit, or a quotation mark (see above).
WANTED = re.compile(r"\d|[\"“”„«»‹›‘]|(?<![\w’'])'(?=\w)")
# The characters WANTED may match, as one class: many times faster to look for in a long text.
# Not \d itself (slower to look for than a class of code points): ASCII digits, and all code
# points from the first other decimal digit (U+0660) up but the General Punctuation block
# (curly apostrophes, dashes: no digits), looked at one by one (few in most texts).
_CANDIDATES = re.compile("[0-9\"'“”„«»‹›‘\u0660-\u1fff\u2070-\U0010ffff]")
# The candidates that are wanted wherever they stand.
_ALWAYS = frozenset('0123456789"“”„«»‹›‘')
# Sources read at once by coverage() (each row holds a whole text).
SOURCES_AT_ONCE = 20
# A blank line between paragraphs: kb.draft.segment's own rule (a test checks they agree).
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
# Stand-ins that lay out one paragraph as the whole text would: a headline before it, or (for
# the first, whose first line may be the headline) a paragraph after it.
_BEFORE = "x\n\n"
_AFTER = "\n\nx"


@dataclass(frozen=True)
class Sentence:
    """An uncovered sentence: its text and its [start, end) offsets in the source text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class SourceCoverage:
    """One source's uncovered sentences, in text order, and how many there are."""

    slug: str
    title: str
    sentences: tuple[Sentence, ...]
    count: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", len(self.sentences))

    def to_dict(self) -> dict[str, Any]:
        """The coverage as JSON-ready data."""
        return {
            "slug": self.slug,
            "title": self.title,
            "count": self.count,
            "sentences": [{"text": s.text, "start": s.start, "end": s.end} for s in self.sentences],
        }


def sentences(text: str, wanted: Callable[[int, int], bool] | None = None) -> list[tuple[int, int]]:
    """The [start, end) spans of the body's sentences, as `kb draft` splits them (layout());
    with `wanted`, only those of the paragraphs [start, end) for which it is true.

    Paragraphs are separated by blank lines (a text without any is laid out whole). The
    first is laid out with a stand-in paragraph after it, so that its first line is taken for
    a headline or not as in the whole text; any other behind a stand-in headline.
    """
    blocks = None if wanted is None else _paragraphs(text)
    if wanted is None or blocks is None:
        return _whole(text)
    chosen = [index for index, (start, end) in enumerate(blocks) if wanted(start, end)]
    return _laid_out(text, blocks, chosen)


def _whole(text: str) -> list[tuple[int, int]]:
    """The spans of the sentences of the whole text's layout."""
    from kb.draft.segment import layout

    return [(sentence.start, sentence.end) for sentence in layout(text).sentences]


def _paragraphs(text: str) -> list[tuple[int, int]] | None:
    """_blocks(text), or None for a text without blank lines (laid out whole)."""
    newline = text.find("\n", len(text) - len(text.lstrip()))
    if newline < 0 or not _BLANK_LINE.search(text, newline):
        return None
    return _blocks(text)


def _laid_out(
    text: str, blocks: list[tuple[int, int]], chosen: Iterable[int]
) -> list[tuple[int, int]]:
    """The spans of the sentences of the blocks numbered `chosen` (ascending), each laid out
    alone (see sentences())."""
    from kb.draft.segment import layout

    found: list[tuple[int, int]] = []
    for index in chosen:
        start, end = blocks[index]
        if index == 0:
            found += [
                (sentence.start, sentence.end)
                for sentence in layout(text[:end] + _AFTER).sentences
                if sentence.end <= end
            ]
        else:
            shift = start - len(_BEFORE)
            found += [
                (sentence.start + shift, sentence.end + shift)
                for sentence in layout(_BEFORE + text[start:end]).sentences
            ]
    return found


def _blocks(text: str) -> list[tuple[int, int]]:
    """The runs of text between blank lines, as [start, end) spans, the empty ones left out;
    the first reaches back to the start of the text."""
    found = []
    position = 0
    for match in _BLANK_LINE.finditer(text):
        found.append((position, match.start()))
        position = match.end()
    found.append((position, len(text)))
    first = next(
        i for i, (start, end) in enumerate(found) if text[start:end].strip() or i == len(found) - 1
    )
    return [(0, found[first][1])] + [span for span in found[first + 1 :] if span[0] < span[1]]


def uncovered(
    text: str, spans: Iterable[tuple[int, int]], *, in_order: bool = False
) -> list[tuple[int, int]]:
    """The spans of the sentences of `text` that hold a digit or a quotation mark and overlap
    none of `spans` ([start, end) offsets of marks), in text order. With `in_order`, the
    spans come in order of start (as a source's marks do), and are not sorted again.

    Only paragraphs with a wanted character that may lie in an uncovered sentence are split
    into sentences. layout() breaks sentences (and paragraphs, and long sentences into pieces)
    only at whitespace, so a character in the same run of non-space characters as a marked one
    is in a sentence that the mark overlaps: the opening quotation mark of a quote, say.
    """
    size = len(text)
    starts, ends = _clamped(*merged(spans, in_order=in_order), size)
    # The wanted characters outside every span and the words its ends are in.
    near_starts, near_ends = _whole_words(text, starts, ends)
    candidates = _CANDIDATES.finditer
    outside = [
        match.start()
        for gap_start, gap_end in zip([0, *near_ends], [*near_starts, size], strict=True)
        if gap_start < gap_end
        for match in candidates(text, gap_start, gap_end)
        if match.group() in _ALWAYS or WANTED.match(text, match.start())
    ]
    if not outside:
        return []
    # The sentences of the paragraphs with one of those (found by where each one is).
    blocks = _paragraphs(text)
    if blocks is None:
        laid_out = _whole(text)
    else:
        firsts = [start for start, _ in blocks]
        chosen: list[int] = []
        for position in outside:
            at = bisect_right(firsts, position) - 1
            if at >= 0 and position < blocks[at][1] and (not chosen or chosen[-1] != at):
                chosen.append(at)
        laid_out = _laid_out(text, blocks, chosen)
    found = []
    for start, end in laid_out:
        # No merged span that starts before the sentence's end and ends after its start…
        before = bisect_left(starts, end) - 1
        if before >= 0 and ends[before] > start:
            continue
        # …and a wanted character inside it.
        if WANTED.search(text, start, end):
            found.append((start, end))
    return found


def _clamped(starts: list[int], ends: list[int], size: int) -> tuple[list[int], list[int]]:
    """merged() spans cut to [0, size), those left empty dropped (the same as merging the
    spans cut one by one: cutting keeps a union of intervals a union of intervals)."""
    if not size:
        return [], []
    if starts and (starts[0] < 0 or ends[-1] > size):
        first, last = bisect_right(ends, 0), bisect_left(starts, size)
        starts, ends = starts[first:last], ends[first:last]
        if starts:
            starts[0] = max(starts[0], 0)
            ends[-1] = min(ends[-1], size)
    return starts, ends


def _whole_words(text: str, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
    """Disjoint spans (merged() within the text) each widened to the whole runs of non-space
    characters its first and last characters are in, merged again. Widening keeps both starts
    and ends in order, so one pass merges them."""
    size = len(text)
    near_starts: list[int] = []
    near_ends: list[int] = []
    last = -1
    for start, end in zip(starts, ends, strict=True):
        if not text[start].isspace():
            while start > 0 and not text[start - 1].isspace():
                start -= 1
        if not text[end - 1].isspace():
            while end < size and not text[end].isspace():
                end += 1
        if start <= last:
            if end > last:
                near_ends[-1] = last = end
        else:
            near_starts.append(start)
            near_ends.append(end)
            last = end
    return near_starts, near_ends


def merged(
    spans: Iterable[tuple[int, int]], *, in_order: bool = False
) -> tuple[list[int], list[int]]:
    """`spans` merged where they overlap or touch: the starts and ends of the disjoint union,
    both ascending. With `in_order`, the spans come in order of start already."""
    starts: list[int] = []
    ends: list[int] = []
    last: int | None = None
    for start, end in spans if in_order else sorted(spans):
        if start >= end:
            continue
        if last is not None and start <= last:
            if end > last:
                ends[-1] = last = end
        else:
            starts.append(start)
            ends.append(end)
            last = end
    return starts, ends


def sentence_records(text: str, found: Sequence[tuple[int, int]]) -> tuple[Sentence, ...]:
    """The Sentence of each span of `found`."""
    return tuple(Sentence(text[start:end], start, end) for start, end in found)


def coverage(connection: Connection) -> list[SourceCoverage]:
    """Every source's uncovered sentences, sources by slug.

    Every mark's span is read first (one select per span column, integers only), then the
    sources a few at a time, so memory holds a few texts, never the whole collection.
    """
    spans: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for source_id, start, end in spans_by_source(connection):
        spans[source_id].append((start, end))
    statement = select(SOURCES.c.id, SOURCES.c.slug, SOURCES.c.title, SOURCES.c.text).order_by(
        SOURCES.c.slug
    )
    found = []
    result = connection.execution_options(stream_results=True).execute(statement)
    for part in result.partitions(SOURCES_AT_ONCE):
        for source_id, slug, title, text in part:
            found.append(
                SourceCoverage(
                    slug, title, sentence_records(text, uncovered(text, spans.get(source_id, ())))
                )
            )
    return found


def sources_left(report: Iterable[SourceCoverage]) -> list[SourceCoverage]:
    """The sources of a coverage report with an uncovered sentence."""
    return [source for source in report if source.count]


def counted(count: int) -> str:
    """'4 sentences with figures or quotes not yet curated', or that all are curated."""
    if not count:
        return "All sentences with figures or quotes are curated"
    noun = "sentence" if count == 1 else "sentences"
    return f"{count} {noun} with figures or quotes not yet curated"
