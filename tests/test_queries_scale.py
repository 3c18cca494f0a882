"""What keeps the list commands quick on large databases changes no answer: a limit keeps the
first rows, names are looked up through the index as they are by reading everyone, and the
conflict marks (paired in Python, for the rows shown) are kb conflicts' pairs."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from kb import queries
from kb.errors import KbError
from kb.models import PRECISION_LENGTHS, Base
from kb.queries.common import matching, people_named, person_ids, source_ids, sources_named
from kb.queries.conflicts import conflicts

EngineFor = Callable[[str | Path], Engine]


@pytest.fixture
def seeded(seeded_db: str, engine_for: EngineFor) -> Iterator[Connection]:
    """A connection to a copy of the database holding the bundled collection."""
    with engine_for(seeded_db).connect() as connection:
        yield connection


LISTS: dict[str, Callable[..., list[dict[str, Any]]]] = {
    "quotes": queries.quotes,
    "quotes --by": lambda c, **o: queries.quotes(c, by="Jankauskas", **o),
    "figures": queries.figures,
    "figures --subject": lambda c, **o: queries.figures(c, subject="kazakhstan", **o),
    "figures --metric": lambda c, **o: queries.figures(c, metric="eu-share-of-investment", **o),
    "events": queries.events,
    "events --from": lambda c, **o: queries.events(c, date_from="2000", **o),
    "events --from --to": lambda c, **o: queries.events(c, date_from="1995", date_to="2015", **o),
}


@pytest.mark.parametrize("command", LISTS)
def test_a_limit_keeps_the_first_rows(seeded: Connection, command: str) -> None:
    listing = LISTS[command]
    everything = listing(seeded)
    assert everything
    for limit in range(1, len(everything) + 2):
        assert listing(seeded, limit=limit) == everything[:limit]


def test_a_limit_must_be_positive(seeded: Connection) -> None:
    for listing in (queries.quotes, queries.figures, queries.events):
        with pytest.raises(KbError, match="--limit must be 1 or more, not 0"):
            listing(seeded, limit=0)


# --- names ---------------------------------------------------------------------------------------


def forms(name: str) -> list[str]:
    """Ways a user may type a name: as written, folded, shouted, padded."""
    return [name, name.casefold(), name.upper(), f"  {name} "]


def test_people_and_sources_are_found_as_reading_them_all_would(seeded: Connection) -> None:
    everyone, every_source = people_named(seeded), sources_named(seeded)
    for person in everyone:
        for name in (person.slug, *person.names):
            for typed in forms(name):
                expected = sorted(r.id for r in matching(typed, everyone))
                assert sorted(person_ids(seeded, typed)) == expected, typed
    for source in every_source:
        for name in (source.slug, *source.names):
            for typed in forms(name):
                expected = sorted(r.id for r in matching(typed, every_source))
                assert sorted(source_ids(seeded, typed)) == expected, typed


@pytest.mark.parametrize("typed", ["Jankauskaz", "-", "Kestutis", "«»", "jankauskas jankauskas"])
def test_names_that_name_no_one_are_errors(seeded: Connection, typed: str) -> None:
    with pytest.raises(KbError, match="Unknown person"):
        person_ids(seeded, typed)


# --- conflict marks ------------------------------------------------------------------------------

QUALIFIERS = ("exact", "about", "almost", "more_than", "at_least", "less_than", "at_most")
# Two metrics of amounts (in any currency); figures name them by id.
METRICS = [
    {"id": 1, "slug": "eu-investment", "name": "EU investment", "kind": "amount", "aliases": []},
    {"id": 2, "slug": "trade", "name": "Trade", "kind": "amount", "aliases": ["bilateral trade"]},
]


def random_date(rng: random.Random) -> tuple[str | None, str | None]:
    """A date between 1995 and 1999 at a random precision, and its precision; or neither."""
    if rng.random() < 0.3:
        return None, None
    precision = rng.choice(tuple(PRECISION_LENGTHS))
    day = f"{rng.randrange(1995, 2000)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
    return day[: PRECISION_LENGTHS[precision]], precision


def random_figures(count: int, seed: int) -> list[dict[str, Any]]:
    """Figures of two subjects and none, two metrics, a few units, qualifiers, periods and
    as-of dates."""
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        start, start_precision = random_date(rng)
        end, end_precision = random_date(rng)
        if start and end and start > end:
            start, start_precision, end, end_precision = end, end_precision, start, start_precision
        as_of, as_of_precision = random_date(rng) if rng.random() < 0.3 else (None, None)
        if as_of is not None:
            start = start_precision = end = end_precision = None
        rows.append(
            {
                "slug": f"figure-{n:03d}", "source_id": 1 + n % 2,
                "subject_id": rng.choice((1, 2, None)), "metric_id": rng.choice((1, 2)),
                "kind": "amount", "surface": "x",
                "unit": rng.choice(("USD", "USD", "EUR", "unknown")),
                "value": rng.choice((100.0, 105.0, 150.0, -20.0, 0.0)),
                "qualifier": rng.choice(QUALIFIERS), "period_start": start,
                "period_start_precision": start_precision, "period_end": end,
                "period_end_precision": end_precision, "as_of": as_of,
                "as_of_precision": as_of_precision, "evidence": "x",
                "evidence_start": 0, "evidence_end": 1 + n, "surface_start": 0,
                "surface_end": 1 + n % 3,
            }
        )  # fmt: skip
    return rows


def build_figures(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Two sources, two parties and the figure rows."""
    tables = Base.metadata.tables
    with engine.begin() as connection:
        connection.execute(
            insert(tables["sources"]),
            [{"slug": slug, "title": slug, "kind": "article", "text": "x" * 400,
              "sha256": "0" * 64} for slug in ("beta", "alpha")],
        )  # fmt: skip
        connection.execute(
            insert(tables["parties"]),
            [{"slug": slug, "name": slug, "kind": "country", "aliases": []}
             for slug in ("ruritania", "freedonia")],
        )  # fmt: skip
        connection.execute(insert(tables["metrics"]), METRICS)
        connection.execute(insert(tables["figures"]), rows)


