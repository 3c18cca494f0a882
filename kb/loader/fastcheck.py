"""The common case of check_record(), fast: a record whose every field is well formed.

Bulk collections are almost all good records, and check_record()'s general path (a problem
report at every step, nested paths, hints) costs several times the rest of a record's load. So
a JSON record is first tried here: each field's value is checked by one small function that
either returns the normalised value or gives up (NO). Any doubt — an unknown field, a missing
required one, a value of the wrong kind — sends the whole record down the general path, which
finds and words the problems. The values returned are exactly those the general path would
store; tests compare the two on every field kind.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from kb.loader.spec import (
    BOOL,
    CHOICE,
    DATE,
    DATE_RE,
    DAY,
    LANGUAGE,
    LANGUAGE_RE,
    NESTED_FIELDS,
    NUMBER,
    PRECISION_OF_LENGTH,
    RECORD_FIELDS,
    REF,
    SHA256,
    SHA256_RE,
    SLUG,
    SLUG_MAX,
    SLUG_RE,
    TEXT,
    TEXTS,
    UNSTORABLE_RE,
    Field,
)

NO: Any = object()  # "not the common case": the general path decides

Check = Callable[[Any], Any]
# Calendar dates seen, by text: a collection names the same few thousand dates again and again.
_DATES: dict[str, tuple[str, str]] = {}
_DATES_MAX = 100_000
# Well-formed slugs seen in references (at most _REFS_MAX of them, about 10 MB).
_REFS: set[str] = set()
_REFS_MAX = 100_000
# The day a date's text stands for, to check it is on the calendar: '1995-02' -> 1995-02-01.
_FIRST_DAY = {4: "-01-01", 7: "-01", 10: ""}


class Plan:
    """How to check one record type (or nested item) fast: its fields, in order."""

    def __init__(self, fields: tuple[Field, ...]) -> None:
        self.known = frozenset(field.name for field in fields)
        self.defaults: dict[str, Any] = {}
        for field in fields:
            self.defaults[field.name] = field.default
            if field.kind == DATE:
                self.defaults[f"{field.name}_precision"] = None
        self.inferred = tuple(
            (f"{field.name}_inferred", field.name) for field in fields if field.kind == DATE
        )
        # (data) -> the normalised values, or None when anything is not the common case.
        self.values = _compile(fields, self)

    def items(self, value: Any, name: str) -> list[dict[str, Any]] | None:
        """Nested items (roles, participants) as the general path stores them, or None."""
        if type(value) is not list:
            return None
        items = []
        for index, item in enumerate(value):
            if type(item) is not dict:
                return None
            checked = self.values(item)
            if checked is None:
                return None
            checked["_path"] = f"{name}[{index}]"
            checked["_given"] = {key for key, v in item.items() if v is not None}
            items.append(checked)
        return items


def _compile(fields: tuple[Field, ...], plan: Plan) -> Callable[[dict[str, Any]], Any]:
    """The function that checks one mapping of `fields`: (data) -> values, or None.

    Written out field by field and compiled once per record type, as dataclasses writes its
    __init__: a loop over field descriptions costs a call and several lookups per field, which
    for bulk loads is most of the check.
    """
    names: dict[str, Any] = {"NO": NO, "plan": plan}
    lines = [
        "def values(data):",
        "    if not plan.known.issuperset(data):",
        "        return None",
        "    values = dict(plan.defaults)",
    ]
    for number, field in enumerate(fields):
        name = repr(field.name)
        lines.append(f"    v = data.get({name})")
        lines.append("    if v is None:")
        lines.append("        return None" if field.required else "        pass")
        if field.kind in NESTED_FIELDS:
            names[f"nested{number}"] = Plan(NESTED_FIELDS[field.kind])
            lines.append(f"    elif (v := nested{number}.items(v, {name})) is None:")
            lines.append("        return None")
        else:
            names[f"check{number}"] = _check_of(field)
            lines.append(f"    elif (v := check{number}(v)) is NO:")
            lines.append("        return None")
        lines.append("    else:")
        if field.kind == DATE:
            lines.append(f"        values[{name}], values[{field.name + '_precision'!r}] = v")
        else:
            lines.append(f"        values[{name}] = v")
    lines.append("    return values")
    exec("\n".join(lines), names)  # our own code, written above from the field specs
    function: Callable[[dict[str, Any]], Any] = names["values"]
    return function


def _check_of(field: Field) -> Check:
    """The fast check of one field: the normalised value, or NO."""
    kind = field.kind
    if kind == TEXT:
        longest = field.max_length
        if longest is not None:
            return lambda v: v if type(v) is str and len(v) <= longest and _text_ok(v) else NO
        return lambda v: v if type(v) is str and _text_ok(v) else NO
    if kind == SLUG:
        return lambda v: v if type(v) is str and len(v) <= SLUG_MAX and _slug(v) else NO
    if kind == REF:
        return _ref
    if kind == CHOICE:
        choices = frozenset(field.choices)
        return lambda v: v if type(v) is str and v in choices else NO
    if kind == DATE:
        return _date
    if kind == DAY:
        return _day
    if kind == BOOL:
        return lambda v: v if type(v) is bool else NO
    if kind == NUMBER:
        return _number
    if kind == TEXTS:
        return _texts
    if kind == SHA256:
        return lambda v: v.lower() if type(v) is str and _sha256(v) else NO
    if kind == LANGUAGE:
        return lambda v: v if type(v) is str and _language(v) else NO
    raise ValueError(f"no fast check for field kind {kind!r}")  # pragma: no cover


_slug = SLUG_RE.fullmatch
_sha256 = SHA256_RE.fullmatch
_language = LANGUAGE_RE.fullmatch
_unstorable = UNSTORABLE_RE.search


def _text_ok(value: str) -> bool:
    """Non-blank text a database can store."""
    # An ASCII string holds no surrogate, and looking for a NUL is a memchr: half the time of
    # the regex for the short texts most fields hold.
    if value.isascii():
        return bool(value) and "\x00" not in value and not value.isspace()
    return not value.isspace() and _unstorable(value) is None


def _ref(value: Any) -> Any:
    """A well-formed slug naming another record, or NO."""
    if type(value) is not str:
        return NO
    # A collection names the same sources, people and metrics again and again: a set look-up
    # costs a fifth of the pattern's match.
    if value in _REFS:
        return value
    if len(value) > SLUG_MAX or not _slug(value):
        return NO
    if len(_REFS) < _REFS_MAX:
        _REFS.add(value)
    return value


def _texts(value: Any) -> Any:
    """A list of non-blank, storable texts (copied), or NO."""
    if type(value) is not list:
        return NO
    for item in value:
        if type(item) is not str or not _text_ok(item):
            return NO
    return list(value)


def _number(value: Any) -> Any:
    """A finite float, or NO (bools, text, huge integers go the general way)."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else NO
    if kind is int and -(10**300) < value < 10**300:
        return float(value)
    return NO


def _date(value: Any) -> Any:
    """(date, precision) of a well-formed calendar date given as text, or NO."""
    if type(value) is int and 1000 <= value <= 9999:
        value = str(value)  # a bare year, written as a number
    if type(value) is not str:
        return NO
    known = _DATES.get(value)
    if known is not None:
        return known
    if not DATE_RE.fullmatch(value):
        return NO
    try:
        dt.date.fromisoformat(value + _FIRST_DAY[len(value)])
    except ValueError:
        return NO
    found = (value, PRECISION_OF_LENGTH[len(value)])
    if len(_DATES) < _DATES_MAX:
        _DATES[value] = found
    return found


def _day(value: Any) -> Any:
    """A well-formed date at day precision, or NO."""
    found = _date(value)
    return found[0] if found is not NO and found[1] == "day" else NO


# A plan per record type, built once.
PLANS = {record_type: Plan(fields) for record_type, fields in RECORD_FIELDS.items()}
