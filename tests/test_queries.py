"""Read-side queries on a small database built row by row: fields, filters, order, errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from kb import queries
from kb.db import head_revision
from kb.errors import KbError
from kb.models import Base

TEXT = (
    "Ruritania and the Union signed a pact in 1995. Talks resumed in March 1995. "
    "“Trade will double,” said Anna Berg. “Not 100% of it,” said Carl Berg. "
    "The pact entered into force on 10 March 1995. A review is planned. "
    "Trade_share rose to 40 percent."
)


def span(needle: str, haystack: str = TEXT) -> tuple[int, int]:
    """[start, end) of the first occurrence of `needle`."""
    start = haystack.index(needle)
    return start, start + len(needle)


def evidence(needle: str) -> dict[str, Any]:
    """Evidence columns for a passage of TEXT."""
    start, end = span(needle)
    return {"evidence": needle, "evidence_start": start, "evidence_end": end}


def day(value: str | None, *, inferred: bool = False) -> dict[str, Any]:
    """An event date with the precision its form gives."""
    precision = {4: "year", 7: "month", 10: "day"}[len(value)] if value else None
    return {"date": value, "date_precision": precision, "date_inferred": inferred}


EVENTS = [
    # slug, date, inferred, evidence
    ("pact-in-force", "1995-03-10", False, "The pact entered into force on 10 March 1995."),
    ("talks-resumed", "1995-03", False, "Talks resumed in March 1995."),
    ("pact-signed", "1995", False, "Ruritania and the Union signed a pact in 1995."),
    ("review-planned", None, False, "A review is planned."),
    ("review-begun", "1996-01-01", True, "A review is planned."),
    ("talks-began", "1994-12", True, "Talks resumed in March 1995."),
]


def build_sample(engine: Engine) -> None:
    """Two sources, two parties, three people (two called Berg), quotes, figures, events."""
    tables = Base.metadata.tables
    with engine.begin() as c:
        c.execute(insert(tables["sources"]), [source("alpha-news", TEXT), source("beta-ref", "B.")])
        c.execute(
            insert(tables["parties"]),
            [
                {"id": 1, "slug": "ruritania", "name": "Ruritania", "kind": "country",
                 "aliases": ["Republic of Ruritania"]},
                {"id": 2, "slug": "the-union", "name": "The Union", "kind": "organization",
                 "aliases": ["Union"]},
            ],
        )  # fmt: skip
        c.execute(
            insert(tables["people"]),
            [
                {"id": 1, "slug": "anna-berg", "name": "Anna Berg", "aliases": ["Berg"]},
                {"id": 2, "slug": "carl-berg", "name": "Carl Berg", "aliases": ["Berg"]},
                {"id": 3, "slug": "dora-quiet", "name": "Dora Quiet", "aliases": []},
            ],
        )
        c.execute(
            insert(tables["roles"]),
            [{"person_id": 1, "title": "Trade Commissioner", "party_id": 2, "source_id": 1,
              **evidence("said Anna Berg")}],
        )  # fmt: skip
        c.execute(
            insert(tables["aliases"]),
            [
                {"party_id": 2, "person_id": None, "name": "Unión", "source_id": 2,
                 "name_start": 0, "name_end": 2},
                {"party_id": None, "person_id": 3, "name": "D. Quiet", "source_id": 2,
                 "name_start": 0, "name_end": 2},
            ],
        )  # fmt: skip
        c.execute(insert(tables["metrics"]), METRICS)
        c.execute(insert(tables["quotes"]), [quote(1, "double", "Trade will double,", 1)])
        c.execute(insert(tables["quotes"]), [quote(2, "not-all", "Not 100% of it,", 2)])
        c.execute(insert(tables["figures"]), figures())
        c.execute(
            insert(tables["events"]),
            [
                {"id": n, "slug": slug, "name": slug.replace("-", " "), "kind": "other",
                 "occurrence": "planned" if "review" in slug else "happened", "source_id": 1,
                 **day(date, inferred=inferred), **evidence(passage)}
                for n, (slug, date, inferred, passage) in enumerate(EVENTS, start=1)
            ],
        )  # fmt: skip
        c.execute(
            insert(tables["event_participants"]),
            [
                {"event_id": 3, "party_id": 1, "person_id": None, "role": "signatory"},
                {"event_id": 3, "party_id": 2, "person_id": None, "role": "signatory"},
                {"event_id": 1, "party_id": None, "person_id": 1, "role": None},
            ],
        )


def source(slug: str, body: str) -> dict[str, Any]:
    """A source row."""
    kind = "article" if slug == "alpha-news" else "reference"
    return {
        "slug": slug, "title": f"{slug} title", "kind": kind, "outlet": None, "url": None,
        "published": "1996-02", "published_precision": "month", "published_inferred": False,
        "author": None, "language": "en", "path": None, "text": body, "sha256": "0" * 64,
        "retrieved": None,
    }  # fmt: skip


def quote(number: int, slug: str, words: str, speaker: int) -> dict[str, Any]:
    """A quote row of the first source."""
    start, end = span(words)
    return {
        "id": number, "slug": slug, "text": words, "speaker_id": speaker, "source_id": 1,
        "kind": "direct", "text_start": start, "text_end": end, "said_on": "1995",
        "said_on_precision": "year", "said_on_inferred": True,
    }  # fmt: skip


METRICS = [
    {"id": 1, "slug": "trade-growth", "name": "Trade with the Union", "kind": "multiplier",
     "unit": "times", "aliases": ["bilateral trade"], "description": None},
    {"id": 2, "slug": "share-of-trade", "name": "Share of trade (100% basis)", "kind": "share",
     "unit": "percent", "aliases": [], "description": None},
    {"id": 3, "slug": "trade-share", "name": "Trade_share", "kind": "share", "unit": "percent",
     "aliases": ["share of the trade"], "description": "What share of trade."},
]  # fmt: skip


def figures() -> list[dict[str, Any]]:
    """A figure in Anna Berg's quote, one in Carl Berg's, one in the narration."""
    rows = [
        ("trade-doubles", 1, 1, 1, "double",
         "“Trade will double,” said Anna Berg.", "multiplier", 2.0, "times"),
        ("not-all", 2, None, 2, "100%",
         "“Not 100% of it,” said Carl Berg.", "share", 100.0, "percent"),
        ("trade-share", None, 1, 3, "40 percent",
         "Trade_share rose to 40 percent.", "share", 40.0, "percent"),
    ]  # fmt: skip
    out = []
    for slug, quote_id, subject, metric, surface, passage, kind, value, unit in rows:
        surface_start = TEXT.index(surface, TEXT.index(passage))
        out.append(
            {
                "slug": slug, "source_id": 1, "quote_id": quote_id, "subject_id": subject,
                "metric_id": metric, "kind": kind, "surface": surface, "value": value, "unit": unit,
                "qualifier": "exact", "base": None, "period_start": None,
                "period_start_precision": None, "period_start_inferred": False,
                "period_end": "1995", "period_end_precision": "year", "period_end_inferred": True,
                **evidence(passage), "surface_start": surface_start,
                "surface_end": surface_start + len(surface),
            }
        )  # fmt: skip
    return out


@pytest.fixture
def sample(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection to the sample database."""
    engine = engine_for(empty_db)
    build_sample(engine)
    with engine.connect() as connection:
        yield connection


