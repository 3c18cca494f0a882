"""The figure rule in Python (kb.queries.conflicts.pairing): each way of finding the pairs of a
group (by time, by value, focus against members, all pairs) gives exactly the pairs that the
plain rule gives when every pair is compared, in groups built to make each way the cheapest."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from kb.queries.conflicts.pairing import Member, below, conflict, pairs
from kb.queries.conflicts.times import Span, figure_span

QUALIFIERS = ("exact", "about", "more_than", "at_least", "less_than", "at_most")


def member(index: int, value: float, qualifier: str = "exact", **time: str | None) -> Member:
    """A figure of one group: `time` as as_of, start and end."""
    span = figure_span(time.get("as_of"), time.get("start"), time.get("end"))
    low = -math.inf if qualifier in ("less_than", "at_most") else value
    high = math.inf if qualifier in ("more_than", "at_least") else value
    return Member(index, ("source", index, index), span, low, high)


def random_member(rng: random.Random, index: int, *, spread: float) -> Member:
    """A figure with a random time (as of a date, a period with either end open, or none),
    value and qualifier."""

    def date() -> str:
        year = str(rng.randrange(2000, 2006))
        return rng.choice(
            [year, f"{year}-0{rng.randrange(1, 10)}", f"{year}-03-1{rng.randrange(10)}"]
        )

    time: dict[str, str | None] = {}
    shape = rng.random()
    if shape < 0.3:
        time["as_of"] = date()
    elif shape < 0.85:
        start, end = sorted((date(), date()))
        time["start"] = start if rng.random() < 0.7 else None
        time["end"] = end if rng.random() < 0.7 else None
    value = rng.choice([100.0, 90.0, 0.0, -50.0, rng.uniform(-spread, spread)])
    return member(index, value, rng.choice(QUALIFIERS), **time)


def plain(members: list[Member], tolerance: float) -> set[tuple[int, int]]:
    """Every pair that conflicts, found by comparing every pair."""
    return {
        (a.id, b.id) for a, b in itertools.combinations(members, 2) if conflict(a, b, tolerance)
    }


@pytest.mark.parametrize("size", [2, 12, 40, 150])
@pytest.mark.parametrize("tolerance", [0.0, 0.1, 0.5, 0.999, 1.0, 1.7])
def test_every_way_finds_the_pairs_the_plain_rule_finds(size: int, tolerance: float) -> None:
    rng = random.Random(size * 1000 + int(tolerance * 100))
    for _ in range(20):
        members = [random_member(rng, i, spread=rng.choice([5, 120, 1e6])) for i in range(size)]
        expected = plain(members, tolerance)
        found = [(a.id, b.id) for a, b in pairs(members, tolerance)]
        assert sorted(found) == sorted(expected)  # each pair once
        focus = set(rng.sample(range(size), rng.randrange(size + 1)))
        focused = [(a.id, b.id) for a, b in pairs(members, tolerance, focus)]
        assert sorted(focused) == sorted(p for p in expected if p[0] in focus or p[1] in focus)


def test_the_earlier_in_kb_figures_order_comes_first() -> None:
    late, early = member(2, 100.0), member(1, 200.0)
    assert [(a.id, b.id) for a, b in pairs([late, early], 0.1)] == [(1, 2)]


def test_a_time_series_is_paired_by_time_and_agreeing_levels_by_value() -> None:
    # Yearly levels that grow: most pairs disagree in value, few overlap in time, so the
    # sweep by time finds the one conflict (two sources' values for 2010).
    series = [member(i, 100.0 * 1.5**i, as_of=str(2000 + i)) for i in range(60)]
    series.append(member(60, 1.0, as_of="2010"))
    assert [(a.id, b.id) for a, b in pairs(series, 0.1)] == [(10, 60)]
    # Levels of all time that agree: every pair overlaps in time, none differs in value.
    agreeing = [member(i, 100.0 + i / 100) for i in range(60)]
    agreeing.append(member(60, 500.0))
    assert len(list(pairs(agreeing, 0.1))) == 60


@pytest.mark.parametrize(
    ("low", "high", "tolerance", "expected"),
    [
        (90.0, 100.0, 0.1, False),  # exactly 10 % apart: within the tolerance
        (89.99, 100.0, 0.1, True),
        (-5.0, 5.0, 0.1, True),  # opposite signs: 200 % apart
        (-100.0, -90.0, 0.1, False),
        (-100.0, -89.0, 0.1, True),
        (0.0, 1e-300, 0.5, True),
    ],
)
def test_below_is_the_relative_gap(
    low: float, high: float, tolerance: float, expected: bool
) -> None:
    a = Member(1, ("s", 1, 1), Span("", "~"), low, low)
    b = Member(2, ("s", 2, 2), Span("", "~"), high, high)
    assert below(a, b, tolerance) is expected


def test_rounding_in_the_bisection_hides_no_pair() -> None:
    # 242.35893561418982 is more than 30 % below 346.22705087741406 by the rule's own
    # arithmetic, though not below 346.22705087741406 * 0.7 as floating point computes it:
    # the bisection's threshold is widened, the rule decides.
    low, high = 242.35893561418982, 346.22705087741406
    group = [member(0, low)] + [member(i, high) for i in range(1, 31)]
    assert below(group[0], group[1], 0.3)
    assert len(list(pairs(group, 0.3))) == 30
