"""`kb search` on the bundled collection, on SQLite and PostgreSQL: hits, formats and errors."""

from __future__ import annotations

import csv
import io
import json
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from helpers.cli import ok

from kb.cli import cli

Kb = Callable[..., Result]
Hit = tuple[str, str, str | None]

ARTICLE = "jjtv-kazakhstan-eu-30-years"
JANKAUSKAS = [
    ("person", "kestutis-jankauskas", None),
    ("quote", "jankauskas-investment-77bn", ARTICLE),
    ("quote", "jankauskas-pca-to-epca", ARTICLE),
]
HYDROGEN = {
    ("event", "jjtv-kz-eu-critical-minerals-agreement", ARTICLE),
    (
        "event",
        "kazinform-kz-eu-raw-materials-memorandum-signed",
        "kazinform-2022-11-08-raw-materials-memorandum",
    ),
    ("quote", "jankauskas-investment-77bn", ARTICLE),
}
ASTANA_TIMES = "astanatimes-2023-05-15-eu-trade-investment"
KAZAKH_TV = "kazakhtv-2017-kazakhstan-eu-cooperation"
KAZINFORM_2024 = "kazinform-2024-07-10-eu-dialogue-platform"
# A figure is found by its surface and evidence (what it measures is a metric record, found
# by its own name and aliases).
INVEST_FIGURES = {
    ("figure", "jjtv-eu-investment-160bn", ARTICLE),
    ("figure", "jjtv-eu-investment-2022", ARTICLE),
    ("figure", "jjtv-eu-investment-77bn", ARTICLE),
    ("figure", "jjtv-eu-share-of-investment", ARTICLE),
    ("figure", "jjtv-trade-turnover-180-fold", ARTICLE),
    ("figure", "astanatimes-2023-eu-share-of-foreign-trade", ASTANA_TIMES),
    ("figure", "astanatimes-2023-eu-share-of-investment", ASTANA_TIMES),
    ("figure", "kazakhtv-2017-eu-share-of-foreign-trade", KAZAKH_TV),
    ("figure", "kazakhtv-2017-eu-share-of-investment", KAZAKH_TV),
    ("figure", "kazinform-2024-eu-share-of-foreign-trade", KAZINFORM_2024),
    ("figure", "kazinform-2024-eu-share-of-investment", KAZINFORM_2024),
}
INVEST_METRICS = {
    ("metric", "european-investment", None),
    ("metric", "yearly-european-investment", None),
    ("metric", "eu-share-of-investment", None),
}
INVEST = (
    INVEST_FIGURES
    | INVEST_METRICS
    | {
        ("event", "jjtv-kz-eu-critical-minerals-agreement", ARTICLE),
        ("quote", "jankauskas-investment-77bn", ARTICLE),
        ("quote", "jankauskas-pca-to-epca", ARTICLE),
        ("source", ASTANA_TIMES, ASTANA_TIMES),
    }
)
PCA = {
    ("metric", "epca-areas-covered", None),
    ("quote", "jankauskas-pca-to-epca", ARTICLE),
    ("event", "jjtv-kz-eu-pca-signed", ARTICLE),
    ("event", "jjtv-kz-eu-epca-signed", ARTICLE),
    ("event", "jjtv-kz-eu-epca-in-force", ARTICLE),
    ("event", "isdp-kz-eu-epca-signed", "isdp-2015-12-21-kazakhstan-europe"),
    ("event", "astanatimes-kz-eu-pca-signed", "astanatimes-2013-10-pca-negotiations"),
    ("event", "astanatimes-kz-eu-pca-in-force", "astanatimes-2013-10-pca-negotiations"),
    ("event", "tdmi-kz-eu-epca-in-force", "tdmi-2020-09-cooperation-committee"),
}

