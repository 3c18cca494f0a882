"""The documented data-format example is real: it validates and loads as written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from helpers.files import fenced_blocks, write_example
from sqlalchemy import text
from sqlalchemy.engine import Engine


def test_documented_example_validates(tmp_path: Path) -> None:
    from kb.loader import validate

    summary = validate(write_example(tmp_path))
    assert summary.counts["quotes"] == 1
    assert summary.counts["figures"] == 1
    assert summary.counts["events"] == 1


def test_documented_example_loads_with_its_spans(
    tmp_path: Path, empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    from kb.loader import load

    engine = engine_for(empty_db)
    load(engine, write_example(tmp_path))
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT q.text, substr(s.text, q.text_start + 1, q.text_end - q.text_start)"
                " FROM quotes q JOIN sources s ON s.id = q.source_id"
            )
        ).one()
    assert row[0] == row[1] == "Trade will double,"


def test_documented_second_article_joins_the_first(
    tmp_path: Path, empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """The second article's file adds a role, an alias and a participant to records the first
    file defines, and links its event to the first one's, without editing the first file."""
    from kb.loader import load

    engine = engine_for(empty_db)
    report = load(engine, write_example(tmp_path, follow_up=True))
    assert report.tables["roles"].inserted == 2
    assert report.tables["aliases"].inserted == 1
    with engine.connect() as conn:
        roles = conn.execute(
            text(
                "SELECT r.title, s.slug FROM roles r JOIN sources s ON s.id = r.source_id "
                "ORDER BY s.slug"
            )
        ).all()
        alias = conn.execute(
            text("SELECT a.name, p.slug FROM aliases a JOIN people p ON p.id = a.person_id")
        ).one()
        participant = conn.execute(
            text(
                "SELECT e.slug, p.slug, ep.role, s.slug FROM event_participants ep "
                "JOIN events e ON e.id = ep.event_id JOIN people p ON p.id = ep.person_id "
                "JOIN sources s ON s.id = ep.source_id"
            )
        ).one()
        same_as = conn.execute(
            text(
                "SELECT o.slug FROM events e JOIN events o ON o.id = e.same_as_id "
                "WHERE e.slug = 'example-follow-up-pact-signed'"
            )
        ).scalar_one()
    assert [tuple(row) for row in roles] == [
        ("the Union's chief negotiator", "example-follow-up"),
        ("Trade Commissioner", "example-report"),
    ]
    assert tuple(alias) == ("Ana Berg", "anna-berg")
    assert tuple(participant) == (
        "ruritania-union-trade-pact-signed",
        "anna-berg",
        "negotiator",
        "example-follow-up",
    )
    assert same_as == "ruritania-union-trade-pact-signed"


def test_documented_jsonl_lines_have_the_yaml_shapes() -> None:
    import json

    for line in fenced_blocks("json")[0].splitlines():
        record = json.loads(line)
        assert record["type"] in {"source", "party", "metric", "person", "quote", "figure", "event"}
        assert "slug" in record
