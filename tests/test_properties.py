"""Property: whatever a data file says, a load either succeeds and the rows read back are what
the file says, or it fails with kb's own error and the database is exactly as before.

Hypothesis mutates the example collection of docs/data-format.md — drops, duplicates, retypes
and garbles fields, renames keys, points references at missing slugs — writes it as YAML or
JSON Lines, and loads it into a copy of a database that holds the bundled collection (SQLite:
the property is about the loader, which both backends share; the matrix in test_bad_input.py
runs every kind of bad input on PostgreSQL too).
"""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers.dumps import dump
from helpers.files import EXAMPLE
from hypothesis import event, given, settings
from hypothesis import strategies as st

from kb.cli import cli
from kb.db import make_engine
from kb.errors import KbError
from kb.loader import LoadError, load, validate
from kb.loader.grounding import normalise
from kb.loader.spec import PLURALS

RECORDS: list[tuple[str, dict[str, Any]]] = [
    (PLURALS[plural], record)
    for plural, records in yaml.safe_load(
        (EXAMPLE / "seeds_data" / "example.yaml").read_text(encoding="utf-8")
    ).items()
    for record in records
]
# Fields that name another record, at the top of a record or inside a role or participant.
REFERENCES = {"source", "speaker", "quote", "subject", "metric", "same_as", "party", "person"}
# Text stored as written, not grounded in the source: garbling it may still load.
FREE_TEXT = {"title", "outlet", "name", "role", "base"}
# Characters that trouble parsers, grounding or databases, and any other (no surrogates).
TROUBLE = st.sampled_from([*"\"'“”\x00\u00a0\n\r\t:#-{}[]*&!|>,?%@`\\", "\ufeff", "\u2028"])
CHARACTER = st.one_of(TROUBLE, st.characters(exclude_categories=("Cs",)))
# Printable text, for a rewording that should load: letters, digits, punctuation, spaces.
WORDS = st.characters(categories=("L", "N", "P", "Zs"), exclude_characters="\x00")
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(CHARACTER, max_size=8),
)
VALUE = st.one_of(
    SCALAR,
    st.lists(SCALAR, max_size=3),
    st.dictionaries(st.text(max_size=6), SCALAR, max_size=3),
)

# Dropping a field and rewording free text often still load: they are drawn twice as often.
MUTATIONS = ("drop", "reword") * 2 + ("duplicate", "retype", "garble", "rename", "dangle")

# --- Where a mutation may land --------------------------------------------------------------

Place = tuple[int, tuple[Any, ...]]  # record index, path of keys and list indices inside it


