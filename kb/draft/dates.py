"""Dates in the text: printed in full, partly printed, or relative; resolved only on evidence."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kb.errors import KbError

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "january jan",
            "february feb",
            "march mar",
            "april apr",
            "may",
            "june jun",
            "july jul",
            "august aug",
            "september sept sep",
            "october oct",
            "november nov",
            "december dec",
        ),
        start=1,
    )
    for name in names.split()
}
WEEKDAYS = {
    name: number
    for number, name in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}
_SPANS = {"year": 1, "decade": 10, "century": 100}
_COUNTS = {"a": 1, "an": 1, "one": 1, "the": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_AGO_COUNTS = {**_COUNTS, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}

_MONTH = (
    r"(?P<{0}>(?-i:January|February|March|April|May|June|July|August|September|October"
    r"|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\b)\.?"
)
_DAY = r"(?P<{0}>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<{0}>(?:1[89]|20)\d\d)(?![\d,]*\d)(?!s\b|-\w)"
_DATE = re.compile(
    "|".join(
        (
            # 2 February 2023, 2 Feb. 2023
            rf"\b{_DAY.format('d1')}\s+{_MONTH.format('m1')},?\s+{_YEAR.format('y1')}",
            # February 2, 2023
            rf"\b{_MONTH.format('m2')}\s+{_DAY.format('d2')},?\s+{_YEAR.format('y2')}",
            # February 2023
            rf"\b{_MONTH.format('m3')}\s+{_YEAR.format('y3')}",
            # 2 February; February 2 (no year)
            rf"\b{_DAY.format('d4')}\s+{_MONTH.format('m4')}\b",
            rf"\b{_MONTH.format('m5')}\s+{_DAY.format('d5')}\b(?!\s*(?:percent|per cent|%))",
            # a bare year
            rf"(?<![\w$€£¥.,-]){_YEAR.format('y6')}",
            # "in May", "by October": a month with no day or year
            r"\b(?:in|by|since|from|until|till|of|early|late|mid-|end of)\s+"
            + _MONTH.format("m7")
            + r"(?!\s+\d)",
            # last September, next March
            r"\b(?P<mrel>last|next|this)\s+" + _MONTH.format("m8"),
            # last year, next month, this week
            r"\b(?P<rel>last|next|this|past|previous|coming)\s+(?P<unit>year|month)\b",
            # yesterday, today, tomorrow
            r"\b(?P<dayword>yesterday|today|tomorrow)\b",
            # on Monday, last Friday
            r"\b(?P<wdprep>on|last|next|this)\s+(?P<weekday>"
            r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b",
            # a year later, the decade later, two years later, the following year
            r"\b(?P<count>a|an|one|the|two|three|four|five)\s+(?P<span>year|decade|century)s?"
            r"\s+(?P<later>later|earlier|after|before)\b",
            r"\bthe\s+(?P<following>following|next)\s+year\b",
            # a decade ago, two years ago
            r"\b(?P<agocount>a|an|one|two|three|four|five|six|seven|eight|nine|ten|\d{1,2})"
            r"\s+(?P<agospan>year|decade)s?\s+ago\b",
        )
    ),
    re.IGNORECASE,
)
# The words just before a date say how it bounds a period.
_PREPOSITION = re.compile(
    r"\b(since|by|until|till|through|from|between|to|and|than in|than|in|on|of|during|before"
    r"|after|as of)\s+(?:the\s+)?(?:end\s+of\s+|start\s+of\s+|early\s+|late\s+)?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Published:
    """A publication date: ISO text at year, month or day precision."""

    value: str

    @property
    def year(self) -> int:
        """Its year."""
        return int(self.value[:4])

    @property
    def day(self) -> dt.date | None:
        """The day, when the date has day precision."""
        return dt.date.fromisoformat(self.value) if len(self.value) == 10 else None

    @property
    def month(self) -> int | None:
        """The month, when the date has month or day precision."""
        return int(self.value[5:7]) if len(self.value) >= 7 else None


def parse_published(value: str) -> Published:
    """A publication date given as YYYY, YYYY-MM or YYYY-MM-DD; KbError when it is not one."""
    if not re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", value):
        raise KbError(f"--published {value!r} is not a date: write YYYY, YYYY-MM or YYYY-MM-DD.")
    parts = [int(part) for part in value.split("-")]
    try:
        dt.date(parts[0], *[*parts[1:], 1, 1][:2])
    except ValueError as error:
        raise KbError(f"--published {value!r} is not a calendar date ({error}).") from None
    return Published(value)


@dataclass(frozen=True)
class DateMention:
    """A date expression: where it is, what it says, and the word before it.

    `value` is the printed date (ISO at its precision) or None when part of it is missing;
    `month`/`day` hold what was printed when the year is not; `relative` is a (unit, amount)
    such as ("year", -1) for "last year", ("weekday", 4) for "on Friday" or ("later", 10) for
    "the decade later".
    """

    start: int
    end: int
    preposition: str
    value: str | None = None
    month: int | None = None
    day: int | None = None
    relative: tuple[str, int] | None = None


def find_dates(text: str, start: int, end: int) -> list[DateMention]:
    """Every date expression in text[start:end], in order."""
    mentions = []
    for match in _DATE.finditer(text, start, end):
        mention = _mention(match, _preposition(text, match.start()))
        if mention is not None:
            mentions.append(mention)
    return mentions


def _preposition(text: str, position: int) -> str:
    """The preposition just before a date ('since', 'by', 'than in'...), lower case."""
    found = _PREPOSITION.search(text, max(0, position - 30), position)
    return found.group(1).lower() if found else ""


def _mention(match: re.Match[str], preposition: str) -> DateMention | None:
    """A DateMention from one match of the date pattern."""
    groups = {name: value for name, value in match.groupdict().items() if value is not None}
    start, end = match.span()
    if "y1" in groups or "y2" in groups:
        number = "1" if "y1" in groups else "2"
        year, month, day = groups[f"y{number}"], groups[f"m{number}"], groups[f"d{number}"]
        return _full(start, end, preposition, int(year), MONTHS[month[:3].lower()], int(day))
    if "y3" in groups:
        month_number = MONTHS[groups["m3"][:3].lower()]
        return DateMention(start, end, preposition, f"{groups['y3']}-{month_number:02d}")
    if "d4" in groups or "d5" in groups:
        number = "4" if "d4" in groups else "5"
        day = int(groups[f"d{number}"])
        month_number = MONTHS[groups[f"m{number}"][:3].lower()]
        if not 1 <= day <= 31:
            return None
        return DateMention(start, end, preposition, month=month_number, day=day)
    if "y6" in groups:
        return DateMention(start, end, preposition, groups["y6"])
    if "m8" in groups:
        step = {"last": -1, "next": 1}.get(groups["mrel"].lower(), 0)
        month_number = MONTHS[groups["m8"][:3].lower()]
        return DateMention(start, end, preposition, month=month_number, relative=("named", step))
    if "m7" in groups:
        begin = match.start("m7")
        return DateMention(begin, end, preposition, month=MONTHS[groups["m7"][:3].lower()])
    return _relative(start, end, preposition, groups)


def _full(start: int, end: int, preposition: str, year: int, month: int, day: int) -> DateMention:
    """A date printed in full (checked to exist; else the month alone is kept)."""
    try:
        value = dt.date(year, month, day).isoformat()
    except ValueError:
        value = f"{year}-{month:02d}"
    return DateMention(start, end, preposition, value)


def _relative(start: int, end: int, preposition: str, groups: dict[str, str]) -> DateMention:
    """A relative date: last year, tomorrow, on Monday, a decade later."""
    if "rel" in groups:
        step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1}
        amount = step.get(groups["rel"].lower(), 0)
        return DateMention(start, end, preposition, relative=(groups["unit"].lower(), amount))
    if "dayword" in groups:
        amount = {"yesterday": -1, "today": 0, "tomorrow": 1}[groups["dayword"].lower()]
        return DateMention(start, end, preposition, relative=("day", amount))
    if "weekday" in groups:
        weekday = WEEKDAYS[groups["weekday"].lower()]
        return DateMention(start, end, preposition, relative=("weekday", weekday))
    if "following" in groups:
        return DateMention(start, end, preposition, relative=("later", 1))
    if "agocount" in groups:
        count = groups["agocount"].lower()
        number = int(count) if count.isdigit() else _AGO_COUNTS[count]
        return DateMention(
            start, end, preposition, relative=("ago", number * _SPANS[groups["agospan"].lower()])
        )
    years = _COUNTS[groups["count"].lower()] * _SPANS[groups["span"].lower()]
    sign = 1 if groups["later"].lower() in ("later", "after") else -1
    return DateMention(start, end, preposition, relative=("later", sign * years))


def resolve(
    mention: DateMention,
    published: Published | None,
    anchor: str | None,
    *,
    future: bool = False,
) -> tuple[str, bool] | None:
    """The ISO date a mention stands for and whether it was inferred, or None if unknown.

    Printed dates stand as printed. A day or month printed without its year takes the year of
    publication (the year before, for a past happening dated after publication). Relative
    dates need the publication date, except "N years later", which counts from `anchor`, the
    last date printed before it. Nothing is guessed without its reference point.
    """
    if mention.value is not None:
        return mention.value, False
    if mention.relative is None:
        return _complete(mention, published, future=future)
    unit, amount = mention.relative
    if unit == "named":
        return _named_month(mention, published, amount)
    if unit == "later":
        if anchor is None:
            return None
        return f"{int(anchor[:4]) + amount:04d}", True
    if published is None:
        return None
    if unit == "ago":
        return f"{published.year - amount:04d}", True
    return _from_published(unit, amount, published, future=future)


def _complete(
    mention: DateMention, published: Published | None, *, future: bool
) -> tuple[str, bool] | None:
    """A month (and day) printed without a year, placed in the year of publication."""
    if published is None or mention.month is None:
        return None
    year = published.year
    if published.month is not None:
        # Compare days only when both are known; a past happening cannot be dated after
        # publication, nor a planned one before it.
        both_days = mention.day is not None and published.day is not None
        printed = (mention.month, mention.day if both_days and mention.day else 0)
        reference = (published.month, published.day.day if both_days and published.day else 0)
        if printed > reference and not future:
            year -= 1
        elif printed < reference and future:
            year += 1
    if mention.day is None:
        return f"{year:04d}-{mention.month:02d}", True
    try:
        return dt.date(year, mention.month, mention.day).isoformat(), True
    except ValueError:
        return None


def _named_month(
    mention: DateMention, published: Published | None, step: int
) -> tuple[str, bool] | None:
    """A month named relative to publication: "last September", "next March", "this May"."""
    if published is None or published.month is None or mention.month is None:
        return None
    year = published.year
    if step < 0 and mention.month >= published.month:
        year -= 1
    elif step > 0 and mention.month <= published.month:
        year += 1
    return f"{year:04d}-{mention.month:02d}", True


def _from_published(
    unit: str, amount: int, published: Published, *, future: bool
) -> tuple[str, bool] | None:
    """last/this/next year or month, yesterday/today/tomorrow, a weekday: from publication."""
    if unit == "year":
        return f"{published.year + amount:04d}", True
    if unit == "month":
        if published.month is None:
            return None
        index = published.year * 12 + published.month - 1 + amount
        return f"{index // 12:04d}-{index % 12 + 1:02d}", True
    day = published.day
    if day is None:
        return None
    if unit == "day":
        return (day + dt.timedelta(days=amount)).isoformat(), True
    # A weekday: the nearest such day on or before publication, or on or after for plans.
    shift = (day.weekday() - amount) % 7
    if future:
        shift = -((amount - day.weekday()) % 7)
    return (day - dt.timedelta(days=shift)).isoformat(), True
