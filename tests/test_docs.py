"""The documented data-format example is real: it validates and loads as written."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "data-format.md"


def fenced_blocks(language: str) -> list[str]:
    """The bodies of the ```language blocks of docs/data-format.md, in order."""
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def write_example(root: Path) -> Path:
    """Lay out the example collection (seeds/ and seeds_data/) under `root`."""
    (root / "seeds").mkdir()
    (root / "seeds_data").mkdir()
    (root / "seeds" / "example.txt").write_text(fenced_blocks("text")[0], encoding="utf-8")
    (root / "seeds_data" / "example.yaml").write_text(fenced_blocks("yaml")[0], encoding="utf-8")
    return root / "seeds_data"


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


def test_documented_jsonl_lines_have_the_yaml_shapes() -> None:
    import json

    for line in fenced_blocks("json")[0].splitlines():
        record = json.loads(line)
        assert record["type"] in {"source", "party", "person", "quote", "figure", "event"}
        assert "slug" in record
