"""SQL injection: no user value is pasted into SQL. Every text option of every command gets the
classic injection strings and answers normally or with a clear error (exit 1), and the
database is unchanged; values stored by `kb load` come back exactly as written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.dumps import dump

from kb.cli import cli

Kb = Callable[..., Result]

INJECTIONS = (
    "' OR '1'='1",
    '"; DROP TABLE quotes; --',
    "'); DELETE FROM people WHERE ('1'='1",
    "x' UNION SELECT slug, slug, slug FROM sources --",
    "%",
    "_",
    "\\",
    "%_%\\%",
    "Jankauskas' --",
    "1995' OR date > '0",
    "“Ünïcödé” — 日本語 · 🙂 · \u00a0 · \u202e · \u200b",
    "x" * 100_000,
)

# Each command with a text option: the arguments for a value, and the exit codes it may give
# (1 where no injection string can name anything or be a date: an unknown slug, a bad date).
READS: dict[str, tuple[Callable[[str], list[str]], tuple[int, ...]]] = {
    "quotes --by": (lambda v: ["quotes", "--by", v], (1,)),
    "quotes --source": (lambda v: ["quotes", "--source", v], (1,)),
    "figures --subject": (lambda v: ["figures", "--subject", v], (1,)),
    "figures --metric": (lambda v: ["figures", "--metric", v], (1,)),
    "figures --source": (lambda v: ["figures", "--source", v], (1,)),
    "events --from": (lambda v: ["events", "--from", v], (1,)),
    "events --to": (lambda v: ["events", "--to", v], (1,)),
    "person SLUG": (lambda v: ["person", v], (1,)),
    "search QUERY": (lambda v: ["search", v], (0, 1)),
    "search --raw QUERY": (lambda v: ["search", "--raw", v], (0, 1)),
    "conflicts --subject": (lambda v: ["conflicts", "--subject", v], (1,)),
    "sql -p NAME VALUE": (lambda v: ["sql", "SELECT :v AS v", "-p", "v", v], (0,)),
}


def one_paragraph_error(result: Result) -> None:
    """A refusal: nothing on stdout, and one 'Error: …' paragraph on stderr."""
    assert result.stdout == ""
    assert result.stderr.startswith("Error: "), result.stderr[:300]
    assert "\n\n" not in result.stderr.strip()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("option", READS)
def test_injection_strings_in_read_options_change_nothing(
    kb: Kb, seeded_db: str, option: str
) -> None:
    command = option.split()[0]
    if command not in cli.commands:
        pytest.skip(f"kb {command} does not exist yet")
    arguments, exits = READS[option]
    before = dump(seeded_db)
    for value in INJECTIONS:
        result = kb(*arguments(value), "--format", "json", db=seeded_db)
        assert result.exit_code in exits, (value[:80], result.output[:500])
        if result.exit_code == 0:
            json.loads(result.stdout)
        else:
            one_paragraph_error(result)
    assert dump(seeded_db) == before


def test_sql_parameters_come_back_as_given(kb: Kb, seeded_db: str) -> None:
    if "sql" not in cli.commands:
        pytest.skip("kb sql does not exist yet")
    for value in INJECTIONS:
        result = kb("sql", "SELECT :v AS v", "-p", "v", value, "--format", "json", db=seeded_db)
        assert json.loads(result.stdout) == [{"v": value}], value[:80]


# --- Values and paths that reach the loader -------------------------------------------------


def as_path(value: str) -> Path:
    """An injection string as a relative path: long strings are split into 200-character
    directories (a file name may hold 255 bytes; a path, 4,096)."""
    parts = [value[i : i + 200] for i in range(0, len(value), 200)] if len(value) > 200 else [value]
    return Path(*parts[:15])


def test_injection_strings_as_paths_and_stored_values_round_trip(
    kb: Kb, empty_db: str, tmp_path: Path
) -> None:
    # Each string names the directory a data file is loaded from and is the party's name.
    for number, value in enumerate(INJECTIONS):
        data = tmp_path / f"c{number}" / as_path(value) / "seeds_data"
        data.mkdir(parents=True)
        party = {"type": "party", "slug": f"p{number}", "name": value, "kind": "country"}
        (data / "party.jsonl").write_text(json.dumps(party) + "\n", encoding="utf-8")
        result = kb("load", str(data), db=empty_db)
        assert result.exit_code == 0, (value[:80], result.output[:500])
    parties = json.loads(kb("parties", "--format", "json", db=empty_db).stdout)
    assert {row["slug"]: row["name"] for row in parties} == {
        f"p{number}": value for number, value in enumerate(INJECTIONS)
    }


SOURCE_TEXT = (
    "Robert'); DROP TABLE people; -- said: “' OR '1'='1” and then "
    "“%_\\ of 50% is 25%”. Growth was 100% in 2023."
)
DATA = """\
sources:
  - slug: s
    title: "'; DROP TABLE sources; --"
    path: "' OR '1'='1.txt"