def places(records: list[tuple[str, dict[str, Any]]]) -> list[Place]:
    """Every key of every record, nested roles and participants included."""
    found: list[Place] = []

    def walk(index: int, node: Any, path: tuple[Any, ...]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                found.append((index, (*path, key)))
                walk(index, value, (*path, key))
        elif isinstance(node, list):
            for position, item in enumerate(node):
                walk(index, item, (*path, position))

    for index, (_, record) in enumerate(records):
        walk(index, record, ())
    return found


def parent(records: list[tuple[str, dict[str, Any]]], place: Place) -> tuple[Any, Any]:
    """The container holding the value at `place`, and its key there."""
    index, path = place
    node: Any = records[index][1]
    for step in path[:-1]:
        node = node[step]
    return node, path[-1]


def garble(text: str, data: st.DataObject) -> str:
    """`text` with one character inserted, deleted or replaced."""
    at = data.draw(st.integers(0, len(text)), label="at")
    how = data.draw(st.sampled_from(["insert", "delete", "replace"]), label="how")
    new = data.draw(st.text(CHARACTER, min_size=1, max_size=3), label="new")
    if how == "insert":
        return text[:at] + new + text[at:]
    if how == "delete":
        return text[:at] + text[at + 1 :]
    return text[:at] + new + text[at + 1 :]


def mutate(records: list[tuple[str, dict[str, Any]]], data: st.DataObject) -> None:
    """One random change: drop, duplicate, retype, garble, reword, rename or dangle."""
    kind = data.draw(st.sampled_from(MUTATIONS), label="mutation")
    if kind == "duplicate":
        index = data.draw(st.integers(0, len(records) - 1), label="record")
        records.append(copy.deepcopy(records[index]))
        return
    candidates = places(records)
    if kind == "dangle":
        candidates = [p for p in candidates if p[1][-1] in REFERENCES] or candidates
    elif kind == "garble":
        candidates = [p for p in candidates if isinstance(lookup(records, p), str)] or candidates
    elif kind == "reword":
        candidates = [p for p in candidates if p[1][-1] in FREE_TEXT] or candidates
    if not candidates:
        return
    container, key = parent(records, data.draw(st.sampled_from(candidates), label="place"))
    if kind == "drop":
        del container[key]
    elif kind == "retype":
        container[key] = data.draw(VALUE, label="value")
    elif kind == "garble":
        container[key] = garble(str(container[key]), data)
    elif kind == "reword":
        container[key] = data.draw(st.text(WORDS, min_size=1, max_size=20).filter(str.strip))
    elif kind == "rename":
        container[garble(str(key), data)] = container.pop(key)
    else:
        container[key] = "missing-" + data.draw(st.from_regex(r"[a-z]{1,8}", fullmatch=True))


def lookup(records: list[tuple[str, dict[str, Any]]], place: Place) -> Any:
    """The value at `place`."""
    container, key = parent(records, place)
    return container[key]


# --- Writing and loading ---------------------------------------------------------------------


def write(records: list[tuple[str, dict[str, Any]]], data_dir: Path, as_jsonl: bool) -> None:
    """The records as one YAML file (grouped by type) or one JSON Lines file."""
    data_dir.mkdir(parents=True)
    if as_jsonl:
        lines = [json.dumps({"type": kind, **record}) for kind, record in records]
        (data_dir / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return
    grouped: dict[str, list[dict[str, Any]]] = {}
    for kind, record in records:
        plural = next(p for p, singular in PLURALS.items() if singular == kind)
        grouped.setdefault(plural, []).append(record)
    text = yaml.safe_dump(grouped, allow_unicode=True, sort_keys=False)
    (data_dir / "data.yaml").write_text(text, encoding="utf-8")


@contextmanager
def workspace(seeded_template: Path) -> Iterator[tuple[Path, str]]:
    """A temporary directory holding the example's seeds/ and a copy of the seeded database."""
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        shutil.copytree(EXAMPLE / "seeds", root / "seeds")
        database = root / "kb.sqlite3"
        shutil.copy(seeded_template, database)
        yield root, f"sqlite:///{database}"


def read_back(url: str, command: str) -> dict[str, dict[str, Any]]:
    """The rows of `kb COMMAND --format json`, by slug."""
    result = CliRunner().invoke(
        cli, [command, "--format", "json", "--db", url], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return {row["slug"]: row for row in json.loads(result.stdout)}


def check_round_trip(records: list[tuple[str, dict[str, Any]]], url: str) -> None:
    """Each quote, figure and event of the files is in the database as the files say."""
    written: dict[str, dict[str, dict[str, Any]]] = {}
    for kind, record in records:
        written.setdefault(kind, {})[record["slug"]] = record
    quotes = read_back(url, "quotes")
    for slug, record in written.get("quote", {}).items():
        assert normalise(quotes[slug]["text"]) == normalise(record["text"])
        assert quotes[slug]["speaker_slug"] == record["speaker"]
    figures = read_back(url, "figures")
    for slug, record in written.get("figure", {}).items():
        row = figures[slug]
        assert normalise(row["surface"]) == normalise(record["surface"])
        assert (row["metric_slug"], row["value"], row["unit"]) == (
            record["metric"],
            float(record["value"]),  # stored as REAL: 10**30 comes back as 1e30
            record["unit"],
        )
    events = read_back(url, "events")
    for slug, record in written.get("event", {}).items():
        date = record.get("date")  # a bare year may be written as a number
        assert (events[slug]["name"], events[slug]["date"]) == (
            record["name"],
            None if date is None else str(date),
        )


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data(), as_jsonl=st.booleans(), changes=st.integers(1, 2))
def test_a_mutated_collection_loads_exactly_or_not_at_all(
    seeded_template: Path, data: st.DataObject, as_jsonl: bool, changes: int
) -> None:
    records = copy.deepcopy(RECORDS)
    for _ in range(changes):
        mutate(records, data)
    with workspace(seeded_template) as (root, url):
        write(records, root / "seeds_data", as_jsonl)
        try:
            validate(root / "seeds_data")
            valid = True
        except LoadError:
            valid = False
        printed = CliRunner().invoke(cli, ["validate", str(root / "seeds_data")])
        assert printed.exit_code == (0 if valid else 1), printed.output
        assert printed.exception is None or isinstance(printed.exception, SystemExit)

        before = dump(url)
        engine = make_engine(url)
        try:
            load(engine, root / "seeds_data")
            loaded = True
        except (LoadError, KbError):
            loaded = False
        finally:
            engine.dispose()
        event("loaded" if loaded else "refused")
        if loaded:
            check_round_trip(records, url)
        else:
            assert not valid, "validate accepted what load refused"
            assert dump(url) == before


@pytest.mark.parametrize("as_jsonl", [False, True], ids=["yaml", "jsonl"])
def test_the_unmutated_collection_round_trips(seeded_template: Path, as_jsonl: bool) -> None:
    # The property's success branch is reached: the example itself loads and reads back.
    records = copy.deepcopy(RECORDS)
    with workspace(seeded_template) as (root, url):
        write(records, root / "seeds_data", as_jsonl)
        engine = make_engine(url)
        try:
            load(engine, root / "seeds_data")
        finally:
            engine.dispose()
        check_round_trip(records, url)
        assert set(read_back(url, "quotes")) >= {"berg-trade-will-double"}


@settings(max_examples=60, deadline=None, database=None)
@given(data=st.data(), as_jsonl=st.booleans(), changes=st.integers(1, 4))
def test_a_garbled_file_is_read_or_refused_with_kbs_own_error(
    data: st.DataObject, as_jsonl: bool, changes: int
) -> None:
    # Garbling the file's text rather than its records reaches the parsers' error paths:
    # unclosed quotes and brackets, broken indentation, stray tags, anchors and escapes.
    with tempfile.TemporaryDirectory() as name:
        root = Path(name)
        shutil.copytree(EXAMPLE / "seeds", root / "seeds")
        write(copy.deepcopy(RECORDS), root / "seeds_data", as_jsonl)
        path = next((root / "seeds_data").iterdir())
        text = path.read_text(encoding="utf-8")
        for _ in range(changes):
            text = garble(text, data)
        path.write_text(text, encoding="utf-8")
        try:
            validate(root / "seeds_data")
        except LoadError as error:
            assert error.problems or error.omitted
            assert all(problem.file.endswith(path.name) for problem in error.problems)
