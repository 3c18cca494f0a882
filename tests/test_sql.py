"""`kb sql`: one read-only query with bound parameters, printed in every format, clear errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy.engine import make_url

from kb.errors import KbError
from kb.sql import Tokens, query

Kb = Callable[..., Result]

PEOPLE = "SELECT name FROM people ORDER BY name"
PEOPLE_TABLE = """\
name
--------------------
Alikhan Smailov
Kestutis Jankauskas
Olzhas Bektenov
Ursula von der Leyen
"""
PEOPLE_CSV = "name\nAlikhan Smailov\nKestutis Jankauskas\nOlzhas Bektenov\nUrsula von der Leyen\n"

BY_SPEAKER = (
    "SELECT slug, kind, text_start FROM quotes_view WHERE speaker_slug = :who ORDER BY text_start"
)
BY_SPEAKER_TABLE = """\
slug                        kind    text_start
--------------------------  ------  ----------
jankauskas-pca-to-epca      direct         593
jankauskas-investment-77bn  direct        1521
"""

IN_QUOTE = "SELECT slug, value, stated_by FROM figures_view WHERE quote_slug = :q ORDER BY id"
IN_QUOTE_ROWS = [
    {"slug": "jjtv-eu-investment-77bn", "value": 7.7e10, "stated_by": "Kestutis Jankauskas"},
    {"slug": "jjtv-eu-share-of-investment", "value": 50.0, "stated_by": "Kestutis Jankauskas"},
    {"slug": "jjtv-eu-investment-2022", "value": 8e8, "stated_by": "Kestutis Jankauskas"},
]
IN_QUOTE_TABLE = """\
slug                           value  stated_by
---------------------------  -------  -------------------
jjtv-eu-investment-77bn      7.7e+10  Kestutis Jankauskas
jjtv-eu-share-of-investment       50  Kestutis Jankauskas
jjtv-eu-investment-2022        8e+08  Kestutis Jankauskas
"""
IN_QUOTE_TSV = (
    "slug\tvalue\tstated_by\n"
    "jjtv-eu-investment-77bn\t77000000000.0\tKestutis Jankauskas\n"
    "jjtv-eu-share-of-investment\t50.0\tKestutis Jankauskas\n"
    "jjtv-eu-investment-2022\t800000000.0\tKestutis Jankauskas\n"
)

WRAPPED_QUOTE = """\
slug                        text
--------------------------  ------------------------------------------------------------------------
jankauskas-investment-77bn  Just in 30 years of our cooperation the countries of the European Union
                            have invested almost US$77 billion, which accounts for about a half, or
                            50 percent, of all investment in Kazakhstan. Last year alone, the EU
                            states invested about 800 million. I believe that these figures will
                            continue to grow dramatically in the next few years as part of the
                            agreement on critical minerals, hydrogen, green hydrogen, and
                            investments into \u2018green\u2019 energy
