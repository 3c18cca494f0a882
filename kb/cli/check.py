"""`kb check`: audit a database and say, check by check, what is wrong with it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from kb.cli.common import db_option, examples, format_option
from kb.cli.output import to_json

if TYPE_CHECKING:
    from kb.annotate import SourceCoverage
    from kb.check import Audit, CheckResult

# Problems printed under a failed check in the table output (JSON lists all that were kept).
SHOWN_PROBLEMS = 10
MARKS = {"ok": "ok", "failed": "FAILED", "skipped": "skipped", "warning": "warning"}
# What each check that warns counts: one, and more than one.
WARNED = {
    "duplicates": ("likely duplicate", "likely duplicates"),
    "load leftovers": ("schema left behind", "schemas left behind"),
}
# Columns a sentence of the coverage report is shortened to, its offsets and indent included.
COVERAGE_WIDTH = 80


@click.command(
    epilog=examples(
        "kb check",
        "kb check --db my.sqlite3 --format json",
        "kb check --coverage",
        "kb check --coverage --format json",
    )
)
@db_option
@format_option("table", "json")
@click.option(
    "--coverage",
    is_flag=True,
    help="Instead of auditing, list per source the sentences with a number or a quotation "
    "mark that no record covers (exit status 0).",
)
@click.pass_context
def check(ctx: click.Context, db: str | None, fmt: str, coverage: bool) -> None:
    """Audit the database; exit status 1 when any check fails.

    Checks the file's integrity (SQLite), that every foreign key points at a row, that the
    schema is at the newest migration, that the full-text indexes agree with their tables,
    that each source's text still has its recorded SHA-256, that every quote, figure, event,
    role, alias and participant span still reads its words in the source text, and that the
    views exist. Warns (without failing) about likely duplicates: people, parties and metrics
    with the same folded name, shared aliases or transliteration-close names; and, on
    PostgreSQL, about a schema that a killed load left behind (kb_loading_<pid>, which the
    next load drops).
    Prints one line per check (ok, FAILED with the rows at fault, warning, or skipped); writes
    nothing.

    With --coverage, reports what is left to curate instead: for each source, the sentences
    of its body (not the headline) that hold a digit or a quotation mark and that no quote,
    figure (surface or evidence), event or role overlaps, each with its [start, end) offsets.
    A report, not a check: the exit status is 0.
    """
    from kb.config import database_url

    if coverage:
        from kb.check import coverage as coverage_report
        from kb.db import describe_url

        url = database_url(db)
        sources = coverage_report(url)
        if fmt == "json":
            click.echo(to_json(coverage_json(describe_url(url), sources)))
        else:
            click.echo(coverage_text(describe_url(url), sources))
        return

    from kb.check import audit

    report = audit(database_url(db))
    click.echo(to_json(report.to_dict()) if fmt == "json" else audit_text(report))
    if not report.ok:
        ctx.exit(1)


def audit_text(report: Audit) -> str:
    """One line per check, the problems of failed ones indented below, then a verdict."""
    width = max(len(result.name) for result in report.checks)
    lines = [f"Checking {report.database}", ""]
    for result in report.checks:
        lines.append(f"{result.name.ljust(width)}  {_mark(result)}")
        lines += [f"  {problem}" for problem in result.problems[:SHOWN_PROBLEMS]]
        if result.problem_count > SHOWN_PROBLEMS:
            lines.append(f"  … and {result.problem_count - SHOWN_PROBLEMS} more (--format json)")
    failed = len(report.failed)
    total = len(report.checks)
    warned = sum(result.status == "warning" for result in report.checks)
    lines.append("")
    if failed:
        lines.append(f"{failed} of {total} checks FAILED.")
    else:
        lines.append(f"All {total} checks passed" + (" (with warnings)." if warned else "."))
    return "\n".join(lines)


def _mark(result: CheckResult) -> str:
    """'ok: note', 'FAILED: 2 problems' or 'skipped: why'."""
    count = result.problem_count
    if result.status == "failed":
        return f"FAILED: {count} problem{'' if count == 1 else 's'}"
    if result.status == "warning":
        one, more = WARNED[result.name]
        return f"warning: {count} {one if count == 1 else more}, see below"
    mark = MARKS[result.status]
    return f"{mark}: {result.note}" if result.note else mark


def coverage_json(database: str, sources: list[SourceCoverage]) -> dict[str, Any]:
    """The coverage report as JSON-ready data: every source, uncovered sentences or none."""
    return {
        "database": database,
        "uncovered": sum(source.count for source in sources),
        "sources": [source.to_dict() for source in sources],
    }


def coverage_text(database: str, sources: list[SourceCoverage]) -> str:
    """Each source with uncovered sentences, its count, then its sentences one a line
    (shortened to COVERAGE_WIDTH columns); then the total."""
    from kb.annotate.coverage import counted

    lines = [f"Coverage of {database}"]
    left = [source for source in sources if source.count]
    for source in left:
        lines += ["", f"{source.slug}: {counted(source.count)}"]
        for sentence in source.sentences:
            where = f"  [{sentence.start}, {sentence.end}) "
            lines.append(where + shortened(sentence.text, COVERAGE_WIDTH - len(where)))
    total = sum(source.count for source in left)
    count = len(sources)
    of = f"{count} source{'' if count == 1 else 's'}"
    lines.append("")
    if total:
        lines.append(f"{counted(total)}, in {len(left)} of {of}.")
    else:
        lines.append(f"{counted(0)}, in all {of}." if count else "No sources.")
    return "\n".join(lines)


def shortened(text: str, width: int) -> str:
    """`text` on one line (runs of whitespace as one space), cut at a word boundary with '…'
    to at most `width` characters."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    space = cut.rfind(" ")
    if space > width // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:") + "…"
