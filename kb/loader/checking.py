"""Check each record's fields against the data format and normalise their values."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from kb.loader.fastcheck import PLANS
from kb.loader.problems import Problems, shown
from kb.loader.raw import RawRecord, suggest
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
from kb.loader.yamlnodes import Invalid

CURRENCY_RE = re.compile(r"[A-Z]{3}")
UNIT_OF_KIND = {"share": "percent", "multiplier": "times"}


@dataclass(slots=True)
class Record:
    """A checked record: normalised values (dates split into value and precision)."""

    raw: RawRecord
    values: dict[str, Any]
    # The record type (source, party, ...), read often enough to keep at hand.
    type: str = field(init=False)

    def __post_init__(self) -> None:
        self.type = self.raw.type

    def __reduce__(self) -> tuple[Any, ...]:
        # Workers send records back by the thousand (people whose roles cite other files'
        # sources): rebuilt from their fields, they unpickle four times faster than through
        # the dataclass's default state.
        return Record, (self.raw, self.values)

    @property
    def slug(self) -> str | None:
        """The slug, when it is valid."""
        slug = self.values.get("slug")
        return slug if isinstance(slug, str) else None


class _Bad(Exception):
    """A field value is wrong; carries the message and hint."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def check_record(raw: RawRecord, problems: Problems) -> Record:
    """Check `raw` against its type's fields; every problem found goes into `problems`."""
    checker = _Checker(raw, problems)
    values = None if raw.may_hold_invalid else PLANS[raw.type].values(raw.data)
    if values is None:
        values = checker.fields(raw.data, RECORD_FIELDS[raw.type], "")
    checker.together(values)
    return Record(raw, values)


