"""The views answer the common questions without joins, the same way on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from kb.migrating import downgrade, upgrade
from kb.search.index import is_index_object

VIEWS = ["events_view", "figures_view", "quotes_view", "timeline"]
ARTICLE = "jjtv-kazakhstan-eu-30-years"
ARTICLE_TITLE = "Kazakhstan and EU mark 30 years of diplomatic relations"
AMBASSADOR = "Kestutis Jankauskas"

# The events whose evidence lies inside one of the Ambassador's quotes.
IN_HIS_QUOTES = """
    SELECT e.id FROM events AS e
    JOIN quotes AS q ON q.source_id = e.source_id
     AND e.evidence_start >= q.text_start AND e.evidence_end <= q.text_end
    WHERE q.speaker_id = (SELECT id FROM people WHERE slug = :who)
"""


def rows(connection: Connection, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """The rows of a query as tuples (flags are 0/1 on SQLite, booleans on PostgreSQL)."""
    return [tuple(row) for row in connection.execute(text(sql), params)]


@pytest.fixture
def seeded(seeded_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection to the seeded database, closed after the test."""
    with engine_for(seeded_db).connect() as connection:
        yield connection


def test_quotes_view_rows_for_the_ambassador(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT slug, speaker_name, kind, source_title, outlet, url, published, "
        "published_precision, published_inferred, said_on, text_start, text_end, source_slug "
        "FROM quotes_view WHERE speaker_slug = 'kestutis-jankauskas'",
    )
    source = (
        ARTICLE_TITLE,
        "Jibek Joly TV (jjtv.kz), English service",
        "https://jjtv.kz/en/kazakhstan-and-eu-mark-30-years-of-diplomatic-relations",
        "2023-02-02",
        "day",
        True,
        None,
    )
    assert [(*r[:8], bool(r[8]), *r[9:]) for r in found] == [
        ("jankauskas-pca-to-epca", AMBASSADOR, "direct", *source, 593, 1165, ARTICLE),
        ("jankauskas-investment-77bn", AMBASSADOR, "direct", *source, 1521, 1963, ARTICLE),
    ]
    texts = rows(seeded, "SELECT v.text = q.text FROM quotes_view v JOIN quotes q ON q.id = v.id")
    assert texts == [(True,), (True,)]


def test_figures_view_rows_for_the_ambassador(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT slug, subject_name, metric, surface, value, unit, qualifier, period_start, "
        "period_end, quote_slug, source_slug, metric_slug FROM figures_view "
        "WHERE stated_by = :who",
        who=AMBASSADOR,
    )
    investment = "European investment"
    assert found == [
        (
            "jjtv-epca-areas",
            None,
            "Areas covered by the Enhanced Partnership and Cooperation Agreement",
            "29",
            29.0,
            "areas",
            "exact",
            None,
            None,
            "jankauskas-pca-to-epca",
            ARTICLE,
            "epca-areas-covered",
        ),
        (
            "jjtv-eu-investment-77bn",
            "Kazakhstan",
            investment,
            "US$77 billion",
            7.7e10,
            "USD",
            "almost",
            "1993",
            "2023",
            "jankauskas-investment-77bn",
            ARTICLE,
            "european-investment",
        ),
        (
            "jjtv-eu-share-of-investment",
            "Kazakhstan",
            "EU share of investment",
            "a half, or 50 percent",
            50.0,
            "percent",
            "about",
            "1993",
            "2023",
            "jankauskas-investment-77bn",
            ARTICLE,
            "eu-share-of-investment",
        ),
        (
            "jjtv-eu-investment-2022",
            "Kazakhstan",
            "Yearly European investment",
            "800 million",
            8e8,
            "unknown",
            "about",
            "2022",
            "2022",
            "jankauskas-investment-77bn",
            ARTICLE,
            "yearly-european-investment",
        ),
    ]


def test_narration_states_the_other_figures(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT slug, as_of FROM figures_view WHERE stated_by IS NULL AND source_slug = :article",
        article=ARTICLE,
    )
    assert found == [
        ("jjtv-eu-investment-160bn", None),
        ("jjtv-trade-turnover-180-fold", None),
        ("jjtv-eu-share-of-foreign-trade", "2023-02-02"),
        ("jjtv-european-companies", "2023-02-02"),
    ]


