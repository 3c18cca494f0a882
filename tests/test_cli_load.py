"""`kb load` and `kb validate` on small collections built in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.cli import ok

Kb = Callable[..., Result]

TEXT = (
    "Ruritania and the Union signed a trade pact on 3 May 2021. “Trade will double,” said Anna "
    "Berg, Trade Commissioner. “We shall see,” Berg added.\n"
)
SOURCE = """\
sources:
  - slug: example-report
    title: Ruritania and the Union sign a trade pact
    published: "2021-05-04"
    path: report.txt
"""
PARTIES = """\
parties:
  - {slug: ruritania, name: Ruritania, kind: country}
  - {slug: the-union, name: The Union, kind: organization, aliases: [Union]}
metrics:
  - {slug: trade-with-the-union, name: Trade with the Union, kind: multiplier, unit: times}
"""
PEOPLE = """\
people:
  - slug: anna-berg
    name: Anna Berg
    aliases: [Berg]
    roles:
      - {title: Trade Commissioner, party: the-union, source: example-report,
         evidence: "Anna Berg, Trade Commissioner"}
"""
QUOTES = {
    "berg-trade-will-double": "Trade will double,",
    "berg-we-shall-see": "We shall see,",
}
FACTS = """\
figures:
  - slug: trade-will-double
    source: example-report
    quote: berg-trade-will-double
    subject: ruritania
    metric: trade-with-the-union
    kind: multiplier
    surface: double
    value: 2
    unit: times
    evidence: '"Trade will double," said Anna'

events:
  - slug: pact-signed
    source: example-report
    name: Ruritania and the Union sign a trade pact
    kind: signing
    date: "2021-05-03"
    participants: [{party: ruritania}, {party: the-union, role: signatory}]
    evidence: Ruritania and the Union signed a trade pact on 3 May 2021.
"""


def quotes_yaml(quotes: dict[str, str]) -> str:
    """The quotes section of a data file."""
    lines = ["quotes:"]
    for slug, words in quotes.items():
        lines += [
            f"  - slug: {slug}",
            "    source: example-report",
            "    speaker: anna-berg",
            f"    text: {words}",
        ]
    return "\n".join(lines) + "\n"


def write_collection(root: Path, quotes: dict[str, str] = QUOTES) -> Path:
    """seeds/report.txt and seeds_data/{report,parties}.yaml under `root`; returns seeds_data/."""
    (root / "seeds").mkdir(parents=True, exist_ok=True)
    (root / "seeds" / "report.txt").write_text(TEXT, encoding="utf-8")
    data = root / "seeds_data"
    data.mkdir(exist_ok=True)
    (data / "parties.yaml").write_text(PARTIES, encoding="utf-8")
    body = SOURCE + PEOPLE + quotes_yaml(quotes) + FACTS
    (data / "report.yaml").write_text(body, encoding="utf-8")
    return data


def table(counts: dict[str, tuple[int, int, int, int, int]]) -> str:
    """The per-table part of a load report."""
    lines = [
        "table               inserted  updated  unchanged  missing  deleted",
        "------------------  --------  -------  ---------  -------  -------",
    ]
    for name, numbers in counts.items():
        lines.append(
            f"{name:<18}"
            + "".join(f"  {n:>{w}}" for n, w in zip(numbers, (8, 7, 9, 7, 7), strict=True))
        )
    return "\n".join(lines)


FIRST_LOAD = {
    "sources": (1, 0, 0, 0, 0),
    "parties": (2, 0, 0, 0, 0),
    "metrics": (1, 0, 0, 0, 0),
    "people": (1, 0, 0, 0, 0),
    "roles": (1, 0, 0, 0, 0),
    "aliases": (0, 0, 0, 0, 0),
    "quotes": (2, 0, 0, 0, 0),
    "figures": (1, 0, 0, 0, 0),
    "events": (1, 0, 0, 0, 0),
    "event_participants": (2, 0, 0, 0, 0),
}
UNCHANGED = {name: (0, 0, sum(n), 0, 0) for name, n in FIRST_LOAD.items()}
# What a load that changes anything says of conflicts, when it adds and removes none.
NO_CONFLICT = "Conflicts: this load adds none and removes none."


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100-column terminal and no database from the environment."""
    monkeypatch.setenv("COLUMNS", "100")
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The small collection's data directory."""
    return write_collection(tmp_path / "collection")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """Where the database goes (not created yet)."""
    return tmp_path / "kb.sqlite3"