def slugs(rows: list[dict[str, Any]]) -> list[str]:
    """The slug of each row, in order."""
    return [row["slug"] for row in rows]


def columns(table: str) -> set[str]:
    """Names of the columns of a kb table."""
    return set(Base.metadata.tables[table].c.keys())


# --- quotes -----------------------------------------------------------------------------------


def test_quote_rows_carry_every_column_and_the_names_they_refer_to(sample: Connection) -> None:
    row = queries.quotes(sample, by="anna-berg")[0]
    assert columns("quotes") <= set(row)
    assert row["text"] == "Trade will double,"
    assert TEXT[row["text_start"] : row["text_end"]] == row["text"]
    assert (row["said_on"], row["said_on_precision"], row["said_on_inferred"]) == (
        "1995",
        "year",
        True,
    )
    assert row["speaker_slug"] == "anna-berg"
    assert row["speaker_name"] == "Anna Berg"
    assert (row["source_slug"], row["source_title"]) == ("alpha-news", "alpha-news title")


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("anna-berg", ["double"]),
        ("ANNA-BERG", ["double"]),
        ("anna berg", ["double"]),
        ("  Carl Berg ", ["not-all"]),
        ("berg", ["double", "not-all"]),  # an alias two people share names both
        ("dora-quiet", []),  # a known person without quotes: an empty list, not an error
    ],
)
def test_quotes_by_slug_name_or_alias_ignoring_case(
    sample: Connection, by: str, expected: list[str]
) -> None:
    assert slugs(queries.quotes(sample, by=by)) == expected