def test_the_eu_share_of_foreign_trade_across_four_sources(seeded: Connection) -> None:
    """One metric, four sources: the view names the metric and says when each level held."""
    found = rows(
        seeded,
        "SELECT source_slug, surface, qualifier, as_of, as_of_precision, metric FROM figures_view "
        "WHERE metric_slug = 'eu-share-of-foreign-trade' ORDER BY as_of",
    )
    assert found == [
        ("kazakhtv-2017-kazakhstan-eu-cooperation", "50%", "about", "2017", "year", MEASURE),
        (ARTICLE, "one third", "exact", "2023-02-02", "day", MEASURE),
        (
            "astanatimes-2023-05-15-eu-trade-investment",
            "30%",
            "more_than",
            "2023-05-15",
            "day",
            MEASURE,
        ),
        ("kazinform-2024-07-10-eu-dialogue-platform", "30%", "about", "2024-07-10", "day", MEASURE),
    ]


MEASURE = "EU share of foreign trade"


def test_events_view_rows_for_the_ambassadors_quotes(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT slug, date, date_precision, date_inferred, participants, source_slug, "
        f"same_as_group, reported_by FROM events_view WHERE id IN ({IN_HIS_QUOTES})",
        who="kestutis-jankauskas",
    )
    kz_eu = "Kazakhstan; European Union"
    assert [(*r[:3], bool(r[3]), *r[4:]) for r in found] == [
        (
            "jjtv-kz-eu-pca-signed",
            "1995",
            "year",
            False,
            "Kazakhstan (signatory); European Union (signatory)",
            ARTICLE,
            "astanatimes-kz-eu-pca-signed",
            f"astanatimes-2013-10-pca-negotiations, {ARTICLE}",
        ),
        (
            "jjtv-kz-eu-epca-signed",
            "2005",
            "year",
            True,
            "European Union (signatory); Kazakhstan (signatory)",
            ARTICLE,
            "isdp-kz-eu-epca-signed",
            f"isdp-2015-12-21-kazakhstan-europe, {ARTICLE}",
        ),
        (
            "jjtv-kz-eu-epca-in-force",
            None,
            None,
            False,
            kz_eu,
            ARTICLE,
            "jjtv-kz-eu-epca-in-force",
            f"{ARTICLE}, tdmi-2020-09-cooperation-committee",
        ),
        (
            "jjtv-kz-eu-critical-minerals-agreement",
            None,
            None,
            False,
            kz_eu,
            ARTICLE,
            "jjtv-kz-eu-critical-minerals-agreement",
            f"{ARTICLE}, kazinform-2022-11-08-raw-materials-memorandum",
        ),
    ]


def test_timeline_rows_for_the_ambassadors_quotes(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT date, date_precision, date_inferred, name, source_slug, same_as_group "
        f"FROM timeline WHERE id IN ({IN_HIS_QUOTES})",
        who="kestutis-jankauskas",
    )
    assert [(*r[:2], bool(r[2]), *r[3:]) for r in found] == [
        (
            "1995",
            "year",
            False,
            "Kazakhstan and the EU sign the partnership and cooperation agreement",
            ARTICLE,
            "astanatimes-kz-eu-pca-signed",
        ),
        (
            "2005",
            "year",
            True,
            "Kazakhstan and the EU sign the first enhanced partnership and cooperation agreement",
            ARTICLE,
            "isdp-kz-eu-epca-signed",
        ),
    ]


def test_timeline_is_every_dated_event_in_date_order(seeded: Connection) -> None:
    found = rows(seeded, "SELECT date, slug FROM timeline")
    assert [date for date, _slug in found] == [
        "1993-02-02",
        "1993-02-02",
        "1995",
        "1995",
        "1999",
        "2005",
        "2015-12-21",
        "2020-03-01",
        "2022-11-07",
        "2023",
        "2023-02-02",
        "2024-07-10",
    ]
    dated = rows(seeded, "SELECT count(*) FROM events WHERE date IS NOT NULL")
    assert dated == [(len(found),)]


def test_records_of_one_happening_share_a_group(seeded: Connection) -> None:
    found = rows(
        seeded,
        "SELECT same_as_group, count(*) FROM timeline GROUP BY same_as_group "
        "HAVING count(*) > 1 ORDER BY same_as_group",
    )
    assert found == [
        ("astanatimes-kz-eu-pca-signed", 2),
        ("isdp-kz-eu-epca-signed", 2),
        ("jjtv-kz-eu-relations-established", 2),
    ]


def test_events_view_has_every_event_undated_last(seeded: Connection) -> None:
    found = rows(seeded, "SELECT date FROM events_view")
    assert len(found) == rows(seeded, "SELECT count(*) FROM events")[0][0] == 14
    assert found[-2:] == [(None,), (None,)]


def add_event(connection: Connection, slug: str, source: int, same_as: str | None) -> None:
    """Insert an event of `source` that is the same happening as event `same_as`."""
    connection.execute(
        text(
            "INSERT INTO events (slug, name, kind, occurrence, source_id, same_as_id, "
            "evidence, evidence_start, evidence_end) VALUES (:slug, 'Signing', 'signing', "
            "'happened', :source, (SELECT id FROM events WHERE slug = :same_as), 'x', 0, 1)"
        ),
        {"slug": slug, "source": source, "same_as": same_as},
    )