def quote_texts(kb: Kb, db: Path) -> dict[str, str]:
    """Quote text by slug, read back with `kb quotes`."""
    rows = json.loads(ok(kb("quotes", "--format", "json", db=db)))
    return {row["slug"]: row["text"] for row in rows}


def test_first_load_inserts_everything(kb: Kb, data: Path, db: Path) -> None:
    out = ok(kb("load", str(data), db=db))
    assert out == f"Loaded 2 files into {db}.\n\n{table(FIRST_LOAD)}\n\n{NO_CONFLICT}\n"
    assert quote_texts(kb, db) == QUOTES


def test_loading_again_changes_nothing(kb: Kb, data: Path, db: Path) -> None:
    ok(kb("load", str(data), db=db))
    out = ok(kb("load", str(data), db=db))
    assert out == (
        f"Loaded 2 files into {db}. Of these, 2 were unchanged since the last load and "
        f"skipped (--reread reads them).\n\n{table(UNCHANGED)}\n\n"
        "Nothing changed: the database already matches the files.\n"
    )
    reread = ok(kb("load", str(data), "--reread", db=db))
    assert reread.startswith(f"Loaded 2 files into {db}.\n\n{table(UNCHANGED)}\n\n")


def test_dry_run_writes_nothing(kb: Kb, data: Path, db: Path) -> None:
    out = ok(kb("load", str(data), "--dry-run", db=db))
    assert out == (
        f"Dry run: checked 2 files against {db}; nothing was written.\n\n{table(FIRST_LOAD)}\n"
        "\nConflicts: this load would add none and remove none.\n"
    )
    assert not db.exists()  # a dry run never creates the database
    ok(kb("load", str(data), db=db))
    edited = write_collection(data.parent, {**QUOTES, "berg-we-shall-see": "We shall see"})
    out = ok(kb("load", str(edited), "--dry-run", db=db))
    assert "quotes                     0        1          1        0        0" in out
    assert quote_texts(kb, db) == QUOTES


def test_an_edited_record_updates_exactly_its_row(kb: Kb, data: Path, db: Path) -> None:
    ok(kb("load", str(data), db=db))
    write_collection(data.parent, {**QUOTES, "berg-we-shall-see": "We shall see"})
    out = ok(kb("load", str(data), db=db))
    assert "quotes                     0        1          1        0        0" in out
    assert "Nothing changed" not in out
    assert quote_texts(kb, db)["berg-we-shall-see"] == "We shall see"


def test_records_missing_from_the_files_are_kept_unless_pruned(
    kb: Kb, data: Path, db: Path
) -> None:
    ok(kb("load", str(data), db=db))
    write_collection(data.parent, {"berg-trade-will-double": "Trade will double,"})
    kept = ok(kb("load", str(data), db=db))
    assert "quotes                     0        0          1        1        0" in kept
    assert kept.endswith(
        "\nIn the database but not in the files (kept; --prune deletes them):\n"
        "  quotes: berg-we-shall-see\n"
    )
    assert set(quote_texts(kb, db)) == set(QUOTES)

    would = ok(kb("load", str(data), "--prune", "--dry-run", db=db))
    assert "quotes                     0        0          1        1        1" in would
    assert would.endswith(
        "\nWould delete (--prune): records no longer in the files\n  quotes: berg-we-shall-see\n"
        "\nConflicts: this load would add none and remove none.\n"
    )
    assert set(quote_texts(kb, db)) == set(QUOTES)

    pruned = ok(kb("load", str(data), "--prune", db=db))
    assert pruned.endswith(
        "\nDeleted (--prune): records no longer in the files\n  quotes: berg-we-shall-see\n"
        f"\n{NO_CONFLICT}\n"
    )
    assert set(quote_texts(kb, db)) == {"berg-trade-will-double"}
    again = ok(kb("load", str(data), "--prune", db=db))
    assert "Nothing changed" in again
    assert "--prune" not in again