class _Checker:
    """Checks the fields of one record."""

    def __init__(self, raw: RawRecord, problems: Problems) -> None:
        self.raw = raw
        self.problems = problems

    def report(self, path: str | None, message: str, hint: str | None = None) -> None:
        """Add a problem about this record."""
        self.problems.add(self.raw.problem(path, message, hint))

    def fields(
        self, data: dict[str, Any], fields: tuple[Field, ...], prefix: str
    ) -> dict[str, Any]:
        """Check a mapping of fields (a record, or a role or participant inside one)."""
        known = _by_name(fields)
        for name in data:
            if name not in known:
                self.report(prefix + name, "unknown field", _unknown_field_hint(name, known))
        # Absent fields cost one lookup: their defaults come in one copy.
        values = dict(_defaults(fields))
        may_hold_invalid = self.raw.may_hold_invalid
        for spec in fields:
            value = data.get(spec.name)
            if value is None:
                if spec.required:
                    self.report(prefix + spec.name, "missing (required)", _missing_hint(spec))
                continue
            if may_hold_invalid and _has_invalid(value, spec.kind in NESTED_FIELDS):
                continue  # already reported when the file was read; the default stays
            try:
                self.value(spec, value, prefix + spec.name, values)
            except _Bad as bad:
                self.report(prefix + spec.name, bad.message, bad.hint)
        return values

    def value(self, spec: Field, value: Any, path: str, values: dict[str, Any]) -> None:
        """Check one value and store its normalised form into `values`."""
        kind = spec.kind
        if kind in NESTED_FIELDS:
            values[spec.name] = self.nested(spec, value, path)
        elif kind == DATE:
            values[spec.name], values[f"{spec.name}_precision"] = _date(value)
        else:
            values[spec.name] = _CHECKS[kind](spec, value)

    def nested(self, spec: Field, value: Any, path: str) -> list[dict[str, Any]]:
        """Check a list of roles or participants; each item keeps its index and line."""
        if not isinstance(value, list):
            raise _Bad(f"must be a list, not {_kind_of(value)}")
        items = []
        for index, item in enumerate(value):
            item_path = f"{path}[{index}]"
            if isinstance(item, Invalid):
                continue  # already reported when the file was read
            if not isinstance(item, dict):
                self.report(item_path, f"must be a mapping of fields, not {_kind_of(item)}")
                continue
            checked = self.fields(item, NESTED_FIELDS[spec.kind], item_path + ".")
            checked["_path"] = item_path
            checked["_given"] = {name for name, v in item.items() if v is not None}
            items.append(checked)
        return items

    def together(self, values: dict[str, Any]) -> None:
        """Checks that involve more than one field of the record."""
        record_type = self.raw.type
        for name, base in PLANS[record_type].inferred:
            if values[name] and values[base] is None and self.raw.data.get(base) is None:
                self.report(name, f"is true but '{base}' is not given")
        if record_type == "source":
            given = [name for name in ("path", "text") if self.raw.data.get(name) is not None]
            if len(given) != 1:
                self.report(
                    None if not given else "text",
                    "needs exactly one of 'path' and 'text'"
                    + (" (both are given)" if len(given) == 2 else ""),
                    "'path' names a file under the seeds directory; 'text' holds the text inline",
                )
        elif record_type == "figure":
            self.figure(values)
        elif record_type == "event":
            self.participants(values.get("participants") or [])
        elif record_type == "person":
            self.roles(values.get("roles") or [])
        elif record_type in ("alias", "participant"):
            self.party_or_person(None, {k for k, v in self.raw.data.items() if v is not None})

    def figure(self, values: dict[str, Any]) -> None:
        """The unit must suit the kind; the period must not end before it starts."""
        kind, unit = values.get("kind"), values.get("unit")
        if isinstance(unit, str):
            if kind == "amount" and unit != "unknown" and not CURRENCY_RE.fullmatch(unit):
                self.report(
                    "unit",
                    f"an amount's unit must be an ISO 4217 currency code, not {shown(unit)}",
                    "for example USD or EUR; 'unknown' when the text gives no currency",
                )
            expected = UNIT_OF_KIND.get(str(kind))
            if expected is not None and unit != expected:
                self.report("unit", f"a {kind}'s unit must be '{expected}', not {shown(unit)}")
        start, end = values.get("period_start"), values.get("period_end")
        if isinstance(start, str) and isinstance(end, str):
            common = min(len(start), len(end))
            if start[:common] > end[:common]:
                self.report("period_end", f"{end} is before period_start {start}")
        if self.raw.data.get("as_of") is not None and (
            self.raw.data.get("period_start") is not None
            or self.raw.data.get("period_end") is not None
        ):
            self.report(
                "as_of",
                "is given together with a period",
                "a figure is either a level as of a date ('to date', 'at the end of 2022': "
                "as_of) or a quantity over a period (period_start, period_end), not both",
            )

    def roles(self, roles: list[dict[str, Any]]) -> None:
        """A person states each (source, title) role once."""
        seen: dict[tuple[Any, Any], str] = {}
        for role in roles:
            key = (role.get("source"), role.get("title"))
            if None in key:
                continue
            if key in seen:
                self.report(role["_path"], f"repeats {seen[key]} (same source and title)")
            else:
                seen[key] = role["_path"]

    def participants(self, participants: list[dict[str, Any]]) -> None:
        """Each participant is exactly one party or person, and takes part once."""
        seen: dict[tuple[Any, Any], str] = {}
        for item in participants:
            path = item["_path"]
            party, person = item.get("party"), item.get("person")
            if not self.party_or_person(path, item["_given"]):
                continue
            key = (party, person)
            if key == (None, None):
                continue  # a bad slug, already reported
            if key in seen:
                self.report(path, f"repeats {seen[key]}")
            else:
                seen[key] = path

    def party_or_person(self, path: str | None, given: set[str]) -> bool:
        """Whether exactly one of 'party' and 'person' is among the fields `given`; if not,
        report it."""
        if ("party" in given) != ("person" in given):
            return True
        self.report(
            path,
            "needs exactly one of 'party' and 'person'",
            "write {party: SLUG} or {person: SLUG}" if path else "give party: SLUG or person: SLUG",
        )
        return False


