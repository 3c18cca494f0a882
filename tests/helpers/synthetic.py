"""A synthetic collection big enough that a load takes a while: one long text, many records.

The source text is a few hundred KB of numbered sentences, each holding one quote with a figure
inside it; every record is grounded in that text, so the loader accepts the collection and a
test can kill or watch a load that spends most of its time writing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SOURCE = "synthetic-report"
PARTY = "synthetic-party"
METRIC = "exports"
SPEAKERS = 20
TEXT_NAME = "synthetic.txt"
DATA_NAME = "synthetic.jsonl"


@dataclass(frozen=True)
class Synthetic:
    """Where a synthetic collection was written, and how many rows it adds to each table."""

    data: Path
    seeds: Path
    rows: dict[str, int]


def sentence(i: int) -> str:
    """The i-th sentence: a speaker, a quote whose words hold a figure, then some narration."""
    return (
        f"Speaker {i % SPEAKERS} said: “Item {i}: exports rose by {i} million tonnes in zone {i}.” "
        "The delegates then moved on to the other business of the day, as planned."
    )


def quote_words(i: int) -> str:
    """The quoted words of sentence i (inside the curly quotes)."""
    return f"Item {i}: exports rose by {i} million tonnes in zone {i}."


def records(count: int, events: int) -> list[dict[str, Any]]:
    """The JSON Lines records: a source, a party, speakers, quotes, figures and events."""
    out: list[dict[str, Any]] = [
        {"type": "source", "slug": SOURCE, "title": "Synthetic report", "path": TEXT_NAME},
        {"type": "party", "slug": PARTY, "name": "Synthetic Party", "kind": "organization"},
        {"type": "metric", "slug": METRIC, "name": "Exports", "kind": "count", "unit": "tonnes"},
    ]
    out += [
        {"type": "person", "slug": f"speaker-{n}", "name": f"Speaker {n}"} for n in range(SPEAKERS)
    ]
    for i in range(count):
        quote = f"synthetic-quote-{i}"
        out.append(
            {
                "type": "quote",
                "slug": quote,
                "source": SOURCE,
                "speaker": f"speaker-{i % SPEAKERS}",
                "text": quote_words(i),
            }
        )
        out.append(
            {
                "type": "figure",
                "slug": f"synthetic-figure-{i}",
                "source": SOURCE,
                "quote": quote,
                "subject": PARTY,
                "metric": METRIC,
                "kind": "count",
                "surface": f"{i} million tonnes",
                "value": i * 1e6,
                "unit": "tonnes",
                "evidence": quote_words(i),
            }
        )
    for i in range(events):
        out.append(
            {
                "type": "event",
                "slug": f"synthetic-event-{i}",
                "source": SOURCE,
                "name": f"Speaker {i % SPEAKERS} speaks on zone {i}",
                "kind": "meeting",
                "participants": [{"party": PARTY}, {"person": f"speaker-{i % SPEAKERS}"}],
                "evidence": sentence(i),
            }
        )
    return out


def write(directory: Path, count: int = 2500, events: int = 600) -> Synthetic:
    """Write the collection under `directory` (data/ and seeds/) and return where it is."""
    data, seeds = directory / "data", directory / "seeds"
    data.mkdir(parents=True)
    seeds.mkdir()
    (seeds / TEXT_NAME).write_text(" ".join(sentence(i) for i in range(count)) + "\n")
    lines = (json.dumps(record, ensure_ascii=False) for record in records(count, events))
    (data / DATA_NAME).write_text("\n".join(lines) + "\n")
    rows = {
        "sources": 1,
        "parties": 1,
        "metrics": 1,
        "people": SPEAKERS,
        "roles": 0,
        "aliases": 0,
        "quotes": count,
        "figures": count,
        "events": events,
        "event_participants": 2 * events,
    }
    return Synthetic(data, seeds, rows)
