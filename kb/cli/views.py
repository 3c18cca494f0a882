"""What each read command shows in a table, and the flat records of nested results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.cli.output import Column, Row, field, show, table, terminal_width, wrap

if TYPE_CHECKING:
    from kb.loader import LoadReport, ValidationSummary
    from kb.queries.conflicts.changes import Changes

INFERRED_MARK = "~"
INFERRED_NOTE = f"{INFERRED_MARK} marks a date inferred from the text, not printed in it."
# A row the sources contradict (kb conflicts shows both sides and why).
CONFLICT = Column("conflict", lambda r: "yes" if r.get("in_conflict") else "")


def date_cell(row: Row, name: str) -> str:
    """A date as stored (its form is its precision), marked when it was inferred."""
    value = row.get(name)
    if value is None:
        return ""
    return f"{INFERRED_MARK}{value}" if row.get(f"{name}_inferred") else str(value)


def value_cell(row: Row) -> str:
    """A figure's qualified value with its unit: 'more than 160,000,000,000 USD', '180 times'."""
    value = row["value"]
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.6g}"
    return f"{_qualifier(row)}{number} {row['unit']}"


def stated_cell(row: Row, prefix: str = "") -> str:
    """A figure as its source states it, qualifier and all: 'more than US$160 billion'."""
    return f"{_qualifier(row, prefix)}{row[f'{prefix}surface']}"


def _qualifier(row: Row, prefix: str = "") -> str:
    """A figure's qualifier as words before its number ('more than '), '' when exact."""
    qualifier = str(row[f"{prefix}qualifier"])
    return "" if qualifier == "exact" else qualifier.replace("_", " ") + " "


def when_cell(row: Row, prefix: str = "") -> str:
    """The time a figure covers, inferred dates marked: 'as of ~2023-02-02' (a level on that
    day), '~1993 to ~2023', '2022', 'from 2020', 'until 2020' (a period); '' for all time."""
    as_of = date_cell(row, f"{prefix}as_of")
    if as_of:
        return f"as of {as_of}"
    start = date_cell(row, f"{prefix}period_start")
    end = date_cell(row, f"{prefix}period_end")
    if start and end:
        return start if start == end else f"{start} to {end}"
    if start:
        return f"from {start}"
    return f"until {end}" if end else ""


def metric_cell(row: Row) -> str:
    """What a figure measures, and of whom: 'European investment (Kazakhstan)'."""
    subject = row.get("subject_name")
    return f"{row['metric_name']} ({subject})" if subject else str(row["metric_name"])


def source_cell(row: Row) -> str:
    """Where a figure is stated and, when a quote states it, by whom:
    'jjtv-kazakhstan-eu-30-years (Kestutis Jankauskas)'; the narration goes without saying."""
    speaker = row.get("speaker_name")
    return f"{row['source_slug']} ({speaker})" if speaker else str(row["source_slug"])


def figures_of_cell(row: Row) -> str:
    """What figures of a metric are: 'share, percent', 'amount, any currency'."""
    unit = row["unit"] or ("any currency" if row["kind"] == "amount" else None)
    return f"{row['kind']}, {unit}" if unit else str(row["kind"])


