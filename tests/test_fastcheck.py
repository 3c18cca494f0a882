"""The fast check of well-formed records agrees with the general one, field kind by field kind.

kb.loader.fastcheck may only ever say "this record is well formed, and these are its values"
when the general path of check_record() would find no problem and store the very same values;
for anything else it must hand the record over (None). Hypothesis draws records mixing
plausible and wrong values of every field kind; the generated benchmark collection checks that
the fast path does take real records.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from helpers.processes import run_benchmark
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.loader import fastcheck
from kb.loader.checking import _Checker
from kb.loader.fastcheck import NO, PLANS
from kb.loader.problems import Problems
from kb.loader.raw import RawRecord
from kb.loader.reading import read_file
from kb.loader.spec import (
    BOOL,
    CHOICE,
    DATE,
    DAY,
    LANGUAGE,
    NESTED_FIELDS,
    NUMBER,
    RECORD_FIELDS,
    REF,
    SHA256,
    SLUG,
    TEXT,
    TEXTS,
    Field,
)


def general(record_type: str, data: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """The values the general path stores for `data`, and how many problems it found."""
    problems = Problems()
    raw = RawRecord(record_type, "f.jsonl", 1, 1, data, may_hold_invalid=False)
    values = _Checker(raw, problems).fields(data, RECORD_FIELDS[record_type], "")
    return values, len(problems)


def agrees(record_type: str, data: dict[str, Any]) -> bool:
    """The fast path hands `data` over, or the general path finds no problem in it and stores
    the very values the fast path gives."""
    fast = PLANS[record_type].values(data)
    if fast is None:
        return True
    values, problems = general(record_type, data)
    return problems == 0 and _same(fast, values)


def _same(a: Any, b: Any) -> bool:
    """Equal values of the same types (1.0 and 1 differ; so do a tuple and a list)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


# Values of every JSON type, awkward ones included.
ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**320), max_value=10**320)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
AWKWARD_TEXT = st.sampled_from(
    ["", " ", "\t\n", "\u00a0\t", "a\x00b", "é\x00", "x\ud800", "Ab", "é", "a--b", "a" * 201]
)
SLUGS = st.from_regex(r"[a-z0-9]{1,4}(-[a-z0-9]{1,3}){0,2}", fullmatch=True)
DATES = st.from_regex(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", fullmatch=True)


def _good(field: Field) -> st.SearchStrategy[Any]:
    """Well-formed values of `field` (dates may still be off the calendar)."""
    kind = field.kind
    if kind in NESTED_FIELDS:
        return st.lists(_records(NESTED_FIELDS[kind]), max_size=3)
    return {
        TEXT: st.text(min_size=1, max_size=10).filter(str.strip),
        SLUG: SLUGS,
        REF: SLUGS,
        CHOICE: st.sampled_from(field.choices or ("x",)),
        DATE: DATES | st.integers(min_value=1000, max_value=9999),
        DAY: st.dates().map(str),
        BOOL: st.booleans(),
        NUMBER: st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**12), 10**12),
        TEXTS: st.lists(st.text(min_size=1, max_size=6).filter(str.strip), max_size=3),
        SHA256: st.from_regex(r"[0-9a-fA-F]{64}", fullmatch=True),
        LANGUAGE: st.sampled_from(["en", "en-GB", "kk"]),
    }[kind]


def _bad(field: Field) -> st.SearchStrategy[Any]:
    """Values that are wrong for `field`, or nearly right, or of any JSON type."""
    kind = field.kind
    near = {
        DATE: st.sampled_from(["2023-02-29", "2024-02-29", "0000", "1995-13", "95", "2023-2"])
        | st.integers(min_value=990, max_value=10_010),
        DAY: st.sampled_from(["2023-02", "2023", "2023-02-30", "2023-02-02T00"]),
        BOOL: st.sampled_from([0, 1, "true"]),
        NUMBER: st.sampled_from([True, False, "12", math.inf, -math.inf, math.nan, 10**400]),
        TEXTS: st.lists(AWKWARD_TEXT | ANY_JSON, min_size=1, max_size=2),
        SHA256: st.sampled_from(["abc", "g" * 64]),
        LANGUAGE: st.sampled_from(["english", "e", "en_GB"]),
    }.get(kind, AWKWARD_TEXT)
    if kind in NESTED_FIELDS:
        near = st.lists(ANY_JSON | _records(NESTED_FIELDS[kind], broken=True), max_size=2)
    if field.max_length is not None:
        near = near | st.sampled_from(["x" * (field.max_length + n) for n in (0, 1)])
    return near | ANY_JSON


