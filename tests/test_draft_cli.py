"""`kb draft` on the command line: output, options, help and errors."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import Result

from kb.paths import data_dir

Kb = Callable[..., Result]
SEED = data_dir("seeds") / "jjtv-2023-02-02-kazakhstan-eu-30-years.txt"


def test_yaml_draft_of_the_seed(kb: Kb) -> None:
    result = kb(
        "draft", str(SEED), "--published", "2023-02-02", "--source-slug", "jjtv-kz-eu", "--no-db"
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"# Draft records for {SEED.name}, written by `kb draft`.")
    data = yaml.safe_load(result.output)
    # Drafted alone, the draft defines the parties and metrics its figures need.
    assert set(data) == {"sources", "parties", "metrics", "people", "quotes", "figures", "events"}
    (source,) = data["sources"]
    assert (source["slug"], source["published"], source["path"]) == (
        "jjtv-kz-eu",
        "2023-02-02",
        SEED.name,
    )
    assert {quote["speaker"] for quote in data["quotes"]} == {"kestutis-jankauskas"}
    assert all(quote["slug"].startswith("jjtv-kz-eu-") for quote in data["quotes"])
    assert "# offsets: evidence 1173-1221" in result.output


def test_json_draft(kb: Kb) -> None:
    result = kb("draft", str(SEED), "--format", "json", "--no-db")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    types = [record["type"] for record in document["records"]]
    assert types.count("quote") == 2 and types.count("figure") == 8
    assert all(record["status"] == "draft" for record in document["records"])


def test_draft_then_validate(kb: Kb, tmp_path: Path) -> None:
    seeds, data = tmp_path / "seeds", tmp_path / "seeds_data"
    seeds.mkdir()
    data.mkdir()
    article = Path(shutil.copy(SEED, seeds / SEED.name))
    drafted = kb("draft", str(article), "--published", "2023-02-02")
    (data / "draft.yaml").write_text(drafted.output, encoding="utf-8")
    result = kb("validate", str(data))
    assert result.exit_code == 0, result.output


def test_help_shows_an_example(kb: Kb) -> None:
    result = kb("draft", "--help")
    assert result.exit_code == 0
    assert "kb draft seeds/a.txt > seeds_data/a.yaml" in " ".join(result.output.split())
    assert "--published DATE" in result.output
    assert "draft" in kb("--help").output


def test_errors_exit_1_with_a_message(kb: Kb, tmp_path: Path) -> None:
    missing = kb("draft", str(tmp_path / "nope.txt"))
    assert (missing.exit_code, missing.output) == (1, f"Error: No file {tmp_path / 'nope.txt'}.\n")
    binary = tmp_path / "latin.txt"
    binary.write_bytes(b"Title\n\nna\xefve")
    result = kb("draft", str(binary))
    assert result.exit_code == 1
    assert "is not UTF-8 (byte 0xef on line 3)" in result.output
    result = kb("draft", str(SEED), "--published", "2023-02-30")
    assert result.exit_code == 1
    assert "--published '2023-02-30' is not a calendar date" in result.output
    result = kb("draft", str(SEED), "--source-slug", "Bad_Slug")
    assert result.exit_code == 1
    assert "is not a slug" in result.output


def test_unknown_format_is_a_usage_error(kb: Kb) -> None:
    assert kb("draft", str(SEED), "--format", "xml").exit_code == 2
