"""Split an article into its headline, paragraphs and sentences, keeping character offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from kb.draft.lexicon import word_set

_BLANK_LINE = re.compile(r"\n[^\S\n]*\n\s*")
_LINE = re.compile(r"\n\s*")
# A sentence ends at . ! ? (and any closing marks after it) before whitespace and a capital,
# a digit or an opening mark.
_END = re.compile(r"[.!?…]+[”\"’'»)\]]*(?=\s+[“\"‘'«(\[]?[A-Z0-9À-Þ])")
_WORD_BEFORE = re.compile(r"([\w.’'-]+)$")
# Words whose full stop does not end a sentence.
_ABBREVIATIONS = word_set(
    "mr mrs ms dr prof st jr sr gen col lt sgt gov sen rep no nos jan feb mar apr jun jul aug "
    "sep sept oct nov dec vs inc ltd co corp approx fig vol pp mt ft messrs rev hon capt cmdr "
    "adm maj brig"
)
# A wire-style dateline opening a paragraph: "ASTANA, Feb 2 (Reuters) - ", "Astana (Kazinform) – ".
_DATELINE = re.compile(
    r"(?:[A-Z][A-Z.'-]{2,}(?:[ -][A-Z][A-Z.'-]+)*"
    r"|[A-Z][\w.'-]+(?: [A-Z][\w.'-]+)*(?=[^\n]{0,40}\())"
    r"(?:,\s+[\w.]+(?:\s+[\w.]+){0,3})?(?:\s+\([A-Z][\w .&/-]{1,40}\))?\s*[-–—]{1,2}\s+"
)
# A byline paragraph: "By Anna Berg and Tom Baines".
_BYLINE = re.compile(r"By\s+(?P<names>[A-Z][\w.'’-]*(?:(?:\s+|,\s+|\s+and\s+)[A-Z][\w.'’-]*)*)\s*")
# Longer "sentences" are cut into pieces (at a clause mark past the shortest length).
_LONGEST = 600
_SHORTEST = 200
# A first line this long, or ending like a sentence, is a paragraph rather than a headline.
_HEADLINE_WORDS = 25


@dataclass(frozen=True)
class Sentence:
    """A sentence: offsets [start, end) into the text and the index of its paragraph."""

    start: int
    end: int
    paragraph: int


@dataclass(frozen=True)
class Layout:
    """The text, its headline, and the offsets of its paragraphs and sentences."""

    text: str
    title: str
    paragraphs: tuple[tuple[int, int], ...]
    sentences: tuple[Sentence, ...]
    author: str | None = None

    def sentence_at(self, position: int) -> Sentence:
        """The sentence containing (or, between sentences, just before) `position`."""
        index = bisect_right(self._starts, position) - 1
        return self.sentences[max(index, 0)]

    def sentence_index(self, position: int) -> int:
        """Index of the sentence containing `position`."""
        return max(bisect_right(self._starts, position) - 1, 0)

    @property
    def _starts(self) -> list[int]:
        """Sentence starts, computed once (the dataclass is frozen, so cached by hand)."""
        cached: list[int] | None = self.__dict__.get("_starts_cache")
        if cached is None:
            cached = [sentence.start for sentence in self.sentences]
            object.__setattr__(self, "_starts_cache", cached)
        return cached


def layout(text: str) -> Layout:
    """The headline (first line) and the paragraphs and sentences of the body after it."""
    title, body_start = _headline(text)
    paragraphs = tuple(_paragraphs(text, body_start))
    sentences = tuple(
        Sentence(start, end, number)
        for number, (p_start, p_end) in enumerate(paragraphs)
        for start, end in _sentences(text, _after_dateline(text, p_start, p_end), p_end)
    )
    return Layout(text, title, paragraphs, sentences, _byline(text, paragraphs))


def _after_dateline(text: str, start: int, end: int) -> int:
    """Where a paragraph's first sentence starts: after a wire-style dateline, if any."""
    dateline = _DATELINE.match(text, start, end)
    return dateline.end() if dateline is not None else start


def _byline(text: str, paragraphs: tuple[tuple[int, int], ...]) -> str | None:
    """The authors a byline paragraph near the top names ("By Anna Berg and Tom Baines")."""
    for start, end in paragraphs[:3]:
        byline = _BYLINE.fullmatch(text, start, end)
        if byline is not None:
            return " ".join(byline.group("names").split())
    return None


def _headline(text: str) -> tuple[str, int]:
    """The title and where the analysed body starts: after the first line if it is a headline.

    A first line that reads like a paragraph (long, or ending in a full stop) is kept in the
    body; the title is then its first sentence.
    """
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    newline = stripped.find("\n")
    line = stripped if newline < 0 else stripped[:newline]
    line = line.strip()
    if line and len(line.split()) <= _HEADLINE_WORDS and not line.endswith("."):
        return line, offset + len(line)
    first = _sentences(text, offset, offset + len(line))
    start, end = first[0] if first else (offset, offset + len(line))
    return text[start:end].strip().rstrip("."), offset


def _paragraphs(text: str, start: int) -> list[tuple[int, int]]:
    """Paragraph spans after `start`: separated by blank lines, or by line breaks if none."""
    body = text[start:]
    separator = _BLANK_LINE if _BLANK_LINE.search(body) else _LINE
    spans = []
    position = start
    for match in separator.finditer(text, start):
        spans.append((position, match.start()))
        position = match.end()
    spans.append((position, len(text)))
    return [trimmed for span in spans if (trimmed := _trim(text, *span)) is not None]


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span without surrounding whitespace, or None if it is blank."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence spans of one paragraph."""
    spans = []
    position = start
    for match in _END.finditer(text, start, end):
        if _is_abbreviation(text, position, match.start()):
            continue
        spans.append((position, match.end()))
        position = match.end()
        while position < end and text[position].isspace():
            position += 1
    if position < end:
        spans.append((position, end))
    return [piece for span in spans for piece in _pieces(text, *span)]


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """A run-on "sentence" (a flattened table, a list with no full stop) cut into pieces of at
    most _LONGEST characters at clause marks (else at spaces): every rule that looks back
    within a sentence then stays cheap, and evidence stays readable."""
    pieces = []
    while end - start > _LONGEST:
        window = text[start + _SHORTEST : start + _LONGEST]
        cut = max(window.rfind("; "), window.rfind(", "))
        if cut < 0:
            cut = window.rfind(" ")
        if cut < 0:
            break
        cut += start + _SHORTEST + 1
        pieces.append((start, cut))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    pieces.append((start, end))
    return pieces


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    """Whether the full stop at `dot` closes an abbreviation or an initial, not a sentence."""
    if text[dot] != ".":
        return False
    found = _WORD_BEFORE.search(text, start, dot)
    if found is None:
        return False
    word = found.group(1)
    bare = word.strip(".’'-").lower()
    if bare in _ABBREVIATIONS:
        return True
    # An initial (J. Smith) or a dotted abbreviation (U.S., e.g.).
    return (len(bare) == 1 and word[-1:].isupper()) or "." in word


def evidence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """A sentence's span without surrounding spaces, nor a quotation mark cut off from its pair.

    A sentence inside a quotation may start with the opening mark and no closing one (or end
    with a closing mark it did not open); evidence reads better without the stray mark.
    """
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    span = text[start:end]
    if span[:1] in _OPENING and not any(mark in span[1:] for mark in _CLOSING):
        start += 1
    span = text[start:end]
    if span[-1:] in _CLOSING and not any(mark in span[:-1] for mark in _OPENING):
        end -= 1
    return start, end


_OPENING = ("“", "«", "„", '"')
_CLOSING = ("”", "»", '"')
