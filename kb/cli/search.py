"""`kb search`: full-text search over quotes, figures, events, sources, people and metrics."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

from kb.cli.common import examples, read_options, reading
from kb.cli.output import Row, emit_records, show, terminal_width, to_json
from kb.search.index import DEFAULT_LIMIT, HIT_TYPES

# Snippets sit under their hit, indented past the widest type ("person").
INDENT = " " * (max(len(hit_type) for hit_type in HIT_TYPES) + 2)


@click.command(
    # A query may start with '-' (-hydrogen): taken as words, not as an unknown option.
    context_settings={"ignore_unknown_options": True},
    epilog=examples(
        "kb search Jankauskas",
        "kb search Jankauskas investment --type quote",
        "kb search '\"partnership and cooperation agreement\"' --type event",
        "kb search 'invest*' --type figure --limit 3 --format json",
        "kb search 'foreign trade' --type metric",
        "kb search --raw 'hydrogen NOT green'",
    ),
)
@click.argument("words", metavar="QUERY...", nargs=-1, required=True)
@click.option(
    "--type",
    "types",
    type=click.Choice(tuple(HIT_TYPES)),
    multiple=True,
    help="Only hits of this type (repeat for several).  [default: all]",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Show at most this many hits.",
)
@click.option(
    "--raw",
    is_flag=True,
    help="Pass QUERY to the database's full-text syntax as typed (FTS5 on SQLite, "
    "to_tsquery on PostgreSQL).",
)
@read_options
def search(
    words: tuple[str, ...], types: tuple[str, ...], limit: int, raw: bool, db: str | None, fmt: str
) -> None:
    """Search quotes, figures, events, source titles, people's and metrics' names, best first.

    QUERY is words to find, all of them, in any order; case does not matter. Put words in
    double quotes for a phrase ("partnership and cooperation agreement") and end a word with
    * for a prefix (invest* finds invested and investments). Everything else is taken as
    words, so any text is a valid query. A quote is also found by its speaker's name and
    aliases, alone or with its words (Jankauskas investment), though it ranks higher for a
    match in its own words; a figure by its surface and evidence, and what it measures by the
    metric's name and aliases (--type metric; kb figures --metric SLUG then lists its
    figures).

    Each hit shows its type, slug and source, and under them the matching text with the
    matched words in «». JSON, JSON Lines and CSV add the rank (lower is better).

    A type's matches are ranked when there are at most 1,000 of them (and on SQLite, when no
    word of the query is in more than 10,000 of its records). A type with more is counted as
    "more than 1,000", and its most recently loaded matches come after the ranked hits. So a
    word found in most records is as quick to search as a rare one. A note says when this
    happened (under a table, else on stderr); JSON gives the counts with the hits.
    """
    from kb.search.run import search as run_search

    with reading(db) as connection:
        found = run_search(connection, " ".join(words), types=types, limit=limit, raw=raw)
    note = ranking_note(found.summary())
    if fmt == "json":
        click.echo(to_json({"query": " ".join(words), **found.summary(), "hits": found.hits}))
    elif fmt != "table":
        emit_records(found.hits, fmt)
    elif found.hits:
        click.echo(hits_text(found.hits, terminal_width()))
        if note:
            click.echo("\n" + textwrap.fill(note, terminal_width()))
        return
    else:
        click.echo("no matches", err=True)
    if note and fmt != "json":
        click.echo(textwrap.fill(note, terminal_width()), err=True)


# What a note calls many records of each type.
PLURALS = {
    "quote": "quotes",
    "figure": "figures",
    "event": "events",
    "source": "sources",
    "person": "people",
    "metric": "metrics",
}


def ranking_note(summary: Row) -> str | None:
    """What a user should know when some types had more matches than were ranked; else None.

    `summary` is kb.search.run.Found.summary(): the counts in all and of each type.
    """
    by_type = summary["by_type"]
    unranked = [t for t, counts in by_type.items() if counts["order"] == "newest"]
    partly = [
        t
        for t, counts in by_type.items()
        if counts["order"] == "relevance" and counts["ranked"] < counts["matches"]
    ]
    if not unranked and not partly:
        return None
    total = f"{summary['matches']:,}"
    sentences = [f"{total if summary['matches_exact'] else 'More than ' + total} matches."]
    if partly:
        ranked = max(by_type[t]["ranked"] for t in partly)
        sentences.append(f"Only the {ranked:,} most recently loaded {_names(partly)} were ranked.")
    if unranked:
        ranked_too = any(
            counts["order"] == "relevance" and counts["matches"] for counts in by_type.values()
        )
        after = "after the ranked hits" if ranked_too else "unranked"
        sentences.append(
            f"The {_names(unranked)} were too many to rank, or a word is in too many of them: "
            f"the most recently loaded are listed {after}."
        )
    sentences.append("Add words or --type to narrow the search.")
    return " ".join(sentences)


def _names(hit_types: list[str]) -> str:
    """'quotes', 'quotes and events', 'quotes, figures and events'."""
    names = [PLURALS[hit_type] for hit_type in hit_types]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def hits_text(hits: Sequence[Row], width: int) -> str:
    """Each hit as a line of type, slug and source, its snippet wrapped and indented below.

    A table would give the long slugs most of the width and squeeze the snippet.
    """
    blocks = []
    for hit in hits:
        source = hit["source"]
        where = f" in {source}" if source not in (None, hit["slug"]) else ""
        head = f"{hit['type']:<{len(INDENT)}}{hit['slug']}{where}"
        if len(head) > width and where:
            # Slugs do not wrap: the source goes on a line of its own.
            head = f"{hit['type']:<{len(INDENT)}}{hit['slug']}\n{INDENT}{where.strip()}"
        snippet = textwrap.fill(
            show(hit["snippet"]),
            max(width, len(INDENT) + 20),
            initial_indent=INDENT,
            subsequent_indent=INDENT,
            break_long_words=False,
            break_on_hyphens=False,
        )
        blocks.append(f"{head}\n{snippet}")
    return "\n\n".join(blocks)
