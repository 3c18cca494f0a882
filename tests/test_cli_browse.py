"""Read commands on the bundled collection: exact tables, every format, filters and errors."""

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
from helpers.files import write_example

Kb = Callable[..., Result]

ARTICLE = "jjtv-kazakhstan-eu-30-years"
AMBASSADOR_QUOTES = ["jankauskas-pca-to-epca", "jankauskas-investment-77bn"]
DATE_FORMS = "Write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 1995, 1995-01, 1995-01-23)."
FIRST_QUOTE = (
    "Our relations started after the establishment of diplomatic ties with the signing of the "
    "partnership and cooperation agreement. That was in 1995. It was the main framework "
    "agreement, which paved the way for European investment, and for the establishment of our "
    "relations and mutual trade. The decade later, we signed the first enhanced\u00a0partnership"
    "\u00a0and\u00a0cooperation\u00a0agreement with Kazakhstan. It is now in full force and "
    "covers 29 different areas of economy and social life, almost all of them. It provides a "
    "foundation and support for the development of further cooperation"
)
SECOND_QUOTE = (
    "Just in 30 years of our cooperation the countries of the European Union have invested "
    "almost US$77 billion, which accounts for about a half, or 50 percent, of all investment in "
    "Kazakhstan. Last year alone, the EU states invested about 800 million. I believe that these "
    "figures will continue to grow dramatically in the next few years as part of the agreement "
    "on critical minerals, hydrogen, green hydrogen, and investments into \u2018green\u2019 "
    "energy"
)

AMBASSADOR_QUOTES_TABLE = """\
speaker              source                       quote
-------------------  ---------------------------  --------------------------------------------------
Kestutis Jankauskas  jjtv-kazakhstan-eu-30-years  Our relations started after the establishment of
                                                  diplomatic ties with the signing of the
                                                  partnership and cooperation agreement. That was in
                                                  1995. It was the main framework agreement, which
                                                  paved the way for European investment, and for the
                                                  establishment of our relations and mutual trade.
                                                  The decade later, we signed the first enhanced
                                                  partnership and cooperation agreement with
                                                  Kazakhstan. It is now in full force and covers 29
                                                  different areas of economy and social life, almost
                                                  all of them. It provides a foundation and support
                                                  for the development of further cooperation

Kestutis Jankauskas  jjtv-kazakhstan-eu-30-years  Just in 30 years of our cooperation the countries
                                                  of the European Union have invested almost US$77
                                                  billion, which accounts for about a half, or 50
                                                  percent, of all investment in Kazakhstan. Last
                                                  year alone, the EU states invested about 800
                                                  million. I believe that these figures will
                                                  continue to grow dramatically in the next few
                                                  years as part of the agreement on critical
                                                  minerals, hydrogen, green hydrogen, and
                                                  investments into \u2018green\u2019 energy
"""

EVENTS_TO_1995_TABLE = """\
date         name                         occurrence  source                                conflict
-----------  ---------------------------  ----------  ------------------------------------  --------
~1993-02-02  Kazakhstan and the EU        happened    jjtv-kazakhstan-eu-30-years
             establish diplomatic
             relations

1993-02-02   Kazakhstan and the EU        happened    kazinform-2018-02-01-devigne
             establish diplomatic
             relations

1995         Kazakhstan and the EU sign   happened    jjtv-kazakhstan-eu-30-years
             the partnership and
             cooperation agreement

1995         Kazakhstan and the EU sign   happened    astanatimes-2013-10-pca-negotiations
             the Partnership and
             Cooperation Agreement

~ marks a date inferred from the text, not printed in it.
"""