def _unknown_field_hint(name: str, known: dict[str, Field]) -> str:
    """How to fix an unknown field: the field meant, or the fields there are."""
    base = name.removesuffix("_precision")
    if base != name and known.get(base, Field(base, TEXT)).kind == DATE:
        return (
            f"a date's precision is the form of '{base}' itself: "
            '"2023" (year), "2023-02" (month) or "2023-02-02" (day)'
        )
    return suggest(name, known) or f"the fields are: {', '.join(known)}"


_BY_NAME: dict[int, dict[str, Field]] = {}
_DEFAULTS: dict[int, dict[str, Any]] = {}


def _defaults(fields: tuple[Field, ...]) -> dict[str, Any]:
    """Every field's default value (and None for each date's precision), built once per type."""
    found = _DEFAULTS.get(id(fields))
    if found is None:
        found = _DEFAULTS[id(fields)] = {}
        for spec in fields:
            found[spec.name] = spec.default
            if spec.kind == DATE:
                found[f"{spec.name}_precision"] = None
    return found


def _by_name(fields: tuple[Field, ...]) -> dict[str, Field]:
    """The fields of a record type (or nested item) by name, built once per type.

    Keyed by identity: the field tuples are module constants, and hashing them (frozen
    dataclasses) on every record would cost more than building the dict.
    """
    known = _BY_NAME.get(id(fields))
    if known is None:
        known = _BY_NAME[id(fields)] = {f.name: f for f in fields}
    return known


def _missing_hint(spec: Field) -> str:
    """How to fix a missing required field: what to write in it."""
    about = spec.about or ("one of " + ", ".join(spec.choices) if spec.choices else "")
    return f"add '{spec.name}': {about}" if about else f"add '{spec.name}'"


def _has_invalid(value: Any, nested: bool) -> bool:
    """Whether a value is, or (unless nested records check their own) holds, an Invalid."""
    if isinstance(value, Invalid):
        return True
    if isinstance(value, list) and not nested:
        return any(_has_invalid(item, False) for item in value)
    if isinstance(value, dict) and not nested:
        return any(_has_invalid(item, False) for item in value.values())
    return False


def _kind_of(value: Any) -> str:
    """How a wrong value is described: 'a number (180)', 'a list', ..."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, float):
        return f"a number ({value:g})"
    if isinstance(value, int):
        return f"a number ({shown(value)})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "text"


def _text(spec: Field, value: Any) -> str:
    """Non-blank text."""
    if not isinstance(value, str):
        hint = "put the value in quotes to make it text"
        if isinstance(value, list | dict):
            hint += " (YAML reads a value starting with [ or { as a list or a mapping)"
        raise _Bad(f"must be text, not {_kind_of(value)}", hint)
    if not value.strip():
        raise _Bad("is empty", "leave the field out instead")
    _storable(value)
    if spec.max_length is not None and len(value) > spec.max_length:
        raise _Bad(
            f"is {len(value):,} characters long; it may be at most {spec.max_length:,}",
            f"write {spec.about}" if spec.about else "shorten it",
        )
    return value


def _storable(text: str) -> None:
    """Text a database can store: no NUL (PostgreSQL refuses it) and no unpaired surrogate."""
    bad = UNSTORABLE_RE.search(text)
    if bad is None:
        return
    at = bad.start()
    if bad.group() == "\x00":
        raise _Bad(f"holds a NUL character (at character {at + 1})", "remove it")
    raise _Bad(
        f"holds an unpaired surrogate {bad.group()!a} (at character {at + 1})",
        "JSON escapes such as \\ud83d must come in pairs; write the character itself",
    )


def _slug(spec: Field, value: Any) -> str:
    """A slug: lowercase letters, digits and single hyphens."""
    text = _text(spec, value)
    if not SLUG_RE.fullmatch(text) or len(text) > SLUG_MAX:
        fixed = "-".join(re.findall(r"[a-z0-9]+", text.lower()))[:SLUG_MAX]
        if spec.ref == "metric":
            # Files written before metrics were records name them by their words.
            raise _Bad(
                f"{shown(text)} is not a metric's slug: a figure names a metric record, "
                "defined once (under 'metrics:') and shared by every source",
                f"define the metric or use a known one; its slug might be '{fixed}'"
                if fixed
                else None,
            )
        raise _Bad(
            f"{shown(text)} is not a valid slug (lowercase letters, digits and single hyphens)",
            f"for example '{fixed}'" if fixed else None,
        )
    return text


def _choice(spec: Field, value: Any) -> str:
    """One of the field's allowed values."""
    text = _text(spec, value)
    if text not in spec.choices:
        hint = suggest(text, spec.choices)
        allowed = ", ".join(spec.choices)
        raise _Bad(
            f"unknown value {shown(text)} (allowed: {allowed})",
            hint,
        )
    return text


