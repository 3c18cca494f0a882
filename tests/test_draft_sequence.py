"""Eight articles drafted one after another into a growing knowledge base, each loaded as drafted.

The base starts as the bundled collection; each article of tests/data/multi is drafted against
the database and the data files (kb draft's defaults for an article in seeds/), its YAML is
written into the data directory unedited and loaded with kb.loader.load before the next article
is drafted (kb.draft.linkscore.evaluate_sequence). Every draft must load with zero problems (a
problem raises LoadError), and the links must be right at least as often as the floors say
(benchmarks/draft_eval.py prints the numbers; benchmarks/README-draft.md defines them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.draft.linkscore import KINDS, Result, evaluate_sequence
from kb.draft.scoring import total

MULTI = Path(__file__).parent / "data" / "multi"
# (precision, recall) floors per kind of link, a little below what the drafter reaches.
FLOORS = {
    "people": (0.95, 0.95),
    "parties": (0.95, 0.95),
    "subjects": (0.95, 0.95),
    "metrics": (0.9, 0.9),
    "same_as": (0.9, 0.9),
}


def test_eight_articles_draft_and_load_in_turn(
    empty_db: str, engine_for: Callable[[str | Path], Engine], tmp_path: Path
) -> None:
    results = evaluate_sequence(MULTI, tmp_path, empty_db)
    assert [result.article.file[:2] for result in results] == [f"0{n}" for n in range(1, 9)]
    with engine_for(empty_db).connect() as connection:
        sources = set(connection.execute(text("SELECT slug FROM sources")).scalars())
    assert {result.article.slug for result in results} <= sources
    tallies = total([result.tallies for result in results])
    assert set(tallies) == set(KINDS)
    for kind, (precision, recall) in FLOORS.items():
        tally = tallies[kind]
        assert tally.expected > 0, kind
        assert tally.precision >= precision, (kind, tally.precision, _lines(results, "wrong"))
        assert tally.recall >= recall, (kind, tally.recall, _lines(results, "missed"))
    # Each draft defines only what the base lacked: Kuanyshbayev once (article 01), the grain
    # metric once (03), Uzbekistan once (05); later articles refer to them by slug.
    defined: dict[tuple[str, str], list[str]] = {}
    for result in results:
        for record in result.draft.records:
            if record.type in ("person", "party", "metric"):
                key = (record.type, record.fields["slug"])
                defined.setdefault(key, []).append(result.article.file[:2])
    assert defined[("person", "yerlan-kuanyshbayev")] == ["01"]
    assert defined[("metric", "grain-exports-to-the-eu")] == ["03"]
    assert defined[("party", "uzbekistan")] == ["05"]
    assert all(len(files) == 1 for files in defined.values()), defined
    assert ("person", "kestutis-jankauskas") not in defined
    # A known person's new role is a role record of the article's own file.
    roles = {(r.fields["person"], r.fields["title"]) for r in results[2].draft.of_type("role")}
    assert ("kestutis-jankauskas", "Head of the EU Delegation to Kazakhstan") in roles


def _lines(results: list[Result], which: str) -> list[str]:
    return [line for result in results for line in getattr(result, which)]


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drafts read the database the test names, never one from the environment."""
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
