"""What each read command shows in a table, and the flat records of nested results."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.cli.output import Column, Row, field, show, table

if TYPE_CHECKING:
    from kb.loader import LoadReport, ValidationSummary

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
    qualifier = "" if row["qualifier"] == "exact" else str(row["qualifier"]).replace("_", " ") + " "
    return f"{qualifier}{number} {row['unit']}"


SOURCES = [
    field("slug"),
    field("kind"),
    Column("published", lambda r: date_cell(r, "published")),
    field("title", wrap=True),
]
PARTIES = [
    field("slug"),
    field("name", wrap=True),
    field("kind"),
    field("aliases", wrap=True),
    Column("figures", lambda r: r["figure_count"], right=True),
]
PEOPLE = [
    field("slug"),
    field("name", wrap=True),
    field("aliases", wrap=True),
    field("roles", wrap=True),
    Column("quotes", lambda r: r["quote_count"], right=True),
]
QUOTES = [
    field("speaker", "speaker_name"),
    field("source", "source_slug"),
    field("quote", "text", wrap=True),
]
FIGURE_COLUMNS = [
    field("metric", wrap=True),
    field("surface", wrap=True),
    Column("value", value_cell, wrap=True),
    Column("stated by", lambda r: r["speaker_name"] or "(narration)", wrap=True),
    field("source", "source_slug"),
]
EVENT_COLUMNS = [
    Column("date", lambda r: date_cell(r, "date")),
    field("name", wrap=True),
    field("occurrence"),
    field("source", "source_slug"),
]
# kb figures and kb events mark the rows in conflict; a person's profile does not (its rows
# are not checked for conflicts).
FIGURES = [*FIGURE_COLUMNS, CONFLICT]
EVENTS = [*EVENT_COLUMNS, CONFLICT]
ROLES = [
    field("title", wrap=True),
    field("party", "party_name", wrap=True),
    field("source", "source_slug"),
]
# In one person's profile the speaker is known, so the quotes drop that column.
PERSON_QUOTES = QUOTES[1:]
PERSON_SECTIONS = (
    ("roles", "Roles", ROLES),
    ("quotes", "Quotes", PERSON_QUOTES),
    ("figures", "Figures stated in their quotes", FIGURE_COLUMNS),
    ("events", "Events they take part in", EVENT_COLUMNS),
)
_SECTION_KEYS = {key for key, _title, _columns in PERSON_SECTIONS}
COUNTS = [field("table"), field("rows", right=True)]


def inferred_note(rows: Sequence[Row], name: str) -> str | None:
    """The legend of the inferred-date mark, when some row's date carries it."""
    return INFERRED_NOTE if any(r.get(f"{name}_inferred") for r in rows) else None


def person_text(person: Row) -> str:
    """A person's profile: name, aliases, then a table per section (or 'none')."""
    lines = [f"{person['name']} ({person['slug']})"]
    if person["aliases"]:
        lines.append(f"aliases: {show(person['aliases'])}")
    for key, title, columns in PERSON_SECTIONS:
        rows = person[key]
        lines += ["", f"{title} ({len(rows)})"]
        lines.append(table(rows, columns) if rows else "none")
    note = inferred_note(person["events"], "date")
    return "\n".join([*lines, "", note] if note else lines)


def person_records(person: Row) -> list[Row]:
    """A profile as flat records, each tagged with its type: person, role, quote, figure, event."""
    head = {"type": "person", **{k: v for k, v in person.items() if k not in _SECTION_KEYS}}
    records = [head]
    for key, _title, _columns in PERSON_SECTIONS:
        records += [{"type": key[:-1], **row} for row in person[key]]
    return records


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


def load_text(report: LoadReport, where: str) -> str:
    """A load report: what was done, changes per table, and the records missing from the files."""
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
    return "\n".join(lines + _missing_lines(report))


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
