"""What the tests expect, stated once: kb's tables, and the records of the documented example."""

from __future__ import annotations

# kb's own tables, in load order (stated here independently of kb.loader.spec.TABLES).
KB_TABLES = (
    "sources",
    "parties",
    "metrics",
    "people",
    "roles",
    "aliases",
    "quotes",
    "figures",
    "events",
    "event_participants",
)

# Records per table in the example collection of docs/data-format.md.
EXAMPLE_COUNTS = {
    "sources": 1,
    "parties": 2,
    "metrics": 1,
    "people": 1,
    "roles": 1,
    "aliases": 0,
    "quotes": 1,
    "figures": 1,
    "events": 1,
    "event_participants": 2,
}
