"""Read commands: sources, parties, metrics, people, person, quotes, figures, events, stats."""

from __future__ import annotations

import click

from kb.cli import views
from kb.cli.common import cut, examples, fetch_limit, limit_option, read_options, reading
from kb.cli.output import emit, emit_document


@click.command(epilog=examples("kb sources", "kb sources --format json"))
@read_options
def sources(db: str | None, fmt: str) -> None:
    """List the source documents.

    JSON, JSON Lines and CSV carry every column, including each source's full text, and how
    many quotes, figures and events each source holds.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.sources(connection)
    note = views.inferred_note(rows, "published")
    emit(rows, fmt, views.SOURCES, empty="no sources: load some with `kb load`", note=note)


@click.command(epilog=examples("kb parties", "kb parties --format csv"))
@read_options
def parties(db: str | None, fmt: str) -> None:
    """List the countries and organizations.

    Parties are what figures are about (figures --subject) and who takes part in events.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.parties(connection)
    emit(rows, fmt, views.PARTIES, empty="no parties")


@click.command(epilog=examples("kb metrics", "kb metrics --format json --limit 10"))
@limit_option
@read_options
def metrics(limit: int, db: str | None, fmt: str) -> None:
    """List the metrics: what figures measure, shared by every source.

    Each metric shows its slug, name, the kind and unit of its figures (an amount without a
    unit may be in any currency), how many figures name it and how many sources state them.
    kb figures --metric SLUG shows every source's value for one of them side by side.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.metrics(connection, limit=fetch_limit(limit))
    rows, more = cut(rows, limit)
    emit(rows, fmt, views.METRICS, empty="no metrics: load some with `kb load`", more=more)


@click.command(epilog=examples("kb people", "kb people --format jsonl"))
@read_options
def people(db: str | None, fmt: str) -> None:
    """List the people named in the sources.

    Each comes with the roles the sources give them and how many quotes they have.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.people(connection)
    emit(rows, fmt, views.PEOPLE, empty="no people")


@click.command(
    epilog=examples("kb person kestutis-jankauskas", "kb person Jankauskas --format json")
)
@click.argument("slug")
@read_options
def person(slug: str, db: str | None, fmt: str) -> None:
    """Show one person's roles, quotes, figures and events.

    SLUG is the person's slug, full name or alias (case does not matter). Each role names the
    source that states it, and other names of the person as sources print them are listed
    with their sources. The figures are those stated in the person's quotes. JSON gives one
    object; JSON Lines and CSV give one record per line, tagged with its type (person, role,
    alias, quote, figure, event).
    """
    from kb import queries

    with reading(db) as connection:
        found = queries.person(connection, slug)
    emit_document(found, fmt, text=views.person_text, records=views.person_records)


@click.command(
    epilog=examples("kb quotes --by kestutis-jankauskas", "kb quotes --by Jankauskas --format json")
)
@click.option("--by", metavar="PERSON", help="Speaker: slug, name or alias (any case).")
@click.option("--source", metavar="SLUG", help="Only quotes printed in this source.")
@limit_option
@read_options
def quotes(by: str | None, source: str | None, limit: int, db: str | None, fmt: str) -> None:
    """List quotes verbatim, with speaker and source.

    Quotes come in the order their source prints them. JSON carries text_start/text_end: the
    quote is the source text's [start, end) span.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.quotes(connection, by=by, source=source, limit=fetch_limit(limit))
    rows, more = cut(rows, limit)
    emit(rows, fmt, views.QUOTES, empty="no quotes match", more=more)


@click.command(
    epilog=examples(
        "kb figures --metric eu-share-of-foreign-trade",
        "kb figures --subject kazakhstan --metric 'European investment'",
        "kb figures --source jjtv-kazakhstan-eu-30-years --format csv",
    )
)
@click.option("--subject", metavar="PARTY", help="Party the figure is about: slug, name or alias.")
@click.option(
    "--metric", metavar="METRIC", help="What the figure measures: slug, name or alias (kb metrics)."
)
@click.option("--source", metavar="SLUG", help="Only figures stated in this source.")
@limit_option
@read_options
def figures(
    subject: str | None,
    metric: str | None,
    source: str | None,
    limit: int,
    db: str | None,
    fmt: str,
) -> None:
    """List the figures (numbers) the sources state.

    Each shows what it measures and of whom, when (a level as of a date, or a quantity over a
    period), the number as printed with its qualifier (about, almost, more than...), its
    parsed value and unit, who states it and where; rows in conflict are marked (kb conflicts
    says why). A narrow terminal shows fewer columns: JSON, JSON Lines and CSV carry every
    field (metric slug and name, subject, period or as-of date, base, quote, spans).

    With --metric, every source's value for that metric stands side by side: a table per
    subject, in time order, each row numbered and naming the rows it conflicts with.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.figures(
            connection, subject=subject, metric=metric, source=source, limit=fetch_limit(limit)
        )
    rows, more = cut(rows, limit)
    note = views.inferred_note(rows, "as_of", "period_start", "period_end")
    render = views.metric_figures_text if metric is not None else None
    emit(rows, fmt, views.FIGURES, empty="no figures match", note=note, more=more, render=render)


@click.command(epilog=examples("kb events", "kb events --from 1995 --to 2005-06"))
@click.option("--from", "date_from", metavar="DATE", help="Events on or after: YYYY[-MM[-DD]].")
@click.option("--to", "date_to", metavar="DATE", help="Events on or before: YYYY[-MM[-DD]].")
@limit_option
@read_options
def events(
    date_from: str | None, date_to: str | None, limit: int, db: str | None, fmt: str
) -> None:
    """List events in date order.

    A date's form is its precision, and a coarse date sorts before finer ones in its period
    ('1995' before '1995-01-23'). An event dated at year or month precision matches a bound
    its period overlaps: an event of 1995 is on or after --from 1995-06-01. Events without a
    date come last, and are left out when a bound is given. '~' marks an inferred date.
    """
    from kb import queries

    with reading(db) as connection:
        rows = queries.events(
            connection, date_from=date_from, date_to=date_to, limit=fetch_limit(limit)
        )
    rows, more = cut(rows, limit)
    note = views.inferred_note(rows, "date")
    emit(rows, fmt, views.EVENTS, empty="no events match", note=note, more=more)


@click.command(epilog=examples("kb stats", "kb stats --format json"))
@read_options
def stats(db: str | None, fmt: str) -> None:
    """Show how much the database holds.

    Rows per table, the first and last event dates, and sources by kind.
    """
    from kb import queries

    with reading(db) as connection:
        found = queries.stats(connection)
    emit_document(found, fmt, text=views.stats_text, records=views.stats_records)