def test_quotes_in_text_order_and_by_source(sample: Connection) -> None:
    assert slugs(queries.quotes(sample)) == ["double", "not-all"]
    assert slugs(queries.quotes(sample, source="alpha-news", by="Carl Berg")) == ["not-all"]
    assert queries.quotes(sample, source="beta-ref") == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: queries.quotes(c, by="Ana Berg"),
            "Unknown person 'Ana Berg'. Did you mean: anna-berg? `kb people` lists them.",
        ),
        (
            lambda c: queries.quotes(c, by="Anna"),
            "Unknown person 'Anna'. Did you mean: anna-berg? `kb people` lists them.",
        ),
        (
            lambda c: queries.quotes(c, source="alpha"),
            "Unknown source 'alpha'. Did you mean: alpha-news? `kb sources` lists them.",
        ),
        (
            lambda c: queries.figures(c, subject="Rurytania"),
            "Unknown party 'Rurytania'. Did you mean: ruritania? `kb parties` lists them.",
        ),
        (
            lambda c: queries.figures(c, source="zzz"),
            "Unknown source 'zzz'. `kb sources` lists them.",
        ),
        (
            lambda c: queries.person(c, "ana-berg"),
            "Unknown person 'ana-berg'. Did you mean: anna-berg? `kb people` lists them.",
        ),
    ],
    ids=["misspelt-name", "first-name", "source-prefix", "party", "no-suggestion", "person"],
)
def test_unknown_names_are_errors_with_suggestions(
    sample: Connection, call: Callable[[Connection], object], message: str
) -> None:
    with pytest.raises(KbError) as caught:
        call(sample)
    assert str(caught.value) == message


# --- figures ----------------------------------------------------------------------------------


def test_figure_rows_carry_spans_subject_quote_and_speaker(sample: Connection) -> None:
    rows = {row["slug"]: row for row in queries.figures(sample)}
    doubles = rows["trade-doubles"]
    assert columns("figures") <= set(doubles)
    assert TEXT[doubles["surface_start"] : doubles["surface_end"]] == "double"
    assert TEXT[doubles["evidence_start"] : doubles["evidence_end"]] == doubles["evidence"]
    assert (doubles["period_end"], doubles["period_end_precision"]) == ("1995", "year")
    assert doubles["period_end_inferred"] is True
    assert (doubles["subject_slug"], doubles["subject_name"]) == ("ruritania", "Ruritania")
    assert (doubles["quote_slug"], doubles["speaker_slug"]) == ("double", "anna-berg")
    assert doubles["speaker_name"] == "Anna Berg"
    assert (doubles["metric_slug"], doubles["metric_name"]) == (
        "trade-growth",
        "Trade with the Union",
    )
    narration = rows["trade-share"]
    assert (narration["quote_slug"], narration["speaker_slug"]) == (None, None)
    assert rows["not-all"]["subject_slug"] is None
    assert (narration["as_of"], narration["as_of_precision"], narration["as_of_inferred"]) == (
        None,
        None,
        False,
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["trade-doubles", "not-all", "trade-share"]),
        ({"subject": "Republic of Ruritania"}, ["trade-doubles", "trade-share"]),
        ({"subject": "union"}, []),
        ({"metric": "trade-growth"}, ["trade-doubles"]),  # a metric by slug,
        ({"metric": "SHARE OF TRADE (100% basis)"}, ["not-all"]),  # name (any case),
        ({"metric": "share of the trade"}, ["trade-share"]),  # or alias
        ({"metric": "trade_share", "subject": "ruritania", "source": "alpha-news"},
         ["trade-share"]),
        ({"metric": "trade-growth", "subject": "union"}, []),
    ],
)  # fmt: skip
def test_figure_filters(sample: Connection, filters: dict[str, str], expected: list[str]) -> None:
    assert slugs(queries.figures(sample, **filters)) == expected


def test_names_a_source_prints_name_people_and_parties(sample: Connection) -> None:
    # "D. Quiet" and "Unión" are in the aliases table only: another source's spellings.
    assert queries.person(sample, "d. quiet")["slug"] == "dora-quiet"
    assert slugs(queries.figures(sample, subject="UNIÓN")) == []  # no error: it is the Union
    with pytest.raises(KbError, match="Did you mean: dora-quiet"):
        queries.person(sample, "D. Quit")