SOURCES = [
    field("slug", hyphens=True),
    field("kind"),
    Column("published", lambda r: date_cell(r, "published")),
    field("title", wrap=True),
]
PARTIES = [
    field("slug", hyphens=True),
    field("name", wrap=True),
    field("kind"),
    field("aliases", wrap=True),
    Column("figures", lambda r: r["figure_count"], right=True),
]
METRICS = [
    field("slug", hyphens=True),
    field("name", wrap=True),
    Column("figures are", figures_of_cell, wrap=True),
    Column("figures", lambda r: r["figure_count"], right=True),
    Column("sources", lambda r: r["source_count"], right=True),
]
PEOPLE = [
    field("slug", hyphens=True),
    field("name", wrap=True),
    field("aliases", wrap=True, optional=1),
    field("roles", wrap=True),
    Column("quotes", lambda r: r["quote_count"], right=True),
]
QUOTES = [
    field("speaker", "speaker_name", wrap=True),
    field("source", "source_slug", hyphens=True),
    field("quote", "text", wrap=True),
]
# A figure's source, and in parentheses the speaker of the quote stating it (if any).
SOURCE = Column("source (speaker)", source_cell, hyphens=True)
# On a narrow terminal a figure keeps what it measures, the number as printed and where it is
# stated; the parsed value goes first, then when.
FIGURE_COLUMNS = [
    Column("metric", metric_cell, wrap=True),
    Column("when", when_cell, wrap=True, optional=1),
    Column("figure", stated_cell, wrap=True),
    Column("value", value_cell, wrap=True, optional=2),
    SOURCE,
]
EVENT_COLUMNS = [
    Column("date", lambda r: date_cell(r, "date")),
    field("name", wrap=True),
    field("occurrence", optional=1),
    field("source", "source_slug", hyphens=True),
]
# kb figures and kb events mark the rows in conflict; a person's profile does not (its rows
# are not checked for conflicts).
FIGURES = [*FIGURE_COLUMNS, CONFLICT]
EVENTS = [*EVENT_COLUMNS, CONFLICT]
# kb figures --metric: one table per subject, rows numbered, so that a conflict names the
# rows it is with.
METRIC_FIGURES = [
    Column("#", lambda r: r["number"], right=True),
    Column("when", when_cell, wrap=True),
    Column("figure", stated_cell, wrap=True),
    Column("value", value_cell, wrap=True, optional=2),
    SOURCE,
    Column("conflicts with", lambda r: r["partners"], wrap=True),
]
ROLES = [
    field("title", wrap=True),
    field("party", "party_name", wrap=True),
    field("source", "source_slug", hyphens=True),
]
NAMES = [field("name", wrap=True), field("source", "source_slug", hyphens=True)]
# In one person's profile the speaker is known: quotes and figures do not name them.
PERSON_QUOTES = QUOTES[1:]
PERSON_FIGURES = [*FIGURE_COLUMNS[:-1], field("source", "source_slug", hyphens=True)]
# Each section of a profile: its key, the type of its records (JSON Lines, CSV), its title.
PERSON_SECTIONS = (
    ("roles", "role", "Roles, as each source states them", ROLES),
    ("names", "alias", "Other names the sources print", NAMES),
    ("quotes", "quote", "Quotes", PERSON_QUOTES),
    ("figures", "figure", "Figures stated in their quotes", PERSON_FIGURES),
    ("events", "event", "Events they take part in", EVENT_COLUMNS),
)
_SECTION_KEYS = {key for key, *_rest in PERSON_SECTIONS}
COUNTS = [field("table"), field("rows", right=True)]


def inferred_note(rows: Sequence[Row], *names: str) -> str | None:
    """The legend of the inferred-date mark, when one of the dates `names` of some row
    carries it."""
    marked = any(r.get(f"{name}_inferred") for r in rows for name in names)
    return INFERRED_NOTE if marked else None


def person_text(person: Row) -> str:
    """A person's profile: name, aliases, then a table per section (or 'none')."""
    lines = [f"{person['name']} ({person['slug']})"]
    if person["aliases"]:
        lines.append(f"aliases: {show(person['aliases'])}")
    for key, _type, title, columns in PERSON_SECTIONS:
        rows = person[key]
        lines += ["", f"{title} ({len(rows)})"]
        lines.append(table(rows, columns) if rows else "none")
    note = inferred_note(person["events"], "date") or inferred_note(
        person["figures"], "as_of", "period_start", "period_end"
    )
    return "\n".join([*lines, "", note] if note else lines)


def person_records(person: Row) -> list[Row]:
    """A profile as flat records, each tagged with its type: person, role, alias, quote,
    figure, event."""
    head = {"type": "person", **{k: v for k, v in person.items() if k not in _SECTION_KEYS}}
    records = [head]
    for key, kind, _title, _columns in PERSON_SECTIONS:
        records += [{"type": kind, **row} for row in person[key]]
    return records


