"""Benchmark the annotated page of a source: `kb.annotate.annotate` + `render` on a 1 MB text.

Usage: .venv/bin/python benchmarks/annotate_bench.py [--kb 1000] [--runs 7] [--keep PATH]
                                                     [--results FILE]

Loads the bundled collection into a new SQLite file (in a temporary directory, or --keep PATH),
then adds one source of about --kb kilobytes: the seed article's headline and its body again
and again, each copy with the article's curated records moved to its offsets (written with
SQLAlchemy Core, one executemany per table) — 2 quotes, 8 figures, 7 events and 1 role a copy,
thousands in all. So that the page has everything a real one has:

- each copy's figures are about a party of its own, so a copy's two investment figures
  conflict with each other (kb.queries.conflicts), not with every other copy's;
- every 10th copy has no figures, so its sentences with numbers outside quotes are uncovered;
- every 7th copy's records are drafts;
- each copy has one more event whose evidence crosses the end of the first quote (from inside
  the quote to past it), so that marks are split into pieces.

Then, on one open connection (as a server holds one), after one untimed warm-up, times
`annotate(connection, slug)`, `render(annotation, row_url)` and both together, each the best
of --runs runs, against a baseline measured in the same run: `html.escape` of the whole text
(the least any page of that text costs). Prints the sizes, the milliseconds and the ratios to
the baseline; the target is annotate + render within 110 ms, so that the annotated page, with
Datasette's template and response around them, is served in under 200 ms
(benchmarks/page_bench.py). With --results, appends one JSON line with the machine and the
figures to that file.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import html
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from machine import append_result, provenance
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from kb.annotate import Annotation, annotate, render
from kb.db import make_engine
from kb.loader import load
from kb.models import Base
from kb.paths import bundled_data_dir

# The model's tables (not kb.tables' light ones): executemany with RETURNING in order.
SOURCES, PARTIES, QUOTES, FIGURES, EVENTS, ROLES = (
    Base.metadata.tables[name]
    for name in ("sources", "parties", "quotes", "figures", "events", "roles")
)

ARTICLE = "jjtv-kazakhstan-eu-30-years"
SLUG = "annotate-bench"
# annotate + render; the page Datasette serves has its own target (page_bench.py: 200 ms).
TARGET_MS = 110.0
# Every NO_FIGURES-th copy has no figures; every DRAFTS-th copy's records are drafts.
NO_FIGURES = 10
DRAFTS = 7

T = TypeVar("T")


def row_url(table: str, row_id: int) -> str:
    """The address of a row, as Datasette writes it."""
    return f"/kb/{table}/{row_id}"


def rows_of(connection: Connection, table: Any, source_id: int) -> list[dict[str, Any]]:
    """Every row of `table` stated by the source `source_id`, as dicts, by id."""
    statement = select(table).where(table.c.source_id == source_id).order_by(table.c.id)
    return [dict(row._mapping) for row in connection.execute(statement)]


def build(engine: Engine, kilobytes: int) -> dict[str, int]:
    """Add the benchmark source (about `kilobytes` KB of text) with its records; return the
    numbers of copies and of rows written."""
    with engine.begin() as connection:
        article = connection.execute(select(SOURCES).where(SOURCES.c.slug == ARTICLE)).one()
        records = {
            name: rows_of(connection, table, article.id)
            for name, table in (
                ("quotes", QUOTES),
                ("figures", FIGURES),
                ("events", EVENTS),
                ("roles", ROLES),
            )
        }
        headline, _, rest = article.text.partition("\n")
        body = rest.lstrip("\n")
        shift = len(article.text) - len(body)  # where the body starts in the article
        text_parts, offsets = [headline, "\n\n"], []
        size = len(headline) + 2
        while size < kilobytes * 1000:
            offsets.append(size - shift)  # a copy's offset for the article's own spans
            text_parts += [body.rstrip("\n"), "\n\n"]
            size += len(body.rstrip("\n")) + 2
        text = "".join(text_parts)
        source_id = connection.execute(
            insert(SOURCES).returning(SOURCES.c.id),
            {
                **{k: v for k, v in article._mapping.items() if k != "id"},
                "slug": SLUG,
                "title": "Annotation benchmark: the seed article again and again",
                "path": None,
                "text": text,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        ).scalar_one()
        counts = _copy_records(connection, records, source_id, offsets)
    return {"copies": len(offsets), "characters": len(text), **counts}


def _copy_records(
    connection: Connection,
    records: dict[str, list[dict[str, Any]]],
    source_id: int,
    offsets: list[int],
) -> dict[str, int]:
    """Each copy's records, moved to its offset: one executemany per table."""
    copies = range(len(offsets))
    parties = list(
        connection.execute(
            insert(PARTIES).returning(PARTIES.c.id, sort_by_parameter_order=True),
            [
                {"slug": f"bench-party-{n}", "name": f"Bench party {n}", "kind": "country"}
                for n in copies
            ],
        ).scalars()
    )
    statuses = ["draft" if n % DRAFTS == DRAFTS - 1 else "reviewed" for n in copies]
    quotes = [
        _moved(quote, offsets[n], n, statuses[n], ("text",), source_id)
        for n in copies
        for quote in records["quotes"]
    ]
    ids = connection.execute(
        insert(QUOTES).returning(QUOTES.c.id, sort_by_parameter_order=True), quotes
    ).scalars()
    # (copy, the article's quote id) -> the copy's quote id
    quote_ids = dict(
        zip(((n, q["id"]) for n in copies for q in records["quotes"]), ids, strict=True)
    )
    figures, events, roles = [], [], []
    first_quote = records["quotes"][0]
    crossing = records["events"][0] | {
        "evidence_start": first_quote["text_start"] + 200,
        "evidence_end": first_quote["text_end"] + 30,
        "name": "A span that crosses the end of a quote",
        "slug": f"{records['events'][0]['slug']}-crossing",
    }
    for n, offset in enumerate(offsets):
        if n % NO_FIGURES != NO_FIGURES - 1:
            for figure in records["figures"]:
                moved = _moved(figure, offset, n, statuses[n], ("evidence", "surface"), source_id)
                moved["subject_id"] = parties[n]
                if figure["quote_id"] is not None:
                    moved["quote_id"] = quote_ids[n, figure["quote_id"]]
                figures.append(moved)
        for event in [*records["events"], crossing]:
            moved = _moved(event, offset, n, statuses[n], ("evidence",), source_id)
            events.append(moved | {"same_as_id": None})
        for role in records["roles"]:
            moved = _moved(role, offset, n, statuses[n], ("evidence",), source_id)
            roles.append(moved | {"title": f"{role['title']} ({n})"})
    for table, rows in ((FIGURES, figures), (EVENTS, events), (ROLES, roles)):
        connection.execute(insert(table), rows)
    return {
        "quotes": len(quotes),
        "figures": len(figures),
        "events": len(events),
        "roles": len(roles),
    }


