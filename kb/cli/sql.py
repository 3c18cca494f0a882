"""`kb sql`: one read-only SQL query, its rows printed as a table, JSON, JSON Lines, CSV or TSV."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import click

from kb.cli.common import db_option, examples, format_option
from kb.cli.output import FORMATS, Column, Row, emit

if TYPE_CHECKING:
    from kb.sql import Answer

DELIMITERS = {"csv": ",", "tsv": "\t"}


@click.command(
    epilog=examples(
        'kb sql "SELECT name FROM people ORDER BY name"',
        'kb sql "SELECT text FROM quotes_view WHERE speaker_slug = :who"'
        " -p who kestutis-jankauskas",
        'kb sql "SELECT date, name, source_slug FROM timeline" --format csv',
        'kb sql "SELECT count(*) FROM figures_view" --timeout 120',
    )
)
@click.argument("statement", metavar="[SQL]", required=False, default="-")
@click.option(
    "-p",
    "--param",
    "params",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Value of :NAME in the SQL, passed as a bound parameter (repeatable).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=30,
    show_default=True,
    metavar="SECONDS",
    help="Stop a query that runs longer (0: no limit).",
)
@db_option
@format_option(*FORMATS, "tsv")
def sql(
    statement: str,
    params: tuple[tuple[str, str], ...],
    timeout: float,
    db: str | None,
    fmt: str,
) -> None:
    """Run one read-only SQL query and print its rows.

    SQL is a single SELECT (or WITH … SELECT, VALUES, EXPLAIN); '-' or no SQL reads it from
    stdin. Values go in as -p NAME VALUE for each :NAME, never pasted into the SQL. The
    database refuses anything that would change it: SQLite opens the file read-only and
    allows only reads; PostgreSQL runs a read-only transaction, rolled back, as kb's reader
    role, which may only SELECT kb's tables and views (an upgrade by a role that may create
    roles makes it, or `kb db reader`). A query still running after --timeout seconds is
    stopped, with exit status 1. `kb schema` lists the tables and views. A repeated column
    name gets _2, _3…
    """
    from kb.config import database_url
    from kb.sql import query

    answer = query(database_url(db), read_statement(statement), named(params), timeout)
    show(answer, fmt)


def read_statement(statement: str) -> str:
    """The SQL argument, or stdin when it is '-' (a terminal on stdin is a usage error)."""
    if statement != "-":
        return statement
    if sys.stdin.isatty():
        raise click.UsageError("Give the SQL as an argument, or pipe it on stdin.")
    return sys.stdin.read()


def named(params: Sequence[tuple[str, str]]) -> dict[str, str]:
    """-p pairs as a dict; a name given twice is a usage error, not a silent overwrite."""
    values: dict[str, str] = {}
    for name, value in params:
        if name in values:
            raise click.UsageError(f"-p {name} is given twice.")
        values[name] = value
    return values


def show(answer: Answer, fmt: str) -> None:
    """Print the rows in `fmt`; CSV and TSV keep the header even when there are no rows."""
    if fmt in DELIMITERS:
        click.echo(delimited(answer, DELIMITERS[fmt]), nl=False)
        return
    emit(answer.rows, fmt, columns(answer), empty="no rows")


def columns(answer: Answer) -> list[Column]:
    """A table column per result column: numbers right-aligned, anything else wrapped."""
    result = []
    for name in answer.columns:
        numeric = _numeric(answer.rows, name)
        result.append(Column(name, _getter(name), wrap=not numeric, right=numeric))
    return result


def _getter(name: str) -> Callable[[Row], Any]:
    """A function reading field `name` of a row."""
    return lambda row: row[name]


def _numeric(rows: Sequence[Row], name: str) -> bool:
    """Whether every non-null value in the column is a number."""
    values = [row[name] for row in rows if row[name] is not None]
    return bool(values) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def delimited(answer: Answer, delimiter: str) -> str:
    """The rows as CSV or TSV with a header; NULL is empty, booleans and structures are JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(answer.columns)
    for row in answer.rows:
        writer.writerow([_cell(row[name]) for name in answer.columns])
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """One CSV cell, written the way `kb … --format csv` writes them."""
    if isinstance(value, bool | list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value
