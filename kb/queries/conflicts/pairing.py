"""Which figures of one group (the same subject, metric, kind and unit) conflict: pure Python.

Two figures conflict when the times they cover overlap and the ranges of values they allow lie
more than the tolerance apart: a's range wholly below b's (a.high < b.low) with
(b.low - a.high) / max(|a.high|, |b.low|) > tolerance, or the other way round. An unbounded
side is ±inf, which no comparison passes.

Comparing every pair costs n² for a group of n. Two orders find the candidates faster, and
pairs() takes whichever has fewer, after counting both in n log n:
- by time: a sweep in order of first day lists the pairs whose times overlap (a time series
  of yearly levels has few);
- by value: in order of `high`, the figures wholly below b's range by more than the tolerance
  are a prefix (for a tolerance under 100 %), so a bisection finds them (a group of open
  periods that mostly agree has few).
Each candidate is then checked by the full rule. With a `focus`, only pairs with a side in
it are wanted, and comparing the focus with every member may be cheaper still (always, for a
focus of a few: a page's figures in their groups).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterator, Sequence
from typing import NamedTuple

from kb.errors import KbError
from kb.queries.conflicts.times import Span

# How far apart two figures' values may be and agree, in percent of the larger.
DEFAULT_TOLERANCE = 10.0
# Groups this small are compared pair by pair (or focus by member): counting the candidates
# would cost more.
SMALL = 16
# So are this few focused members with every member of a group: counting the candidates costs
# about as much as comparing four members with every member, taking a way costs more again.
FEW = 8
# The bisection's threshold is widened by this fraction, so that floating-point rounding in it
# never hides a pair: the full rule, computed as the SQL of earlier versions computed it,
# decides every candidate.
SLACK = 1e-9


# A figure's place in kb figures' order: (source slug, position in its text, id).
Rank = tuple[str, int, int]


class Member(NamedTuple):
    """What decides a figure's conflicts: its id, its place in kb figures' order, the time it
    covers and the range of values it allows (-inf, +inf: unbounded)."""

    id: int
    rank: Rank
    span: Span
    low: float
    high: float


Pair = tuple[Member, Member]


def check_tolerance(percent: float) -> float:
    """Return `percent` if it is a usable tolerance (a finite number, 0 or more); else KbError."""
    if not math.isfinite(percent) or percent < 0:
        raise KbError(f"Tolerance must be a percentage of 0 or more (e.g. 10), not {percent:g}.")
    return float(percent)


def below(a: Member, b: Member, tolerance: float) -> bool:
    """a's range lies wholly below b's, by more than `tolerance` (a fraction) of the larger
    of the nearest values. For x < y, max(|x|, |y|) is y when y >= -x, else -x."""
    x, y = a.high, b.low
    return x < y and (y - x) / (y if y >= -x else -x) > tolerance


def conflict(a: Member, b: Member, tolerance: float) -> bool:
    """The full rule: overlapping times, ranges too far apart."""
    return a.span.overlaps(b.span) and (below(a, b, tolerance) or below(b, a, tolerance))


def pairs(
    members: Sequence[Member], tolerance: float, focus: Collection[int] | None = None
) -> Iterator[Pair]:
    """Every conflicting pair of one group once, the earlier in kb figures' order first; with
    `focus` (ids), only the pairs with a side in it. Lazy: a caller may stop early."""
    focused = list(members) if focus is None else [m for m in members if m.id in focus]
    if len(members) <= SMALL or len(focused) <= FEW:
        return _by_focus(focused, members, tolerance)
    costs = {"focus": len(focused) * len(members), "time": _time_candidates(members)}
    if tolerance < 1:
        costs["value"] = _value_candidates(members, tolerance)
    way = min(costs, key=costs.__getitem__)
    if way == "focus":
        return _by_focus(focused, members, tolerance)
    every = _by_time(members, tolerance) if way == "time" else _by_value(members, tolerance)
    if focus is None:
        return every
    return (pair for pair in every if pair[0].id in focus or pair[1].id in focus)


def _ordered(a: Member, b: Member) -> Pair:
    """A pair with the earlier member in kb figures' order first."""
    return (a, b) if a.rank < b.rank else (b, a)


def _by_focus(
    focused: Sequence[Member], members: Sequence[Member], tolerance: float
) -> Iterator[Pair]:
    """Each focused member against every member; a pair of two focused ones once."""
    ids = {m.id for m in focused}
    for f in focused:
        for m in members:
            if m.id in ids and m.rank <= f.rank:
                continue  # the same member, or a pair met from its other side
            if conflict(f, m, tolerance):
                yield _ordered(f, m)


def _time_candidates(members: Sequence[Member]) -> int:
    """How many pairs of members cover overlapping times: the candidates _by_time checks."""
    firsts = sorted(m.span.first for m in members)
    lasts = sorted(m.span.last for m in members)
    # For each member, those starting by its end less those ending before its start: every
    # pair counted from both sides, and each member with itself.
    both_ways = sum(
        bisect_right(firsts, m.span.last) - bisect_left(lasts, m.span.first) for m in members
    )
    return (both_ways - len(members)) // 2


def _by_time(members: Sequence[Member], tolerance: float) -> Iterator[Pair]:
    """Sweep in order of first day, keeping the members whose time has not ended: each new
    member overlaps exactly those."""
    order = sorted(members, key=lambda m: m.span.first)
    open_: list[tuple[str, int]] = []  # (last day, index in order): a heap
    for index, b in enumerate(order):
        while open_ and open_[0][0] < b.span.first:
            heapq.heappop(open_)
        for _, other in open_:
            a = order[other]
            if below(a, b, tolerance) or below(b, a, tolerance):
                yield _ordered(a, b)
        heapq.heappush(open_, (b.span.last, index))


def _threshold(low: float, tolerance: float) -> float:
    """Below what `high` a range lies wholly below `low` by more than `tolerance` (< 1),
    widened by SLACK: x < low(1 - t) for low >= 0, x < low / (1 - t) for low < 0."""
    bound = low * (1 - tolerance) if low >= 0 else low / (1 - tolerance)
    return bound + abs(bound) * SLACK + math.ulp(0.0)


def _value_candidates(members: Sequence[Member], tolerance: float) -> int:
    """How many (a, b) have a's `high` under b's threshold: the candidates _by_value checks."""
    highs = sorted(m.high for m in members)
    return sum(
        bisect_left(highs, _threshold(m.low, tolerance)) for m in members if m.low > -math.inf
    )


def _by_value(members: Sequence[Member], tolerance: float) -> Iterator[Pair]:
    """For each b, the members whose range may lie wholly below b's: a prefix in order of
    `high`, checked by the full rule."""
    order = sorted(members, key=lambda m: m.high)
    highs = [m.high for m in order]
    for b in members:
        if b.low == -math.inf:
            continue
        for a in order[: bisect_left(highs, _threshold(b.low, tolerance))]:
            if a.id != b.id and below(a, b, tolerance) and a.span.overlaps(b.span):
                yield _ordered(a, b)
