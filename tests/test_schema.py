"""The constraints carry the rules: foreign keys, NOT NULL, CHECKs, unique slugs, typed storage."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Float, Integer, String, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DataError, IntegrityError

SOURCE = {
    "slug": "s",
    "title": "T",
    "kind": "article",
    "text": "Ruritania signed in 1995.",
    "sha256": "0" * 64,
    "published": "1995",
    "published_precision": "year",
}


@pytest.fixture
def conn(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection in a transaction that is rolled back after the test."""
    with engine_for(empty_db).connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def insert(conn: Connection, table: str, row: dict[str, Any]) -> int:
    """Insert one row with plain SQL (the constraints, not the ORM, must catch mistakes)."""
    columns = ", ".join(f'"{c}"' for c in row)
    params = ", ".join(f":{c}" for c in row)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING id"
    return int(conn.execute(text(sql), row).scalar_one())


def rejects(conn: Connection, table: str, row: dict[str, Any]) -> bool:
    """True when the database refuses the row (inside a savepoint, so the test can go on)."""
    savepoint = conn.begin_nested()
    try:
        insert(conn, table, row)
    except (IntegrityError, DataError):  # PostgreSQL refuses over-long text as DataError
        savepoint.rollback()
        return True
    savepoint.rollback()
    return False


def event_row(source_id: int, **changes: Any) -> dict[str, Any]:
    """A valid event row, with `changes` applied."""
    row = {
        "slug": "e",
        "name": "Signing",
        "kind": "signing",
        "occurrence": "happened",
        "source_id": source_id,
        "date": "1995",
        "date_precision": "year",
        "evidence": "signed in 1995",
        "evidence_start": 10,
        "evidence_end": 24,
    }
    return row | changes