"""


# A 100-column terminal and no database from the environment, for every test.
pytestmark = pytest.mark.usefixtures("terminal")


def ok(result: Result) -> str:
    """The stdout of a command that must have succeeded."""
    assert result.exit_code == 0, result.output
    return result.stdout


def error(result: Result) -> str:
    """The one-paragraph error of a command that must have failed with exit status 1."""
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    return result.stderr


# --- Output ---------------------------------------------------------------------------------


def test_names_as_a_table(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("sql", PEOPLE, db=seeded_db)) == PEOPLE_TABLE


def test_names_as_csv(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("sql", PEOPLE, "--format", "csv", db=seeded_db)) == PEOPLE_CSV


def test_parameter_is_bound(kb: Kb, seeded_db: str) -> None:
    result = kb("sql", BY_SPEAKER, "-p", "who", "kestutis-jankauskas", db=seeded_db)
    assert ok(result) == BY_SPEAKER_TABLE


def test_parameter_value_is_data_not_sql(kb: Kb, seeded_db: str) -> None:
    # The value would match every row if it were pasted into the SQL.
    result = kb("sql", BY_SPEAKER, "-p", "who", "x' OR '1' = '1", db=seeded_db)
    assert result.exit_code == 0
    assert result.stderr == "no rows\n"


@pytest.mark.parametrize("option", ["-p", "--param"])
def test_every_format(kb: Kb, seeded_db: str, option: str) -> None:
    def run(fmt: str) -> str:
        return ok(
            kb(
                "sql",
                IN_QUOTE,
                option,
                "q",
                "jankauskas-investment-77bn",
                "--format",
                fmt,
                db=seeded_db,
            )
        )

    assert run("table") == IN_QUOTE_TABLE
    assert json.loads(run("json")) == IN_QUOTE_ROWS
    assert [json.loads(line) for line in run("jsonl").splitlines()] == IN_QUOTE_ROWS
    assert run("tsv") == IN_QUOTE_TSV
    assert run("csv") == IN_QUOTE_TSV.replace("\t", ",")


def test_sql_from_stdin(kb: Kb, seeded_db: str) -> None:
    assert ok(kb("sql", db=seeded_db, input=PEOPLE)) == PEOPLE_TABLE
    assert ok(kb("sql", "-", "--format", "csv", db=seeded_db, input=PEOPLE + ";\n")) == PEOPLE_CSV


def test_no_rows(kb: Kb, seeded_db: str) -> None:
    empty = "SELECT name FROM people WHERE name = 'nobody'"
    result = kb("sql", empty, db=seeded_db)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "no rows\n")
    assert ok(kb("sql", empty, "--format", "csv", db=seeded_db)) == "name\n"
    assert ok(kb("sql", empty, "--format", "json", db=seeded_db)) == "[]\n"


def test_long_text_wraps_like_other_commands(kb: Kb, seeded_db: str) -> None:
    sql = "SELECT slug, text FROM quotes WHERE slug = 'jankauskas-investment-77bn'"
    assert ok(kb("sql", sql, db=seeded_db)) == WRAPPED_QUOTE


def test_repeated_column_names_stay_apart(seeded_db: str) -> None:
    answer = query(
        seeded_db,
        "SELECT p.slug, q.slug FROM quotes q JOIN people p ON p.id = q.speaker_id"
        " ORDER BY q.text_start",
    )
    assert answer.columns == ["slug", "slug_2"]
    assert answer.rows[0] == {"slug": "kestutis-jankauskas", "slug_2": "jankauskas-pca-to-epca"}


def test_fts5_search_and_pragma_functions_are_reads(seeded_sqlite: Path) -> None:
    url = f"sqlite:///{seeded_sqlite}"
    found = query(
        url,
        "SELECT rowid FROM quotes_fts WHERE quotes_fts MATCH :w ORDER BY rowid",
        {"w": "investment"},
    )
    assert [row["rowid"] for row in found.rows] == [1, 2]
    columns = query(url, "SELECT name FROM pragma_table_info('people')")
    assert [row["name"] for row in columns.rows] == ["id", "slug", "status", "name", "aliases"]


def test_library_takes_sql_and_params(seeded_db: str) -> None:
    answer = query(seeded_db, IN_QUOTE, {"q": "jankauskas-investment-77bn"})
    assert answer.columns == ["slug", "value", "stated_by"]
    assert answer.rows == IN_QUOTE_ROWS


# --- Placeholders ---------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_placeholders_outside_literals_and_comments(dialect: str) -> None:
    sql = "SELECT ':no', \":no\" -- :no\n, /* :no */ x::text, :yes, :also FROM t WHERE a = :yes"
    assert Tokens(sql, dialect).params() == ["yes", "also"]


def test_postgresql_statement_uses_pyformat_and_doubles_percents() -> None:
    sql = "SELECT '100%', $$:no %$$, E'\\':no', x::int % 2 FROM t WHERE a LIKE :pattern"
    assert Tokens(sql, "postgresql").for_driver() == (
        "SELECT '100%%', $$:no %%$$, E'\\':no', x::int %% 2 FROM t WHERE a LIKE %(pattern)s"
    )
    assert Tokens(sql, "postgresql").params() == ["pattern"]


def test_sqlite_statement_goes_to_the_driver_as_written() -> None:
    sql = "SELECT '100%' FROM t WHERE a = :a"
    assert Tokens(sql, "sqlite").for_driver() == sql


def test_literals_with_colons_and_percents_run(seeded_db: str) -> None:
    answer = query(seeded_db, "SELECT 'a :b' AS t, 7 % 4 AS m, :p AS p", {"p": "50%"})
    assert answer.rows == [{"t": "a :b", "m": 3, "p": "50%"}]


# --- Errors ---------------------------------------------------------------------------------


def test_missing_parameter(kb: Kb, seeded_db: str) -> None:
    assert error(kb("sql", BY_SPEAKER, db=seeded_db)) == (
        "Error: The query uses :who but no value was given: add -p who VALUE.\n"
    )


def test_unused_parameter(kb: Kb, seeded_db: str) -> None:
    result = kb("sql", BY_SPEAKER, "-p", "who", "x", "-p", "wh0", "y", db=seeded_db)
    assert error(result) == "Error: -p wh0 is not used: the query has no :wh0 (it uses :who).\n"


def test_parameter_given_twice_is_a_usage_error(kb: Kb, seeded_db: str) -> None:
    result = kb("sql", BY_SPEAKER, "-p", "who", "a", "-p", "who", "b", db=seeded_db)
    assert result.exit_code == 2
    assert result.stderr.endswith("Error: -p who is given twice.\n")


@pytest.mark.parametrize("sql", ["", "  \n", "-- only a comment\n"])
def test_no_sql(kb: Kb, seeded_db: str, sql: str) -> None:
    assert error(kb("sql", db=seeded_db, input=sql)) == (
        "Error: No SQL to run: give a SELECT statement, as an argument or on stdin.\n"
    )


def test_errors_from_the_database_are_messages(kb: Kb, seeded_db: str, backend: str) -> None:
    column = error(kb("sql", "SELECT nope FROM people", db=seeded_db))
    table = error(kb("sql", "SELECT * FROM nope", db=seeded_db))
    syntax = error(kb("sql", "SELECT name FROM WHERE", db=seeded_db))
    if backend == "sqlite":
        assert column == "Error: SQL error: no such column: nope.\n"
        assert (
            table
            == "Error: SQL error: no such table: nope. `kb schema` lists the tables and views.\n"
        )
        assert syntax == 'Error: SQL error: near "WHERE": syntax error.\n'
    else:
        assert column == 'Error: SQL error: column "nope" does not exist (at character 8).\n'
        assert table == (
            'Error: SQL error: relation "nope" does not exist (at character 15). '
            "`kb schema` lists the tables and views.\n"
        )
        assert syntax == 'Error: SQL error: syntax error at or near "WHERE" (at character 18).\n'


def test_missing_database_is_not_created(kb: Kb, tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    assert error(kb("sql", PEOPLE, db=missing)) == (
        f"Error: No database at {missing}. Build one with `kb load` "
        "(or choose another with --db / KB_DATABASE_URL).\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_file_that_is_not_a_database(kb: Kb, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 100)
    assert error(kb("sql", PEOPLE, db=notes)) == (
        f"Error: {notes} is not a SQLite database (file is not a database).\n"
    )


def test_path_with_uri_characters(kb: Kb, seeded_sqlite: Path, tmp_path: Path) -> None:
    odd = tmp_path / "a b#c&d=e.sqlite3"
    seeded_sqlite.rename(odd)
    assert ok(kb("sql", PEOPLE, db=odd)) == PEOPLE_TABLE


def test_unknown_dialect_is_refused() -> None:
    with pytest.raises(KbError, match="SQLite and PostgreSQL"):
        Tokens("SELECT 1", "mysql")


def test_postgresql_needs_the_psycopg_driver() -> None:
    with pytest.raises(KbError) as refused:
        query("postgresql+psycopg2://kb@localhost/kb", "SELECT 1")
    assert str(refused.value) == (
        "kb sql on PostgreSQL needs the psycopg driver: postgresql+psycopg://…"
    )


def test_a_server_that_refuses_the_connection(request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue("postgres")
    if server is None:
        pytest.skip("needs KB_TEST_POSTGRESQL_URL")
    url = server.url_of("kb_test_no_such_database")
    with pytest.raises(KbError) as refused:
        query(url, "SELECT 1")
    message = str(refused.value)
    assert message.startswith(f"Cannot open {make_url(url).render_as_string(hide_password=True)}: ")
    assert 'database "kb_test_no_such_database" does not exist' in message
    assert ":kb@" not in message  # no password