def metric_figures_text(rows: Sequence[Row]) -> str:
    """kb figures --metric: for each metric, a table of its figures per subject, numbered in
    time order, each row naming the rows it conflicts with ('#2'; a slug for a figure not
    shown)."""
    width = terminal_width()
    blocks: list[str] = []
    for heading, shown in metric_tables(rows):
        # A heading wraps like prose (a metric's name may be long); its slug stays whole.
        lines = [piece for line in heading.split("\n") for piece in wrap(line, width)]
        blocks.append("\n".join([*lines, table(shown, METRIC_FIGURES, width)]))
    return "\n\n".join(blocks)


def metric_tables(rows: Sequence[Row]) -> list[tuple[str, list[Row]]]:
    """The tables of metric_figures_text(): the heading above each (the metric's name and slug
    before its first, then the subject) and its rows, numbered, with their partners."""
    tables: list[tuple[str, list[Row]]] = []
    metric = None
    for (slug, subject), members in _by_metric_and_subject(rows):
        first = members[0]
        about = f"{first['subject_name']} ({subject})" if subject else "No subject"
        heading = about if slug == metric else f"{first['metric_name']} ({slug})\n\n{about}"
        metric = slug
        numbers = {row["slug"]: f"#{n}" for n, row in enumerate(members, 1)}
        shown = [
            {
                **row,
                "number": n,
                "partners": ", ".join(numbers.get(s, s) for s in row["conflicts_with"]),
            }
            for n, row in enumerate(members, 1)
        ]
        tables.append((heading, shown))
    return tables


def _by_metric_and_subject(rows: Sequence[Row]) -> list[tuple[tuple[str, str | None], list[Row]]]:
    """Rows grouped by metric slug and subject slug, groups in order of their first row."""
    groups: dict[tuple[str, str | None], list[Row]] = {}
    for row in rows:
        groups.setdefault((row["metric_slug"], row["subject_slug"]), []).append(row)
    return list(groups.items())


def stats_text(stats: Row) -> str:
    """Row counts per table, then the span of the timeline and sources by kind."""
    counts = [{"table": name, "rows": n} for name, n in stats["rows"].items()]
    events = stats["events"]
    span = f"from {events['first']} to {events['last']}" if events["dated"] else "no dated events"
    kinds = ", ".join(f"{kind} {n}" for kind, n in stats["sources_by_kind"].items()) or "none"
    return "\n".join(
        [
            table(counts, COUNTS),
            "",
            f"events: {events['dated']} dated ({span}), {events['undated']} undated",
            f"sources by kind: {kinds}",
        ]
    )


def stats_records(stats: Row) -> list[Row]:
    """The statistics as flat {stat, value} records with dotted names: rows.quotes, events.first."""
    return [
        {"stat": f"{group}.{name}", "value": value}
        for group, values in stats.items()
        for name, value in values.items()
    ]


LOAD = [
    field("table"),
    *(
        field(name, right=True)
        for name in ("inserted", "updated", "unchanged", "missing", "deleted")
    ),
]


def load_text(report: LoadReport, where: str, conflicts: Changes | None = None) -> str:
    """A load report: what was done, changes per table, the records missing from the files,
    and the conflicts the load adds and removes (when it changed anything)."""
    count = _files(report.files)
    if report.dry_run:
        lines = [f"Dry run: checked {count} against {where}; nothing was written."]
    else:
        lines = [f"Loaded {count} into {where}."]
    if report.skipped:
        lines[0] += f" {_skipped(len(report.skipped))}"
    rows = [
        {**change.to_dict(), "table": name, "missing": len(change.missing)}
        for name, change in report.tables.items()
    ]
    lines += ["", table(rows, LOAD)]
    if not report.changed:
        lines += ["", "Nothing changed: the database already matches the files."]
    lines += _missing_lines(report)
    if conflicts is not None and report.changed:
        lines += ["", *conflict_lines(conflicts, dry_run=report.dry_run)]
    return "\n".join(lines)