def test_foreign_keys_are_enforced(conn: Connection) -> None:
    assert rejects(conn, "events", event_row(source_id=999))


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(
    empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    with engine_for(empty_sqlite).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_slugs_are_unique(conn: Connection) -> None:
    insert(conn, "sources", SOURCE)
    assert rejects(conn, "sources", SOURCE | {"title": "Another"})


def test_required_values_are_not_null(conn: Connection) -> None:
    assert rejects(conn, "sources", SOURCE | {"title": None})
    assert rejects(conn, "sources", SOURCE | {"text": None})


@pytest.mark.parametrize(
    "changes",
    [
        {"kind": "rumour"},
        {"occurrence": "maybe"},
        {"status": "maybe"},
        {"date_precision": "decade"},
        {"date": "1995-01", "date_precision": "year"},
        {"date": "1995", "date_precision": "day"},
        {"date": None, "date_precision": "year"},
        {"date": "1995", "date_precision": None},
        {"evidence_start": 24, "evidence_end": 10},
    ],
)
def test_checks_reject_bad_events(conn: Connection, changes: dict[str, Any]) -> None:
    source_id = insert(conn, "sources", SOURCE)
    assert not rejects(conn, "events", event_row(source_id))
    assert rejects(conn, "events", event_row(source_id, slug="e2", **changes))


def test_source_date_precision_is_checked(conn: Connection) -> None:
    assert rejects(conn, "sources", SOURCE | {"published": "1995-02-02"})
    assert rejects(conn, "sources", SOURCE | {"published_precision": "week"})


def metric_row(**changes: Any) -> dict[str, Any]:
    """A valid metric row, with `changes` applied."""
    row = {"slug": "m", "name": "Investment", "kind": "amount", "aliases": "[]"}
    return row | changes


def figure_row(source_id: int, metric_id: int, **changes: Any) -> dict[str, Any]:
    """A valid figure row, with `changes` applied."""
    row = {
        "slug": "f",
        "source_id": source_id,
        "metric_id": metric_id,
        "kind": "amount",
        "surface": "US$160 billion",
        "value": 1.6e11,
        "unit": "USD",
        "qualifier": "more_than",
        "evidence": "has exceeded US$160 billion",
        "evidence_start": 0,
        "evidence_end": 27,
        "surface_start": 13,
        "surface_end": 27,
    }
    return row | changes


@pytest.mark.parametrize(
    "changes",
    [
        {"qualifier": "roughly"},
        {"kind": "guess"},
        {"unit": "dollars"},
        {"surface_start": 0, "surface_end": 30},
        {"period_start": "2022", "period_start_precision": "month"},
        {"as_of": "2023", "as_of_precision": "day"},
        {
            "as_of": "2023",
            "as_of_precision": "year",
            "period_end": "2023",
            "period_end_precision": "year",
        },
        {"metric_id": 999},
    ],
)
def test_checks_reject_bad_figures(conn: Connection, changes: dict[str, Any]) -> None:
    source_id = insert(conn, "sources", SOURCE)
    metric_id = insert(conn, "metrics", metric_row())
    assert not rejects(conn, "figures", figure_row(source_id, metric_id))
    assert rejects(conn, "figures", figure_row(source_id, metric_id, slug="f2") | changes)


def test_amount_may_have_unknown_currency(conn: Connection) -> None:
    source_id = insert(conn, "sources", SOURCE)
    metric_id = insert(conn, "metrics", metric_row())
    assert not rejects(conn, "figures", figure_row(source_id, metric_id, unit="unknown"))


@pytest.mark.parametrize(
    "changes", [{"kind": "guess"}, {"unit": "dollars"}, {"status": "maybe"}, {"slug": "m"}]
)
def test_checks_reject_bad_metrics(conn: Connection, changes: dict[str, Any]) -> None:
    assert not rejects(conn, "metrics", metric_row())
    insert(conn, "metrics", metric_row())
    assert rejects(conn, "metrics", metric_row(slug="m2") | changes)
    assert not rejects(conn, "metrics", metric_row(slug="m3", kind="share", unit="percent"))


def test_an_alias_names_a_party_or_a_person(conn: Connection) -> None:
    source_id = insert(conn, "sources", SOURCE)
    person_id = insert(conn, "people", {"slug": "a", "name": "A", "aliases": "[]"})
    party_id = insert(
        conn, "parties", {"slug": "p", "name": "P", "kind": "country", "aliases": "[]"}
    )
    alias = {"name": "Signed", "source_id": source_id, "name_start": 0, "name_end": 6}
    assert rejects(conn, "aliases", alias)
    assert rejects(conn, "aliases", alias | {"person_id": person_id, "party_id": party_id})
    assert rejects(conn, "aliases", alias | {"person_id": person_id, "name_end": 0})
    assert not rejects(conn, "aliases", alias | {"person_id": person_id})


def test_a_participant_another_source_states_has_its_evidence(conn: Connection) -> None:
    source_id = insert(conn, "sources", SOURCE)
    event_id = insert(conn, "events", event_row(source_id))
    person_id = insert(conn, "people", {"slug": "a", "name": "A", "aliases": "[]"})
    row = {"event_id": event_id, "person_id": person_id}
    evidence = {"evidence": "Signed", "evidence_start": 0, "evidence_end": 6}
    assert rejects(conn, "event_participants", row | {"source_id": source_id})
    assert rejects(conn, "event_participants", row | evidence)
    assert not rejects(conn, "event_participants", row | evidence | {"source_id": source_id})


def test_participant_is_a_party_or_a_person(conn: Connection) -> None:
    source_id = insert(conn, "sources", SOURCE)
    event_id = insert(conn, "events", event_row(source_id))
    party_id = insert(
        conn, "parties", {"slug": "p", "name": "P", "kind": "country", "aliases": "[]"}
    )
    person_id = insert(conn, "people", {"slug": "a", "name": "A", "aliases": "[]"})
    both = {"event_id": event_id, "party_id": party_id, "person_id": person_id}
    assert rejects(conn, "event_participants", both)
    assert rejects(conn, "event_participants", {"event_id": event_id})
    assert not rejects(conn, "event_participants", {"event_id": event_id, "party_id": party_id})


def test_dates_are_text_and_numbers_are_numbers_in_the_declared_types(conn: Connection) -> None:
    columns = inspect(conn).get_columns("figures")
    types = {c["name"]: c["type"] for c in columns}
    assert isinstance(types["value"], Float)
    assert isinstance(types["evidence_start"], Integer)
    for table, column in [("events", "date"), ("sources", "published"), ("figures", "period_end")]:
        declared = {c["name"]: c["type"] for c in inspect(conn).get_columns(table)}[column]
        assert isinstance(declared, String)


def test_sqlite_stores_dates_as_text_and_numbers_as_numbers(
    empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    # SQLite's type affinity would turn '1995' into an integer in a DATE or NUMERIC column.
    with engine_for(empty_sqlite).begin() as conn:
        _store_dated_rows(conn)
        assert conn.exec_driver_sql("SELECT typeof(date) FROM events").scalar() == "text"
        assert conn.exec_driver_sql("SELECT typeof(published) FROM sources").scalar() == "text"
        assert conn.exec_driver_sql("SELECT typeof(value) FROM figures").scalar() == "real"
        typeof_start = "SELECT typeof(evidence_start) FROM figures"
        assert conn.exec_driver_sql(typeof_start).scalar() == "integer"


def _store_dated_rows(conn: Connection) -> None:
    """Insert a source dated '1995', an event and a figure."""
    source_id = insert(conn, "sources", SOURCE)
    insert(conn, "events", event_row(source_id))
    insert(conn, "figures", figure_row(source_id, insert(conn, "metrics", metric_row())))
