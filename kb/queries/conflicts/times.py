"""The days a date covers at its precision, and the time a figure covers, as comparable text.

A date is ISO text whose length is its precision: '1993' covers 1993-01-01 to 1993-12-31,
'1993-02' covers February. Days are compared as text: '1993-02-31' is after every real day of
February and before March, which is all a comparison needs. An open end is a key before (or
after) every date.
"""

from __future__ import annotations

from typing import NamedTuple

# Keys for an open start and an open end: '' sorts before every date, '~' after every one.
OPEN_START = ""
OPEN_END = "~"
YEAR = 4  # characters of the year, the coarsest precision


class Span(NamedTuple):
    """The days something covers: first and last (as text keys), either possibly open."""

    first: str
    last: str

    def overlaps(self, other: Span) -> bool:
        """Whether the two spans share a day."""
        return self.first <= other.last and other.first <= self.last


def first_day(date: str) -> str:
    """The first day a date covers at its precision: '1993' -> '1993-01-01'."""
    return date + "-01-01"[len(date) - YEAR :]


def last_day(date: str) -> str:
    """A key for the last day a date covers: '1993' -> '1993-12-31', '1993-02' -> '1993-02-31'."""
    return date + "-12-31"[len(date) - YEAR :]


def date_span(date: str) -> Span:
    """The days a date covers at its precision."""
    return Span(first_day(date), last_day(date))


def figure_span(as_of: str | None, start: str | None, end: str | None) -> Span:
    """The time a figure covers: the days of its as-of date (a level on that day, or in that
    month or year), else its period, either end open when not given; a figure with neither
    covers all time."""
    if as_of is not None:
        return date_span(as_of)
    return Span(
        OPEN_START if start is None else first_day(start),
        OPEN_END if end is None else last_day(end),
    )