def _date(value: Any) -> tuple[str, str]:
    """An ISO-8601 date (1995, 1995-02, 1995-02-02) and its precision; a bare year is allowed."""
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        value = str(value)
    if not isinstance(value, str):
        raise _Bad(
            f"must be a date written as text, not {_kind_of(value)}",
            'write it as "YYYY", "YYYY-MM" or "YYYY-MM-DD"',
        )
    if not DATE_RE.fullmatch(value):
        raise _Bad(
            f"{shown(value)} is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD",
            'for example "2023", "2023-02" or "2023-02-02"',
        )
    parts = [int(part) for part in value.split("-")]
    try:
        dt.date(parts[0], *[*parts[1:], 1, 1][:2])
    except ValueError as error:
        raise _Bad(
            f"{shown(value)} is not a calendar date ({error})",
            'check the day and month; when only the month is known, write "YYYY-MM"',
        ) from None
    return value, PRECISION_OF_LENGTH[len(value)]


def _day(spec: Field, value: Any) -> str:
    """A date at day precision."""
    text, precision = _date(value)
    if precision != "day":
        raise _Bad(f"{shown(text)} must be a full date, YYYY-MM-DD")
    return text


def _bool(spec: Field, value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise _Bad(f"must be true or false, not {_kind_of(value)}", "write true or false")
    return value


def _number(spec: Field, value: Any) -> float:
    """A finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        hint = None
        if isinstance(value, str):
            hint = "write the number without quotes, scale applied: 1.6e11 for 160 billion"
        raise _Bad(f"must be a number, not {_kind_of(value)}", hint)
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise _Bad("is too large a number", "write it with an exponent, e.g. 1.6e11") from None
    if not math.isfinite(number):
        raise _Bad(f"must be a finite number, not {value}")
    return number


def _texts(spec: Field, value: Any) -> list[str]:
    """A list of non-blank texts."""
    if not isinstance(value, list):
        raise _Bad(f"must be a list of text, not {_kind_of(value)}", "write [Name, Other name]")
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise _Bad(f"must be a list of non-empty text; it holds {_kind_of(item)}")
        _storable(item)
    return list(value)


def _sha256(spec: Field, value: Any) -> str:
    """A SHA-256 in hex (any case); stored lowercase."""
    text = _text(spec, value)
    if not SHA256_RE.fullmatch(text):
        raise _Bad("must be 64 hexadecimal digits", "run `sha256sum FILE` to compute it")
    return text.lower()


def _language(spec: Field, value: Any) -> str:
    """A BCP-47 language tag such as en or en-GB."""
    text = _text(spec, value)
    if not LANGUAGE_RE.fullmatch(text):
        raise _Bad(f"{shown(text)} is not a BCP-47 language code", "for example en, kk or ru")
    return text


_CHECKS: dict[str, Any] = {
    TEXT: _text,
    SLUG: _slug,
    REF: _slug,
    CHOICE: _choice,
    DAY: _day,
    BOOL: _bool,
    NUMBER: _number,
    TEXTS: _texts,
    SHA256: _sha256,
    LANGUAGE: _language,
}
