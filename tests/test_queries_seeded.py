"""Queries on the bundled collection: every span points at its text, the timeline is in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Connection, Engine

from kb import queries


@pytest.fixture
def seeded(seeded_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection to a copy of the database holding the bundled collection."""
    with engine_for(seeded_db).connect() as connection:
        yield connection


def texts(connection: Connection) -> dict[str, str]:
    """Source text by source slug."""
    return {row["slug"]: row["text"] for row in queries.sources(connection)}


def test_quote_spans_are_the_quotes(seeded: Connection) -> None:
    source_texts = texts(seeded)
    rows = queries.quotes(seeded)
    assert rows
    for row in rows:
        assert source_texts[row["source_slug"]][row["text_start"] : row["text_end"]] == row["text"]


def test_figure_spans_are_the_surface_and_evidence(seeded: Connection) -> None:
    source_texts = texts(seeded)
    rows = queries.figures(seeded)
    assert rows
    for row in rows:
        text = source_texts[row["source_slug"]]
        assert text[row["surface_start"] : row["surface_end"]] == row["surface"]
        assert text[row["evidence_start"] : row["evidence_end"]] == row["evidence"]


def test_event_and_role_evidence_spans(seeded: Connection) -> None:
    source_texts = texts(seeded)
    for row in queries.events(seeded):
        passage = source_texts[row["source_slug"]][row["evidence_start"] : row["evidence_end"]]
        assert passage == row["evidence"]
    for person in queries.people(seeded):
        for role in queries.person(seeded, person["slug"])["roles"]:
            text = source_texts[role["source_slug"]]
            assert text[role["evidence_start"] : role["evidence_end"]] == role["evidence"]


def test_timeline_is_in_date_order_with_undated_events_last(seeded: Connection) -> None:
    dates = [row["date"] for row in queries.events(seeded)]
    dated = [d for d in dates if d is not None]
    assert dated == sorted(dated)
    assert dates == dated + [None] * (len(dates) - len(dated))
    assert len(dated) < len(dates)


def test_the_ambassador_by_surname(seeded: Connection) -> None:
    rows = queries.quotes(seeded, by="jankauskas")
    assert [row["slug"] for row in rows] == ["jankauskas-pca-to-epca", "jankauskas-investment-77bn"]
    profile = queries.person(seeded, "Jankauskas")
    # Two sources state his role, each in its own words.
    assert [(role["title"], role["source_slug"]) for role in profile["roles"]] == [
        ("EU Ambassador to Kazakhstan", "jjtv-kazakhstan-eu-30-years"),
        (
            "Ambassador of the European Union to Kazakhstan",
            "kazinform-2024-07-10-eu-dialogue-platform",
        ),
    ]
    assert {row["quote_slug"] for row in profile["figures"]} == {r["slug"] for r in rows}


def test_an_overlong_metric_filter_is_a_clear_error(kb: Callable[..., Any], seeded_db: str) -> None:
    result = kb("figures", "--metric", "x" * 60_000, db=seeded_db)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: --metric is 60,000 characters long; give at most 1,000 (a metric's slug, name "
        "or alias: `kb metrics` lists them).\n"
    )
