"""`kb check`: audit a database and say, check by check, what is wrong with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kb.cli.common import db_option, examples, format_option
from kb.cli.output import to_json

if TYPE_CHECKING:
    from kb.check import Audit, CheckResult

# Problems printed under a failed check in the table output (JSON lists all that were kept).
SHOWN_PROBLEMS = 10
MARKS = {"ok": "ok", "failed": "FAILED", "skipped": "skipped", "warning": "warning"}


@click.command(epilog=examples("kb check", "kb check --db my.sqlite3 --format json"))
@db_option
@format_option("table", "json")
@click.pass_context
def check(ctx: click.Context, db: str | None, fmt: str) -> None:
    """Audit the database; exit status 1 when any check fails.

    Checks the file's integrity (SQLite), that every foreign key points at a row, that the
    schema is at the newest migration, that the full-text indexes agree with their tables,
    that each source's text still has its recorded SHA-256, that every quote, figure, event,
    role, alias and participant span still reads its words in the source text, and that the
    views exist. Warns (without failing) about likely duplicates: people, parties and metrics
    with the same folded name, shared aliases or transliteration-close names.
    Prints one line per check (ok, FAILED with the rows at fault, warning, or skipped); writes
    nothing.
    """
    from kb.check import audit
    from kb.config import database_url

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
        return f"warning: {count} likely duplicate{'' if count == 1 else 's'}, see below"
    mark = MARKS[result.status]
    return f"{mark}: {result.note}" if result.note else mark
