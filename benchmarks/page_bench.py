"""Benchmark the annotated page as Datasette serves it: server time for a 1 MB source.

Usage: .venv/bin/python benchmarks/page_bench.py [--kb 1000] [--runs 7]

Builds the database of benchmarks/annotate_bench.py (the bundled collection plus one source of
about --kb kilobytes, the seed article again and again with its records, thousands of marks),
then serves it with Datasette and kb's plugin, in-process: each request goes through
Datasette's ASGI application, and its time runs from the call until the last byte of the
response has been handed to the server (what a server spends; no network, no client). Times,
each the best of --runs after one warm-up:

- the baseline: Datasette's own row page of the same source (`/<db>/sources/<id>`), which
  prints the same megabyte of text, escaped, with no marks;
- the annotated page (`/-/kb/<db>/source/<slug>`).

Prints both and their ratio; the target is the annotated page under 200 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from annotate_bench import SLUG, build
from datasette.app import Datasette
from sqlalchemy import text

from kb.datasette import page_path
from kb.db import make_engine
from kb.loader import load
from kb.paths import bundled_data_dir

TARGET_MS = 200.0


async def served_in(app: Any, path: str) -> tuple[float, int, int]:
    """Seconds Datasette takes to answer GET `path`, its status and body size."""
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost")],
        "scheme": "http",
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 1),
        "root_path": "",
    }
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    gc.collect()
    start = time.perf_counter()
    await app(scope, receive, send)
    elapsed = time.perf_counter() - start
    body = sum(len(m.get("body", b"")) for m in messages if m["type"] == "http.response.body")
    return elapsed, messages[0]["status"], body


async def measure(path: Path, source_id: int, runs: int) -> dict[str, tuple[float, int, int]]:
    """The best time of each page, with its status and size."""
    datasette = Datasette([str(path)])
    await datasette.invoke_startup()
    app = datasette.app()
    name = path.stem
    pages = {
        "baseline: Datasette's row page of the source": f"/{name}/sources/{source_id}",
        "the annotated page": page_path(name, SLUG),
    }
    found = {}
    for label, url in pages.items():
        await served_in(app, url)  # warm-up
        timings = [await served_in(app, url) for _ in range(runs)]
        found[label] = min(timings)
        if found[label][1] != 200:
            raise SystemExit(f"{url} answered {found[label][1]}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=1000, help="kilobytes of text (1000: 1 MB)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each; the best counts")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kb-page-bench-") as scratch:
        path = Path(scratch) / "bench.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        try:
            load(engine, bundled_data_dir(), jobs=1)
            sizes = build(engine, options.kb)
            with engine.connect() as connection:
                source_id = connection.execute(
                    text("SELECT id FROM sources WHERE slug = :slug"), {"slug": SLUG}
                ).scalar_one()
        finally:
            engine.dispose()
        found = asyncio.run(measure(path, source_id, options.runs))
    print(f"Source: {sizes['characters']:,} characters, {sizes['copies']} copies of the seed body")
    print(f"\n{'best of runs, server time':<46} {'ms':>7} {'MB':>6} {'× baseline':>11}")
    baseline = next(iter(found.values()))[0]
    for label, (seconds, _status, size) in found.items():
        print(f"{label:<46} {seconds * 1000:>7.1f} {size / 1e6:>6.2f} {seconds / baseline:>11.1f}")
    page = found["the annotated page"][0] * 1000
    verdict = "under" if page < TARGET_MS else "OVER"
    print(f"\nThe annotated page: {page:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