def _moved(
    row: dict[str, Any], offset: int, copy: int, status: str, spans: tuple[str, ...], source: int
) -> dict[str, Any]:
    """A copy of `row` for the benchmark source: no id, its spans moved by `offset`, its
    status, and a slug of its own (if the table has slugs)."""
    moved = {name: value for name, value in row.items() if name != "id"}
    for name in spans:
        moved[f"{name}_start"] += offset
        moved[f"{name}_end"] += offset
    moved["status"] = status
    moved["source_id"] = source
    if "slug" in moved:
        moved["slug"] = f"bench-{copy}-{row['slug']}"
    return moved


def best(runs: int, call: Callable[[], T]) -> tuple[float, T]:
    """The fastest of `runs` calls, in milliseconds, and the last result. The garbage of the
    run before is collected first (the collector stays on while the call runs)."""
    fastest, result = float("inf"), None
    for _ in range(runs):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = call()
        fastest = min(fastest, (time.perf_counter() - start) * 1000)
    assert result is not None
    return fastest, result


def measure(connection: Connection, runs: int) -> dict[str, Any]:
    """Time the baseline, annotate, render and both, each the best of `runs` (after one
    warm-up call of each)."""
    annotation = annotate(connection, SLUG)
    assert annotation is not None
    page = render(annotation, row_url)
    baseline, _ = best(runs, lambda: html.escape(annotation.text))
    annotate_ms, annotation = best(runs, lambda: _annotated(connection))
    render_ms, page = best(runs, lambda: render(annotation, row_url))
    both_ms, _ = best(runs, lambda: render(_annotated(connection), row_url))
    return {
        "baseline_ms": round(baseline, 2),
        "annotate_ms": round(annotate_ms, 2),
        "render_ms": round(render_ms, 2),
        "total_ms": round(both_ms, 2),
        "ratios": {
            "annotate_over_baseline": round(annotate_ms / baseline, 1),
            "render_over_baseline": round(render_ms / baseline, 1),
            "total_over_baseline": round(both_ms / baseline, 1),
        },
        "marks": len(annotation.marks),
        "uncovered": len(annotation.uncovered),
        "pieces": page.count('data-part="1"'),
        "page_bytes": len(page.encode()),
        "text_bytes": len(annotation.text.encode()),
    }


