"""A load says what it changes in the picture: the conflicts it adds and the ones it removes.

The library's observer (kb.queries.conflicts.changes.ConflictWatch, passed to kb.loader.load)
on small collections written for the purpose (helpers.facts), load after load; then `kb load`
on the bundled collection with an article that disagrees with it. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.cli import ok
from helpers.facts import Fact, figure, happening, write_collection
from sqlalchemy.engine import Engine

from kb.loader import load
from kb.paths import bundled_data_dir
from kb.queries.conflicts import changes as watching
from kb.queries.conflicts import conflicts
from kb.queries.conflicts.changes import Changes, ConflictWatch, changes

Kb = Callable[..., Result]
Keys = list[tuple[str, str, str]]


class Loads:
    """Loads of a changing collection into one database, each watched for conflicts."""

    def __init__(self, engine: Engine, data: Path) -> None:
        self.engine = engine
        self.data = data

    def __call__(self, *facts: Fact, prune: bool = False, dry_run: bool = False) -> Changes:
        """Write the collection as `facts` and load it: the conflicts it added and removed."""
        shutil.rmtree(self.data, ignore_errors=True)
        write_collection(self.data, list(facts))
        watch = ConflictWatch(prune=prune)
        report = load(self.engine, self.data, observe=watch, prune=prune, dry_run=dry_run)
        found = changes(report.observed)
        assert found is not None
        return found


@pytest.fixture
def loads(empty_db: str, engine_for: Callable[[str | Path], Engine], tmp_path: Path) -> Loads:
    """Loads into a fresh database (once per backend)."""
    return Loads(engine_for(empty_db), tmp_path / "data")


def keys(rows: list[dict[str, Any]]) -> Keys:
    """(type, side a, side b) of each conflict."""
    return [(row["type"], row["a_slug"], row["b_slug"]) for row in rows]


def summary(found: Changes) -> tuple[Keys, Keys, bool]:
    """Added, removed, and whether the comparison was complete."""
    return keys(found.added), keys(found.removed), found.complete


BASE = (
    figure("f1", 100), figure("f2", 150, source="beta"), figure("f3", 101),
    happening("e1", "2005"), happening("e2", "2015", source="beta", same_as="e1"),
)  # fmt: skip
# Side a comes first in kb figures' order (source, then position): f3 before f2.
BASE_CONFLICTS = [("figure", "f1", "f2"), ("figure", "f3", "f2"), ("event", "e1", "e2")]


def test_a_first_load_adds_every_conflict_and_a_reload_none(loads: Loads) -> None:
    assert summary(loads(*BASE)) == (BASE_CONFLICTS, [], True)
    assert summary(loads(*BASE)) == ([], [], True)


def test_the_added_conflicts_are_those_kb_conflicts_lists(loads: Loads) -> None:
    found = loads(*BASE)
    with loads.engine.connect() as connection:
        listed = conflicts(connection)
    assert sorted(found.added, key=str) == sorted(listed, key=str)


def test_a_first_load_finds_the_conflicts_of_every_group(loads: Loads) -> None:
    # Groups whose order differs by metric first (SQLite's read) and by subject first
    # (PostgreSQL's, the order of ix_figures_by_subject): each group's figures still come
    # together, so each pair is found once.
    facts = [
        figure(f"{metric[:2]}-{subject or 'none'}-{n}", 100 + 50 * n, source=source,
               metric=metric, subject=subject)
        for metric in ("eu-investment", "aid")
        for subject in ("the-union", None, "ruritania")
        for n, source in enumerate(("alpha", "beta"))
    ]  # fmt: skip
    found = loads(*facts)
    with loads.engine.connect() as connection:
        listed = conflicts(connection)
    assert len(found.added) == 6 and found.complete
    assert sorted(found.added, key=str) == sorted(listed, key=str)


def test_an_edit_that_makes_a_figure_agree_removes_its_conflicts(loads: Loads) -> None:
    loads(*BASE)
    edited = (figure("f1", 100), figure("f2", 105, source="beta"), *BASE[2:])
    assert summary(loads(*edited)) == (
        [],
        BASE_CONFLICTS[:2],
        True,
    )


def test_a_new_figure_adds_its_own_conflicts_only(loads: Loads) -> None:
    loads(*BASE)
    # f1 and f2 still disagree; that is not news. (A load lists conflicts by what they are
    # about, then by their sides' slugs.)
    assert summary(loads(*BASE, figure("f4", 300, source="gamma"))) == (
        [("figure", "f1", "f4"), ("figure", "f2", "f4"), ("figure", "f3", "f4")],
        [],
        True,
    )


def test_a_value_that_still_disagrees_changes_no_conflict(loads: Loads) -> None:
    loads(*BASE)
    edited = (figure("f1", 100), figure("f2", 160, source="beta"), *BASE[2:])
    assert summary(loads(*edited)) == ([], [], True)


def test_a_level_moved_to_another_date_leaves_its_conflicts(loads: Loads) -> None:
    dated = (figure("f1", 50, as_of="2023"), figure("f2", 33, as_of="2023-02-02", source="beta"))
    assert summary(loads(*dated)) == ([("figure", "f1", "f2")], [], True)
    moved = (dated[0], figure("f2", 33, as_of="2024-02-02", source="beta"))
    assert summary(loads(*moved)) == ([], [("figure", "f1", "f2")], True)


def test_pruning_a_figure_removes_its_conflicts(loads: Loads) -> None:
    loads(*BASE)
    without_f2 = (BASE[0], *BASE[2:])
    assert summary(loads(*without_f2, prune=True)) == (
        [],
        BASE_CONFLICTS[:2],
        True,
    )


def test_a_changed_link_joins_and_parts_records_it_did_not_change(loads: Loads) -> None:
    # e2 names e3 as the same happening; e1 stands alone. When e3 comes to name e1, e1 and
    # e2 (neither of them changed) become records of one happening, whose dates disagree.
    apart = (
        happening("e1", "2005"), happening("e3", source="gamma"),
        happening("e2", "2015", source="beta", same_as="e3"),
    )  # fmt: skip
    assert summary(loads(*apart)) == ([], [], True)
    joined = (apart[0], happening("e3", source="gamma", same_as="e1"), apart[2])
    assert summary(loads(*joined)) == ([("event", "e1", "e2")], [], True)
    assert summary(loads(*apart)) == ([], [("event", "e1", "e2")], True)


def test_a_dry_run_says_what_it_would_change_and_writes_nothing(loads: Loads) -> None:
    loads(*BASE)
    edited = (figure("f1", 100), figure("f2", 105, source="beta"), *BASE[2:])
    assert summary(loads(*edited, dry_run=True))[1] == BASE_CONFLICTS[:2]
    with loads.engine.connect() as connection:
        assert keys(conflicts(connection)) == BASE_CONFLICTS


def test_too_many_conflicts_to_compare(loads: Loads, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watching, "CAP", 2)
    assert summary(loads(*BASE)) == ([], [], False)
    assert summary(loads(*BASE)) == ([], [], True)  # nothing changed: nothing to compare


# --- kb load -------------------------------------------------------------------------------------

DISAGREEING = """\
sources:
  - slug: other-2023-eu-share
    kind: reference
    title: Another outlet on the EU's share of Kazakhstan's foreign trade
    published: "2023-03"
    text: The EU accounts for 45% of Kazakhstan's foreign trade.