def test_filters_travel_as_bound_parameters(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    build_sample(engine)
    seen: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    value = "x' OR '1'='1"
    with engine.connect() as connection:
        with pytest.raises(KbError, match="Unknown metric"):
            queries.figures(connection, metric=value)
        with pytest.raises(KbError, match="Unknown person"):
            queries.quotes(connection, by=value)
        assert queries.events(connection, date_from="1995-03") != []
    assert seen
    assert not any(value in statement or "1995-03" in statement for statement, _ in seen)
    # SQLite's driver takes a tuple of parameters, psycopg a dict.
    bound = [p for _, ps in seen for p in (ps.values() if isinstance(ps, dict) else ps)]
    assert any(value in str(param) for param in bound)


# --- events -----------------------------------------------------------------------------------


def test_events_sort_coarse_dates_first_and_undated_last(sample: Connection) -> None:
    rows = queries.events(sample)
    assert [(r["date"], r["slug"]) for r in rows] == [
        ("1994-12", "talks-began"),
        ("1995", "pact-signed"),
        ("1995-03", "talks-resumed"),
        ("1995-03-10", "pact-in-force"),
        ("1996-01-01", "review-begun"),
        (None, "review-planned"),
    ]


def test_event_rows_carry_precision_inferred_flag_and_participants(sample: Connection) -> None:
    rows = {row["slug"]: row for row in queries.events(sample)}
    signed = rows["pact-signed"]
    assert columns("events") <= set(signed)
    assert (signed["date"], signed["date_precision"], signed["date_inferred"]) == (
        "1995",
        "year",
        False,
    )
    assert rows["talks-began"]["date_inferred"] is True
    assert TEXT[signed["evidence_start"] : signed["evidence_end"]] == signed["evidence"]
    assert signed["participants"] == [
        {"type": "party", "slug": "ruritania", "name": "Ruritania", "role": "signatory",
         "source_slug": None},
        {"type": "party", "slug": "the-union", "name": "The Union", "role": "signatory",
         "source_slug": None},
    ]  # fmt: skip
    assert rows["pact-in-force"]["participants"] == [
        {"type": "person", "slug": "anna-berg", "name": "Anna Berg", "role": None,
         "source_slug": None}
    ]  # fmt: skip
    assert rows["review-planned"]["participants"] == []
    assert (signed["source_slug"], signed["same_as_slug"]) == ("alpha-news", None)


@pytest.mark.parametrize(
    ("date_from", "date_to", "expected"),
    [
        # A year-precision event overlaps any bound inside its year.
        ("1995-06-01", None, ["pact-signed", "review-begun"]),
        (None, "1995-01-15", ["talks-began", "pact-signed"]),
        # A month-precision event overlaps any day of its month.
        ("1995-03-31", None, ["pact-signed", "talks-resumed", "review-begun"]),
        (None, "1995-03-01", ["talks-began", "pact-signed", "talks-resumed"]),
        # A coarse bound covers its whole period.
        ("1995", "1995", ["pact-signed", "talks-resumed", "pact-in-force"]),
        ("1995-03", "1995-03", ["pact-signed", "talks-resumed", "pact-in-force"]),
        ("1995-03-10", "1995-03-10", ["pact-signed", "talks-resumed", "pact-in-force"]),
        ("1995-03-11", "1995-12-31", ["pact-signed", "talks-resumed"]),
        ("1996", None, ["review-begun"]),
        (None, "1994", ["talks-began"]),
        ("1997", None, []),
        # Without bounds, undated events are listed (last); with one, they are left out.
        (None, None, ["talks-began", "pact-signed", "talks-resumed", "pact-in-force",
                      "review-begun", "review-planned"]),
    ],
)  # fmt: skip
def test_event_bounds_respect_precision(
    sample: Connection, date_from: str | None, date_to: str | None, expected: list[str]
) -> None:
    assert slugs(queries.events(sample, date_from=date_from, date_to=date_to)) == expected


@pytest.mark.parametrize(
    "value", ["95", "1995-1", "1995-13", "1995-02-30", "1995/03", "March 1995", "", "1995-03-10T0"]
)
def test_bad_dates_are_errors(sample: Connection, value: str) -> None:
    with pytest.raises(KbError, match=r"Not a date: .*Write YYYY, YYYY-MM or YYYY-MM-DD"):
        queries.events(sample, date_from=value)
    with pytest.raises(KbError, match="Not a date"):
        queries.events(sample, date_to=value)


@pytest.mark.parametrize("value", ["1995", "1995-03", "1995-03-10", "2024-02-29", " 1995 "])
def test_good_dates_are_accepted(value: str) -> None:
    assert queries.check_date(value) == value.strip()


def test_a_range_that_ends_before_it_starts_is_an_error(sample: Connection) -> None:
    with pytest.raises(KbError, match="Empty date range: from 1996 is after to 1995-12"):
        queries.events(sample, date_from="1996", date_to="1995-12")
    # Bounds of different precision that overlap are a valid range.
    assert slugs(queries.events(sample, date_from="1995-03", date_to="1995")) == [
        "pact-signed",
        "talks-resumed",
        "pact-in-force",
    ]


# --- people, sources, parties, stats ----------------------------------------------------------


def test_people_with_role_titles_and_quote_counts(sample: Connection) -> None:
    rows = queries.people(sample)
    assert [(r["slug"], r["aliases"], r["roles"], r["quote_count"]) for r in rows] == [
        ("anna-berg", ["Berg"], ["Trade Commissioner"], 1),
        ("carl-berg", ["Berg"], [], 1),
        ("dora-quiet", [], [], 0),
    ]
    assert columns("people") <= set(rows[0])


def test_person_profile(sample: Connection) -> None:
    anna = queries.person(sample, "Anna Berg")
    assert (anna["slug"], anna["name"], anna["aliases"]) == ("anna-berg", "Anna Berg", ["Berg"])
    (role,) = anna["roles"]
    assert columns("roles") <= set(role)
    assert (role["title"], role["party_slug"], role["party_name"]) == (
        "Trade Commissioner",
        "the-union",
        "The Union",
    )
    assert (role["source_slug"], TEXT[role["evidence_start"] : role["evidence_end"]]) == (
        "alpha-news",
        "said Anna Berg",
    )
    assert slugs(anna["quotes"]) == ["double"]
    assert slugs(anna["figures"]) == ["trade-doubles"]
    assert slugs(anna["events"]) == ["pact-in-force"]
    assert anna["events"][0]["participants"][0]["slug"] == "anna-berg"


def test_person_without_facts_and_ambiguous_names(sample: Connection) -> None:
    dora = queries.person(sample, "dora-quiet")
    assert (dora["roles"], dora["quotes"], dora["figures"], dora["events"]) == ([], [], [], [])
    assert [(n["name"], n["source_slug"]) for n in dora["names"]] == [("D. Quiet", "beta-ref")]
    with pytest.raises(KbError, match="'Berg' names more than one person: anna-berg, carl-berg"):
        queries.person(sample, "Berg")


def test_sources_with_every_column_and_fact_counts(sample: Connection) -> None:
    rows = queries.sources(sample)
    assert slugs(rows) == ["alpha-news", "beta-ref"]
    alpha = rows[0]
    assert columns("sources") <= set(alpha)
    assert alpha["text"] == TEXT
    assert (alpha["published"], alpha["published_precision"]) == ("1996-02", "month")
    assert (alpha["quote_count"], alpha["figure_count"], alpha["event_count"]) == (2, 3, 6)
    assert (rows[1]["quote_count"], rows[1]["figure_count"], rows[1]["event_count"]) == (0, 0, 0)


def test_parties_with_figure_counts(sample: Connection) -> None:
    rows = queries.parties(sample)
    assert [(r["slug"], r["kind"], r["aliases"], r["figure_count"]) for r in rows] == [
        ("ruritania", "country", ["Republic of Ruritania"], 2),
        ("the-union", "organization", ["Union"], 0),
    ]


def test_metrics_with_figure_and_source_counts(sample: Connection) -> None:
    rows = queries.metrics(sample)
    assert [(r["slug"], r["figure_count"], r["source_count"]) for r in rows] == [
        ("share-of-trade", 1, 1),
        ("trade-growth", 1, 1),
        ("trade-share", 1, 1),
    ]
    assert columns("metrics") <= set(rows[0])
    assert slugs(queries.metrics(sample, limit=1)) == ["share-of-trade"]


def test_stats(sample: Connection) -> None:
    assert queries.stats(sample) == {
        "rows": {
            "sources": 2,
            "parties": 2,
            "metrics": 3,
            "people": 3,
            "roles": 1,
            "aliases": 2,
            "quotes": 2,
            "figures": 3,
            "events": 6,
            "event_participants": 3,
        },
        "events": {"first": "1994-12", "last": "1996-01-01", "dated": 5, "undated": 1},
        "sources_by_kind": {"article": 1, "reference": 1},
    }


def test_stats_of_an_empty_database(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(empty_db).connect() as connection:
        result = queries.stats(connection)
    assert set(result["rows"].values()) == {0}
    assert result["events"] == {"first": None, "last": None, "dated": 0, "undated": 0}
    assert result["sources_by_kind"] == {}


def test_queries_accept_an_orm_session(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    build_sample(engine)
    with Session(engine) as session:
        assert slugs(queries.quotes(session, by="Berg")) == ["double", "not-all"]
        assert queries.person(session, "carl-berg")["quotes"][0]["slug"] == "not-all"
        assert queries.stats(session)["rows"]["quotes"] == 2


def test_every_table_is_counted_by_stats(sample: Connection) -> None:
    # Every table of the models, and only those (not Alembic's, nor the full-text index's).
    assert set(queries.stats(sample)["rows"]) == set(Base.metadata.tables)
    assert set(Base.metadata.tables) <= set(inspect(sample).get_table_names())


# --- opening a database for reading -----------------------------------------------------------


def drop_figures(connection: Connection) -> str:
    """SQL that drops the figures table (PostgreSQL must drop the views that use it too)."""
    cascade = " CASCADE" if connection.dialect.name == "postgresql" else ""
    return f"DROP TABLE figures{cascade}"


def url(db: str | Path) -> str:
    """SQLAlchemy URL of a database URL or a SQLite file."""
    return db if isinstance(db, str) else f"sqlite:///{db}"


def test_reading_a_missing_file_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    with (
        pytest.raises(KbError, match=r"No database at .*none\.sqlite3\. Build one with `kb load`"),
        queries.reading(url(missing)),
    ):
        pass
    assert not missing.exists()


def test_reading_a_file_that_is_not_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello, I am text\n" * 20)
    with (
        pytest.raises(KbError, match=r"notes\.txt is not a SQLite database \(file is not a"),
        queries.reading(url(path)),
    ):
        pass


def test_reading_a_sqlite_file_without_kb_tables(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE things (a)")
    connection.close()
    with (
        pytest.raises(KbError, match=r"other\.db is not a kb database"),
        queries.reading(url(path)),
    ):
        pass


def test_reading_a_database_at_base(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    from kb.migrating import downgrade

    downgrade(engine_for(empty_db), "base")
    with (
        pytest.raises(KbError, match=r"has no kb tables .*Run `kb db upgrade` or `kb load`"),
        queries.reading(url(empty_db)),
    ):
        pass


def test_reading_an_older_schema_names_the_revisions(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    # Pretend an older migration left the database without the figures table.
    with engine_for(empty_db).begin() as connection:
        connection.execute(text("UPDATE _alembic_version SET version_num = '0000old'"))
        connection.execute(text(drop_figures(connection)))
    with pytest.raises(KbError) as caught, queries.reading(url(empty_db)) as connection:
        queries.figures(connection)
    expected = f"is at schema revision 0000old but this kb needs {head_revision()}: run `kb db"
    assert expected in str(caught.value)


def test_reading_errors_that_are_not_about_the_schema(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(empty_db).begin() as connection:
        connection.execute(text(drop_figures(connection)))
    with (
        pytest.raises(
            KbError,
            match=r'Cannot read .*: (no such table: figures|relation "figures" does not exist)\.$',
        ),
        queries.reading(url(empty_db)) as connection,
    ):
        queries.figures(connection)


def test_reading_lets_other_errors_through(seeded_db: str) -> None:
    with (
        pytest.raises(KbError, match="Unknown person"),
        queries.reading(url(seeded_db)) as connection,
    ):
        queries.quotes(connection, by="nobody-at-all")


def test_reading_does_not_wait_for_a_writer(
    seeded_sqlite: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    seeded_db = seeded_sqlite
    monkeypatch.setattr("kb.db.BUSY_TIMEOUT_MS", 100)
    writer = sqlite3.connect(seeded_db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE people SET name = name")
        with queries.reading(url(seeded_db)) as connection:
            assert queries.people(connection)
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_the_light_tables_match_the_models_column_for_column() -> None:
    """kb.tables defines light tables (no ORM import on the read path): they must stay what
    kb.models declares, with the same column types."""
    from kb.models import Base
    from kb.tables import TABLES

    assert set(TABLES) == set(Base.metadata.tables)
    for name, light in TABLES.items():
        model = Base.metadata.tables[name]
        assert list(light.c.keys()) == list(model.c.keys()), name
        for column in model.c:
            light_type = type(light.c[column.key].type)
            assert light_type._type_affinity is type(column.type)._type_affinity, column
