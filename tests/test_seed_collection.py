"""The seed article is curated completely, and every stored span points at its words."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from kb.paths import data_dir

ARTICLE = "jjtv-kazakhstan-eu-30-years"
ARTICLE_FILE = data_dir("seeds") / "jjtv-2023-02-02-kazakhstan-eu-30-years.txt"
SHARED_SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_fd1609255b6d7de1.txt"
# Numbers in the article that are dates, durations or ordinals: they become event dates and
# figure periods, not figures.
NOT_FIGURES = ["30", "2", "30th", "1995", "30", "30th"]


@pytest.fixture
def conn(seeded_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection to a database holding the bundled collection."""
    with engine_for(seeded_db).connect() as connection:
        yield connection


def rows(conn: Connection, sql: str) -> list[tuple[object, ...]]:
    """All rows of `sql` as tuples."""
    return [tuple(row) for row in conn.execute(text(sql))]


def test_seed_text_is_the_received_bytes() -> None:
    digest = hashlib.sha256(ARTICLE_FILE.read_bytes()).hexdigest()
    assert digest == "a1c712e590bb6abf6269a0ed224e639e9e8da7c62fac833c17801d95583e9a25"
    if SHARED_SEED.exists():
        assert ARTICLE_FILE.read_bytes() == SHARED_SEED.read_bytes()


def test_source_metadata_and_stored_text(conn: Connection) -> None:
    (row,) = rows(
        conn,
        "SELECT title, outlet, url, published, published_precision, published_inferred,"
        f" author, language, text, sha256 FROM sources WHERE slug = '{ARTICLE}'",
    )
    body = ARTICLE_FILE.read_text(encoding="utf-8")
    assert row == (
        "Kazakhstan and EU mark 30 years of diplomatic relations",
        "Jibek Joly TV (jjtv.kz), English service",
        "https://jjtv.kz/en/kazakhstan-and-eu-mark-30-years-of-diplomatic-relations",
        "2023-02-02",
        "day",
        1,
        None,
        "en",
        body,
        hashlib.sha256(body.encode()).hexdigest(),
    )


@pytest.mark.parametrize(
    ("table", "value", "start", "end"),
    [
        ("quotes", "text", "text_start", "text_end"),
        ("figures", "evidence", "evidence_start", "evidence_end"),
        ("figures", "surface", "surface_start", "surface_end"),
        ("events", "evidence", "evidence_start", "evidence_end"),
        ("roles", "evidence", "evidence_start", "evidence_end"),
    ],
)
def test_every_span_is_the_stored_text(
    conn: Connection, table: str, value: str, start: str, end: str
) -> None:
    mismatches = rows(
        conn,
        f"SELECT t.{value}, substr(s.text, t.{start} + 1, t.{end} - t.{start})"
        f" FROM {table} t JOIN sources s ON s.id = t.source_id"
        f" WHERE t.{value} <> substr(s.text, t.{start} + 1, t.{end} - t.{start})",
    )
    assert mismatches == []
    assert rows(conn, f"SELECT count(*) FROM {table}")[0][0] > 0


def test_every_quoted_passage_is_a_quote_with_its_speaker(conn: Connection) -> None:
    body = ARTICLE_FILE.read_text(encoding="utf-8")
    passages = [m.group(1) for m in re.finditer(r"“(.+?)”", body, re.S)]
    quotes = rows(
        conn,
        "SELECT q.text, p.name, q.kind FROM quotes q JOIN people p ON p.id = q.speaker_id"
        " ORDER BY q.text_start",
    )
    assert [(passage.rstrip(","), "Kestutis Jankauskas", "direct") for passage in passages] == (
        quotes
    )
    # ‘green’ is a scare quote inside the second quote, not a quote of its own.
    assert all(q[0] != "green" for q in quotes)


def test_every_number_in_the_article_is_a_figure(conn: Connection) -> None:
    body = ARTICLE_FILE.read_text(encoding="utf-8")
    surfaces = rows(conn, "SELECT surface_start, surface_end FROM figures")
    uncovered = [
        m.group()
        for m in re.finditer(r"\d[\d,.]*\d(?:th)?|\d(?:th)?|one third|a half", body)
        if not any(start <= m.start() and m.end() <= end for start, end in surfaces)
    ]
    assert uncovered == NOT_FIGURES


def test_figures_are_parsed(conn: Connection) -> None:
    figures = rows(
        conn,
        "SELECT surface, kind, value, unit, qualifier, quote_id IS NOT NULL FROM figures"
        f" WHERE source_id = (SELECT id FROM sources WHERE slug = '{ARTICLE}')"
        " ORDER BY surface_start",
    )
    assert figures == [
        ("US$160 billion", "amount", 1.6e11, "USD", "more_than", 0),
        ("180-fold", "multiplier", 180.0, "times", "exact", 0),
        ("one third", "share", pytest.approx(33.3333, abs=1e-3), "percent", "exact", 0),
        ("29", "count", 29.0, "areas", "exact", 1),
        ("3,000", "count", 3000.0, "companies", "about", 0),
        ("US$77 billion", "amount", 7.7e10, "USD", "almost", 1),
        ("a half, or 50 percent", "share", 50.0, "percent", "about", 1),
        ("800 million", "amount", 8e8, "unknown", "about", 1),
    ]


