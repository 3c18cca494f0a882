"""Conflict rules on small collections built for the purpose: what is compared, and when.

A test writes a JSON Lines collection into tmp_path (helpers.facts), loads it with the real
loader into a fresh database (SQLite and PostgreSQL) and checks what kb.queries.conflicts
reports. A table of cases is loaded as one collection: each case's slugs and metrics carry its
own tag, so cases never meet.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.facts import Fact, figure, happening, untagged, write_collection
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from kb import queries
from kb.errors import KbError
from kb.loader import load
from kb.queries.conflicts import conflicts

Pairs = list[tuple[str, str]]


Build = Callable[..., Engine]


@pytest.fixture
def build(empty_db: str, engine_for: Callable[[str | Path], Engine], tmp_path: Path) -> Build:
    """Load facts into a fresh database (once per test) and return an engine on it."""

    def load_facts(*facts: Fact) -> Engine:
        engine = engine_for(empty_db)
        write_collection(tmp_path / "data", list(facts))
        load(engine, tmp_path / "data")
        return engine

    return load_facts


def found(engine: Engine, **options: Any) -> list[dict[str, Any]]:
    """The conflicts kb finds with `options`."""
    with engine.connect() as connection:
        return conflicts(connection, **options)


def pairs(engine: Engine, **options: Any) -> Pairs:
    """(side a, side b) slugs of each conflict."""
    return [(c["a_slug"], c["b_slug"]) for c in found(engine, **options)]


def pair(conflict: dict[str, Any]) -> tuple[str, str]:
    """The slugs of both sides of a conflict, untagged."""
    return untagged(conflict["a_slug"]), untagged(conflict["b_slug"])


def by_case(
    build: Build,
    cases: dict[str, tuple[list[Fact], list[Any]]],
    summary: Callable[[dict[str, Any]], Any] = pair,
) -> dict[str, list[Any]]:
    """Load every case (tagged c0, c1, …) as one collection; the conflicts found in each case,
    each as `summary` gives it."""
    tags = {f"c{n}": name for n, name in enumerate(cases)}
    engine = build(*(f.tagged(tag) for tag, name in tags.items() for f in cases[name][0]))
    found_by_case: dict[str, list[Any]] = {name: [] for name in cases}
    for conflict in found(engine):
        found_by_case[tags[conflict["a_slug"].split("-")[0]]].append(summary(conflict))
    return found_by_case


def expected(cases: dict[str, tuple[list[Fact], list[Any]]]) -> dict[str, list[Any]]:
    """What each case expects to find."""
    return {name: pairs for name, (_facts, pairs) in cases.items()}


# --- figures: what counts as the same thing -----------------------------------------------------

CLASH = [("f1", "f2")]

SAME_THING = {
    "same thing across sources": ([figure("f1", 100), figure("f2", 150, source="beta")], CLASH),
    "same thing within one source": ([figure("f1", 100), figure("f2", 150)], CLASH),
    "another metric": ([figure("f1", 100), figure("f2", 150, metric="eu-investments")], []),
    # Figures are compared because they name one metric record, never because words match.
    "another metric of the same name": (
        [figure("f1", 100), figure("f2", 150, metric="eu-investment-too")], []),
    "another subject": ([figure("f1", 100), figure("f2", 150, subject="the-union")], []),
    "no subject on either side": (
        [figure("f1", 100, subject=None), figure("f2", 150, subject=None)], CLASH),
    "no subject on one side": ([figure("f1", 100), figure("f2", 150, subject=None)], []),
    "another currency": ([figure("f1", 100), figure("f2", 150, unit="EUR")], []),
    "unknown currencies": (
        [figure("f1", 100, unit="unknown"), figure("f2", 150, unit="unknown")], []),
    # (A metric has one kind, so two figures of one metric never differ in kind.)
    "counts of the same thing": (
        [figure("f1", 3000, kind="count", unit="companies", qualifier="about"),
         figure("f2", 6000, kind="count", unit="companies", qualifier="almost")], CLASH),
}  # fmt: skip


def test_figures_are_compared_when_they_measure_the_same_thing(build: Build) -> None:
    assert by_case(build, SAME_THING) == expected(SAME_THING)


# --- figures: periods ---------------------------------------------------------------------------

PERIODS = {
    "years apart": ([figure("f1", 100, start="2019", end="2019"),
                     figure("f2", 150, start="2020", end="2020")], []),
    "a year holds its days": ([figure("f1", 100, start="2020", end="2020"),
                               figure("f2", 150, start="2020-06-30", end="2020-06-30")], CLASH),
    "a year holds its months": ([figure("f1", 100, end="2020"),
                                 figure("f2", 150, start="2020-12")], CLASH),
    "months apart": ([figure("f1", 100, end="2020-02"), figure("f2", 150, start="2020-03")], []),
    "days apart": ([figure("f1", 100, end="2020-02-29"),
                    figure("f2", 150, start="2020-03-01")], []),
    "no start: open before the end": ([figure("f1", 100, end="2020"),
                                       figure("f2", 150, start="1990", end="1990")], CLASH),
    "no end: open after the start": ([figure("f1", 100, start="1990"),
                                      figure("f2", 150, start="2020", end="2020")], CLASH),
    "open periods that do not meet": ([figure("f1", 100, end="2020"),
                                       figure("f2", 150, start="2021")], []),
    "no period overlaps every period": ([figure("f1", 100),
                                         figure("f2", 150, start="1990", end="1991")], CLASH),
}  # fmt: skip


def test_figures_are_compared_when_their_periods_overlap(build: Build) -> None:
    assert by_case(build, PERIODS) == expected(PERIODS)


# --- figures: levels as of a date ---------------------------------------------------------------

AS_OF = {
    "as of different years": ([figure("f1", 50, as_of="2017"), figure("f2", 33, as_of="2023")],
                              []),
    "as of different days": ([figure("f1", 50, as_of="2023-02-02"),
                              figure("f2", 33, as_of="2023-05-15")], []),
    "as of a year holds its days": ([figure("f1", 50, as_of="2023"),
                                     figure("f2", 33, as_of="2023-02-02")], CLASH),
    "as of a month holds its days": ([figure("f1", 50, as_of="2023-02"),
                                      figure("f2", 33, as_of="2023-02-28")], CLASH),
    "as of the next day": ([figure("f1", 50, as_of="2023-02"),
                            figure("f2", 33, as_of="2023-03-01")], []),
    "as of the same day": ([figure("f1", 50, as_of="2023-02-02"),
                            figure("f2", 33, as_of="2023-02-02", source="beta")], CLASH),
    "a level within a period": ([figure("f1", 50, start="2020", end="2023"),
                                 figure("f2", 33, as_of="2021-06-30")], CLASH),
    "a level after a period": ([figure("f1", 50, end="2020"), figure("f2", 33, as_of="2021")], []),
    "a level before an open period": ([figure("f1", 50, as_of="2019-12-31"),
                                       figure("f2", 33, start="2020")], []),
    "a level and a figure of all time": ([figure("f1", 50, as_of="2017"), figure("f2", 33)],
                                         CLASH),
}  # fmt: skip


def test_levels_as_of_a_date_are_compared_when_their_dates_overlap(build: Build) -> None:
    # A level as of 2017 and one as of 2023 never conflict; overlapping as-of dates at
    # different precisions do.
    assert by_case(build, AS_OF) == expected(AS_OF)


# --- figures: values, qualifiers and tolerance -------------------------------------------------

VALUES = {
    "8.3% apart: within the tolerance": ([figure("f1", 100), figure("f2", 109)], []),
    "10.7% apart: beyond it": ([figure("f1", 100), figure("f2", 112)], CLASH),
    "exactly 10% apart is within it": ([figure("f1", 90), figure("f2", 100)], []),
    "more than 100, about 120": ([figure("f1", 100, qualifier="more_than"),
                                  figure("f2", 120, qualifier="about")], []),
    "more than 160bn, almost 77bn": ([figure("f1", 160e9, qualifier="more_than"),
                                      figure("f2", 77e9, qualifier="almost")], CLASH),
    "at most 50, at least 60": ([figure("f1", 50, qualifier="at_most"),
                                 figure("f2", 60, qualifier="at_least")], CLASH),
    "at most 50, at least 54: near enough": ([figure("f1", 50, qualifier="at_most"),
                                              figure("f2", 54, qualifier="at_least")], []),
    "less than 100, exactly 80": ([figure("f1", 100, qualifier="less_than"),
                                   figure("f2", 80)], []),
    "less than 100, exactly 120": ([figure("f1", 100, qualifier="less_than"),
                                    figure("f2", 120)], CLASH),
    "bounds on the same side meet": ([figure("f1", 10, qualifier="at_least"),
                                      figure("f2", 500, qualifier="more_than")], []),
    "almost 100, exactly 92": ([figure("f1", 100, qualifier="almost"), figure("f2", 92)], []),
    "almost 100, exactly 85": ([figure("f1", 100, qualifier="almost"), figure("f2", 85)], CLASH),
    "changes of opposite sign": ([figure("f1", -5, kind="change", unit="percent"),
                                  figure("f2", 5, kind="change", unit="percent")], CLASH),
}  # fmt: skip


def test_figures_conflict_when_their_ranges_are_too_far_apart(build: Build) -> None:
    assert by_case(build, VALUES) == expected(VALUES)


def test_tolerance_in_percent(build: Build) -> None:
    engine = build(figure("f1", 100), figure("f2", 112))  # 10.71% apart
    found_by_tolerance = {t: pairs(engine, tolerance=t) for t in (0, 10, 10.7, 10.8, 15)}
    assert found_by_tolerance == {0: CLASH, 10: CLASH, 10.7: CLASH, 10.8: [], 15: []}
    assert pairs(engine) == CLASH  # 10% by default


def test_a_zero_tolerance_still_lets_equal_values_agree(build: Build) -> None:
    engine = build(figure("f1", 100), figure("f2", 100), figure("f3", 100.5))
    assert pairs(engine, tolerance=0) == [("f1", "f3"), ("f2", "f3")]


@pytest.mark.parametrize("tolerance", [-1, float("nan"), float("inf")])
def test_a_tolerance_must_be_a_percentage(
    empty_db: str, engine_for: Callable[[str | Path], Engine], tolerance: float
) -> None:
    engine = engine_for(empty_db)
    with pytest.raises(
        KbError, match=r"^Tolerance must be a percentage of 0 or more \(e\.g\. 10\)"
    ):
        found(engine, tolerance=tolerance)


REASONS = {
    "two values": ([figure("f1", 100), figure("f2", 120)],
                   ["100 and 120 do not meet: 16.7% apart, more than the 10% tolerance"]),
    "closed bounds": ([figure("f1", 50, qualifier="at_most"),
                       figure("f2", 60, qualifier="at_least")],
                      ["(-∞, 50] and [60, ∞) do not meet: 16.7% apart, "
                       "more than the 10% tolerance"]),
    "open bounds": ([figure("f1", 160e9, qualifier="more_than"),
                     figure("f2", 1.2e11, qualifier="less_than")],
                    ["(1.6e11, ∞) and (-∞, 1.2e11) do not meet: 25% apart, "
                     "more than the 10% tolerance"]),
    "a fraction": ([figure("f1", 33.3333, kind="share", unit="percent"),
                    figure("f2", 0.5, kind="share", unit="percent")],
                   ["33.3333 and 0.5 do not meet: 98.5% apart, more than the 10% tolerance"]),
}  # fmt: skip


def test_the_reason_gives_both_ranges_and_how_far_apart_they_are(build: Build) -> None:
    assert by_case(build, REASONS, lambda c: c["reason"]) == expected(REASONS)


def test_a_figure_conflict_carries_both_sides(build: Build) -> None:
    engine = build(
        # About another subject than f2 and f3, so never compared with them.
        figure("f1", 100, qualifier="more_than", start="2019", end="2020-06", said=True),
        figure("f2", 50, source="beta", subject="the-union", end="2020-03-01"),
        figure("f3", 40, source="beta", subject="the-union", qualifier="about", as_of="2020-01"),
    )
    (conflict,) = found(engine, tolerance=15)
    assert conflict == {
        "type": "figure", "what": "EU investment",
        "reason": "50 and 40 do not meet: 20% apart, more than the 15% tolerance",
        "subject_slug": "the-union", "subject_name": "The Union",
        "metric_slug": "eu-investment", "metric_name": "EU investment", "kind": "amount",
        "unit": "USD", "gap_percent": 20.0, "tolerance_percent": 15.0,
        "a_slug": "f2", "a_stated": "50", "a_surface": "50", "a_value": 50.0,
        "a_qualifier": "exact", "a_period_start": None, "a_period_start_precision": None,
        "a_period_start_inferred": False, "a_period_end": "2020-03-01",
        "a_period_end_precision": "day", "a_period_end_inferred": False, "a_as_of": None,
        "a_as_of_precision": None, "a_as_of_inferred": False, "a_source_slug": "beta",
        "a_quote_slug": None, "a_speaker_slug": None, "a_speaker_name": None,
        "a_low": 50.0, "a_high": 50.0,
        "b_slug": "f3", "b_stated": "about 40", "b_surface": "40", "b_value": 40.0,
        "b_qualifier": "about", "b_period_start": None, "b_period_start_precision": None,
        "b_period_start_inferred": False, "b_period_end": None, "b_period_end_precision": None,
        "b_period_end_inferred": False, "b_as_of": "2020-01", "b_as_of_precision": "month",
        "b_as_of_inferred": False, "b_source_slug": "beta", "b_quote_slug": None,
        "b_speaker_slug": None, "b_speaker_name": None, "b_low": 40.0, "b_high": 40.0,
    }  # fmt: skip


def test_a_figure_in_a_quote_is_stated_by_its_speaker(build: Build) -> None:
    engine = build(
        figure("f1", 100, qualifier="at_least", said=True), figure("f2", 50, source="beta")
    )
    (conflict,) = found(engine)
    assert (conflict["a_slug"], conflict["a_stated"], conflict["a_low"], conflict["a_high"]) == (
        "f1",
        "at least 100",
        100.0,
        None,
    )
    assert (conflict["a_quote_slug"], conflict["a_speaker_slug"], conflict["a_speaker_name"]) == (
        "quote-f1",
        "anna-berg",
        "Anna Berg",
    )
    assert (conflict["b_quote_slug"], conflict["b_speaker_slug"]) == (None, None)


def test_every_disagreeing_pair_of_a_group_is_reported(build: Build) -> None:
    engine = build(
        figure("f1", 100), figure("f2", 104), figure("f3", 150, source="beta"), figure("f4", 151)
    )
    # Side a is the first in kb figures' order (source, then position); pairs follow it.
    assert pairs(engine) == [("f1", "f4"), ("f1", "f3"), ("f2", "f4"), ("f2", "f3")]


# --- events -------------------------------------------------------------------------------------

EVENT_CASES = {
    "a year holds its days": ([happening("e1", "1995"),
                               happening("e2", "1995-01-23", source="beta", same_as="e1")], []),
    "a month holds its days": ([happening("e1", "1995-01"),
                                happening("e2", "1995-01-31", source="beta", same_as="e1")], []),
    "years apart": ([happening("e1", "2015-12-21"),
                     happening("e2", "2005", source="beta", same_as="e1")], [("e2", "e1")]),
    "a month and the next day": ([happening("e1", "1995-01"),
                                  happening("e2", "1995-02-01", source="beta", same_as="e1")],
                                 [("e1", "e2")]),
    "the same day": ([happening("e1", "1993-02-02"),
                      happening("e2", "1993-02-02", source="beta", same_as="e1")], []),
    "an undated record never conflicts": (
        [happening("e1"), happening("e2", "2020-03-01", source="beta", same_as="e1")], []),
    "records not linked": ([happening("e1", "2005"), happening("e2", "2015", source="beta")], []),
    "a chain links all its records": (
        [happening("e1", "2005"), happening("e2", "2015", source="beta", same_as="e1"),
         happening("e3", "2015-12", source="gamma", same_as="e2")],
        [("e1", "e2"), ("e1", "e3")]),
    "records linked to one record are linked": (
        [happening("e1"), happening("e2", "2015", source="beta", same_as="e1"),
         happening("e3", "2005", source="gamma", same_as="e1")], [("e3", "e2")]),
    "a cycle is one group": (
        [happening("e1", "2005", same_as="e2"), happening("e2", "2015", source="beta",
                                                          same_as="e1")], [("e1", "e2")]),
    "groups are apart": (
        [happening("e1", "2005"), happening("e2", "2005", source="beta", same_as="e1"),
         happening("e3", "2015", source="gamma", same_as="e2"),
         happening("e4", "1990"), happening("e5", "1990-05", source="beta", same_as="e4")],
        [("e1", "e3"), ("e2", "e3")]),
}  # fmt: skip


def test_linked_records_conflict_when_their_dates_do_not_overlap(build: Build) -> None:
    assert by_case(build, EVENT_CASES) == expected(EVENT_CASES)


def test_an_event_conflict_carries_both_sides(build: Build) -> None:
    engine = build(
        happening("e1", "2015-12", source="beta"),
        happening("e2", "2005", same_as="e1", said=True),
    )
    assert found(engine) == [
        {
            "type": "event", "what": "Event e2",
            "reason": "the year 2005 and the month 2015-12 do not overlap", "kind": "signing",
            "a_slug": "e2", "a_stated": "2005", "a_name": "Event e2", "a_date": "2005",
            "a_date_precision": "year", "a_date_inferred": False, "a_source_slug": "alpha",
            "a_quote_slug": "quote-e2", "a_speaker_slug": "anna-berg",
            "a_speaker_name": "Anna Berg",
            "b_slug": "e1", "b_stated": "2015-12", "b_name": "Event e1", "b_date": "2015-12",
            "b_date_precision": "month", "b_date_inferred": False, "b_source_slug": "beta",
            "b_quote_slug": None, "b_speaker_slug": None, "b_speaker_name": None,
        }
    ]  # fmt: skip


# --- options ------------------------------------------------------------------------------------


@pytest.fixture
def mixed(build: Build) -> Engine:
    """Figure and event conflicts about Ruritania and about the Union."""
    return build(
        figure("r1", 100), figure("r2", 200),
        figure("u1", 100, subject="the-union"), figure("u2", 200, subject="the-union"),
        happening("er1", "2005"), happening("er2", "2015", source="beta", same_as="er1"),
        happening("eu1", "2001", party="the-union"),
        happening("eu2", "2002", source="beta", same_as="eu1", party="ruritania"),
    )  # fmt: skip


ALL = [("r1", "r2"), ("u1", "u2"), ("eu1", "eu2"), ("er1", "er2")]


def test_type_and_subject_options(mixed: Engine) -> None:
    options: list[dict[str, str]] = [
        {}, {"only": "figure"}, {"only": "event"}, {"subject": "ruritania"}, {"subject": "Union"},
        {"subject": "the-union", "only": "event"},
    ]  # fmt: skip
    assert [pairs(mixed, **o) for o in options] == [
        ALL,
        ALL[:2],
        ALL[2:],
        [("r1", "r2"), ("eu1", "eu2"), ("er1", "er2")],
        [("u1", "u2"), ("eu1", "eu2")],
        [("eu1", "eu2")],
    ]


def test_unknown_options_are_errors(mixed: Engine) -> None:
    errors = []
    for options in ({"subject": "Rurytania"}, {"subject": "nowhere"}, {"only": "quote"}):
        with pytest.raises(KbError) as caught:
            found(mixed, **options)
        errors.append(str(caught.value))
    assert errors == [
        "Unknown party 'Rurytania'. Did you mean: ruritania? `kb parties` lists them.",
        "Unknown party 'nowhere'. `kb parties` lists them.",
        "Unknown conflict type 'quote': choose figure or event.",
    ]


def test_values_travel_as_bound_parameters(mixed: Engine) -> None:
    # The rule itself runs in Python (kb.queries.conflicts.pairing): the SQL only reads the
    # figures, with the subject's id as a bound parameter.
    seen: list[tuple[str, Any]] = []
    event.listen(mixed, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    assert pairs(mixed, tolerance=12.5, subject="ruritania")
    statements = " ".join(statement for statement, _ in seen)
    assert "12.5" not in statements
    assert "0.125" not in statements
    assert "ruritania" not in statements
    with mixed.connect() as connection:
        ruritania = connection.execute(text("SELECT id FROM parties WHERE slug = 'ruritania'"))
        party = ruritania.scalar_one()
    # SQLite's driver takes a tuple of parameters, psycopg a dict.
    bound = [p for _, ps in seen for p in (ps.values() if isinstance(ps, dict) else ps)]
    assert party in bound


# --- kb figures and kb events mark the rows in conflict ----------------------------------------


def test_figure_and_event_rows_say_what_they_conflict_with(build: Build) -> None:
    engine = build(
        figure("f1", 100), figure("f2", 150, source="beta"), figure("f3", 160),
        figure("f4", 100, metric="eu-trade"),
        happening("e1", "2005"), happening("e2", "2015", source="beta", same_as="e1"),
        happening("e3", "2005"),
    )  # fmt: skip
    with engine.connect() as connection:
        figures = {r["slug"]: (r["in_conflict"], r["conflicts_with"]) for r in
                   queries.figures(connection)}  # fmt: skip
        events = {r["slug"]: (r["in_conflict"], r["conflicts_with"]) for r in
                  queries.events(connection)}  # fmt: skip
        assert queries.figures(connection, source="beta")[0]["conflicts_with"] == ["f1"]
    assert figures == {
        "f1": (True, ["f3", "f2"]),
        "f3": (True, ["f1"]),
        "f4": (False, []),
        "f2": (True, ["f1"]),
    }
    assert events == {"e1": (True, ["e2"]), "e3": (False, []), "e2": (True, ["e1"])}
