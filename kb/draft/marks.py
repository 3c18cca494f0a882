"""Find quotations: balanced quotation marks, nested ones kept inside, across paragraphs.

Curly (“…”), straight ("…") and angle («…») double marks open a quotation; single marks
(‘…’, '…') open one inside a double-quoted one, or on their own (British style, or scare
quotes). An apostrophe (Kazakhstan’s, don't) is told from a closing single mark by the letter
after it. A quotation still open at the end of a paragraph continues when the next paragraph
opens with a quotation mark (the news convention for a quote over several paragraphs);
otherwise it is dropped as unbalanced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.draft.lexicon import SPEECH_VERBS
from kb.draft.segment import Layout

_MARK = re.compile(r"[“”\"«»„‘’'‹›]")
_OPENERS = '“"«„'
_DOUBLE_OPENERS = frozenset('“"«„')
_BEFORE_OPEN = frozenset("([{—–-/")
# Marks that can only close a quotation.
_CLOSERS = frozenset("”»")
_SPEECH = "|".join(sorted(SPEECH_VERBS, key=len, reverse=True))
# An attribution right after a closing mark: "…,” said NAME", "…,” NAME added".
_ATTRIBUTION = re.compile(
    rf"[,.]?\s+(?:(?:{_SPEECH})\b|(?:[\w’'-]+\s+){{1,4}}?(?:{_SPEECH})\b|according to\b)"
)


@dataclass
class Quotation:
    """A quotation: offsets of its opening and closing marks, and any nested inside it."""

    open: int
    close: int
    single: bool
    nested: list[tuple[int, int]] = field(default_factory=list)
    # The text ends before the closing mark (a stored copy cut off mid-quotation): `close` is
    # the end of the text.
    truncated: bool = False
    # The outlet dropped the opening mark: `open` is where the quoted words start.
    unopened: bool = False

    @property
    def content(self) -> tuple[int, int]:
        """Offsets [start, end) of the words between the marks."""
        return self.open + (0 if self.unopened else 1), self.close


@dataclass
class _Open:
    """A quotation mark waiting for its closing mark."""

    position: int
    mark: str


def find_quotations(layout: Layout) -> list[Quotation]:
    """Every balanced top-level quotation in the body, in order."""
    text = layout.text
    found: list[Quotation] = []
    outer: _Open | None = None
    inner: _Open | None = None
    nested: list[tuple[int, int]] = []
    paragraphs = layout.paragraphs
    for number, (start, end) in enumerate(paragraphs):
        position = start
        if outer is not None:
            # Continued from the paragraph before: skip this paragraph's opening mark.
            position = start + 1
        for match in _MARK.finditer(text, position, end):
            index, mark = match.start(), match.group()
            before = text[index - 1] if index > start else " "
            after = text[index + 1] if index + 1 < end else " "
            if outer is None:
                if _opens(mark, before, after):
                    outer, nested = _Open(index, mark), []
                elif (opened := _unopened(layout, number, index, mark, before, found)) is not None:
                    found.append(Quotation(opened, index, False, [], unopened=True))
                continue
            if inner is not None and _closes(inner.mark, mark, before, after):
                nested.append((inner.position, index + 1))
                inner = None
                continue
            if _closes(outer.mark, mark, before, after):
                found.append(Quotation(outer.position, index, outer.mark in "‘'‹", nested))
                outer, inner = None, None
                continue
            if inner is None and _opens_inner(outer.mark, mark, before, after):
                inner = _Open(index, mark)
        inner = None
        if outer is not None and number + 1 == len(paragraphs) and outer.mark in _OPENERS:
            # Still open where the text ends: the copy was cut off inside the quotation.
            close = len(text[:end].rstrip())
            found.append(Quotation(outer.position, close, False, nested, truncated=True))
        elif outer is not None and not _continues(text, outer.mark, paragraphs, number):
            outer = None
    return found


def _unopened(
    layout: Layout, number: int, index: int, mark: str, before: str, found: list[Quotation]
) -> int | None:
    """Where a quotation whose opening mark the outlet dropped starts: a closing mark with no
    quotation open, right after the words of the paragraph's start and before an attribution
    ("… as well,” reported NAME."). None when the mark is not such a closing mark."""
    if mark not in _CLOSERS or not (before.isalpha() or before in ".,!?"):
        return None
    text = layout.text
    if not _ATTRIBUTION.match(text, index + 1):
        return None
    start = next(
        (s.start for s in layout.sentences if s.paragraph == number), layout.paragraphs[number][0]
    )
    if (found and found[-1].close >= start) or start >= index:
        return None
    return start


def _opens(mark: str, before: str, after: str) -> bool:
    """Whether `mark` opens a top-level quotation here."""
    if after.isspace():
        return False
    if mark in _DOUBLE_OPENERS:
        return mark != '"' or before.isspace() or before in _BEFORE_OPEN
    if mark in "‘‹":
        return not before.isalnum()
    if mark == "'":
        return (before.isspace() or before in _BEFORE_OPEN) and after.isalnum()
    return False


def _opens_inner(outer: str, mark: str, before: str, after: str) -> bool:
    """Whether `mark` opens a quotation nested inside one opened by `outer`."""
    if outer in "‘'‹":
        return mark in _DOUBLE_OPENERS and not after.isspace()
    if mark in "‘‹":
        return not before.isalnum() and not after.isspace()
    if mark == "'":
        return not before.isalnum() and after.isalnum()
    return mark == "«" and outer != "«"


def _closes(opener: str, mark: str, before: str, after: str) -> bool:
    """Whether `mark` closes a quotation opened by `opener` (an apostrophe does not)."""
    if opener == "“":
        return mark == "”"
    if opener == "„":
        return mark in "“”"
    if opener == '"':
        return mark == '"' and not (before.isspace() and after.isalnum())
    if opener == "«":
        return mark == "»"
    if opener in "‘'":
        # A closing single mark follows a non-space and is not followed by a letter.
        return mark in "’'" and not before.isspace() and not after.isalnum()
    if opener == "‹":
        return mark == "›"
    return False


def _continues(text: str, mark: str, paragraphs: tuple[tuple[int, int], ...], number: int) -> bool:
    """Whether an open double quotation runs on into the next paragraph."""
    if number + 1 >= len(paragraphs) or mark not in _OPENERS:
        return False
    following = text[paragraphs[number + 1][0]]
    return following == mark or (mark in "“„" and following in "“„")