def _records(
    fields: tuple[Field, ...], *, broken: bool = False, change: str | None = None
) -> st.SearchStrategy[Any]:
    """A well-formed mapping of `fields`; then maybe one field made wrong, a required one left
    out, or an unknown one added (always one of these when `broken`; `change` picks one)."""
    changes = ["bad", "drop", "extra"] + ([] if broken else ["none"] * 3)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        record = {f.name: draw(_good(f)) for f in fields if f.required or draw(st.booleans())}
        field = draw(st.sampled_from(fields))
        how = change or draw(st.sampled_from(changes))
        if how == "bad":
            record[field.name] = draw(_bad(field))
        elif how == "drop":
            record.pop(field.name, None)
        elif how == "extra":
            record[draw(st.sampled_from(["unknown", "slugg", "type"]))] = draw(ANY_JSON)
        return record

    return build()


@pytest.mark.parametrize("record_type", list(RECORD_FIELDS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_fast_path_agrees_with_the_general_path(record_type: str, data: st.DataObject) -> None:
    """Whatever the record, the fast path either hands it over or gives the general values."""
    record = data.draw(_records(RECORD_FIELDS[record_type]))
    assert agrees(record_type, record), record


FIELDS = [
    (record_type, field)
    for record_type, fields in RECORD_FIELDS.items()
    for field in fields
    # Plain texts' failures are AWKWARD_TEXT's few, unless they have a length limit.
    if field.kind not in (TEXT, SLUG, REF, CHOICE) or field.max_length is not None
]


@pytest.mark.parametrize(("record_type", "field"), FIELDS, ids=lambda x: getattr(x, "name", x))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_each_field_kind_hands_over_what_is_wrong(
    record_type: str, field: Field, data: st.DataObject
) -> None:
    """A well-formed record with one field's value wrong, or nearly right, field by field."""
    record = data.draw(_records(RECORD_FIELDS[record_type], broken=False, change="none"))
    record[field.name] = data.draw(_bad(field))
    assert agrees(record_type, record), record


def test_a_reference_seen_before_is_taken_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only well-formed slugs are remembered, and a full cache still checks each one.
    monkeypatch.setattr(fastcheck, "_REFS", set())
    for _ in range(2):
        assert fastcheck._ref("kazakhstan") == "kazakhstan"
        assert fastcheck._ref("Kazakhstan") is NO
        assert fastcheck._ref("a--b") is NO
        assert fastcheck._ref(["kazakhstan"]) is NO
        assert fastcheck._ref("x" * 201) is NO
    assert {"kazakhstan"} == fastcheck._REFS
    monkeypatch.setattr(fastcheck, "_REFS_MAX", 1)
    assert fastcheck._ref("eu") == "eu"
    assert fastcheck._ref("EU") is NO
    assert {"kazakhstan"} == fastcheck._REFS


@pytest.mark.parametrize(
    ("record_type", "data"),
    [
        ("party", {"slug": "eu", "name": "EU", "kind": "organization", "aliases": ["Union"]}),
        ("source", {"slug": "s", "title": "T", "published": "2023-02", "retrieved": "2023-02-02"}),
        ("source", {"slug": "s", "title": "T", "sha256": "AB" * 32, "language": "en-GB"}),
        (
            "figure",
            {
                "slug": "f",
                "source": "s",
                "metric": "m",
                "kind": "count",
                "surface": "3",
                "value": 3,
                "unit": "people",
                "period_start": "1995",
                "evidence": "e",
            },
        ),
        (
            "person",
            {
                "slug": "p",
                "name": "P",
                "roles": [{"title": "t", "source": "s", "evidence": "e", "party": "eu"}],
            },
        ),
        (
            "event",
            {
                "slug": "e",
                "source": "s",
                "name": "n",
                "kind": "visit",
                "evidence": "x",
                "participants": [{"party": "eu"}, {"person": "p", "role": "host"}],
            },
        ),
    ],
)
def test_the_fast_path_takes_well_formed_records(record_type: str, data: dict[str, Any]) -> None:
    """Well-formed records of every type are checked fast, with the general path's values."""
    fast = PLANS[record_type].values(data)
    assert fast is not None
    assert _same(fast, general(record_type, data)[0])


def test_the_fast_path_takes_every_record_of_a_generated_collection(tmp_path: Path) -> None:
    """A bulk collection (the benchmark's generator) goes the fast way, record by record."""
    done = run_benchmark("generate.py", tmp_path, "--facts", "300")
    assert done.returncode == 0, done.stderr
    problems = Problems()
    records = [
        raw
        for path in sorted((tmp_path / "seeds_data").rglob("*.jsonl"))
        for raw in read_file(path, problems)
    ]
    assert len(records) > 300
    assert not problems
    for raw in records:
        fast = PLANS[raw.type].values(raw.data)
        assert fast is not None, raw
        assert _same(fast, general(raw.type, raw.data)[0])