people:
  - slug: robert
    name: "Robert'); DROP TABLE people; --"
    aliases: ["' OR '1'='1", "%"]
quotes:
  - {slug: q1, source: s, speaker: robert, text: "' OR '1'='1"}
  - {slug: q2, source: s, speaker: robert, text: "%_\\\\ of 50% is 25%"}
metrics:
  - {slug: growth-percent, name: "growth %", kind: share, unit: percent, aliases: ["%"]}
  - {slug: growth-any, name: "growth _", kind: share, unit: percent, aliases: ["_", "\\\\"]}
figures:
  - {slug: f1, source: s, metric: growth-percent, kind: share, surface: 100%, value: 100,
     unit: percent, evidence: Growth was 100% in 2023.}
  - {slug: f2, source: s, metric: growth-any, kind: share, surface: 50%, value: 50,
     unit: percent, evidence: "“%_\\\\ of 50% is 25%”", quote: q2}
"""


def test_values_that_look_like_sql_are_stored_and_found_verbatim(
    kb: Kb, empty_db: str, tmp_path: Path
) -> None:
    seeds = tmp_path / '"; DROP TABLE quotes; --'
    seeds.mkdir()
    (seeds / "' OR '1'='1.txt").write_text(SOURCE_TEXT, encoding="utf-8")
    data = tmp_path / "%_\\" / "seeds_data"
    data.mkdir(parents=True)
    (data / "x.yaml").write_text(DATA, encoding="utf-8")
    loaded = kb("load", str(data), "--seeds", str(seeds), db=empty_db)
    assert loaded.exit_code == 0, loaded.output

    def rows(*args: str) -> list[dict[str, object]]:
        result = kb(*args, "--format", "json", db=empty_db)
        assert result.exit_code == 0, result.output
        found: list[dict[str, object]] = json.loads(result.stdout)
        return found

    quotes = rows("quotes", "--by", "' OR '1'='1")
    assert [(q["slug"], q["text"]) for q in quotes] == [
        ("q1", "' OR '1'='1"),
        ("q2", "%_\\ of 50% is 25%"),
    ]
    assert [q["slug"] for q in rows("quotes", "--by", "%")] == ["q1", "q2"]
    person = kb("person", "Robert'); DROP TABLE people; --", "--format", "json", db=empty_db)
    assert json.loads(person.stdout)["slug"] == "robert"
    # A metric is named whole (slug, name or alias): % and _ are characters, not wildcards.
    assert [f["slug"] for f in rows("figures", "--metric", "%")] == ["f1"]
    assert [f["slug"] for f in rows("figures", "--metric", "_")] == ["f2"]
    assert [f["slug"] for f in rows("figures", "--metric", "\\")] == ["f2"]
    assert [f["slug"] for f in rows("figures", "--metric", "GROWTH %")] == ["f1"]
    for pattern in ("growth%", "growth", "%%", "g_owth _"):
        unknown = kb("figures", "--metric", pattern, db=empty_db)
        assert unknown.exit_code == 1
        assert unknown.stderr.startswith(f"Error: Unknown metric {pattern!r}.")
    assert [s["title"] for s in rows("sources")] == ["'; DROP TABLE sources; --"]
