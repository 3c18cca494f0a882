"""Small collections of figures and events written for the purpose, as JSON Lines: each fact's
sentence is its source's text, each metric a figure names a metric record of the figure's kind
(and unit, unless it is an amount), named as in METRIC_NAMES or by its slug."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

SOURCES = ("alpha", "beta", "gamma")
PARTIES = [
    {"slug": "ruritania", "name": "Ruritania", "kind": "country"},
    {"slug": "the-union", "name": "The Union", "kind": "organization", "aliases": ["Union"]},
]
# Metric names other than the slug: two metrics of one name are still two metrics.
METRIC_NAMES = {"eu-investment": "EU investment", "eu-investment-too": "EU investment"}


@dataclass(frozen=True)
class Fact:
    """A figure or event record; `said`: its sentence is a quote of Anna Berg."""

    type: str
    record: dict[str, Any]
    said: bool = False

    def tagged(self, tag: str) -> Fact:
        """A copy for one case among others: its slugs and metric begin with `tag`."""
        record = dict(self.record, slug=f"{tag}-{self.record['slug']}")
        for reference in ("same_as", "metric"):
            if reference in record:
                record[reference] = f"{tag}-{record[reference]}"
        return replace(self, record=record)

    @property
    def sentence(self) -> str:
        """The sentence of the source that reports the fact (its evidence)."""
        slug = self.record["slug"]
        if self.type == "figure":
            return f"Figure {slug} was {self.record['surface']}."
        return f"Event {slug} happened."


def figure(
    slug: str,
    value: float,
    *,
    source: str = "alpha",
    metric: str = "eu-investment",
    unit: str = "USD",
    kind: str = "amount",
    qualifier: str = "exact",
    subject: str | None = "ruritania",
    start: str | None = None,
    end: str | None = None,
    as_of: str | None = None,
    said: bool = False,
) -> Fact:
    """A figure about `subject`; its surface is the value as %g prints it."""
    record = {
        "slug": slug, "source": source, "metric": metric, "kind": kind, "surface": f"{value:g}",
        "value": value, "unit": unit, "qualifier": qualifier,
    }  # fmt: skip
    optional = (("subject", subject), ("period_start", start), ("period_end", end),
                ("as_of", as_of))  # fmt: skip
    record |= {key: value for key, value in optional if value is not None}
    return Fact("figure", record, said)


def happening(
    slug: str,
    date: str | None = None,
    *,
    source: str = "alpha",
    same_as: str | None = None,
    party: str = "ruritania",
    said: bool = False,
) -> Fact:
    """An event with one participating party."""
    record = {"slug": slug, "source": source, "name": f"Event {slug}", "kind": "signing",
              "participants": [{"party": party}]}  # fmt: skip
    record |= {key: value for key, value in (("date", date), ("same_as", same_as)) if value}
    return Fact("event", record, said)


def metric_records(facts: list[Fact]) -> list[dict[str, Any]]:
    """A metric record for each metric the figures name, of its first figure's kind."""
    records: dict[str, dict[str, Any]] = {}
    for fact in facts:
        if fact.type != "figure" or fact.record["metric"] in records:
            continue
        slug, kind = fact.record["metric"], fact.record["kind"]
        name = METRIC_NAMES.get(untagged(slug), slug)
        record = {"type": "metric", "slug": slug, "name": name, "kind": kind}
        if kind != "amount":
            record["unit"] = fact.record["unit"]
        records[slug] = record
    return list(records.values())


def write_collection(data: Path, facts: list[Fact]) -> None:
    """The facts as a JSON Lines file, with sources whose inline text holds their sentences."""
    sentences: dict[str, list[str]] = defaultdict(list)
    lines: list[dict[str, Any]] = [{"type": "party", **party} for party in PARTIES]
    lines += metric_records(facts)
    lines.append({"type": "person", "slug": "anna-berg", "name": "Anna Berg"})
    for fact in facts:
        record = {"type": fact.type, **fact.record, "evidence": fact.sentence}
        sentence = fact.sentence
        if fact.said:
            quote = f"quote-{record['slug']}"
            lines.append({"type": "quote", "slug": quote, "source": record["source"],
                          "speaker": "anna-berg", "text": sentence})  # fmt: skip
            sentence = f"“{sentence}” said Anna Berg."
            if fact.type == "figure":
                record["quote"] = quote
        sentences[record["source"]].append(sentence)
        lines.append(record)
    sources = [
        {"type": "source", "slug": slug, "title": slug, "text": " ".join(sentences[slug]) or "."}
        for slug in SOURCES
    ]
    data.mkdir()
    text = "".join(json.dumps(line) + "\n" for line in sources + lines)
    (data / "facts.jsonl").write_text(text, encoding="utf-8")


def untagged(slug: str) -> str:
    """A slug without the tag of its case."""
    return re.sub(r"^c\d+-", "", slug)