ARTICLE_FIGURES_TABLE = """\
metric                   when               figure             source (speaker)             conflict
-----------------------  -----------------  -----------------  ---------------------------  --------
European investment      ~1993 to ~2023     more than US$160   jjtv-kazakhstan-eu-30-years  yes
(Kazakhstan)                                billion

Growth of trade          ~1993 to ~2023     180-fold           jjtv-kazakhstan-eu-30-years
turnover with the EU
(Kazakhstan)

EU share of foreign      as of ~2023-02-02  one third          jjtv-kazakhstan-eu-30-years
trade (Kazakhstan)

Areas covered by the                        29                 jjtv-kazakhstan-eu-30-years
Enhanced Partnership                                           (Kestutis Jankauskas)
and Cooperation
Agreement

Companies with European  as of ~2023-02-02  about 3,000        jjtv-kazakhstan-eu-30-years
capital (Kazakhstan)

European investment      ~1993 to ~2023     almost US$77       jjtv-kazakhstan-eu-30-years  yes
(Kazakhstan)                                billion            (Kestutis Jankauskas)

EU share of investment   ~1993 to ~2023     about a half, or   jjtv-kazakhstan-eu-30-years
(Kazakhstan)                                50 percent         (Kestutis Jankauskas)

Yearly European          ~2022              about 800 million  jjtv-kazakhstan-eu-30-years
investment (Kazakhstan)                                        (Kestutis Jankauskas)

~ marks a date inferred from the text, not printed in it.
"""

STATS_TABLE = """\
table               rows
------------------  ----
sources                9
parties                3
metrics                9
people                 4
roles                  5
aliases                0
quotes                 2
figures               17
events                14
event_participants    32

events: 12 dated (from 1993-02-02 to 2024-07-10), 2 undated
sources by kind: article 1, reference 8
"""

SMAILOV_TABLE = """\
Alikhan Smailov (alikhan-smailov)
aliases: Smailov

Roles, as each source states them (1)
title                         party       source
----------------------------  ----------  ---------------------------------------------
Prime Minister of Kazakhstan  Kazakhstan  kazinform-2022-11-08-raw-materials-memorandum

Other names the sources print (0)
none

Quotes (0)
none

Figures stated in their quotes (0)
none

Events they take part in (1)
date         name                          occurrence  source
-----------  ----------------------------  ----------  ---------------------------------------------
~2022-11-07  Kazakhstan and the EU sign a  happened    kazinform-2022-11-08-raw-materials-memorandum
             memorandum of understanding
             on sustainable raw
             materials, batteries and
             renewable hydrogen

~ marks a date inferred from the text, not printed in it.
"""


# A 100-column terminal and no database from the environment, for every test.
pytestmark = pytest.mark.usefixtures("terminal")


def as_json(result: Result) -> Any:
    """The parsed JSON stdout of a command that must succeed."""
    return json.loads(ok(result))


