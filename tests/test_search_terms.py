"""What a user types becomes full-text terms that no input can turn into a syntax error."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.search.terms import Term, fts5_query, parse, tsquery_prefix


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("hydrogen", [Term("hydrogen")]),
        ("green  hydrogen", [Term("green"), Term("hydrogen")]),
        ("invest*", [Term("invest", prefix=True)]),
        ("invest**", [Term("invest", prefix=True)]),
        ('"partnership and cooperation"', [Term("partnership and cooperation")]),
        ('"green hydro"*', [Term("green hydro", prefix=True)]),
        ('EU "green hydrogen" invest*', [Term("EU"), Term("green hydrogen"), Term("invest", True)]),
        # An unbalanced quote mark is skipped like a space.
        ('"hydrogen', [Term("hydrogen")]),
        ('hydrogen"', [Term("hydrogen")]),
        ('say "green hydrogen', [Term("say"), Term("green"), Term("hydrogen")]),
        # Operators are words; pieces without a letter or digit are dropped.
        ("hydrogen AND NOT green", [Term("hydrogen"), Term("AND"), Term("NOT"), Term("green")]),
        ("NEAR(a b)", [Term("NEAR(a"), Term("b)")]),
        ("-hydrogen", [Term("-hydrogen")]),
        ("text:hydrogen", [Term("text:hydrogen")]),
        ("( ) - * : ^ ''", []),
        ('""', []),
        ("", []),
        ("a\0b", [Term("a"), Term("b")]),
    ],
)
def test_parse(query: str, terms: list[Term]) -> None:
    assert parse(query) == terms


def test_fts5_query_quotes_every_term_and_keeps_prefixes() -> None:
    terms = [Term("EU"), Term("green hydrogen"), Term("invest", prefix=True), Term('O"Brien')]
    assert fts5_query(terms) == '"EU" "green hydrogen" "invest"* "O""Brien"'


@pytest.mark.parametrize(
    ("term", "text"),
    [
        (Term("invest", prefix=True), "'invest':*"),
        (Term("EU-invest", prefix=True), "'EU' <-> 'invest':*"),
        (Term("green hydro", prefix=True), "'green' <-> 'hydro':*"),
        (Term("it's'&!:(", prefix=True), "'it' <-> 's':*"),
    ],
)
def test_tsquery_prefix_keeps_only_letters_and_digits(term: Term, text: str) -> None:
    assert tsquery_prefix(term) == text


@pytest.fixture(scope="module")
def fts5() -> Iterator[sqlite3.Connection]:
    """An in-memory FTS5 table holding one row."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
    connection.execute("INSERT INTO docs VALUES ('green hydrogen and investments')")
    yield connection
    connection.close()


@given(st.text())
def test_any_text_is_a_valid_fts5_query(fts5: sqlite3.Connection, query: str) -> None:
    match = fts5_query(parse(query))
    if match:
        fts5.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()


@given(
    st.lists(
        st.sampled_from(
            [
                '"',
                "(",
                ")",
                "*",
                "-",
                ":",
                "^",
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "hydrogen",
                "green",
                " ",
                "'",
                "\\",
                "+",
                "{",
                "}",
            ]
        )
    )
)
def test_fts5_syntax_soup_is_a_valid_fts5_query(
    fts5: sqlite3.Connection, pieces: list[str]
) -> None:
    match = fts5_query(parse("".join(pieces)))
    if match:
        fts5.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (match,)).fetchone()


def test_words_are_matched_as_words(fts5: sqlite3.Connection) -> None:
    def count(query: str) -> int:
        row = fts5.execute(
            "SELECT count(*) FROM docs WHERE docs MATCH ?", (fts5_query(parse(query)),)
        )
        return int(row.fetchone()[0])

    assert count("hydrogen AND green") == 1  # AND is a word of the row
    assert count("hydrogen OR helium") == 0  # OR is not an operator: "or", "helium" are missing
    assert count("invest") == 0
    assert count("invest*") == 1
    assert count('"green hydrogen"') == 1
    assert count('"hydrogen green"') == 0
