"""`kb draft`'s look-ups in the knowledge base are indexed queries, never scans of a table
(except metrics, which are few and read whole): each statement a draft runs is checked with
the database's own planner (EXPLAIN QUERY PLAN on SQLite, EXPLAIN with sequential scans off on
PostgreSQL, after ANALYZE), in the style of test_query_plans.py.

The base is the bundled collection plus a few thousand events and people written here, so that
the planner's choice is a real one.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from test_query_plans import plan_lines, statements_of

from kb.draft import draft, read_article
from kb.draft.known_db import Database
from kb.loader import load
from kb.paths import data_dir

MULTI = Path(__file__).parent / "data" / "multi"
EVENTS = 3000
PEOPLE = 1000
# Metrics are a short list that the drafter reads whole, once per draft; parties a short list
# that a plan may read whole to join (as in test_query_plans.py).
READ_WHOLE = {"metrics", "parties"}
SQLITE_SCAN = re.compile(r"SCAN (?P<name>\S+)")
PG_NODE = re.compile(
    r"(?P<how>Seq Scan|Index Scan|Index Only Scan) (?:using \S+ )?on (?P<name>\w+)"
)
# The indexes the look-ups of names and of events by kind and date may use (one of each).
INDEXES = {
    "_kb_names": ("ix__kb_names_key",),
    "FROM events": ("ix_events_kind_date", "ix_events_date"),
}
SOURCE = "Officials met and signed a paper."


def bulk(folder: Path) -> None:
    """A JSON Lines file of EVENTS dated events between the bundled parties, and PEOPLE people
    with an alias each."""
    rng = random.Random(7)
    lines = [{"type": "source", "slug": "bulk", "title": "Bulk", "kind": "reference",
              "text": SOURCE}]  # fmt: skip
    for number in range(PEOPLE):
        name = f"{rng.choice(('Anna', 'Timur', 'Asel', 'Marek'))} Name{number}ov"
        lines.append({"type": "person", "slug": f"bulk-person-{number}", "name": name})
        # Another name each, as a source prints it (the alias must occur in its text).
        lines.append({"type": "alias", "person": f"bulk-person-{number}", "name": "Officials",
                      "source": "bulk"})  # fmt: skip
    for number in range(EVENTS):
        date = f"{rng.randrange(1990, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        lines.append(
            {
                "type": "event", "slug": f"bulk-event-{number}", "source": "bulk",
                "name": "A happening", "kind": rng.choice(("meeting", "signing", "visit")),
                "date": date[: rng.choice((4, 7, 10))], "evidence": SOURCE,
                "participants": [{"party": rng.choice(("kazakhstan", "european-union"))},
                                 {"person": f"bulk-person-{rng.randrange(PEOPLE)}"}],
            }
        )  # fmt: skip
    (folder / "bulk.jsonl").write_text("\n".join(map(json.dumps, lines)) + "\n", "utf-8")


@pytest.fixture
def big(empty_db: str, engine_for: Callable[[str | Path], Engine], tmp_path: Path) -> Engine:
    """A database of the bundled collection and the bulk records, analysed."""
    data = Path(shutil.copytree(data_dir("seeds_data"), tmp_path / "seeds_data"))
    bulk(data)
    engine = engine_for(empty_db)
    load(engine, data, seeds_dir=data_dir("seeds"), jobs=1)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE"))
    return engine


def whole_reads(engine: Engine, sql: str, parameters: object) -> list[str]:
    """The tables other than READ_WHOLE that the plan of `sql` reads whole: a SQLite SCAN, a
    PostgreSQL sequential scan, or an index scan with no condition (a scan in index order)."""
    lines = plan_lines(engine, sql, parameters)
    found = []
    if engine.dialect.name == "sqlite":
        found = [m["name"] for m in map(SQLITE_SCAN.search, lines) if m]
    else:
        for index, line in enumerate(lines):
            node = PG_NODE.search(line)
            if node is None:
                continue
            details = []
            for following in lines[index + 1 :]:
                if "->" in following:
                    break
                details.append(following)
            if node["how"] == "Seq Scan" or not any("Index Cond" in d for d in details):
                found.append(node["name"])
    return [name for name in found if name not in READ_WHOLE]


def test_a_drafts_look_ups_use_indexes(big: Engine) -> None:
    article = read_article(MULTI / "02-mfa-briefing-epca-three-years.txt", published="2023-03-01")
    caught = statements_of(big, lambda c: draft(article, Database(c, "the database")))
    looked_up = {word for sql, _ in caught for word in INDEXES if word in sql}
    assert looked_up == set(INDEXES)
    assert any("event_participants" in sql for sql, _ in caught)
    for sql, parameters in caught:
        assert whole_reads(big, sql, parameters) == [], " ".join(sql.split())
        plan = "\n".join(plan_lines(big, sql, parameters))
        for word, indexes in INDEXES.items():
            if word in sql:
                assert any(index in plan for index in indexes), (indexes, plan)


def test_a_whole_read_is_caught(big: Engine) -> None:
    # The check itself: a name looked up by an unindexed expression reads the whole table.
    sql = "SELECT slug FROM _kb_names WHERE origin_key || 'x' = 'yx'"
    assert whole_reads(big, sql, ()) == ["_kb_names"]