def error(result: Result) -> str:
    """The stderr of a command that must fail with a user error (exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr
    return result.stderr


# --- exact tables -----------------------------------------------------------------------------


def test_the_ambassadors_quotes_verbatim(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("quotes", "--by", "kestutis-jankauskas", db=seeded_db)) == AMBASSADOR_QUOTES_TABLE


def test_quote_table_holds_every_word_of_each_quote(kb: Kb, seeded_db: str) -> None:
    out = ok(kb("quotes", "--by", "Kestutis Jankauskas", db=seeded_db))
    header, _rule, body = out.split("\n", 2)
    column = header.index("quote")
    rows = body.split("\n\n")  # a blank line separates rows that take several lines
    found = [" ".join(line[column:] for line in row.splitlines()) for row in rows]
    # The table shows every word in order; runs of whitespace (here U+00A0) print as one space.
    assert found == [" ".join(FIRST_QUOTE.split()), " ".join(SECOND_QUOTE.split())]


def test_events_table_marks_inferred_dates(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("events", "--to", "1995", db=seeded_db)) == EVENTS_TO_1995_TABLE


def test_figures_table(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("figures", "--source", ARTICLE, db=seeded_db)) == ARTICLE_FIGURES_TABLE


def test_stats_table(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("stats", db=seeded_db)) == STATS_TABLE


def test_person_profile_table(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("person", "alikhan-smailov", db=seeded_db)) == SMAILOV_TABLE


def test_person_profile_sections(kb: Kb, seeded_db: str) -> None:
    out = ok(kb("person", "jankauskas", db=seeded_db))
    assert out.startswith("Kestutis Jankauskas (kestutis-jankauskas)\naliases: Jankauskas\n")
    for heading in (
        "Roles, as each source states them (2)",
        "Other names the sources print (0)\nnone",
        "Quotes (2)",
        "Figures stated in their quotes (4)",
        "Events they take part in (1)",
    ):
        assert f"\n{heading}\n" in out
    # Roles from two sources, each with the source that states it.
    roles = out.split("Roles, as each source states them (2)\n")[1].split("\n\nOther names")[0]
    assert roles == (
        "title                                      party           source\n"
        "-----------------------------------------  --------------  "
        "-----------------------------------------\n"
        "EU Ambassador to Kazakhstan                European Union  jjtv-kazakhstan-eu-30-years\n"
        "\n"
        "Ambassador of the European Union to        European Union  "
        "kazinform-2024-07-10-eu-dialogue-platform\n"
        "Kazakhstan"
    )


@pytest.mark.parametrize(
    ("command", "first_line"),
    [
        ("sources", f"{'slug':45}  {'kind':9}  {'published':11}  title"),
        ("parties", f"{'slug':19}  {'name':19}  {'kind':12}  {'aliases':22}  figures"),
        ("people", f"{'slug':20}  {'name':20}  {'aliases':13}  {'roles':33}  quotes"),
    ],
)  # fmt: skip
def test_listing_tables(kb: Kb, seeded_db: str, command: str, first_line: str) -> None:
    lines = ok(kb(command, db=seeded_db)).splitlines()
    assert lines[0] == first_line
    assert set(lines[1]) == {"-", " "}
    assert max(len(line) for line in lines) <= 100


def test_sources_table_marks_an_inferred_publication_date(kb: Kb, seeded_db: str) -> None:
    out = ok(kb("sources", db=seeded_db))
    assert "jjtv-kazakhstan-eu-30-years                    article    ~2023-02-02" in out
    assert "astanatimes-2013-10-pca-negotiations           reference  2013-10 " in out
    assert out.endswith("\n~ marks a date inferred from the text, not printed in it.\n")


# --- JSON: every field, spans that point at the text --------------------------------------------


def source_texts(kb: Kb, db: Path) -> dict[str, str]:
    """Source text by slug, from `kb sources --format json`."""
    return {row["slug"]: row["text"] for row in as_json(kb("sources", "--format", "json", db=db))}


def test_quotes_json_spans_point_at_the_quotes(kb: Kb, seeded_db: str) -> None:
    rows = as_json(kb("quotes", "--by", "Jankauskas", "--format", "json", db=seeded_db))
    assert [row["text"] for row in rows] == [FIRST_QUOTE, SECOND_QUOTE]
    text = source_texts(kb, seeded_db)[ARTICLE]
    for row in rows:
        assert text[row["text_start"] : row["text_end"]] == row["text"]
        assert row["speaker_slug"] == "kestutis-jankauskas"
        assert row["speaker_name"] == "Kestutis Jankauskas"
        assert row["source_slug"] == ARTICLE
        assert row["kind"] == "direct"
        assert (row["said_on"], row["said_on_precision"], row["said_on_inferred"]) == (
            None,
            None,
            False,
        )


def test_figures_json_carries_spans_periods_and_who_states_them(kb: Kb, seeded_db: str) -> None:
    rows = as_json(
        kb("figures", "--metric", "european investment", "--format", "json", db=seeded_db)
    )
    by_slug = {row["slug"]: row for row in rows}
    assert list(by_slug) == ["jjtv-eu-investment-160bn", "jjtv-eu-investment-77bn"]
    narrated = by_slug["jjtv-eu-investment-160bn"]
    assert narrated | {
        "surface": "US$160 billion", "value": 1.6e11, "unit": "USD", "qualifier": "more_than",
        "kind": "amount", "metric_slug": "european-investment",
        "metric_name": "European investment",
        "subject_slug": "kazakhstan", "subject_name": "Kazakhstan",
        "period_start": "1993", "period_start_precision": "year", "period_start_inferred": True,
        "period_end": "2023", "period_end_precision": "year", "period_end_inferred": True,
        "as_of": None, "as_of_precision": None, "as_of_inferred": False,
        "quote_slug": None, "speaker_slug": None, "source_slug": ARTICLE,
        "in_conflict": True, "conflicts_with": ["jjtv-eu-investment-77bn"],
    } == narrated  # fmt: skip
    share = as_json(kb("figures", "--metric", "eu-share-of-foreign-trade", "--format", "json",
                       db=seeded_db))[0]  # fmt: skip
    assert (share["as_of"], share["as_of_precision"], share["as_of_inferred"]) == (
        "2017",
        "year",
        True,
    )
    quoted = by_slug["jjtv-eu-investment-77bn"]
    assert (quoted["quote_slug"], quoted["speaker_slug"]) == (
        "jankauskas-investment-77bn",
        "kestutis-jankauskas",
    )
    text = source_texts(kb, seeded_db)[ARTICLE]
    for row in rows:
        assert text[row["surface_start"] : row["surface_end"]] == row["surface"]
        assert text[row["evidence_start"] : row["evidence_end"]] == row["evidence"]


def test_events_json_carries_precision_inferred_flag_and_participants(
    kb: Kb, seeded_db: str
) -> None:
    rows = as_json(kb("events", "--from", "2005", "--to", "2005", "--format", "json", db=seeded_db))
    (epca,) = rows
    assert epca["slug"] == "jjtv-kz-eu-epca-signed"
    assert (epca["date"], epca["date_precision"], epca["date_inferred"]) == ("2005", "year", True)
    assert epca["participants"] == [
        {"type": "party", "slug": "european-union", "name": "European Union", "role": "signatory",
         "source_slug": None},
        {"type": "party", "slug": "kazakhstan", "name": "Kazakhstan", "role": "signatory",
         "source_slug": None},
    ]  # fmt: skip
    text = source_texts(kb, seeded_db)[ARTICLE]
    assert text[epca["evidence_start"] : epca["evidence_end"]] == epca["evidence"]


def test_events_json_links_records_of_the_same_happening(kb: Kb, seeded_db: str) -> None:
    rows = as_json(kb("events", "--format", "json", db=seeded_db))
    linked = [r for r in rows if r["same_as_slug"] is not None]
    assert linked
    slugs = {r["slug"] for r in rows}
    assert all(r["same_as_slug"] in slugs for r in linked)


def test_person_json_is_one_object_with_sections(kb: Kb, seeded_db: str) -> None:
    person = as_json(kb("person", "KESTUTIS-JANKAUSKAS", "--format", "json", db=seeded_db))
    assert (person["slug"], person["name"], person["aliases"]) == (
        "kestutis-jankauskas",
        "Kestutis Jankauskas",
        ["Jankauskas"],
    )
    assert [q["text"] for q in person["quotes"]] == [FIRST_QUOTE, SECOND_QUOTE]
    assert person["roles"][0]["evidence"] == "Kestutis Jankauskas, EU Ambassador to Kazakhstan"
    assert [role["source_slug"] for role in person["roles"]] == [
        ARTICLE,
        "kazinform-2024-07-10-eu-dialogue-platform",
    ]
    assert person["names"] == []
    assert len(person["figures"]) == 4
    assert [event["slug"] for event in person["events"]] == [
        "kazinform-kz-eu-dialogue-platform-15th-meeting"
    ]


def test_stats_json(kb: Kb, seeded_db: str) -> None:
    stats = as_json(kb("stats", "--format", "json", db=seeded_db))
    assert (stats["rows"]["quotes"], stats["rows"]["metrics"]) == (2, 9)
    assert stats["events"] == {
        "first": "1993-02-02",
        "last": "2024-07-10",
        "dated": 12,
        "undated": 2,
    }
    assert stats["sources_by_kind"] == {"article": 1, "reference": 8}


# --- JSON Lines and CSV -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "count"),
    [
        (("sources",), 9),
        (("parties",), 3),
        (("metrics",), 9),
        (("people",), 4),
        (("quotes",), 2),
        (("figures",), 17),
        (("figures", "--metric", "eu-share-of-foreign-trade"), 4),
        (("events",), 14),
        (("events", "--from", "2020"), 5),
    ],
)
def test_jsonl_is_the_json_array_one_object_a_line(
    kb: Kb, seeded_db: str, args: tuple[str, ...], count: int
) -> None:
    array = as_json(kb(*args, "--format", "json", db=seeded_db))
    lines = ok(kb(*args, "--format", "jsonl", db=seeded_db)).splitlines()
    assert len(array) == len(lines) == count
    assert [json.loads(line) for line in lines] == array


@pytest.mark.parametrize(
    "command", ["sources", "parties", "metrics", "people", "quotes", "figures", "events"]
)
def test_csv_has_a_header_of_every_field_and_a_row_per_record(
    kb: Kb, seeded_db: str, command: str
) -> None:
    array = as_json(kb(command, "--format", "json", db=seeded_db))
    rows = list(csv.DictReader(io.StringIO(ok(kb(command, "--format", "csv", db=seeded_db)))))
    assert len(rows) == len(array)
    assert list(rows[0]) == list(array[0])
    for parsed, original in zip(rows, array, strict=True):
        for key, value in original.items():
            assert parsed[key] == csv_text(value), key


def csv_text(value: Any) -> str:
    """How the CSV output writes a JSON value."""
    if value is None:
        return ""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def test_csv_keeps_quotes_verbatim(kb: Kb, seeded_db: str) -> None:
    out = ok(kb("quotes", "--format", "csv", db=seeded_db))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [row["text"] for row in rows] == [FIRST_QUOTE, SECOND_QUOTE]
    assert [row["said_on_inferred"] for row in rows] == ["false", "false"]


def test_person_jsonl_and_csv_are_typed_records(kb: Kb, seeded_db: str) -> None:
    lines = ok(kb("person", "jankauskas", "--format", "jsonl", db=seeded_db)).splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["type"] for r in records] == (
        ["person"] + ["role"] * 2 + ["quote"] * 2 + ["figure"] * 4 + ["event"]
    )
    assert records[0] == {
        "type": "person",
        "id": records[0]["id"],
        "slug": "kestutis-jankauskas",
        "status": "reviewed",
        "name": "Kestutis Jankauskas",
        "aliases": ["Jankauskas"],
    }
    rows = list(
        csv.DictReader(io.StringIO(ok(kb("person", "jankauskas", "--format", "csv", db=seeded_db))))
    )
    assert [row["type"] for row in rows] == [r["type"] for r in records]
    assert rows[3]["text"] == FIRST_QUOTE


def test_stats_jsonl_and_csv_are_flat(kb: Kb, seeded_db: str) -> None:
    lines = ok(kb("stats", "--format", "jsonl", db=seeded_db)).splitlines()
    assert json.loads(lines[0]) == {"stat": "rows.sources", "value": 9}
    assert {"stat": "events.first", "value": "1993-02-02"} in map(json.loads, lines)
    out = ok(kb("stats", "--format", "csv", db=seeded_db))
    assert out.startswith("stat,value\nrows.sources,9\n")
    assert "sources_by_kind.reference,8\n" in out


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("quotes", "--by", "Jankauskas"), AMBASSADOR_QUOTES),
        (("quotes", "--source", ARTICLE), AMBASSADOR_QUOTES),
        (("quotes", "--by", "alikhan-smailov"), []),
        (("quotes", "--by", "jankauskas", "--source", "kazinform-2018-02-01-devigne"), []),
        # A metric's figures in time order: the start of a period, or an as-of date.
        (("figures", "--subject", "Republic of Kazakhstan", "--metric", "eu-share-of-investment"),
         ["jjtv-eu-share-of-investment", "kazakhtv-2017-eu-share-of-investment",
          "astanatimes-2023-eu-share-of-investment", "kazinform-2024-eu-share-of-investment"]),
        (("figures", "--subject", "EU"), []),
        (("figures", "--metric", "EPCA AREAS"), ["jjtv-epca-areas"]),  # an alias, any case
        (("figures", "--source", ARTICLE, "--metric", "EU share of foreign trade"),
         ["jjtv-eu-share-of-foreign-trade"]),
        (("events", "--from", "2015-12-21", "--to", "2020-03"),
         ["isdp-kz-eu-epca-signed", "tdmi-kz-eu-epca-in-force"]),
        (("events", "--from", "2023-02-03"),
         ["jjtv-kz-eu-anniversary-events-planned",
          "kazinform-kz-eu-dialogue-platform-15th-meeting"]),
        (("events", "--from", "2023-03", "--to", "2023-12-31"),
         ["jjtv-kz-eu-anniversary-events-planned"]),
        (("events", "--from", "1993-02-02", "--to", "1993-02"),
         ["jjtv-kz-eu-relations-established", "kazinform-kz-eu-relations-established"]),
    ],
)  # fmt: skip
def test_filters(kb: Kb, seeded_db: str, args: tuple[str, ...], expected: list[str]) -> None:
    rows = as_json(kb(*args, "--format", "json", db=seeded_db))
    assert [row["slug"] for row in rows] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("quotes", "--by", "smailov"), "no quotes match"),
        (("figures", "--subject", "EU"), "no figures match"),
        (("events", "--from", "2030"), "no events match"),
    ],
)
def test_empty_results(kb: Kb, seeded_db: str, args: tuple[str, ...], message: str) -> None:
    table = kb(*args, db=seeded_db)
    assert (table.exit_code, table.stdout, table.stderr) == (0, "", f"{message}\n")
    assert ok(kb(*args, "--format", "json", db=seeded_db)) == "[]\n"
    assert ok(kb(*args, "--format", "jsonl", db=seeded_db)) == ""
    assert ok(kb(*args, "--format", "csv", db=seeded_db)) == ""


def test_empty_database(kb: Kb, empty_db: str) -> None:
    for command in ("sources", "parties", "metrics", "people", "quotes", "figures", "events"):
        result = kb(command, db=empty_db)
        assert result.exit_code == 0
        assert result.stdout == ""
        assert result.stderr.startswith("no ")
    assert "events: 0 dated (no dated events), 0 undated" in ok(kb("stats", db=empty_db))


def unknown(what: str, suggestion: str, listing: str) -> str:
    """The error line for an unknown name with one suggestion."""
    return f"Error: Unknown {what}. Did you mean: {suggestion}? `kb {listing}` lists them.\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("quotes", "--by", "Jankauskis"),
         unknown("person 'Jankauskis'", "kestutis-jankauskas", "people")),
        (("quotes", "--source", "jjtv"),
         unknown("source 'jjtv'", ARTICLE, "sources")),
        (("figures", "--subject", "Kazakstan"),
         unknown("party 'Kazakstan'", "kazakhstan", "parties")),
        (("figures", "--source", "nowhere"),
         "Error: Unknown source 'nowhere'. `kb sources` lists them.\n"),
        (("figures", "--metric", "investment"),
         "Error: Unknown metric 'investment'. Did you mean: european-investment, "
         "yearly-european-investment, eu-share-of-investment? `kb metrics` lists them.\n"),
        (("figures", "--metric", "eu-share-of-foreing-trade"),
         unknown("metric 'eu-share-of-foreing-trade'", "eu-share-of-foreign-trade", "metrics")),
        (("person", "kestutis"),
         unknown("person 'kestutis'", "kestutis-jankauskas", "people")),
        (("events", "--from", "1995-13"), f"Error: Not a date: '1995-13'. {DATE_FORMS}\n"),
        (("events", "--to", "2/2/1993"), f"Error: Not a date: '2/2/1993'. {DATE_FORMS}\n"),
        (("events", "--from", "2000", "--to", "1999-12"),
         "Error: Empty date range: from 2000 is after to 1999-12.\n"),
    ],
)  # fmt: skip
def test_user_errors(kb: Kb, seeded_db: str, args: tuple[str, ...], message: str) -> None:
    assert error(kb(*args, db=seeded_db)) == message


@pytest.mark.parametrize("fmt", ["json", "csv", "jsonl"])
def test_errors_go_to_stderr_in_every_format(kb: Kb, seeded_db: str, fmt: str) -> None:
    assert "Unknown person" in error(kb("quotes", "--by", "nobody", "--format", fmt, db=seeded_db))


def test_database_from_the_environment(
    kb: Kb, seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded_db = seeded_sqlite
    monkeypatch.setenv("KB_DATABASE_URL", str(seeded_db))
    assert ok(kb("quotes", "--by", "kestutis-jankauskas")) == AMBASSADOR_QUOTES_TABLE
    monkeypatch.setenv("KB_DATABASE_URL", f"sqlite:///{seeded_db}")
    assert as_json(kb("stats", "--format", "json"))["rows"]["quotes"] == 2


def test_db_option_wins_over_the_environment(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KB_DATABASE_URL", str(tmp_path / "elsewhere.sqlite3"))
    assert as_json(kb("stats", "--format", "json", db=seeded_db))["rows"]["quotes"] == 2


def test_default_database_is_in_the_working_directory(
    kb: Kb, seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeded_db = seeded_sqlite
    monkeypatch.chdir(seeded_db.parent)
    assert seeded_db.name == "kb.sqlite3"
    assert as_json(kb("people", "--format", "json"))[0]["slug"] == "alikhan-smailov"


@pytest.mark.parametrize("command", ["quotes", "figures", "events", "metrics"])
def test_list_commands_show_at_most_limit_rows_and_say_so(
    kb: Kb, seeded_db: str, command: str
) -> None:
    every = json.loads(kb(command, "--format", "json", db=seeded_db).stdout)
    assert 1 < len(every) <= 100  # the default limit shows the whole bundled collection
    shown = kb(command, "--format", "json", "--limit", "1", db=seeded_db)
    assert json.loads(shown.stdout) == every[:1]
    assert shown.stderr == "Showing the first 1 rows; --limit N shows more, --limit 0 all.\n"
    table = kb(command, "--limit", "1", db=seeded_db).stdout
    assert table.endswith("\nShowing the first 1 rows; --limit N shows more, --limit 0 all.\n")
    assert json.loads(kb(command, "--format", "json", "--limit", "0", db=seeded_db).stdout) == every


# --- a person two sources name --------------------------------------------------------------------

ANNA_BERG = """\
Anna Berg (anna-berg)
aliases: Berg