def add_source(connection: Connection, slug: str) -> int:
    """Insert a source and return its id."""
    return int(
        connection.execute(
            text(
                "INSERT INTO sources (slug, title, kind, text, sha256) "
                "VALUES (:slug, 'A source', 'article', 'x', '') RETURNING id"
            ),
            {"slug": slug},
        ).scalar_one()
    )


def test_a_chain_of_same_as_links_is_one_happening(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(empty_db).begin() as connection:
        s1, s2, s3, s4 = (add_source(connection, f"s{n}") for n in range(1, 5))
        add_event(connection, "c", s3, None)
        add_event(connection, "b", s2, "c")
        add_event(connection, "a", s1, "b")
        add_event(connection, "d", s4, "b")
        add_event(connection, "lone", s1, None)
        found = rows(
            connection, "SELECT slug, same_as_group, reported_by FROM events_view ORDER BY slug"
        )
    everyone = "s1, s2, s3, s4"
    assert found == [
        ("a", "a", everyone),
        ("b", "a", everyone),
        ("c", "a", everyone),
        ("d", "a", everyone),
        ("lone", "lone", "s1"),
    ]


def test_views_of_an_empty_database_are_empty(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(empty_db).connect() as connection:
        for view in VIEWS:
            assert rows(connection, f"SELECT count(*) FROM {view}") == [(0,)]


def test_downgrade_drops_the_views_and_upgrade_restores_them(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)

    def views() -> list[str]:
        """The views, without the one full-text search adds on SQLite (quotes_fts_source)."""
        names = inspect(engine).get_view_names()
        return sorted(name for name in names if not is_index_object(name, "view"))

    assert views() == VIEWS
    downgrade(engine, "0002")
    assert inspect(engine).get_view_names() == []
    upgrade(engine)
    assert views() == VIEWS


AMBASSADOR_ROWS_CSV = {
    "quotes_view": (
        "SELECT slug, speaker_name, outlet, published, text_start FROM quotes_view "
        "WHERE speaker_slug = :who",
        "slug,speaker_name,outlet,published,text_start\n"
        "jankauskas-pca-to-epca,Kestutis Jankauskas,"
        '"Jibek Joly TV (jjtv.kz), English service",2023-02-02,593\n'
        "jankauskas-investment-77bn,Kestutis Jankauskas,"
        '"Jibek Joly TV (jjtv.kz), English service",2023-02-02,1521\n',
    ),
    "figures_view": (
        "SELECT slug, surface, unit, qualifier FROM figures_view "
        "WHERE quote_slug IN (SELECT slug FROM quotes_view WHERE speaker_slug = :who)",
        "slug,surface,unit,qualifier\n"
        "jjtv-epca-areas,29,areas,exact\n"
        "jjtv-eu-investment-77bn,US$77 billion,USD,almost\n"
        'jjtv-eu-share-of-investment,"a half, or 50 percent",percent,about\n'
        "jjtv-eu-investment-2022,800 million,unknown,about\n",
    ),
    "events_view": (
        f"SELECT slug, date, participants FROM events_view WHERE id IN ({IN_HIS_QUOTES})",
        "slug,date,participants\n"
        "jjtv-kz-eu-pca-signed,1995,Kazakhstan (signatory); European Union (signatory)\n"
        "jjtv-kz-eu-epca-signed,2005,European Union (signatory); Kazakhstan (signatory)\n"
        "jjtv-kz-eu-epca-in-force,,Kazakhstan; European Union\n"
        "jjtv-kz-eu-critical-minerals-agreement,,Kazakhstan; European Union\n",
    ),
    "timeline": (
        f"SELECT date, slug, same_as_group FROM timeline WHERE id IN ({IN_HIS_QUOTES})",
        "date,slug,same_as_group\n"
        "1995,jjtv-kz-eu-pca-signed,astanatimes-kz-eu-pca-signed\n"
        "2005,jjtv-kz-eu-epca-signed,isdp-kz-eu-epca-signed\n",
    ),
}


@pytest.mark.parametrize("view", sorted(AMBASSADOR_ROWS_CSV))
def test_kb_sql_shows_each_views_rows_for_the_ambassador(
    kb: Callable[..., Any], seeded_db: str, view: str
) -> None:
    sql, expected = AMBASSADOR_ROWS_CSV[view]
    result = kb("sql", sql, "-p", "who", "kestutis-jankauskas", "--format", "csv", db=seeded_db)
    assert (result.exit_code, result.stdout) == (0, expected)
