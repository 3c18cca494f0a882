"""Output formats: tables that wrap at word boundaries to the terminal, JSON, JSON Lines, CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from click.testing import Result

from kb.cli.output import Column, field, show, table, terminal_width, to_csv

Kb = Callable[..., Result]

LONG = (
    "It is now in full force and covers 29 different areas of economy and social life, almost "
    "all of them; trade turnover increased 180-fold, to-date figures are well-known."
)
COLUMNS = [field("who"), field("said", wrap=True), field("where", wrap=True)]
ROWS = [
    {"who": "Anna Berg", "said": LONG, "where": "Example News, front page"},
    {"who": "Carl", "said": "Short.", "where": "Elsewhere"},
]


def cell_lines(text: str, header: str) -> list[list[str]]:
    """The lines of one column, per row, read back from a rendered table."""
    head, _rule, *body = text.splitlines()
    start = head.index(header)
    following = [h for h in ("who", "said", "where") if head.find(h) > start]
    end = head.index(following[0]) if following else None
    rows: list[list[str]] = [[]]
    for line in body:
        if line == "":
            rows.append([])
        else:
            rows[-1].append(line[start:end].strip())
    return rows


@pytest.mark.parametrize("width", [40, 50, 60, 80, 100, 140])
def test_wrapped_cells_keep_every_word_whole(width: int) -> None:
    text = table(ROWS, COLUMNS, width)
    said = cell_lines(text, "said")
    assert [" ".join(lines) for lines in said] == [LONG, "Short."]
    words = set(LONG.split())
    for line in said[0]:
        assert set(line.split()) <= words  # no word was cut, hyphenated ones included


@pytest.mark.parametrize("width", [50, 60, 80, 100])
def test_table_fits_the_width(width: int) -> None:
    assert max(len(line) for line in table(ROWS, COLUMNS, width).splitlines()) <= width


def test_wide_terminal_does_not_wrap() -> None:
    text = table(ROWS, COLUMNS, 300)
    assert text.splitlines()[2] == f"Anna Berg  {LONG}  Example News, front page"
    assert "\n\n" not in text  # rows that fit on one line are not spaced apart


def test_a_word_longer_than_the_column_overflows_instead_of_being_cut() -> None:
    # Nor is a cell squeezed to one word a line: the column takes its widest two neighbours.
    word = "Supercalifragilisticexpialidocious-and-then-some"
    text = table([{"who": "x", "said": f"a {word} b", "where": "y"}], COLUMNS, 30)
    said = cell_lines(text, "said")
    assert said == [[f"a {word}", "b"]]


def test_columns_are_aligned_and_numbers_right_aligned() -> None:
    columns = [field("name"), Column("count", lambda r: r["n"], right=True)]
    text = table([{"name": "a", "n": 5}, {"name": "bbbbbbb", "n": 1234}], columns, 80)
    assert text == ("name     count\n-------  -----\na            5\nbbbbbbb   1234")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "yes"),
        (False, "no"),
        (["EU", "European Union"], "EU, European Union"),
        (1.6e11, "1.6e+11"),
        (33.3333, "33.3333"),
        (180.0, "180"),
        ("two\nlines\u00a0and  spaces", "two lines and spaces"),
    ],
)
def test_cell_text(value: object, text: str) -> None:
    assert show(value) == text


def test_terminal_width_follows_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "73")
    assert terminal_width() == 73


def test_csv_cells() -> None:
    out = to_csv(
        [
            {"a": 1, "b": None, "c": True, "d": ["x", "y"], "e": 'say "hi", then, go'},
            {"a": 2.5, "b": "‘green’", "c": False, "d": [], "e": "line\nbreak"},
        ]
    )
    assert out.splitlines()[0] == "a,b,c,d,e"
    rows = list(csv.DictReader(io.StringIO(out)))
    assert rows == [
        {"a": "1", "b": "", "c": "true", "d": '["x", "y"]', "e": 'say "hi", then, go'},
        {"a": "2.5", "b": "‘green’", "c": "false", "d": "[]", "e": "line\nbreak"},
    ]
    assert to_csv([]) == ""


@pytest.mark.parametrize("columns", [40, 60, 80, 120])
def test_quotes_wrap_to_the_terminal(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    result = kb("quotes", db=seeded_db)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    # Speaker and source keep their width; the quote takes the rest, but never less than its
    # longest word, so a narrow terminal may see lines a little wider than itself.
    longest_word = max(len(w) for w in result.stdout.split())
    assert max(len(line) for line in lines) <= max(columns, 19 + 2 + 27 + 2 + longest_word)
    json_rows = json.loads(kb("quotes", "--format", "json", db=seeded_db).stdout)
    printed = set(result.stdout.split())
    for row in json_rows:
        assert set(row["text"].split()) <= printed


def test_a_wide_enough_terminal_prints_each_quote_on_one_line(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")
    lines = kb("quotes", db=seeded_db).stdout.splitlines()
    assert len(lines) == 4
    assert lines[3].endswith("investments into ‘green’ energy")
