"""`kb conflicts`: figures and event dates on which the sources disagree."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import click

from kb.cli.common import examples, read_options, reading
from kb.cli.output import Row, emit_records, terminal_width, to_json
from kb.cli.views import INFERRED_MARK, INFERRED_NOTE, when_cell

LABEL_WIDTH = 8  # the column of block labels: figure, event, A, B, why


@click.command(
    epilog=examples(
        "kb conflicts",
        "kb conflicts --type figure --tolerance 5",
        "kb conflicts --subject kazakhstan --format json",
    )
)
@click.option(
    "--tolerance",
    metavar="PCT",
    type=float,
    default=10.0,
    show_default=True,
    help="How far apart (in percent of the larger) two figures' values may be and agree.",
)
@click.option(
    "--type", "only", type=click.Choice(["figure", "event"]), help="Only figures or only events."
)
@click.option(
    "--subject",
    metavar="PARTY",
    help="Figures about this party and events it takes part in: slug, name or alias.",
)
@read_options
def conflicts(
    tolerance: float, only: str | None, subject: str | None, db: str | None, fmt: str
) -> None:
    """Show where the sources disagree: figures and event dates that contradict each other.

    Two figures are compared when they measure the same thing: the same subject (or both
    none), the same metric record (kb metrics; never by the words of their sources), the same
    kind and the same unit. Amounts in different currencies are not compared (kb has no
    exchange rates), and an amount in an 'unknown' currency is compared with nothing. The
    times they cover must overlap: a date covers its whole precision ('1993' is 1993-01-01 to
    1993-12-31). A level as of a date covers that date ('as of 2017' is all of 2017, so it is
    never compared with one as of 2023, but is with one as of 2017-06-30); a quantity over a
    period covers the period, open on a side without a start or an end; a figure with neither
    overlaps every other.

    A figure allows a range of values: exactly, about and almost v allow v ('almost' is just
    below it, which the tolerance covers); more than and at least v allow v or more; less than
    and at most v allow v or less. Two figures conflict when their ranges do not meet and the
    nearest values a and b differ by more than the tolerance: |a - b| / max(|a|, |b|) > PCT %.
    So 'more than 100' and 'about 120' agree; 'more than US$160 billion' and 'almost US$77
    billion' do not. Figures may conflict within one source or across sources.

    Records of one happening are linked by same_as, directly or through other records. Two of
    them conflict when the periods their dates cover do not overlap: '1995' and '1995-01-23'
    agree, '2005' and '2015-12-21' do not. A record without a date never conflicts.

    Each conflict shows both sides, their sources and who states them (a quote's speaker, or
    the narration); '~' marks an inferred date. JSON, JSON Lines and CSV carry every field of
    both sides (prefixed a_ and b_) and the reason. The exit status is 0 with or without
    conflicts. kb figures and kb events mark the records in conflict.
    """
    from kb.queries.conflicts import conflicts as find_conflicts

    with reading(db) as connection:
        found = find_conflicts(connection, tolerance=tolerance, only=only, subject=subject)
    if fmt == "table":
        if found:
            click.echo(conflicts_text(found, terminal_width()))
        else:
            click.echo("no conflicts", err=True)
    elif fmt == "json":
        click.echo(to_json(found))
    else:
        emit_records(found, fmt)


def conflicts_text(found: Sequence[Row], width: int) -> str:
    """One block per conflict, then how many there are and the legend of the '~' mark."""
    blocks = ["\n".join(_block(conflict, width)) for conflict in found]
    figures = sum(1 for c in found if c["type"] == "figure")
    events = len(found) - figures
    summary = f"{len(found)} conflict{_s(len(found))}: "
    summary += f"{figures} figure{_s(figures)}, {events} event{_s(events)}."
    stated = (_stated(c, side) for c in found for side in "ab")
    if any(INFERRED_MARK in value for value in stated):
        summary += f"\n{INFERRED_NOTE}"
    return "\n\n".join([*blocks, summary])


def _s(count: int) -> str:
    """The plural ending for `count` things."""
    return "" if count == 1 else "s"


def _block(conflict: Row, width: int) -> list[str]:
    """The lines of one conflict: what it is about, side A, side B, and why they disagree."""
    what = conflict["what"]
    if conflict["type"] == "figure" and conflict["subject_name"]:
        what += f" (subject: {conflict['subject_name']})"
    lines = _labelled(conflict["type"], what, width)
    for side in "ab":
        lines += _labelled(f"  {side.upper()}", _stated(conflict, side), width)
        lines += _labelled("", _where(conflict, side), width)
    return lines + _labelled("  why", conflict["reason"], width)


def _labelled(label: str, text: str, width: int) -> list[str]:
    """`text` after a label, runs of whitespace as one space, wrapped to `width` under it."""
    indent = " " * LABEL_WIDTH
    return textwrap.wrap(
        " ".join(text.split()),
        width,
        initial_indent=label.ljust(LABEL_WIDTH),
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def _stated(conflict: Row, side: str) -> str:
    """A side as its source states it: 'almost US$77 billion (~1993 to ~2023)', '~2005'."""
    stated = str(conflict[f"{side}_stated"])
    if conflict["type"] != "figure":
        return stated
    when = when_cell(conflict, f"{side}_")
    return f"{stated} ({when})" if when else stated


def _where(conflict: Row, side: str) -> str:
    """Which record a side is, where it is printed and who states it."""
    speaker = conflict[f"{side}_speaker_name"] or "narration"
    return f"{conflict[f'{side}_slug']} in {conflict[f'{side}_source_slug']}, stated by {speaker}"
