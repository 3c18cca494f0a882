"""`kb metrics`, `kb figures --metric` (every source's value side by side), and every read
command on an 80-column terminal: no line wider than the terminal, no cell squeezed to one
word a line. On the bundled collection, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from click.testing import Result
from helpers.cli import ok
from sqlalchemy.engine import Connection, Engine

from kb import queries
from kb.cli import views
from kb.cli.output import Column, column_widths, fitting, table, wrap

Kb = Callable[..., Result]
Row = dict[str, Any]

METRICS_TABLE = """\
slug                             name                         figures are           figures  sources
-------------------------------  ---------------------------  --------------------  -------  -------
companies-with-european-capital  Companies with European      count, companies            1        1
                                 capital

epca-areas-covered               Areas covered by the         count, areas                1        1
                                 Enhanced Partnership and
                                 Cooperation Agreement

eu-share-of-foreign-trade        EU share of foreign trade    share, percent              4        4

eu-share-of-investment           EU share of investment       share, percent              4        4

eu-trade-turnover                Trade turnover with the EU   amount, any currency        2        2

eu-trade-turnover-change         Change in trade turnover     change, percent             1        1
                                 with the EU

eu-trade-turnover-growth         Growth of trade turnover     multiplier, times           1        1
                                 with the EU

european-investment              European investment          amount, any currency        2        1

yearly-european-investment       Yearly European investment   amount, any currency        1        1
"""
# Four sources' values of the EU's share of Kazakhstan's foreign trade, in as-of order: levels
# on four dates that do not overlap, so none conflicts with another.
SHARES = {
    100: """\
EU share of foreign trade (eu-share-of-foreign-trade)

Kazakhstan (kazakhstan)
#  when               figure         value                source (speaker)
-  -----------------  -------------  -------------------  ------------------------------------------
1  as of ~2017        about 50%      about 50 percent     kazakhtv-2017-kazakhstan-eu-cooperation

2  as of ~2023-02-02  one third      33.3333 percent      jjtv-kazakhstan-eu-30-years

3  as of ~2023-05-15  more than 30%  more than 30         astanatimes-2023-05-15-eu-trade-investment
                                     percent

4  as of ~2024-07-10  about 30%      about 30 percent     kazinform-2024-07-10-eu-dialogue-platform

~ marks a date inferred from the text, not printed in it.
""",
    80: """\
EU share of foreign trade (eu-share-of-foreign-trade)

Kazakhstan (kazakhstan)
#  when               figure         source (speaker)
-  -----------------  -------------  ------------------------------------------
1  as of ~2017        about 50%      kazakhtv-2017-kazakhstan-eu-cooperation
2  as of ~2023-02-02  one third      jjtv-kazakhstan-eu-30-years
3  as of ~2023-05-15  more than 30%  astanatimes-2023-05-15-eu-trade-investment
4  as of ~2024-07-10  about 30%      kazinform-2024-07-10-eu-dialogue-platform

~ marks a date inferred from the text, not printed in it.
""",
}
# The two investment figures of one source over the same three decades: each names the other.
INVESTMENT_80 = """\
European investment (european-investment)

Kazakhstan (kazakhstan)
#  when            figure            source (speaker)             conflicts with
-  --------------  ----------------  ---------------------------  --------------
1  ~1993 to ~2023  more than US$160  jjtv-kazakhstan-eu-30-years  #2
                   billion

2  ~1993 to ~2023  almost US$77      jjtv-kazakhstan-eu-30-years  #1
                   billion           (Kestutis Jankauskas)

~ marks a date inferred from the text, not printed in it.
"""


@pytest.fixture(autouse=True)
def no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --db names the database."""
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