Roles, as each source states them (2)
title                         party      source
----------------------------  ---------  -----------------
Trade Commissioner            The Union  example-report
the Union's chief negotiator  The Union  example-follow-up

Other names the sources print (1)
name      source
--------  -----------------
Ana Berg  example-follow-up

Quotes (1)
source          quote
--------------  ------------------
example-report  Trade will double,

Figures stated in their quotes (1)
metric                            when  figure  value    source
--------------------------------  ----  ------  -------  --------------
Trade with the Union (Ruritania)        double  2 times  example-report

Events they take part in (1)
date        name                                       occurrence  source
----------  -----------------------------------------  ----------  --------------
2021-05-03  Ruritania and the Union sign a trade pact  happened    example-report
"""


def test_a_person_two_sources_name(kb: Kb, empty_db: str, tmp_path: Path) -> None:
    # The documented example and its follow-up article: the follow-up's file adds a role of
    # Anna Berg, the name it prints for her, and her part in the first article's signing.
    ok(kb("load", str(write_example(tmp_path, follow_up=True)), db=empty_db))
    assert ok(kb("person", "anna-berg", db=empty_db)) == ANNA_BERG
    assert ok(kb("person", "Ana Berg", db=empty_db)) == ANNA_BERG  # found by the alias too
    profile = as_json(kb("person", "anna-berg", "--format", "json", db=empty_db))
    assert [(n["name"], n["source_slug"]) for n in profile["names"]] == [
        ("Ana Berg", "example-follow-up")
    ]
    (signing,) = profile["events"]
    assert signing["participants"] == [
        {"type": "party", "slug": "ruritania", "name": "Ruritania", "role": None,
         "source_slug": None},
        {"type": "party", "slug": "the-union", "name": "The Union", "role": "signatory",
         "source_slug": None},
        {"type": "person", "slug": "anna-berg", "name": "Anna Berg", "role": "negotiator",
         "source_slug": "example-follow-up"},
    ]  # fmt: skip
    records = ok(kb("person", "anna-berg", "--format", "jsonl", db=empty_db)).splitlines()
    assert [json.loads(line)["type"] for line in records] == [
        "person", "role", "role", "alias", "quote", "figure", "event"
    ]  # fmt: skip