def test_the_two_investment_totals_measure_the_same_thing(conn: Connection) -> None:
    pairs = rows(
        conn,
        "SELECT subject_id, metric_id, kind, unit, period_start, period_end FROM figures"
        " WHERE surface IN ('US$160 billion', 'US$77 billion')",
    )
    assert len(pairs) == 2
    assert pairs[0] == pairs[1]


def test_article_events_with_their_precision(conn: Connection) -> None:
    events = rows(
        conn,
        "SELECT e.kind, e.occurrence, e.date, e.date_precision, e.date_inferred FROM events e"
        f" JOIN sources s ON s.id = e.source_id WHERE s.slug = '{ARTICLE}'"
        " ORDER BY e.date IS NULL, e.date, e.kind",
    )
    assert events == [
        ("establishment", "happened", "1993-02-02", "day", 1),
        ("signing", "happened", "1995", "year", 0),
        ("signing", "happened", "2005", "year", 1),
        ("celebration", "planned", "2023", "year", 1),
        ("anniversary", "ongoing", "2023-02-02", "day", 1),
        ("entry_into_force", "happened", None, None, 0),
        ("signing", "happened", None, None, 0),
    ]


def test_reference_sources_hold_the_real_dates(conn: Connection) -> None:
    references = rows(
        conn,
        "SELECT e.date, e.date_precision, a.date FROM events e"
        " JOIN sources s ON s.id = e.source_id AND s.kind = 'reference'"
        " LEFT JOIN events a ON a.id = e.same_as_id ORDER BY e.date",
    )
    assert references == [
        ("1993-02-02", "day", "1993-02-02"),
        ("1995", "year", "1995"),
        ("1999", "year", None),
        ("2015-12-21", "day", "2005"),
        ("2020-03-01", "day", None),
        ("2022-11-07", "day", None),
        ("2024-07-10", "day", None),
    ]
    assert rows(conn, "SELECT count(*) FROM sources WHERE kind = 'reference'") == [(8,)]


def test_figures_from_other_outlets_are_levels_or_years(conn: Connection) -> None:
    """The other outlets' shares are levels as of a date; turnovers are years' sums."""
    found = rows(
        conn,
        "SELECT f.slug, m.slug, f.as_of, f.period_start, f.period_end FROM figures f"
        " JOIN metrics m ON m.id = f.metric_id JOIN sources s ON s.id = f.source_id"
        f" WHERE s.slug <> '{ARTICLE}' ORDER BY f.slug",
    )
    assert found == [
        ("astanatimes-2022-eu-trade-turnover", "eu-trade-turnover", None, "2022", "2022"),
        (
            "astanatimes-2022-eu-trade-turnover-change",
            "eu-trade-turnover-change",
            None,
            "2022",
            "2022",
        ),
        (
            "astanatimes-2023-eu-share-of-foreign-trade",
            "eu-share-of-foreign-trade",
            "2023-05-15",
            None,
            None,
        ),
        (
            "astanatimes-2023-eu-share-of-investment",
            "eu-share-of-investment",
            "2023-05-15",
            None,
            None,
        ),
        ("kazakhtv-2016-eu-trade-turnover", "eu-trade-turnover", None, "2016", "2016"),
        (
            "kazakhtv-2017-eu-share-of-foreign-trade",
            "eu-share-of-foreign-trade",
            "2017",
            None,
            None,
        ),
        ("kazakhtv-2017-eu-share-of-investment", "eu-share-of-investment", "2017", None, None),
        (
            "kazinform-2024-eu-share-of-foreign-trade",
            "eu-share-of-foreign-trade",
            "2024-07-10",
            None,
            None,
        ),
        (
            "kazinform-2024-eu-share-of-investment",
            "eu-share-of-investment",
            "2024-07-10",
            None,
            None,
        ),
    ]


def test_the_ambassador_has_roles_from_two_sources(conn: Connection) -> None:
    found = rows(
        conn,
        "SELECT r.title, s.slug FROM roles r JOIN people p ON p.id = r.person_id"
        " JOIN sources s ON s.id = r.source_id WHERE p.slug = 'kestutis-jankauskas'"
        " ORDER BY s.published",
    )
    assert found == [
        ("EU Ambassador to Kazakhstan", ARTICLE),
        (
            "Ambassador of the European Union to Kazakhstan",
            "kazinform-2024-07-10-eu-dialogue-platform",
        ),
    ]