def at(columns: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """A terminal this many columns wide."""
    monkeypatch.setenv("COLUMNS", str(columns))


# --- kb metrics -----------------------------------------------------------------------------------


def test_metrics_table(kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    at(100, monkeypatch)
    assert ok(kb("metrics", db=seeded_db)) == METRICS_TABLE


def test_metrics_json_csv_and_limit(kb: Kb, seeded_db: str) -> None:
    rows = json.loads(ok(kb("metrics", "--format", "json", db=seeded_db)))
    share = next(row for row in rows if row["slug"] == "eu-share-of-foreign-trade")
    assert share | {
        "name": "EU share of foreign trade", "kind": "share", "unit": "percent",
        "aliases": ["EU share of foreign trade turnover", "EU share of external trade"],
        "figure_count": 4, "source_count": 4,
    } == share  # fmt: skip
    assert share["description"].startswith("The share of the European Union")
    limited = kb("metrics", "--limit", "2", "--format", "csv", db=seeded_db)
    assert limited.stdout.splitlines()[1:] and len(limited.stdout.splitlines()) == 3
    assert limited.stderr == "Showing the first 2 rows; --limit N shows more, --limit 0 all.\n"


# --- kb figures --metric -------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [100, 80])
def test_every_sources_value_side_by_side_in_as_of_order(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    at(columns, monkeypatch)
    out = ok(kb("figures", "--metric", "eu-share-of-foreign-trade", db=seeded_db))
    assert out == SHARES[columns]
    # The metric may be named by its name or an alias, in any case.
    for name in ("EU share of foreign trade", "eu share of external trade"):
        assert ok(kb("figures", "--metric", name, db=seeded_db)) == SHARES[columns]


def test_conflicts_name_the_rows_they_are_with(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at(80, monkeypatch)
    assert ok(kb("figures", "--metric", "european-investment", db=seeded_db)) == INVESTMENT_80


def test_a_metric_in_json_is_its_figures_in_time_order(kb: Kb, seeded_db: str) -> None:
    rows = json.loads(ok(kb("figures", "--metric", "eu-share-of-foreign-trade", "--format",
                            "json", db=seeded_db)))  # fmt: skip
    assert [(r["as_of"], r["source_slug"], r["metric_slug"], r["in_conflict"]) for r in rows] == [
        ("2017", "kazakhtv-2017-kazakhstan-eu-cooperation", "eu-share-of-foreign-trade", False),
        ("2023-02-02", "jjtv-kazakhstan-eu-30-years", "eu-share-of-foreign-trade", False),
        ("2023-05-15", "astanatimes-2023-05-15-eu-trade-investment", "eu-share-of-foreign-trade",
         False),
        ("2024-07-10", "kazinform-2024-07-10-eu-dialogue-platform", "eu-share-of-foreign-trade",
         False),
    ]  # fmt: skip


# --- 80 columns ----------------------------------------------------------------------------------


def squeezed(cell: str, lines: list[str]) -> bool:
    """Whether a cell of two words or more takes one word a line (a slug broken after its
    hyphens is one word)."""
    return len(cell.split()) > 1 and all(len(line.split()) == 1 for line in lines)


def check_cells(rows: Sequence[Row], columns: Sequence[Column], width: int) -> list[str]:
    """The cells of a table that are squeezed at `width`, as the table lays them out."""
    shown, cells = fitting(rows, columns, width)
    widths = column_widths(cells, shown, width)
    return [
        f"{column.header}: {cell!r}"
        for row in cells
        for cell, w, column in zip(row, widths, shown, strict=True)
        if column.wraps and squeezed(cell, wrap(cell, w, hyphens=column.hyphens))
    ]


def tables(connection: Connection) -> list[tuple[Sequence[Row], Sequence[Column]]]:
    """Every table a read command prints of the bundled collection, with its rows."""
    found: list[tuple[Sequence[Row], Sequence[Column]]] = [
        (queries.sources(connection), views.SOURCES),
        (queries.parties(connection), views.PARTIES),
        (queries.metrics(connection), views.METRICS),
        (queries.people(connection), views.PEOPLE),
        (queries.quotes(connection), views.QUOTES),
        (queries.figures(connection), views.FIGURES),
        (queries.events(connection), views.EVENTS),
    ]
    for metric in queries.metrics(connection):
        rows = queries.figures(connection, metric=metric["slug"])
        found += [(shown, views.METRIC_FIGURES) for _, shown in views.metric_tables(rows)]
    for person in queries.people(connection):
        profile = queries.person(connection, person["slug"])
        found += [(profile[key], columns) for key, _, _, columns in views.PERSON_SECTIONS]
    return [(rows, columns) for rows, columns in found if rows]


def test_no_cell_is_squeezed_to_one_word_a_line(
    seeded_db: str, engine_for: Callable[[str], Engine]
) -> None:
    with engine_for(seeded_db).connect() as connection:
        every = tables(connection)
    assert len(every) > 20
    for width in (80, 60):
        assert [problem for rows, cols in every for problem in check_cells(rows, cols, width)] == []


def test_the_checks_catch_a_squeezed_cell() -> None:
    rows = [{"a": "one two three", "b": "x" * 70}]
    columns = [Column("a", lambda r: r["a"], wrap=True), Column("b", lambda r: r["b"])]
    # The floor keeps two neighbouring words together...
    assert check_cells(rows, columns, 80) == []
    lines = table(rows, columns, 80).splitlines()
    assert (lines[2].split()[:2], lines[3].strip()) == (["one", "two"], "three")
    # ...which a width of one word a line would not.
    assert squeezed("one two three", wrap("one two three", 5))
    assert not squeezed("a-slug-broken", wrap("a-slug-broken", 5, hyphens=True))


READ_COMMANDS = [
    ("sources",), ("parties",), ("metrics",), ("people",), ("quotes",), ("figures",),
    ("events",), ("stats",), ("conflicts",), ("search", "trade"), ("search", "invest*"),
    ("figures", "--subject", "kazakhstan"), ("figures", "--metric", "european-investment"),
    ("figures", "--metric", "epca-areas-covered"), ("person", "kestutis-jankauskas"),
    ("person", "ursula-von-der-leyen"),
]  # fmt: skip


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_80_columns_hold_every_line(
    kb: Kb, seeded_db: str, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    at(80, monkeypatch)
    out = ok(kb(*args, db=seeded_db))
    assert out
    assert [line for line in out.splitlines() if len(line) > 80] == []