# The table format on each backend: FTS5's snippet() and PostgreSQL's ts_headline() cut the
# text differently, and bm25 and ts_rank_cd order the hits differently.
# Wider than the terminal on one line, slugs do not wrap: the source goes on a line of its own.
KAZINFORM = (
    "event   kazinform-kz-eu-raw-materials-memorandum-signed\n"
    "        in kazinform-2022-11-08-raw-materials-memorandum"
)
HYDROGEN_TEXT = {
    "sqlite": f"""\
event   jjtv-kz-eu-critical-minerals-agreement in jjtv-kazakhstan-eu-30-years
        Kazakhstan and the EU conclude an agreement on critical minerals, «hydrogen» and green
        «hydrogen»

{KAZINFORM}
        …and the EU sign a memorandum of understanding on sustainable raw materials, batteries and
        renewable «hydrogen»

quote   jankauskas-investment-77bn in jjtv-kazakhstan-eu-30-years
        …as part of the agreement on critical minerals, «hydrogen», green «hydrogen», and
        investments into ‘green’ energy
""",
    "postgresql": f"""\
event   jjtv-kz-eu-critical-minerals-agreement in jjtv-kazakhstan-eu-30-years
        conclude an agreement on critical minerals, «hydrogen» and green «hydrogen»

quote   jankauskas-investment-77bn in jjtv-kazakhstan-eu-30-years
        part of the agreement on critical minerals, «hydrogen», green «hydrogen», and investments
        into ‘green’ energy

{KAZINFORM}
        sustainable raw materials, batteries and renewable «hydrogen»
""",
}
# The same on both backends: the person's snippet is his name, and his quotes open with it.
JANKAUSKAS_TEXT = """\
person  kestutis-jankauskas
        Kestutis «Jankauskas»

quote   jankauskas-investment-77bn in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: Just in 30 years of our cooperation the countries of the European
        Union have invested almost…

quote   jankauskas-pca-to-epca in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: Our relations started after the establishment of diplomatic ties with
        the signing of the partnership and…
"""
# Each backend's own syntax, for --raw: the hydrogen that is not green.
RAW_QUERIES = {"sqlite": "hydrogen NOT green", "postgresql": "hydrogen & !green"}
RAW_ERRORS = {
    "sqlite": "Error: '(' is not a valid FTS5 query (fts5: syntax error near \"\"). --raw takes "
    "the database's own full-text syntax; without --raw, kb searches for the words as typed.\n",
    "postgresql": "Error: '(' is not a valid tsquery query (no operand in tsquery: \"(\"). --raw "
    "takes the database's own full-text syntax; without --raw, kb searches for the words as "
    "typed.\n",
}


# A 100-column terminal and no database from the environment, for every test.
pytestmark = pytest.mark.usefixtures("terminal")


def result(kb: Kb, db: str, *args: str) -> dict[str, Any]:
    """What `kb search ARGS --format json` prints: the counts and the hits."""
    found: dict[str, Any] = json.loads(ok(kb("search", *args, "--format", "json", db=db)))
    return found


def found(kb: Kb, db: str, *args: str) -> list[dict[str, Any]]:
    """The hits of `kb search ARGS --format json`."""
    hits: list[dict[str, Any]] = result(kb, db, *args)["hits"]
    return hits


def hits(kb: Kb, db: str, *args: str) -> list[Hit]:
    """(type, slug, source) of each hit of `kb search ARGS`, best first."""
    return [(hit["type"], hit["slug"], hit["source"]) for hit in found(kb, db, *args)]


