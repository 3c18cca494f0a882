"""ISO-8601 dates at year, month or day precision, and filters that respect the precision."""

from __future__ import annotations

import datetime
import re
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, literal

from kb.errors import KbError

_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
YEAR = 4  # characters of the year, the coarsest precision


def check_date(value: str) -> str:
    """Return `value` if it is a real date written YYYY, YYYY-MM or YYYY-MM-DD; else a KbError."""
    text = value.strip()
    if _DATE.fullmatch(text) and _exists(text):
        return text
    raise KbError(
        f"Not a date: {value!r}. Write YYYY, YYYY-MM or YYYY-MM-DD "
        "(e.g. 1995, 1995-01, 1995-01-23)."
    )


def _exists(text: str) -> bool:
    """Whether the month and day of a well-formed date exist (no 1995-13, no 1995-02-30)."""
    padded = text + "-01-01"[len(text) - 4 :]
    try:
        datetime.date.fromisoformat(padded)
    except ValueError:
        return False
    return True


def ends_on_or_after(column: ColumnElement[Any], bound: str) -> ColumnElement[bool]:
    """The date in `column` is, at its own precision, on or after `bound`.

    Both sides are cut to the shorter of the two precisions, so an event dated '1995' matches
    --from 1995-06-01 (its year overlaps the bound) and --from 1995 matches '1995-03-01'.
    Such a date is never before the bound's year ('1995' sorts first among the dates of
    1995), which an index on the column can seek to; the cut comparison then decides.
    """
    return and_(column >= _text(bound[:YEAR]), _cut(column, bound) >= _cut_bound(bound, column))


def starts_on_or_before(column: ColumnElement[Any], bound: str) -> ColumnElement[bool]:
    """The date in `column` is, at its own precision, on or before `bound` (see above).

    Such a date is in the bound's year or before, so it sorts at or before the last day of
    that year ('1995-12-31' is after '1995', '1995-12' and every day of 1995): an index range.
    """
    last_of_year = bound[:YEAR] + "-12-31"
    return and_(column <= _text(last_of_year), _cut(column, bound) <= _cut_bound(bound, column))


def _text(value: str) -> ColumnElement[str]:
    """A text value as a bound parameter."""
    return literal(value, String())


def _cut(column: ColumnElement[Any], bound: str) -> ColumnElement[str]:
    """`column` cut to the length (precision) of `bound`."""
    return func.substr(column, 1, len(bound))


def _cut_bound(bound: str, column: ColumnElement[Any]) -> ColumnElement[str]:
    """`bound`, as a bound parameter, cut to the length (precision) of the date in `column`."""
    return func.substr(literal(bound, String()), 1, func.length(column))


def common_prefix_order(first: str, last: str) -> bool:
    """Whether `first` is not after `last` when both are cut to the shorter precision."""
    n = min(len(first), len(last))
    return first[:n] <= last[:n]