# A load lists at most this many conflicts it adds or removes (JSON lists them all).
LISTED_CONFLICTS = 50


def conflict_lines(changes: Changes, *, dry_run: bool) -> list[str]:
    """What a load does to the conflicts: a sentence of counts, then one line per conflict
    added (+) or removed (-): what, both sides, both sources."""
    would = "would " if dry_run else ""
    if not changes.complete:
        return [
            f"Conflicts: more than {changes.cap:,} involve what this load writes, too many to "
            "compare here; `kb conflicts` lists them."
        ]
    added, removed = (_count(len(rows)) for rows in (changes.added, changes.removed))
    verbs = ("adds", "removes") if not dry_run else ("add", "remove")
    head = f"Conflicts: this load {would}{verbs[0]} {added} and {verbs[1]} {removed}"
    listed = [("+", row) for row in changes.added] + [("-", row) for row in changes.removed]
    if not listed:
        return [f"{head}."]
    lines = [f"{head} (`kb conflicts` says why):"]
    lines += [f"  {sign} {conflict_line(row)}" for sign, row in listed[:LISTED_CONFLICTS]]
    if len(listed) > LISTED_CONFLICTS:
        lines.append(f"  … and {len(listed) - LISTED_CONFLICTS:,} more (--format json lists all)")
    return lines


def _count(count: int) -> str:
    """'none', '1', '12'."""
    return f"{count:,}" if count else "none"


def conflict_line(conflict: Row) -> str:
    """One conflict on one line: 'figure European investment (Kazakhstan): more than US$160
    billion (~1993 to ~2023) in jjtv-… vs almost US$77 billion (…) in jjtv-…'."""
    sides = [_conflict_side(conflict, side) for side in ("a_", "b_")]
    what = " ".join(str(conflict["what"]).split())
    if conflict["type"] == "figure" and conflict["subject_name"]:
        what += f" ({conflict['subject_name']})"
    return f"{conflict['type']:<6}  {what}: {sides[0]} vs {sides[1]}"


def _conflict_side(conflict: Row, prefix: str) -> str:
    """One side of a conflict: as stated, when, and in which source."""
    source = conflict[f"{prefix}source_slug"]
    if conflict["type"] != "figure":
        return f"{conflict[f'{prefix}stated']} in {source}"
    when = when_cell(conflict, prefix)
    stated = conflict[f"{prefix}stated"]
    return f"{stated} ({when}) in {source}" if when else f"{stated} in {source}"


def _skipped(count: int) -> str:
    """The sentence saying how many files a load skipped as unchanged."""
    files = "1 was" if count == 1 else f"{count:,} were"
    return f"Of these, {files} unchanged since the last load and skipped (--reread reads them)."


def _missing_lines(report: LoadReport) -> list[str]:
    """The records in the database but not in the files, and what happens to them."""
    missing = {name: c.missing for name, c in report.tables.items() if c.missing}
    if not missing:
        return []
    if report.pruned:
        head = "Would delete (--prune):" if report.dry_run else "Deleted (--prune):"
        head += " records no longer in the files"
    else:
        head = "In the database but not in the files (kept; --prune deletes them):"
    return ["", head, *(f"  {name}: {', '.join(slugs)}" for name, slugs in missing.items())]


VALIDATION = [field("type"), field("records", right=True)]


def validation_text(summary: ValidationSummary) -> str:
    """Records per type in the files checked, then 'ok'."""
    rows = [{"type": name, "records": n} for name, n in summary.counts.items()]
    return f"{table(rows, VALIDATION)}\n\nok: {_files(summary.files)}, no problems"


def _files(files: Sequence[object]) -> str:
    """'1 file' or 'N files'."""
    return f"{len(files)} file{'' if len(files) == 1 else 's'}"