def error(result: Result) -> str:
    """The stderr of a command that must fail with a user error (exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


# --- what is found ------------------------------------------------------------------------------


def test_a_name_finds_the_person_and_his_quotes(kb: Kb, seeded_db: str) -> None:
    # His quotes do not hold his name: they are found through their speaker.
    assert hits(kb, seeded_db, "Jankauskas") == JANKAUSKAS


def test_a_word_finds_the_quote_and_the_events_that_hold_it(kb: Kb, seeded_db: str) -> None:
    assert set(hits(kb, seeded_db, "hydrogen")) == HYDROGEN


def test_every_word_must_match(kb: Kb, seeded_db: str) -> None:
    assert set(hits(kb, seeded_db, "renewable", "hydrogen")) == {
        hit for hit in HYDROGEN if hit[1].startswith("kazinform")
    }
    assert hits(kb, seeded_db, "hydrogen", "helium") == []


def test_a_trailing_star_searches_by_prefix(kb: Kb, seeded_db: str) -> None:
    assert set(hits(kb, seeded_db, "invest*")) == INVEST
    # Without the star a word is matched whole: no record has the bare word "invest".
    assert hits(kb, seeded_db, "invest") == []


def test_a_quoted_phrase_matches_its_words_in_order(kb: Kb, seeded_db: str) -> None:
    assert set(hits(kb, seeded_db, '"partnership and cooperation agreement"')) == PCA
    assert hits(kb, seeded_db, '"agreement and cooperation partnership"') == []
    # The same words unquoted, in any order, find at least as much.
    assert set(hits(kb, seeded_db, "agreement and cooperation partnership")) >= PCA


def test_type_narrows_the_search(kb: Kb, seeded_db: str) -> None:
    assert set(hits(kb, seeded_db, "invest*", "--type", "figure")) == INVEST_FIGURES
    quotes_and_events = hits(kb, seeded_db, "invest*", "--type", "quote", "--type", "event")
    assert set(quotes_and_events) == {hit for hit in INVEST if hit[0] in ("quote", "event")}
    assert set(hits(kb, seeded_db, "invest*", "--type", "metric")) == INVEST_METRICS
    assert hits(kb, seeded_db, "Jankauskas", "--type", "person") == JANKAUSKAS[:1]


def test_metrics_are_found_by_name_and_alias(kb: Kb, seeded_db: str) -> None:
    # "EU share of external trade" is an alias of the EU's share of foreign trade; "bilateral
    # trade turnover" one of the trade turnover with the EU.
    assert hits(kb, seeded_db, "external", "--type", "metric") == [
        ("metric", "eu-share-of-foreign-trade", None)
    ]
    assert set(hits(kb, seeded_db, "turnover", "--type", "metric")) == {
        ("metric", slug, None)
        for slug in ("eu-trade-turnover", "eu-trade-turnover-change", "eu-trade-turnover-growth",
                     "eu-share-of-foreign-trade")
    }  # fmt: skip
    (metric,) = found(kb, seeded_db, "EPCA", "--type", "metric")
    assert metric["slug"] == "epca-areas-covered"
    assert "«EPCA»" in metric["snippet"]


def test_sources_are_found_by_title(kb: Kb, seeded_db: str) -> None:
    assert hits(kb, seeded_db, "diplomatic", "relations", "--type", "source") == [
        ("source", ARTICLE, ARTICLE)
    ]


def test_limit_keeps_the_best_hits(kb: Kb, seeded_db: str) -> None:
    # Both rankings put first the event that names hydrogen twice in a short text.
    assert hits(kb, seeded_db, "hydrogen", "--limit", "1") == [
        ("event", "jjtv-kz-eu-critical-minerals-agreement", ARTICLE)
    ]
    assert hits(kb, seeded_db, "invest*", "--limit", "3") == hits(kb, seeded_db, "invest*")[:3]


def test_every_snippet_marks_the_match(kb: Kb, seeded_db: str) -> None:
    for hit in found(kb, seeded_db, "hydrogen"):
        assert "«hydrogen»" in hit["snippet"]
    for hit in found(kb, seeded_db, "invest*"):
        assert "«invest" in hit["snippet"].lower()


def test_json_carries_type_slug_source_snippet_and_rank_best_first(kb: Kb, seeded_db: str) -> None:
    results = found(kb, seeded_db, "hydrogen")
    assert [list(hit) for hit in results] == [["type", "slug", "source", "snippet", "rank"]] * 3
    ranks = [hit["rank"] for hit in results]
    assert all(isinstance(rank, float) for rank in ranks)
    assert ranks == sorted(ranks)


# --- output formats -----------------------------------------------------------------------------


def test_text_output_shows_each_hit_and_its_snippet(kb: Kb, seeded_db: str, backend: str) -> None:
    assert ok(kb("search", "hydrogen", db=seeded_db)) == HYDROGEN_TEXT[backend]
    assert ok(kb("search", "Jankauskas", db=seeded_db)) == JANKAUSKAS_TEXT


def test_jsonl_and_csv_carry_the_same_hits(kb: Kb, seeded_db: str) -> None:
    expected = found(kb, seeded_db, "hydrogen")
    jsonl = ok(kb("search", "hydrogen", "--format", "jsonl", db=seeded_db))
    assert [json.loads(line) for line in jsonl.splitlines()] == expected
    rows = list(
        csv.DictReader(io.StringIO(ok(kb("search", "hydrogen", "--format", "csv", db=seeded_db))))
    )
    assert [(row["type"], row["slug"], row["source"], row["snippet"]) for row in rows] == [
        (hit["type"], hit["slug"], hit["source"], hit["snippet"]) for hit in expected
    ]


def test_no_match_says_so_on_stderr(kb: Kb, seeded_db: str) -> None:
    result = kb("search", "helium", db=seeded_db)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no matches\n")
    assert found(kb, seeded_db, "helium") == []


def test_an_empty_database_has_no_matches(kb: Kb, empty_db: str) -> None:
    assert found(kb, empty_db, "hydrogen") == []


# --- anything a user types is safe ------------------------------------------------------------


# One database for all of them (a PostgreSQL database per case would cost a second each).
HOSTILE = {
    '"hydrogen': HYDROGEN,
    'hydrogen"': HYDROGEN,
    '"': set(),
    '""': set(),
    "(hydrogen": HYDROGEN,
    "hydrogen)": HYDROGEN,
    "-hydrogen": HYDROGEN,
    "hydrogen*": HYDROGEN,
    "*": set(),
    "-": set(),
    ":": set(),
    "text:hydrogen": set(),
    "^hydrogen": HYDROGEN,
    # Operators are words: each of these texts holds "and"; none holds "or" or "not".
    "hydrogen AND": HYDROGEN,
    "hydrogen OR helium": set(),
    "hydrogen NOT green": set(),
    "NOT hydrogen": set(),
    "NEAR(hydrogen green)": set(),
    "NEAR": set(),
    "hydrogen + {green}": HYDROGEN - {h for h in HYDROGEN if h[1].startswith("kazinform")},
    "O'Brien's \\ hydrogen": set(),
    "": set(),
    "½ ・ ⁂": set(),
}


def test_any_text_is_a_valid_query(kb: Kb, seeded_db: str) -> None:
    assert {query: set(hits(kb, seeded_db, query)) for query in HOSTILE} == HOSTILE


def test_raw_passes_the_databases_own_syntax(kb: Kb, seeded_db: str, backend: str) -> None:
    assert set(hits(kb, seeded_db, "--raw", RAW_QUERIES[backend])) == {
        hit for hit in HYDROGEN if hit[1].startswith("kazinform")
    }


def test_raw_syntax_errors_are_explained(kb: Kb, seeded_db: str, backend: str) -> None:
    assert error(kb("search", "--raw", "(", db=seeded_db)) == RAW_ERRORS[backend]


# --- help and errors ------------------------------------------------------------------------------


def test_help_ends_with_examples_that_run(seeded_sqlite: Path) -> None:
    runner = CliRunner()
    text = runner.invoke(cli, ["search", "--help"]).stdout
    examples = text[text.index("  Examples:\n") :].splitlines()[1:]
    assert [line.strip() for line in examples] == [
        "kb search Jankauskas",
        "kb search Jankauskas investment --type quote",
        "kb search '\"partnership and cooperation agreement\"' --type event",
        "kb search 'invest*' --type figure --limit 3 --format json",
        "kb search 'foreign trade' --type metric",
        "kb search --raw 'hydrogen NOT green'",
    ]
    outputs = [
        runner.invoke(cli, [*shlex.split(line)[1:], "--db", str(seeded_sqlite)])
        for line in examples
    ]
    assert [result.exit_code for result in outputs] == [0, 0, 0, 0, 0, 0]
    assert outputs[0].stdout == JANKAUSKAS_TEXT
    assert outputs[1].stdout.count("Kestutis «Jankauskas»: ") == 2
    assert len(json.loads(outputs[3].stdout)["hits"]) == 3


def test_an_unknown_type_is_a_usage_error(kb: Kb, seeded_db: str) -> None:
    result = kb("search", "hydrogen", "--type", "party", db=seeded_db)
    assert result.exit_code == 2
    message = "'party' is not one of 'quote', 'figure', 'event', 'source', 'person', 'metric'"
    assert message in result.stderr


def test_limit_must_be_positive(kb: Kb, seeded_db: str) -> None:
    result = kb("search", "hydrogen", "--limit", "0", db=seeded_db)
    assert result.exit_code == 2
    assert "0 is not in the range x>=1" in result.stderr


def test_a_database_without_the_index_is_told_to_upgrade(
    kb: Kb, seeded_sqlite: Path, engine_for: Callable[..., Any]
) -> None:
    from kb.migrating import downgrade

    downgrade(engine_for(seeded_sqlite), "0001")
    assert "is at schema revision 0001 but this kb needs" in error(
        kb("search", "hydrogen", db=seeded_sqlite)
    )
