"""`kb draft` measured: precision and recall per record type stay above stated floors.

The floors sit a little below what the extractor achieves (benchmarks/draft_eval.py prints the
numbers): the development set it was tuned on, the held-out texts (tuned on after a first run),
the blind texts (written last; a few general fixes followed their first run) and the seed
article against its curators' records, where events are the hard part (the curators inferred
dates the text does not print).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kb.draft import Article, draft, read_article
from kb.draft.linking.naming import acceptable
from kb.draft.scoring import (
    Expected,
    Tally,
    curated_expected,
    evaluate,
    load_expected,
    score,
    total,
)
from kb.names import DEMONYMS, fold
from kb.paths import data_dir

DATA = Path(__file__).parent / "data" / "draft"
SEED = "jjtv-2023-02-02-kazakhstan-eu-30-years"

# (precision, recall) floors per record type.
FLOORS: dict[str, dict[str, tuple[float, float]]] = {
    "devset": {
        "quotes": (0.95, 0.95),
        "people": (0.95, 0.95),
        "figures": (0.95, 0.95),
        "events": (0.90, 0.90),
    },
    "heldout": {
        "quotes": (0.90, 0.90),
        "people": (0.90, 0.90),
        "figures": (0.90, 0.90),
        "events": (0.90, 0.85),
    },
    "blind": {
        "quotes": (0.85, 0.85),
        "people": (0.85, 0.85),
        "figures": (0.90, 0.90),
        "events": (0.75, 0.50),
    },
    # News copy in four styles (tests/data/draft/news): tuned on dev; the blind floors are the
    # ones issue 15 set.
    "news/dev": {
        "quotes": (0.95, 0.95),
        "people": (0.95, 0.95),
        "figures": (0.95, 0.95),
        "events": (0.80, 0.75),
    },
    "news/blind": {
        "quotes": (0.90, 0.90),
        "people": (0.95, 0.95),
        "figures": (0.90, 0.90),
        "events": (0.75, 0.75),
    },
}
MINIMUM_TEXTS = {"devset": 15, "heldout": 6, "blind": 6, "news/dev": 8, "news/blind": 8}
STYLES = {"wire", "ministry", "press", "summit"}
SEED_FLOORS = {
    "quotes": (1.0, 1.0),
    "people": (1.0, 1.0),
    "figures": (1.0, 1.0),
    "events": (0.75, 0.5),
}


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_scores_stay_above_floors(name: str) -> None:
    cases = evaluate(DATA / name)
    assert len(cases) >= MINIMUM_TEXTS[name]
    tallies = total([case.tallies for case in cases])
    for record_type, (precision, recall) in FLOORS[name].items():
        tally = tallies[record_type]
        assert tally.expected > 0, record_type
        assert tally.precision >= precision, (record_type, tally.precision)
        assert tally.recall >= recall, (record_type, tally.recall)


def test_development_texts_are_short_and_have_expectations() -> None:
    for path in sorted((DATA / "devset").glob("*.txt")):
        assert 80 <= len(path.read_text(encoding="utf-8").split()) <= 250, path.name
        assert path.with_suffix(".expected.yaml").is_file(), path.name


def test_seed_against_the_curators_records() -> None:
    drafted = draft(read_article(data_dir("seeds") / f"{SEED}.txt", published="2023-02-02"))
    curated = curated_expected(
        data_dir("seeds_data") / f"{SEED}.yaml", "jjtv-kazakhstan-eu-30-years"
    )
    tallies = score(drafted, curated)
    for record_type, (precision, recall) in SEED_FLOORS.items():
        assert tallies[record_type].precision >= precision, record_type
        assert tallies[record_type].recall >= recall, record_type


# The scoring itself --------------------------------------------------------------------------


def _draft(body: str) -> Article:
    return Article(f"Headline\n\n{body}\n", "a.txt", "0" * 64, "a")


def test_a_quote_needs_the_right_speaker_to_match() -> None:
    drafted = draft(_draft("“Prices will fall next year,” said Ana Lind, the minister."))
    right = Expected(quotes=[{"text": "Prices will fall next year", "speaker": "Ana Lind"}])
    wrong = Expected(quotes=[{"text": "Prices will fall next year", "speaker": "Ola Berg"}])
    assert score(drafted, right)["quotes"].matched == 1
    tally = score(drafted, wrong)["quotes"]
    assert (tally.matched, tally.precision, tally.recall) == (0, 0.0, 0.0)


def test_a_figure_needs_surface_value_and_unit() -> None:
    drafted = draft(_draft("The bank lent €12 million to 30 farms."))
    expected = Expected(
        figures=[
            {"surface": "€12 million", "kind": "amount", "value": 12e6, "unit": "EUR"},
            {"surface": "30", "kind": "count", "value": 30, "unit": "dairy farms"},
            {"surface": "€12 million", "kind": "amount", "value": 12e6, "unit": "USD"},
        ]
    )
    tally = score(drafted, expected)["figures"]
    assert (tally.predicted, tally.expected, tally.matched) == (2, 3, 2)
    assert tally.recall == pytest.approx(2 / 3)


def test_matching_is_one_to_one_and_attributes_are_counted() -> None:
    drafted = draft(_draft("Ruritania and Estmark signed a pact on 3 May 2021."))
    expected = Expected(
        events=[
            {"evidence": "signed a pact", "kind": "meeting", "date": "2021-05-03"},
            {"evidence": "signed a pact", "kind": "signing", "date": "2021-05-03"},
        ]
    )
    tally = score(drafted, expected)["events"]
    assert (tally.matched, tally.precision, tally.recall) == (1, 1.0, 0.5)
    assert tally.attributes["kind"] == [0, 1]


def test_tally_arithmetic() -> None:
    tally = Tally(predicted=4, expected=5, matched=3)
    assert (tally.precision, tally.recall) == (0.75, 0.6)
    assert tally.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Tally().precision == Tally().recall == 1.0


@pytest.mark.parametrize("name", ["news/dev", "news/blind"])
def test_news_sets_hold_every_style_twice(name: str) -> None:
    styles = [load_expected(path).style for path in sorted((DATA / name).glob("*.yaml"))]
    assert {style: styles.count(style) for style in STYLES} == {
        style: max(2, styles.count(style)) for style in STYLES
    }
    assert set(styles) == STYLES


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_metrics_name_what_is_measured(name: str) -> None:
    """No drafted metric is named by a party alone, or opens with a verb or a pronoun."""
    for case in evaluate(DATA / name):
        parties = {fold(party.fields["name"]) for party in case.draft.of_type("party")}
        for metric in case.draft.of_type("metric"):
            metric_name = metric.fields["name"]
            assert fold(metric_name) not in parties | set(DEMONYMS), (case.name, metric_name)
            assert acceptable(metric_name), (case.name, metric_name)
