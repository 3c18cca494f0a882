"""Metrics: the known metric a figure measures (else the draft makes one, see naming).

A metric fits a figure when it has the figure's kind and (if it gives one) unit — the loader
requires both — and its name or an alias shares content words with the figure's words
(kb.names.content_stems, overlap_score). The figure's own clause counts fully, its sentence at
0.8 (its other clauses often hold other figures), and the sentence with the one before it and
the headline at 0.6, so that "It covers 29 areas" after a sentence about the agreement still
finds "Areas covered by the Enhanced Partnership and Cooperation Agreement". The best metric
from THRESHOLD up is linked: metrics are few and each is shared, so a near tie is named in the
comment rather than turned into a new metric. Below it, the draft makes a metric, which later
figures of the same draft may then reuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kb.draft.figures import Figure
from kb.draft.known import KnownMetric
from kb.draft.linking.link import CLOSE, Link
from kb.names import content_stems, overlap_score

THRESHOLD = 0.4
SENTENCE = 0.8
CONTEXT = 0.6


@dataclass
class NewMetric:
    """A metric the draft creates."""

    slug: str
    name: str
    kind: str
    unit: str | None
    evidence: str


def fits(metric: KnownMetric | NewMetric, figure: Figure) -> bool:
    """Whether a figure may name the metric: the same kind, and its unit if it gives one."""
    return metric.kind == figure.kind and (metric.unit is None or metric.unit == figure.unit)


# A metric's wordings are stemmed once per draft, not once per figure.
_stems = lru_cache(maxsize=1 << 14)(content_stems)

Levels = tuple[tuple[float, frozenset[str]], ...]


def levels(clause: str, sentence: str, context: str) -> Levels:
    """The stems of a figure's words at each level, with the weight of a match there."""
    return (
        (1.0, _stems(clause)),
        (SENTENCE, _stems(sentence)),
        (CONTEXT, _stems(sentence) | _stems(context)),
    )


def score(metric: KnownMetric | NewMetric, found: Levels) -> tuple[float, str]:
    """How well the metric's name or an alias fits the figure's words, and which wording."""
    aliases = metric.aliases if isinstance(metric, KnownMetric) else ()
    best, wording = 0.0, metric.name
    for text in (metric.name, *aliases):
        wanted = _stems(text)
        for weight, stems in found:
            value = weight * overlap_score(wanted, stems)
            if value > best:
                best, wording = value, text
    return best, wording


def choose(
    figure: Figure,
    surface: str,
    metrics: list[KnownMetric | NewMetric],
    clause: str,
    sentence: str,
    context: str,
) -> tuple[KnownMetric | NewMetric | None, Link]:
    """The metric to link a figure to (None: none fits), and the link saying why."""
    ranked: list[tuple[float, str, KnownMetric | NewMetric]] = []
    found = levels(clause, sentence, context)
    for metric in metrics:
        if fits(metric, figure):
            value, wording = score(metric, found)
            ranked.append((value, wording, metric))
    ranked.sort(key=lambda r: (-r[0], r[2].slug))
    others = tuple((m.slug, round(v, 2)) for v, _, m in ranked[1:4] if v >= CLOSE)
    if ranked and ranked[0][0] >= THRESHOLD:
        value, wording, metric = ranked[0]
        shared = found[-1][1]
        words = [w for w in re.findall(r"[^\W\d_]+", wording) if _stems(w) & shared]
        said = f"“{wording}” ({'its name' if wording == metric.name else 'an alias'}), "
        said += f"words {', '.join(dict.fromkeys(words))} in the text"
        new = isinstance(metric, NewMetric)
        return metric, Link("metric", surface, figure.start, metric.slug, new, said, value, others)
    close = tuple((m.slug, round(v, 2)) for v, _, m in ranked[:3] if v >= CLOSE)
    reason = f"no metric of kind {figure.kind}" + (
        f" and unit {figure.unit}" if figure.kind != "amount" else ""
    )
    reason += " fits closely enough" if ranked else " is known"
    return None, Link("metric", surface, figure.start, None, True, reason, 0.0, close)
