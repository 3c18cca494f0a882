"""Conflicts in the bundled collection, through the library and `kb conflicts`; marked rows."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.cli import ok
from sqlalchemy.engine import Engine

from kb import queries
from kb.cli.conflicts import conflicts_text
from kb.queries.conflicts import conflicts

Kb = Callable[..., Result]

ARTICLE = "jjtv-kazakhstan-eu-30-years"
EPCA = "Kazakhstan and the EU sign the first enhanced partnership and cooperation agreement"
# The article's US$160 billion (narration) and the ambassador's US$77 billion, over the same
# three decades.
INVESTMENT = {
    "type": "figure",
    "what": "European investment",
    "reason": "(1.6e11, ∞) and 7.7e10 do not meet: 51.9% apart, more than the 10% tolerance",
    "subject_slug": "kazakhstan", "subject_name": "Kazakhstan",
    "metric_slug": "european-investment", "metric_name": "European investment",
    "kind": "amount", "unit": "USD", "gap_percent": 51.875, "tolerance_percent": 10.0,
    "a_slug": "jjtv-eu-investment-160bn", "a_stated": "more than US$160 billion",
    "a_surface": "US$160 billion", "a_value": 1.6e11, "a_qualifier": "more_than",
    "a_period_start": "1993", "a_period_start_precision": "year", "a_period_start_inferred": True,
    "a_period_end": "2023", "a_period_end_precision": "year", "a_period_end_inferred": True,
    "a_as_of": None, "a_as_of_precision": None, "a_as_of_inferred": False,
    "a_source_slug": ARTICLE, "a_quote_slug": None, "a_speaker_slug": None,
    "a_speaker_name": None, "a_low": 1.6e11, "a_high": None,
    "b_slug": "jjtv-eu-investment-77bn", "b_stated": "almost US$77 billion",
    "b_surface": "US$77 billion", "b_value": 7.7e10, "b_qualifier": "almost",
    "b_period_start": "1993", "b_period_start_precision": "year", "b_period_start_inferred": True,
    "b_period_end": "2023", "b_period_end_precision": "year", "b_period_end_inferred": True,
    "b_as_of": None, "b_as_of_precision": None, "b_as_of_inferred": False,
    "b_source_slug": ARTICLE, "b_quote_slug": "jankauskas-investment-77bn",
    "b_speaker_slug": "kestutis-jankauskas", "b_speaker_name": "Kestutis Jankauskas",
    "b_low": 7.7e10, "b_high": 7.7e10,
}  # fmt: skip
# "The decade later" (after 1995), in the ambassador's quote, against the ISDP's 21 December 2015.
ENHANCED_AGREEMENT = {
    "type": "event",
    "what": EPCA,
    "reason": "the year 2005 and the day 2015-12-21 do not overlap",
    "kind": "signing",
    "a_slug": "jjtv-kz-eu-epca-signed", "a_stated": "~2005", "a_name": EPCA, "a_date": "2005",
    "a_date_precision": "year", "a_date_inferred": True, "a_source_slug": ARTICLE,
    "a_quote_slug": "jankauskas-pca-to-epca", "a_speaker_slug": "kestutis-jankauskas",
    "a_speaker_name": "Kestutis Jankauskas",
    "b_slug": "isdp-kz-eu-epca-signed", "b_stated": "2015-12-21",
    "b_name": "Kazakhstan and the EU sign the Enhanced Partnership and Cooperation Agreement "
    "in Astana",
    "b_date": "2015-12-21", "b_date_precision": "day", "b_date_inferred": False,
    "b_source_slug": "isdp-2015-12-21-kazakhstan-europe", "b_quote_slug": None,
    "b_speaker_slug": None, "b_speaker_name": None,
}  # fmt: skip
EXPECTED = [INVESTMENT, ENHANCED_AGREEMENT]

FIGURE_BLOCK = """\
figure  European investment (subject: Kazakhstan)
  A     more than US$160 billion (~1993 to ~2023)
        jjtv-eu-investment-160bn in jjtv-kazakhstan-eu-30-years, stated by narration
  B     almost US$77 billion (~1993 to ~2023)
        jjtv-eu-investment-77bn in jjtv-kazakhstan-eu-30-years, stated by Kestutis Jankauskas
  why   (1.6e11, ∞) and 7.7e10 do not meet: 51.9% apart, more than the 10% tolerance
"""
EVENT_BLOCK = """\
event   Kazakhstan and the EU sign the first enhanced partnership and cooperation agreement
  A     ~2005
        jjtv-kz-eu-epca-signed in jjtv-kazakhstan-eu-30-years, stated by Kestutis Jankauskas
  B     2015-12-21
        isdp-kz-eu-epca-signed in isdp-2015-12-21-kazakhstan-europe, stated by narration
  why   the year 2005 and the day 2015-12-21 do not overlap