def test_load_report_as_json(kb: Kb, data: Path, db: Path) -> None:
    report: dict[str, Any] = json.loads(ok(kb("load", str(data), "--format", "json", db=db)))
    assert report["database"] == str(db)
    assert report["files"] == [str(data / "parties.yaml"), str(data / "report.yaml")]
    assert (report["dry_run"], report["pruned"], report["changed"]) == (False, False, True)
    assert report["tables"]["quotes"] == {
        "inserted": 2,
        "updated": 0,
        "unchanged": 0,
        "missing": [],
        "deleted": 0,
    }
    assert list(report["tables"]) == list(FIRST_LOAD)
    assert report["conflicts"] == {"complete": True, "added": [], "removed": []}
    again = json.loads(ok(kb("load", str(data), "--dry-run", "--format", "json", db=db)))
    assert (again["dry_run"], again["changed"]) == (True, False)


def test_bad_data_is_one_error_and_loads_nothing(kb: Kb, data: Path, db: Path) -> None:
    ok(kb("load", str(data), db=db))
    write_collection(data.parent, {**QUOTES, "berg-we-shall-see": "We shall not see,"})
    result = kb("load", str(data), db=db)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: 1 problem in ")
    assert "; nothing was loaded\n" in result.stderr
    assert "berg-we-shall-see" in result.stderr
    assert "Traceback" not in result.stderr
    assert quote_texts(kb, db) == QUOTES


def test_seeds_option_names_the_texts_directory(kb: Kb, data: Path, db: Path) -> None:
    texts = data.parent / "texts"
    (data.parent / "seeds").rename(texts)
    missing = kb("load", str(data), db=db)
    assert missing.exit_code == 1
    assert "report.txt" in missing.stderr
    ok(kb("load", str(data), "--seeds", str(texts), db=db))
    assert quote_texts(kb, db) == QUOTES


def test_load_one_file_with_references_in_the_database(kb: Kb, data: Path, db: Path) -> None:
    ok(kb("load", str(data / "parties.yaml"), db=db))
    out = ok(kb("load", str(data / "report.yaml"), db=db))
    assert out.startswith(f"Loaded 1 file into {db}.\n")
    assert quote_texts(kb, db) == QUOTES


def test_load_without_path_loads_the_bundled_collection(kb: Kb, db: Path) -> None:
    out = ok(kb("load", db=db))
    assert out.startswith(f"Loaded 7 files into {db}.\n")
    assert "quotes                     2        0          0        0        0" in out
    assert db.exists()


def test_validate_prints_counts_and_ok(kb: Kb, data: Path) -> None:
    out = ok(kb("validate", str(data)))
    assert out == (
        "type                records\n"
        "------------------  -------\n"
        "sources                   1\n"
        "parties                   2\n"
        "metrics                   1\n"
        "people                    1\n"
        "roles                     1\n"
        "aliases                   0\n"
        "quotes                    2\n"
        "figures                   1\n"
        "events                    1\n"
        "event_participants        2\n"
        "\n"
        "ok: 2 files, no problems\n"
    )


def test_validate_as_json(kb: Kb, data: Path) -> None:
    summary = json.loads(ok(kb("validate", str(data), "--format", "json")))
    assert summary["ok"] is True
    assert summary["files"] == [str(data / "parties.yaml"), str(data / "report.yaml")]
    assert summary["counts"]["quotes"] == 2


def test_validate_lists_every_problem(kb: Kb, data: Path) -> None:
    write_collection(
        data.parent, {**QUOTES, "berg-one": "Not in the text,", "berg-two": "Nor this,"}
    )
    result = kb("validate", str(data))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: 2 problems in ")
    assert "berg-one" in result.stderr
    assert "berg-two" in result.stderr
    assert "nothing was loaded" not in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_the_bundled_collection(kb: Kb) -> None:
    out = ok(kb("validate"))
    assert out.endswith("\nok: 7 files, no problems\n")
    assert "quotes                    2\n" in out


def test_validate_touches_no_database(
    kb: Kb, data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ok(kb("validate", str(data)))
    assert not (tmp_path / "kb.sqlite3").exists()
