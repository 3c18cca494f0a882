"""Build a kb SQLite database of a synthetic collection straight from the generator, fast.

Usage: .venv/bin/python benchmarks/benchdb.py TARGET --facts N [--seed S]

The rows are those `kb load` writes for the collection benchmarks/generate.py makes with the same
N and seed (a test compares the two at a small size), but they are computed here from the
generator's documents and written the way the load benchmark's floor writes (phases.py): plain
sqlite3 `executemany` into kb's schema, taken from a database kb migrated, with the indexes,
triggers and views created after the rows and one FTS5 'rebuild' per table. A million facts take
a few minutes and little memory, where a real load takes much longer: the query benchmark needs
the database, not the load.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from generate import METRIC_RECORDS, PARTIES, Document, Plan, documents
from phases import PRAGMAS, _schema

from kb.loader.lookup import party_keys, person_keys
from kb.search import FTS_TABLES

Rows = dict[str, list[dict[str, Any]]]
# Documents written per executemany batch: bounded memory at any size.
BATCH_DOCUMENTS = 2000
TABLES = ("sources", "people", "roles", "quotes", "figures", "events", "event_participants")
# Written with the rows, though not a table of kb's data: the look-up keys of names (as
# kb.loader.lookup writes them), which `kb draft` reads.
NAMES = "_kb_names"


def kb_schema() -> dict[str, list[str]]:
    """kb's schema as SQL, by kind, read from a new database migrated to the newest revision."""
    from kb.db import make_engine
    from kb.migrating import upgrade

    with tempfile.TemporaryDirectory(prefix="kb-schema-") as work:
        path = Path(work) / "schema.sqlite3"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        engine.dispose()
        schema = _schema(path)
        with closing(sqlite3.connect(path)) as connection:
            head = connection.execute("SELECT version_num FROM _alembic_version").fetchone()[0]
    schema["version"] = [head]
    return schema


class Ids:
    """Ids in the order kb's loader gives them: each table counts from 1 in file order."""

    def __init__(self) -> None:
        self.next: dict[str, int] = dict.fromkeys(TABLES, 1)
        self.parties = {slug: i for i, (slug, _name, _kind) in enumerate(PARTIES, start=1)}
        self.metrics = {m["slug"]: i for i, m in enumerate(METRIC_RECORDS, start=1)}

    def take(self, table: str) -> int:
        """The next id of `table`."""
        found = self.next[table]
        self.next[table] = found + 1
        return found


def person_id(slug: str) -> int:
    """The id of a person: generate.py's person p (slug '…-p') is defined p-th."""
    return int(slug.rsplit("-", 1)[1]) + 1


def document_rows(document: Document, source: dict[str, Any], ids: Ids, rows: Rows) -> None:
    """Append the rows of one document to `rows`."""
    text = document.text
    source_id = ids.take("sources")
    rows["sources"].append(
        {
            **source,
            "id": source_id,
            "status": "reviewed",
            "kind": "article",
            "published_precision": "day",
            "published_inferred": 0,
            "author": None,
            "text": text,
        }
    )
    for person in document.records.get("people", []):
        rows[NAMES] += _names(
            "person", "people", person["slug"], person_keys(person["name"], person["aliases"])
        )
        rows["people"].append(
            {
                "id": ids.take("people"),
                "slug": person["slug"],
                "status": "reviewed",
                "name": person["name"],
                "aliases": json.dumps(person["aliases"], ensure_ascii=False),
            }
        )
        for role in person["roles"]:
            rows["roles"].append(
                {
                    "id": ids.take("roles"),
                    "status": "reviewed",
                    "person_id": person_id(person["slug"]),
                    "title": role["title"],
                    "party_id": ids.parties[role["party"]],
                    "source_id": source_id,
                    "evidence": role["evidence"],
                    **_span(text, role["evidence"], "evidence"),
                }
            )
    quote_ids = {}
    for quote in document.records.get("quotes", []):
        quote_ids[quote["slug"]] = quote_id = ids.take("quotes")
        rows["quotes"].append(
            {
                "id": quote_id,
                "slug": quote["slug"],
                "status": "reviewed",
                "text": quote["text"],
                "speaker_id": person_id(quote["speaker"]),
                "source_id": source_id,
                "kind": "direct",
                **_span(text, quote["text"], "text"),
                "said_on": None,
                "said_on_precision": None,
                "said_on_inferred": 0,
            }
        )
    for figure in document.records.get("figures", []):
        rows["figures"].append(_figure(figure, text, source_id, quote_ids, ids))
    for event in document.records.get("events", []):
        event_id = ids.take("events")
        date = event["date"]
        rows["events"].append(
            {
                "id": event_id,
                "slug": event["slug"],
                "status": "reviewed",
                "name": event["name"],
                "kind": event["kind"],
                "occurrence": "happened",
                "source_id": source_id,
                "same_as_id": None,
                "date": date,
                "date_precision": {4: "year", 7: "month", 10: "day"}[len(date)],
                "date_inferred": 0,
                "evidence": event["evidence"],
                **_span(text, event["evidence"], "evidence"),
            }
        )
        for participant in event["participants"]:
            rows["event_participants"].append(
                {
                    "id": ids.take("event_participants"),
                    "event_id": event_id,
                    "party_id": ids.parties[participant["party"]],
                    "person_id": None,
                    "role": participant.get("role"),
                    "status": "reviewed",
                    "source_id": None,
                    "evidence": None,
                    "evidence_start": None,
                    "evidence_end": None,
                }
            )


