"""Find passages in a source text, allowing only whitespace and quote-mark normalisation.

Both sides are normalised the same way: every run of whitespace (including U+00A0 and line
breaks) becomes one space, and curly quotes become straight ones. A normalised copy of the
source keeps, for each of its characters, the index of the original character, so a match
maps back to offsets [start, end) into the original text (Python indices: code points).
"""

from __future__ import annotations

import difflib
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from itertools import accumulate

_QUOTES = (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"'))
_WHITESPACE = re.compile(r"\s+")
# Whitespace a normalised copy changes: a run of two or more characters, or one that is not a
# plain space. Single spaces, most of a text's whitespace, stay where they are.
_IRREGULAR = re.compile(r"[^\S ]\s*| \s+")
_WORD = re.compile(r"\S+")

# The closest-passage search compares a few top-ranked windows, and those a few words around.
_CANDIDATES = 3
_NEAR = 2
_SHOWN = 300
# Only the start of a longer passage is used to find the closest one: the hint shows _SHOWN
# characters anyway, and the search's cost grows with the passage's length.
_LONGEST = 500


def normalise(text: str) -> str:
    """The normalised form of a passage: whitespace runs as one space, straight quotes, stripped.

    str.split() splits at exactly the characters the pattern \\s matches (both use
    Py_UNICODE_ISSPACE), several times faster than a regex substitution.
    """
    return _straight(" ".join(text.split()))


def _straight(text: str) -> str:
    """`text` with curly quotes made straight (str.replace is many times faster than translate
    on non-ASCII text, and most texts have none of them)."""
    for curly, straight in _QUOTES:
        if curly in text:
            text = text.replace(curly, straight)
    return text


def _irregular_runs(text: str) -> Iterator[tuple[int, int]]:
    """The [start, end) of each run of whitespace a normalised copy changes, in order.

    Most texts have no whitespace but spaces and line breaks, and no two spaces together: their
    runs are found from the line breaks with str.find (a memchr) in a third of the machine
    instructions of the regex scan, which tries its pattern at every character (about 200
    instructions each; it was 7 % of a bulk load's reading). Any other text takes the regex.
    """
    if "  " in text or not text.replace("\n", " ").isprintable():
        # isprintable() is false for every whitespace character but the space (and for
        # other unprintable ones, which only send the text the general way).
        for match in _IRREGULAR.finditer(text):
            yield match.span()
        return
    length = len(text)
    end = 0
    while (start := text.find("\n", end)) >= 0:
        # A run is the line break with the spaces and line breaks around it: at most one space
        # before it (no two spaces are together), any number of both after it.
        if start and text[start - 1] == " ":
            start -= 1
        end = start + 1
        while end < length and text[end] in " \n":
            end += 1
        yield start, end


class _OffsetMap:
    """For each index of the normalised copy, the index of the original character.

    Stored as the starts of the stretches where the two run in step (between collapsed
    whitespace runs), so a long text costs a few numbers per paragraph, not one per character.
    """

    def __init__(self, normal_starts: array[int], original_starts: array[int], length: int) -> None:
        self.length = length
        self.normal_starts = normal_starts
        self.original_starts = original_starts

    def __len__(self) -> int:
        return self.length

    def first_at(self, original: int) -> int:
        """The first normalised index whose original index is `original` or more."""
        stretch = bisect_right(self.original_starts, original) - 1
        position = self.normal_starts[stretch] + original - self.original_starts[stretch]
        if stretch + 1 < len(self.normal_starts):
            # Inside a collapsed run: the next stretch is the first at or after it.
            position = min(position, self.normal_starts[stretch + 1])
        return min(position, self.length)

    def __getitem__(self, position: int) -> int:
        if not 0 <= position < self.length:
            raise IndexError(position)
        stretch = bisect_right(self.normal_starts, position) - 1
        return self.original_starts[stretch] + position - self.normal_starts[stretch]


class Text:
    """A source text, its normalised copy, and the map from normalised to original indices."""

    def __init__(self, text: str) -> None:
        self.text = text
        # One pass over the irregular whitespace makes both the copy and the map (a source
        # text is read by the tens of thousands).
        pieces: list[str] = []
        normal_starts, original_starts = array("q", [0]), array("q", [0])
        copied = removed = 0
        for start, end in _irregular_runs(text):
            pieces.append(text[copied:start])
            copied = end
            # The run becomes one space at `start`; the next stretch begins after it.
            normal_starts.append(start - removed + 1)
            original_starts.append(end)
            removed += end - start - 1
        if pieces:
            pieces.append(text[copied:])
        self.normal = _straight(" ".join(pieces) if pieces else text)
        self.index = _OffsetMap(normal_starts, original_starts, len(self.normal))

    def find(self, passage: str, start: int = 0, end: int | None = None) -> tuple[int, int] | None:
        """Original offsets of the first occurrence of `passage` within text[start:end]."""
        needle = normalise(passage)
        if not needle:
            return None
        # Most passages are looked for in the whole text: no offsets to map.
        low = self.index.first_at(start) if start else 0
        high = len(self.index) if end is None else self.index.first_at(end)
        found = self.normal.find(needle, low, high)
        if found < 0:
            return None
        # The needle starts and ends with non-space characters, each one original character.
        return self.index[found], self.index[found + len(needle) - 1] + 1

    def closest(self, passage: str, start: int = 0, end: int | None = None) -> str:
        """The passage of text[start:end] most like `passage`, whitespace collapsed, for hints."""
        needle = normalise(passage)[:_LONGEST].rstrip()
        low = self.index.first_at(start)
        high = len(self.index) if end is None else self.index.first_at(end)
        words = [m.span() for m in _WORD.finditer(self.normal, low, high)]
        if not words or not needle:
            return ""
        span = _best_window(self.normal, words, needle)
        first, last = self.index[span[0]], self.index[span[1] - 1] + 1
        shown = _WHITESPACE.sub(" ", self.text[first:last]).strip()
        return shown if len(shown) <= _SHOWN else shown[: _SHOWN - 1] + "…"

    def miss_hint(self, passage: str, start: int = 0, end: int | None = None) -> str:
        """A hint for a passage not found: the closest passage and, when it is long, where the
        two first differ, so the curator can spot the typo."""
        needle = normalise(passage)
        high = len(self.index) if end is None else self.index.first_at(end)
        room = high - self.index.first_at(start)
        if len(needle) > room:
            return (
                f"it is longer ({len(needle):,} characters) than the whole text it must be "
                f"found in ({room:,}): check that the field holds only the passage"
            )
        closest = self.closest(passage, start, end)
        hint = f"Closest passage: «{closest}»"
        difference = first_difference(needle[:_LONGEST], normalise(closest.rstrip("…")))
        if difference and len(closest) > _CONTEXT * 4:
            hint += f"; {difference}"
        return hint


_CONTEXT = 20


def first_difference(written: str, found: str) -> str | None:
    """'the source has «…in 1995…» where the record has «…was 1995…»', or None if no difference.

    Both strings are normalised passages; the context is a few characters either side.
    """
    matcher = difflib.SequenceMatcher(None, found, written, autojunk=False)
    for tag, f1, f2, w1, w2 in matcher.get_opcodes():
        # Differences at either edge only mean the window shown starts or ends elsewhere.
        at_edge = min(f1, w1) == 0 or f2 >= len(found) or w2 >= len(written)
        if tag == "equal" or at_edge:
            continue
        return (
            f"the source has «{_around(found, f1, f2)}» "
            f"where the record has «{_around(written, w1, w2)}»"
        )
    return None


def _around(text: str, start: int, end: int) -> str:
    """text[start:end] with a little context either side, marked with … where cut."""
    begin, finish = max(0, start - _CONTEXT), min(len(text), end + _CONTEXT)
    prefix = "…" if begin > 0 else ""
    suffix = "…" if finish < len(text) else ""
    return f"{prefix}{text[begin:finish]}{suffix}"


def _best_window(normal: str, words: list[tuple[int, int]], needle: str) -> tuple[int, int]:
    """The word-aligned window of about the needle's length that matches it best.

    Scoring every window with difflib is quadratic, so windows are first ranked by how many of
    the needle's character trigrams they contain (linear, with prefix sums); difflib's ratio()
    then picks the best among windows near the few top-ranked starts.
    """
    size = 3 if len(needle) >= 3 else 1
    grams = {needle[i : i + size] for i in range(len(needle) - size + 1)}
    # hits[i]: how many of normal's first i grams are the needle's (a prefix sum, as an array).
    found = (normal[i : i + size] in grams for i in range(len(normal) - size + 1))
    hits = array("q", accumulate(found, initial=0))
    reach = max(len(needle) - size + 1, 1)
    ends = [end for _, end in words]

    def window(i: int) -> tuple[int, int]:
        begin = words[i][0]
        j = min(bisect_left(ends, begin + len(needle)), len(ends) - 1)
        # Pick whichever word end lands closer to the needle's length.
        if j > i and abs(ends[j - 1] - begin - len(needle)) < abs(ends[j] - begin - len(needle)):
            j -= 1
        return begin, ends[j]

    def rank(i: int) -> int:
        begin = words[i][0]
        return hits[min(begin + reach, len(hits) - 1)] - hits[begin]

    order = sorted(range(len(words)), key=rank, reverse=True)
    chosen: list[int] = []
    for i in order:
        if all(abs(words[i][0] - words[c][0]) >= len(needle) // 2 for c in chosen):
            chosen.append(i)
            if len(chosen) == _CANDIDATES:
                break
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(needle)
    best, best_score = window(chosen[0]), -1.0
    for i in chosen:
        for j in range(max(0, i - _NEAR), min(len(words), i + _NEAR + 1)):
            begin, finish = window(j)
            matcher.set_seq1(normal[begin:finish])
            if matcher.real_quick_ratio() <= best_score or matcher.quick_ratio() <= best_score:
                continue
            score = matcher.ratio()
            if score > best_score:
                best, best_score = (begin, finish), score
    return best