def _annotated(connection: Connection) -> Annotation:
    """annotate() of the benchmark source."""
    annotation = annotate(connection, SLUG)
    assert annotation is not None
    return annotation


def report(sizes: dict[str, int], figures: dict[str, Any]) -> str:
    """The figures as text."""
    ratios = figures["ratios"]
    verdict = "under" if figures["total_ms"] < TARGET_MS else "OVER"
    return "\n".join(
        [
            f"Source: {sizes['characters']:,} characters ({figures['text_bytes'] / 1e6:.2f} MB "
            f"UTF-8), {sizes['copies']:,} copies of the seed article's body",
            f"Marks: {figures['marks']:,} ({sizes['quotes']:,} quotes, {sizes['figures']:,} "
            f"figures with surface and evidence, {sizes['events']:,} events, "
            f"{sizes['roles']:,} roles); {figures['pieces']:,} split into pieces; "
            f"{figures['uncovered']:,} uncovered sentences",
            f"Page: {figures['page_bytes'] / 1e6:.2f} MB of HTML",
            "",
            "best of runs                     ms   × baseline",
            _line("baseline: html.escape(text)", figures["baseline_ms"], 1.0),
            _line("annotate", figures["annotate_ms"], ratios["annotate_over_baseline"]),
            _line("render", figures["render_ms"], ratios["render_over_baseline"]),
            _line("annotate + render", figures["total_ms"], ratios["total_over_baseline"]),
            "",
            f"annotate + render: {figures['total_ms']:.1f} ms, {verdict} the "
            f"{TARGET_MS:.0f} ms target.",
        ]
    )


def _line(name: str, milliseconds: float, ratio: float) -> str:
    """One row of the table of times."""
    return f"{name:<28}{milliseconds:>7.1f}  {ratio:>10.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=1000, help="kilobytes of text (1000: 1 MB)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each; the best counts")
    parser.add_argument("--keep", type=Path, help="write the database here (a new file)")
    parser.add_argument("--results", type=Path, help="JSON Lines file to append the run to")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-annotate-bench-") as scratch:
        path = options.keep or Path(scratch) / "bench.sqlite3"
        if path.exists():
            parser.error(f"{path} exists: give a new file")
        engine = make_engine(f"sqlite:///{path}")
        try:
            load(engine, bundled_data_dir(), jobs=1)
            sizes = build(engine, options.kb)
            with engine.connect() as connection:
                figures = measure(connection, options.runs)
        finally:
            engine.dispose()
    print(report(sizes, figures))
    if options.results:
        append_result(
            options.results,
            {**provenance(), "benchmark": "annotate", "runs": options.runs, "sizes": sizes}
            | figures,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
