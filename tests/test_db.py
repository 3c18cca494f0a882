"""Engines, write transactions and how databases are named in messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    cast,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from kb import db
from kb.db import copy_types, describe_url, driver_insert, make_engine, writing
from kb.errors import KbError
from kb.models import Person


def test_json_is_stored_as_readable_utf8(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    people = Person.__table__
    with writing(engine) as connection:
        connection.execute(insert(people), [{"slug": "k", "name": "K", "aliases": ["Kęstutis"]}])
    with engine.connect() as connection:
        stored = connection.execute(select(cast(people.c.aliases, Text))).scalar_one()
    assert stored == '["Kęstutis"]'


def test_a_rehearsal_transaction_is_rolled_back(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    with writing(engine, commit=False) as connection:
        connection.execute(text("INSERT INTO people (slug, name, aliases) VALUES ('a', 'A', '[]')"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM people")).scalar_one() == 0


def test_driver_insert_writes_every_row_and_no_rows_as_nothing(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    # COPY on PostgreSQL, an executemany on SQLite: the same rows either way.
    engine = engine_for(empty_db)
    rows = [("a", "A", '["Å"]'), ("b", "B", "[]")]
    with writing(engine) as connection:
        driver_insert(connection, "people", ("slug", "name", "aliases"), rows)
        driver_insert(connection, "people", ("slug", "name", "aliases"), [])
    with engine.connect() as connection:
        stored = connection.execute(
            select(Person.slug, Person.name, cast(Person.aliases, Text)).order_by(Person.slug)
        ).all()
    assert [tuple(row) for row in stored] == rows


def test_driver_insert_raises_what_sqlalchemy_raises(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    # A row the table refuses (no name) fails as any statement does, on either backend: the
    # loader turns a DBAPIError into a message, where the driver's own error was a traceback.
    engine = engine_for(empty_db)
    with pytest.raises(DBAPIError, match="name"), writing(engine) as connection:
        driver_insert(connection, "people", ("slug", "name", "aliases"), [("a", None, "[]")])
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM people")).scalar_one() == 0


def test_a_binary_copy_writes_every_kind_of_value(
    empty_db: str, engine_for: Callable[[str | Path], Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    # With the columns' types, PostgreSQL's COPY is binary (the staging tables'); SQLite
    # ignores them. Either way each value comes back as it went in, NULLs included.
    engine = engine_for(empty_db)
    statements: list[str] = []
    real_copy = db.driver_copy

    def driver_copy(connection: Connection, statement: str) -> Any:
        statements.append(statement)
        return real_copy(connection, statement)

    monkeypatch.setattr(db, "driver_copy", driver_copy)
    table = Table(
        "copy_kinds",
        MetaData(),
        Column("i", Integer),
        Column("b", BigInteger),
        Column("f", Float),
        Column("t", Boolean),
        Column("s", String(20)),
        Column("x", Text),
    )
    columns = [column.name for column in table.columns]
    types = copy_types(table, columns)
    assert types == ["int4", "int8", "float8", "bool", "text", "text"]
    rows = [
        (1, 2**40, 1.5, True, "slug-1", 'Tab\tnew\nline \\ "É" 🙂'),
        (-(2**31), -(2**62), 3.0, False, "", ""),
        (None, None, None, None, None, None),
    ]
    with writing(engine) as connection:
        table.create(connection)
        driver_insert(connection, "copy_kinds", columns, rows, types)
        stored = connection.execute(select(table).order_by(table.c.i.desc())).all()
    assert sorted(map(tuple, stored), key=repr) == sorted(rows, key=repr)
    if engine.dialect.name == "postgresql":
        assert statements == [f"COPY copy_kinds ({', '.join(columns)}) FROM STDIN (FORMAT binary)"]
    with pytest.raises(TypeError, match=r"copy_kinds.d \(Date\(\)\)"):
        copy_types(Table("copy_kinds", MetaData(), Column("d", Date)), ["d"])


def test_read_commands_never_create_a_sqlite_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    with pytest.raises(
        KbError, match=r"No database at .*missing\.sqlite3\. Build one with `kb load`"
    ):
        make_engine(f"sqlite:///{missing}", must_exist=True)
    assert not missing.exists()


def test_messages_name_files_by_path_and_servers_without_password() -> None:
    assert describe_url("sqlite:////data/kb.sqlite3") == "/data/kb.sqlite3"
    assert describe_url("postgresql+psycopg://kb:secret@db.example/kb") == (
        "postgresql+psycopg://kb:***@db.example/kb"
    )


def test_a_path_with_url_characters_is_still_a_file(tmp_path: Path) -> None:
    from kb.config import database_url

    odd = tmp_path / "a?b%20c#d.sqlite3"
    engine = make_engine(database_url(str(odd)))
    try:
        with writing(engine) as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
    finally:
        engine.dispose()
    assert odd.exists()