figures:
  - slug: other-2023-eu-share-of-foreign-trade
    source: other-2023-eu-share
    subject: kazakhstan
    metric: eu-share-of-foreign-trade
    kind: share
    surface: 45%
    value: 45
    unit: percent
    as_of: "2023"
    evidence: The EU accounts for 45% of Kazakhstan's foreign trade.
"""
# 45% as of 2023 against the article's one third as of 2023-02-02 (a day of 2023): 26 % apart.
# "More than 30%" as of 2023-05-15 allows 45%; 50% as of 2017 and 30% as of 2024 are no match.
LINE = (
    "  {sign} figure  EU share of foreign trade (Kazakhstan): one third (as of ~2023-02-02) in "
    "jjtv-kazakhstan-eu-30-years vs 45% (as of 2023) in other-2023-eu-share\n"
)


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """A copy of the bundled collection (its seeds_data/)."""
    bundled = bundled_data_dir()
    shutil.copytree(bundled.parent / "seeds", tmp_path / "seeds")
    return Path(shutil.copytree(bundled, tmp_path / "seeds_data"))


def test_kb_load_says_which_conflicts_an_article_adds_and_removes(
    kb: Kb, empty_db: str, collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    first = ok(kb("load", str(collection), db=empty_db))
    assert first.endswith(
        "\nConflicts: this load adds 2 and removes none (`kb conflicts` says why):\n"
        "  + figure  European investment (Kazakhstan): more than US$160 billion (~1993 to ~2023) "
        "in jjtv-kazakhstan-eu-30-years vs almost US$77 billion (~1993 to ~2023) in "
        "jjtv-kazakhstan-eu-30-years\n"
        "  + event   Kazakhstan and the EU sign the first enhanced partnership and cooperation "
        "agreement: ~2005 in jjtv-kazakhstan-eu-30-years vs 2015-12-21 in "
        "isdp-2015-12-21-kazakhstan-europe\n"
    )
    (collection / "other.yaml").write_text(DISAGREEING, encoding="utf-8")
    would = ok(kb("load", str(collection), "--dry-run", db=empty_db))
    assert would.endswith(
        "\nConflicts: this load would add 1 and remove none (`kb conflicts` says why):\n"
        + LINE.format(sign="+")
    )
    added = ok(kb("load", str(collection), db=empty_db))
    assert added.endswith(
        "\nConflicts: this load adds 1 and removes none (`kb conflicts` says why):\n"
        + LINE.format(sign="+")
    )
    (collection / "other.yaml").unlink()
    removed = ok(kb("load", str(collection), "--prune", db=empty_db))
    assert removed.endswith(
        "\nConflicts: this load adds none and removes 1 (`kb conflicts` says why):\n"
        + LINE.format(sign="-")
    )


def test_kb_load_json_carries_the_conflicts_as_kb_conflicts_gives_them(
    kb: Kb, empty_db: str, collection: Path
) -> None:
    ok(kb("load", str(collection), db=empty_db))
    (collection / "other.yaml").write_text(DISAGREEING, encoding="utf-8")
    report = json.loads(ok(kb("load", str(collection), "--format", "json", db=empty_db)))
    listed = json.loads(ok(kb("conflicts", "--type", "figure", "--format", "json", db=empty_db)))
    new = [c for c in listed if "other-2023-eu-share" in (c["a_source_slug"], c["b_source_slug"])]
    assert report["conflicts"] == {"complete": True, "added": new, "removed": []}
    assert len(new) == 1


def test_kb_load_says_when_there_are_too_many_to_compare(
    kb: Kb, empty_db: str, collection: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watching, "CAP", 1)
    out = ok(kb("load", str(collection), db=empty_db))
    assert out.endswith(
        "\nConflicts: more than 1 involve what this load writes, too many to compare here; "
        "`kb conflicts` lists them.\n"
    )