def marks_from_pairs(connection: Connection) -> dict[str, list[str]]:
    """What each figure conflicts with according to kb conflicts, in kb figures' order."""
    order = {row["slug"]: n for n, row in enumerate(queries.figures(connection))}
    partners: dict[str, list[str]] = defaultdict(list)
    for conflict in conflicts(connection, only="figure"):
        partners[conflict["a_slug"]].append(conflict["b_slug"])
        partners[conflict["b_slug"]].append(conflict["a_slug"])
    return {slug: sorted(others, key=order.__getitem__) for slug, others in partners.items()}


def marks(rows: list[dict[str, Any]]) -> dict[str, list[str]]:
    """The conflicts_with of the rows that have any."""
    return {row["slug"]: row["conflicts_with"] for row in rows if row["conflicts_with"]}


def test_figure_marks_are_the_conflicts_kb_conflicts_finds(
    empty_db: str, engine_for: EngineFor
) -> None:
    engine = engine_for(empty_db)
    build_figures(engine, random_figures(160, seed=5))
    with engine.connect() as connection:
        expected = marks_from_pairs(connection)
        assert len(expected) > 40  # the random figures do disagree, in many ways
        assert marks(queries.figures(connection)) == expected
        for subject in ("ruritania", "freedonia"):
            about = queries.figures(connection, subject=subject)
            assert marks(about) == {row["slug"]: expected[row["slug"]] for row in about
                                    if row["slug"] in expected}  # fmt: skip
        # A page of rows is marked as the whole list marks it.
        for limit in (1, 7, 50):
            assert marks(queries.figures(connection, limit=limit)) == {
                slug: others
                for slug, others in marks(queries.figures(connection)).items()
                if slug in {row["slug"] for row in queries.figures(connection, limit=limit)}
            }


def test_marks_on_the_bundled_collection(seeded: Connection) -> None:
    assert marks(queries.figures(seeded)) == marks_from_pairs(seeded)
    events = {(c["a_slug"], c["b_slug"]) for c in conflicts(seeded, only="event")} | {
        (c["b_slug"], c["a_slug"]) for c in conflicts(seeded, only="event")
    }
    assert {
        (row["slug"], other) for row in queries.events(seeded) for other in row["conflicts_with"]
    } == events
    assert events


def test_a_subject_page_is_the_page_of_its_filtered_list(
    empty_db: str, engine_for: EngineFor
) -> None:
    # A subject's page (chosen among its figures alone, marked from their groups), its whole
    # list (one read of all its figures marks it) and the list of every figure give the same
    # rows, marks and order.
    engine = engine_for(empty_db)
    build_figures(engine, random_figures(160, seed=7))
    with engine.connect() as connection:
        for subject, party_id in (("ruritania", 1), ("freedonia", 2)):
            for options in ({}, {"source": "alpha"}, {"source": "beta"}):
                whole = queries.figures(connection, subject=subject, **options)
                expected = [
                    row for row in queries.figures(connection, **options)
                    if row["subject_id"] == party_id
                ]  # fmt: skip
                assert whole == expected, options
                for limit in (1, 7, 50):
                    page = queries.figures(connection, subject=subject, limit=limit, **options)
                    assert page == whole[:limit], (options, limit)


def test_a_metric_page_is_the_page_of_its_whole_list(empty_db: str, engine_for: EngineFor) -> None:
    # A metric's page is read subject by subject (figures about none last): the same rows,
    # marks and order as the whole list, also for a subject or a source, and past the end of
    # the figures about a subject.
    engine = engine_for(empty_db)
    build_figures(engine, random_figures(160, seed=11))
    with engine.connect() as connection:
        for metric in ("eu-investment", "Bilateral Trade"):
            for options in ({}, {"subject": "ruritania"}, {"source": "alpha"}):
                whole = queries.figures(connection, metric=metric, **options)
                assert whole, options
                for limit in (1, 7, 30, 200):
                    page = queries.figures(connection, metric=metric, limit=limit, **options)
                    assert page == whole[:limit], (metric, options, limit)


def test_a_subject_without_figures_lists_none(empty_db: str, engine_for: EngineFor) -> None:
    engine = engine_for(empty_db)
    build_figures(engine, [row for row in random_figures(40, seed=3) if row["subject_id"] != 2])
    with engine.connect() as connection:
        assert queries.figures(connection, subject="ruritania")
        assert queries.figures(connection, subject="freedonia") == []
        assert queries.figures(connection, subject="freedonia", limit=5) == []


def test_figures_of_a_metric_are_marked_as_kb_conflicts_finds(
    empty_db: str, engine_for: EngineFor
) -> None:
    # kb figures --metric lists the metric's figures in time order: its marks are the same.
    engine = engine_for(empty_db)
    build_figures(engine, random_figures(160, seed=9))
    with engine.connect() as connection:
        expected = marks_from_pairs(connection)
        for metric, subject in (("eu-investment", None), ("Bilateral Trade", "ruritania")):
            rows = queries.figures(connection, metric=metric, subject=subject)
            assert rows and {row["metric_id"] for row in rows} == {1 if "eu" in metric else 2}
            assert {
                row["slug"]: set(row["conflicts_with"]) for row in rows if row["in_conflict"]
            } == {
                row["slug"]: set(expected[row["slug"]]) for row in rows if row["slug"] in expected
            }