def _figure(
    figure: dict[str, Any], text: str, source_id: int, quote_ids: dict[str, int], ids: Ids
) -> dict[str, Any]:
    """The row of one figure."""
    evidence = _span(text, figure["evidence"], "evidence")
    surface_start = evidence["evidence_start"] + figure["evidence"].index(figure["surface"])
    period_start, period_end = figure.get("period_start"), figure.get("period_end")
    return {
        "id": ids.take("figures"),
        "slug": figure["slug"],
        "status": "reviewed",
        "source_id": source_id,
        "quote_id": quote_ids[figure["quote"]] if "quote" in figure else None,
        "subject_id": ids.parties[figure["subject"]] if "subject" in figure else None,
        "metric_id": ids.metrics[figure["metric"]],
        "kind": figure["kind"],
        "surface": figure["surface"],
        "value": figure["value"],
        "unit": figure["unit"],
        "qualifier": figure.get("qualifier", "exact"),
        "base": None,
        "period_start": period_start,
        "period_start_precision": "year" if period_start else None,
        "period_start_inferred": 0,
        "period_end": period_end,
        "period_end_precision": "year" if period_end else None,
        "period_end_inferred": 0,
        "as_of": None,
        "as_of_precision": None,
        "as_of_inferred": 0,
        "evidence": figure["evidence"],
        **evidence,
        "surface_start": surface_start,
        "surface_end": surface_start + len(figure["surface"]),
    }


def _span(text: str, passage: str, name: str) -> dict[str, int]:
    """`name`_start and `name`_end of the first occurrence of `passage` in `text`."""
    start = text.index(passage)
    return {f"{name}_start": start, f"{name}_end": start + len(passage)}


def batches(plan: Plan) -> Iterator[Rows]:
    """The rows of the collection, BATCH_DOCUMENTS documents at a time."""
    ids = Ids()
    rows: Rows = {table: [] for table in (*TABLES, NAMES)}
    for document, source in documents(plan):
        document_rows(document, source, ids, rows)
        if document.index % BATCH_DOCUMENTS == BATCH_DOCUMENTS - 1:
            yield rows
            rows = {table: [] for table in (*TABLES, NAMES)}
    yield rows


def build(target: Path, facts: int, *, seed: int = 1) -> dict[str, Any]:
    """Write the database of the collection of `facts` facts into the new file `target`."""
    if target.exists():
        raise FileExistsError(f"{target} exists: the builder writes only new databases")
    schema = kb_schema()
    start = time.perf_counter()
    with closing(sqlite3.connect(target, isolation_level=None)) as connection:
        for pragma in PRAGMAS:
            connection.execute(pragma)
        connection.execute("BEGIN")
        for sql in schema["table"]:
            connection.execute(sql)
        _insert(connection, "parties", [_party(i, p) for i, p in enumerate(PARTIES, start=1)])
        _insert(
            connection, "metrics", [_metric(i, m) for i, m in enumerate(METRIC_RECORDS, start=1)]
        )
        names = [
            _names("party", "parties", slug, party_keys(name, [])) for slug, name, _ in PARTIES
        ]
        _insert(connection, NAMES, [row for rows in names for row in rows])
        for rows in batches(Plan(facts, seed)):
            for table in (*TABLES, NAMES):
                _insert(connection, table, rows[table])
        connection.execute("INSERT INTO _alembic_version VALUES (?)", schema["version"])
        for kind in ("index", "trigger", "view"):
            for sql in schema[kind]:
                connection.execute(sql)
        for table in FTS_TABLES:
            fts = f"{table}_fts"
            connection.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608
        connection.execute("COMMIT")
    return {"facts": facts, "seed": seed, "seconds": round(time.perf_counter() - start, 1)}


def _party(party_id: int, party: tuple[str, str, str]) -> dict[str, Any]:
    """The row of one of generate.py's parties."""
    slug, name, kind = party
    return {
        "id": party_id,
        "slug": slug,
        "status": "reviewed",
        "name": name,
        "kind": kind,
        "aliases": "[]",
    }


def _names(kind: str, origin: str, slug: str, keys: list[str]) -> list[dict[str, Any]]:
    """The _kb_names rows of a person's or party's keys."""
    return [
        {"kind": kind, "slug": slug, "key": key, "origin": origin, "origin_key": slug}
        for key in keys
    ]


def _metric(metric_id: int, metric: dict[str, Any]) -> dict[str, Any]:
    """The row of one of generate.py's metrics."""
    return {
        "id": metric_id,
        "status": "reviewed",
        "aliases": "[]",
        "description": None,
        **metric,
    }


def _insert(connection: sqlite3.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    """executemany of `rows` (dicts with every column) into `table`."""
    if not rows:
        return
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    marks = ", ".join(f":{name}" for name in names)
    # Table and column names come from kb's schema and this file, never from a user.
    connection.executemany(f'INSERT INTO "{table}" ({columns}) VALUES ({marks})', rows)  # noqa: S608


def main(argv: list[str] | None = None) -> int:
    """Build the database and print how long it took."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", type=Path, help="new SQLite file to write")
    parser.add_argument("--facts", type=int, required=True, help="facts in the collection")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    args = parser.parse_args(argv)
    print(json.dumps(build(args.target, args.facts, seed=args.seed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