"""
INFERRED_NOTE = "~ marks a date inferred from the text, not printed in it.\n"
TABLE = f"{FIGURE_BLOCK}\n{EVENT_BLOCK}\n2 conflicts: 1 figure, 1 event.\n{INFERRED_NOTE}"


@pytest.fixture(autouse=True)
def columns(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 100-column terminal."""
    monkeypatch.setenv("COLUMNS", "100")


def error(result: Result) -> str:
    """The stderr of a command that must fail with a user error (exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    return result.stderr


# --- the library --------------------------------------------------------------------------------


def test_the_bundled_collection_has_exactly_two_conflicts(
    seeded_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    # Everything else agrees: the establishment on 1993-02-02 (inferred in the article, printed
    # by Kazinform), the PCA in 1995 in both, and the undated entry into force and critical
    # minerals agreement in the article never conflict with 2020-03-01 and 2022-11-07. The EU's
    # share of Kazakhstan's foreign trade, about 50% as of 2017, one third as of 2023-02-02,
    # more than 30% as of 2023-05-15 and about 30% as of 2024-07-10, is four levels on four
    # dates that do not overlap: nothing to compare (as it would be, were they periods open
    # at the start).
    with engine_for(seeded_db).connect() as connection:
        assert conflicts(connection) == EXPECTED


def test_rows_in_conflict_are_marked(
    seeded_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(seeded_db).connect() as connection:
        figures = queries.figures(connection)
        events = queries.events(connection)
    assert {r["slug"]: r["conflicts_with"] for r in figures if r["in_conflict"]} == {
        "jjtv-eu-investment-160bn": ["jjtv-eu-investment-77bn"],
        "jjtv-eu-investment-77bn": ["jjtv-eu-investment-160bn"],
    }
    assert {r["slug"]: r["conflicts_with"] for r in events if r["in_conflict"]} == {
        "jjtv-kz-eu-epca-signed": ["isdp-kz-eu-epca-signed"],
        "isdp-kz-eu-epca-signed": ["jjtv-kz-eu-epca-signed"],
    }
    assert all(r["conflicts_with"] == [] for r in figures + events if not r["in_conflict"])
    assert (len(figures), len(events)) == (17, 14)


# --- kb conflicts -------------------------------------------------------------------------------


def test_table(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("conflicts", db=seeded_db)) == TABLE


def test_json_carries_every_field(kb: Kb, seeded_db: str) -> None:
    assert json.loads(ok(kb("conflicts", "--format", "json", db=seeded_db))) == EXPECTED


def test_jsonl_is_one_conflict_a_line(kb: Kb, seeded_db: str) -> None:
    lines = ok(kb("conflicts", "--format", "jsonl", db=seeded_db)).splitlines()
    assert [json.loads(line) for line in lines] == EXPECTED


def test_csv_has_a_column_for_every_field_of_either_type(kb: Kb, seeded_db: str) -> None:
    rows = list(csv.DictReader(io.StringIO(ok(kb("conflicts", "--format", "csv", db=seeded_db)))))
    header = list(rows[0])
    assert header == list(INVESTMENT) + [k for k in ENHANCED_AGREEMENT if k not in INVESTMENT]
    assert [row["reason"] for row in rows] == [c["reason"] for c in EXPECTED]
    assert (rows[0]["a_high"], rows[0]["a_period_start_inferred"], rows[0]["b_low"]) == (
        "",
        "true",
        "77000000000.0",
    )
    assert (rows[1]["a_date"], rows[1]["a_surface"]) == ("2005", "")


@pytest.mark.parametrize(
    ("args", "out"),
    [
        (("--type", "figure"), f"{FIGURE_BLOCK}\n1 conflict: 1 figure, 0 events.\n{INFERRED_NOTE}"),
        (("--type", "event"), f"{EVENT_BLOCK}\n1 conflict: 0 figures, 1 event.\n{INFERRED_NOTE}"),
        (("--tolerance", "51.8"), TABLE.replace("the 10%", "the 51.8%")),
        (("--tolerance", "51.9", "--subject", "Republic of Kazakhstan"),
         f"{EVENT_BLOCK}\n1 conflict: 0 figures, 1 event.\n{INFERRED_NOTE}"),
        (("--subject", "EU", "--type", "figure", "--tolerance", "0"), None),
    ],
)  # fmt: skip
def test_options(kb: Kb, seeded_db: str, args: tuple[str, ...], out: str | None) -> None:
    result = kb("conflicts", *args, db=seeded_db)
    if out is None:
        assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no conflicts\n")
    else:
        assert ok(result) == out


def test_no_conflicts_in_every_format(kb: Kb, empty_db: str) -> None:
    table = kb("conflicts", db=empty_db)
    assert (table.exit_code, table.stdout, table.stderr) == (0, "", "no conflicts\n")
    for fmt, out in (("json", "[]\n"), ("jsonl", ""), ("csv", "")):
        assert ok(kb("conflicts", "--format", fmt, db=empty_db)) == out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--subject", "Kazakstan"),
         "Error: Unknown party 'Kazakstan'. Did you mean: kazakhstan? `kb parties` lists them.\n"),
        (("--tolerance", "-5"),
         "Error: Tolerance must be a percentage of 0 or more (e.g. 10), not -5.\n"),
        (("--tolerance", "nan"),
         "Error: Tolerance must be a percentage of 0 or more (e.g. 10), not nan.\n"),
    ],
)  # fmt: skip
def test_user_errors(kb: Kb, seeded_db: str, args: tuple[str, ...], message: str) -> None:
    assert error(kb("conflicts", *args, db=seeded_db)) == message


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tolerance", "ten"), "'ten' is not a valid float"),
        (("--type", "quote"), "'quote' is not one of 'figure', 'event'"),
    ],
)
def test_usage_errors(kb: Kb, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    result = kb("conflicts", *args, db=tmp_path / "kb.sqlite3")
    assert result.exit_code == 2
    assert message in result.stderr


def test_missing_database(kb: Kb, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    assert error(kb("conflicts", db=missing)).startswith(f"Error: No database at {missing}.")
    assert not missing.exists()


def test_long_lines_wrap_under_their_label() -> None:
    # A metric's name may hold runs of whitespace; the table prints each run as one space.
    long = dict(INVESTMENT, what="European\n  investment " * 4, a_speaker_name="A Speaker")
    lines = conflicts_text([long], 60).splitlines()
    assert lines[:11] == [
        "figure  European investment European investment European",
        "        investment European investment (subject: Kazakhstan)",
        "  A     more than US$160 billion (~1993 to ~2023)",
        "        jjtv-eu-investment-160bn in",
        "        jjtv-kazakhstan-eu-30-years, stated by A Speaker",
        "  B     almost US$77 billion (~1993 to ~2023)",
        "        jjtv-eu-investment-77bn in",
        "        jjtv-kazakhstan-eu-30-years, stated by Kestutis",
        "        Jankauskas",
        "  why   (1.6e11, ∞) and 7.7e10 do not meet: 51.9% apart,",
        "        more than the 10% tolerance",
    ]
    assert max(len(line) for line in lines) <= 60


def test_help_defines_the_rules(kb: Kb) -> None:
    text = " ".join(ok(kb("conflicts", "--help")).split())
    for rule in (
        "the same subject (or both none), the same metric record (kb metrics; never by the words "
        "of their sources), the same kind and the same unit",
        "Amounts in different currencies are not compared (kb has no exchange rates)",
        "'1993' is 1993-01-01 to 1993-12-31",
        "'as of 2017' is all of 2017, so it is never compared with one as of 2023, but is with one "
        "as of 2017-06-30",
        "|a - b| / max(|a|, |b|) > PCT %",
        "'1995' and '1995-01-23' agree, '2005' and '2015-12-21' do not",
        "A record without a date never conflicts",
    ):
        assert rule in text


# --- kb figures and kb events mark them -------------------------------------------------------


def marked(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Slug -> conflicts_with of the rows in conflict."""
    return {r["slug"]: r["conflicts_with"] for r in rows if r["in_conflict"]}


def test_figures_and_events_json_mark_conflicts(kb: Kb, seeded_db: str) -> None:
    figures = json.loads(ok(kb("figures", "--metric", "EU investment", "--format", "json",
                               db=seeded_db)))  # fmt: skip
    assert marked(figures) == {
        "jjtv-eu-investment-160bn": ["jjtv-eu-investment-77bn"],
        "jjtv-eu-investment-77bn": ["jjtv-eu-investment-160bn"],
    }
    events = json.loads(ok(kb("events", "--from", "2015", "--format", "json", db=seeded_db)))
    assert marked(events) == {"isdp-kz-eu-epca-signed": ["jjtv-kz-eu-epca-signed"]}


def test_figures_and_events_tables_mark_conflicts(kb: Kb, seeded_db: str) -> None:
    lines = ok(kb("events", "--from", "2005", "--to", "2015", db=seeded_db)).splitlines()
    assert lines[0].endswith("source                             conflict")
    assert [line[:11] for line in lines if line.endswith("  yes")] == ["~2005      ", "2015-12-21 "]
    assert max(len(line) for line in lines) <= 100
