"""Write a collection set-wise: one SELECT per table, diff in Python, executemany writes.

Rows are compared in "slug space" (references as slugs, not ids), so a row is unchanged exactly
when every value the files give matches the database, whatever ids the rows have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection

from kb.loader.collection import Collection, Existing
from kb.loader.problems import Problems
from kb.loader.report import TableChange
from kb.loader.spec import TABLES
from kb.models import Base

Key = tuple[Any, ...]


@dataclass(frozen=True)
class TableSpec:
    """How rows of a table are keyed, which fields are references, and which are plain."""

    name: str
    key: tuple[str, ...]
    refs: dict[str, tuple[str, str]]  # field -> (id column, referenced table)
    columns: tuple[str, ...]

    @property
    def table(self) -> Table:
        """The SQLAlchemy table."""
        return Base.metadata.tables[self.name]

    @property
    def fields(self) -> tuple[str, ...]:
        """Every field compared between the files and the database."""
        return (*self.columns, *self.refs)


def _spec(name: str, key: str, refs: dict[str, tuple[str, str]], columns: str) -> TableSpec:
    """A TableSpec from space-separated names."""
    return TableSpec(name, tuple(key.split()), refs, tuple(columns.split()))


SPECS = {
    spec.name: spec
    for spec in (
        _spec(
            "sources",
            "slug",
            {},
            "slug title kind outlet url published published_precision published_inferred "
            "author language path text sha256 retrieved status",
        ),
        _spec("parties", "slug", {}, "slug name kind aliases status"),
        _spec("people", "slug", {}, "slug name aliases status"),
        _spec(
            "roles",
            "person source title",
            {
                "person": ("person_id", "people"),
                "source": ("source_id", "sources"),
                "party": ("party_id", "parties"),
            },
            "title evidence evidence_start evidence_end",
        ),
        _spec(
            "quotes",
            "slug",
            {"speaker": ("speaker_id", "people"), "source": ("source_id", "sources")},
            "slug text kind text_start text_end said_on said_on_precision said_on_inferred status",
        ),
        _spec(
            "figures",
            "slug",
            {
                "source": ("source_id", "sources"),
                "quote": ("quote_id", "quotes"),
                "subject": ("subject_id", "parties"),
            },
            "slug metric kind surface value unit qualifier base "
            "period_start period_start_precision period_start_inferred "
            "period_end period_end_precision period_end_inferred "
            "evidence evidence_start evidence_end surface_start surface_end status",
        ),
        _spec(
            "events",
            "slug",
            {"source": ("source_id", "sources"), "same_as": ("same_as_id", "events")},
            "slug name kind occurrence date date_precision date_inferred status "
            "evidence evidence_start evidence_end",
        ),
        _spec(
            "event_participants",
            "event party person",
            {
                "event": ("event_id", "events"),
                "party": ("party_id", "parties"),
                "person": ("person_id", "people"),
            },
            "role",
        ),
    )
}
assert tuple(SPECS) == TABLES

# Spans in the database that a changed source text must still support: table -> text fields.
SPANS = {
    "roles": ("evidence",),
    "quotes": ("text",),
    "figures": ("evidence", "surface"),
    "events": ("evidence",),
}


@dataclass
class Snapshot:
    """The database's rows before the load: per table, key -> (id, row in slug space)."""

    rows: dict[str, dict[Key, tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    ids: dict[str, dict[str, int]] = field(default_factory=dict)

    def existing(self, *, prune: bool) -> Existing:
        """What references and grounding may use from the database."""
        rows = self.rows
        slugs = {
            record_type: {key[0] for key in rows[table]}
            for record_type, table in (
                ("source", "sources"),
                ("party", "parties"),
                ("person", "people"),
                ("quote", "quotes"),
                ("figure", "figures"),
                ("event", "events"),
            )
        }
        return Existing(
            slugs=slugs,
            texts={key[0]: row["text"] for key, (_, row) in rows["sources"].items()},
            quotes={
                key[0]: (row["source"], row["text_start"], row["text_end"])
                for key, (_, row) in rows["quotes"].items()
            },
            event_sources={key[0]: row["source"] for key, (_, row) in rows["events"].items()},
            prune=prune,
        )


def fetch(connection: Connection) -> Snapshot:
    """Read every table once, turning reference ids into slugs."""
    snapshot = Snapshot()
    raw: dict[str, list[dict[str, Any]]] = {}
    for name, spec in SPECS.items():
        result = connection.execute(select(spec.table).order_by(spec.table.c.id))
        raw[name] = [dict(row._mapping) for row in result]
        if "slug" in spec.key:
            snapshot.ids[name] = {row["slug"]: row["id"] for row in raw[name]}
    slugs = {name: {v: k for k, v in ids.items()} for name, ids in snapshot.ids.items()}
    for name, spec in SPECS.items():
        table_rows: dict[Key, tuple[int, dict[str, Any]]] = {}
        for row in raw[name]:
            converted = {column: row[column] for column in spec.columns}
            for ref, (column, target) in spec.refs.items():
                value = row[column]
                converted[ref] = None if value is None else slugs[target][value]
            table_rows[tuple(converted[k] for k in spec.key)] = (row["id"], converted)
        snapshot.rows[name] = table_rows
    return snapshot


@dataclass
class Plan:
    """Per table: rows to insert, rows to update (with their ids), and missing rows."""

    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    updates: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    missing: dict[str, list[tuple[int, Key]]] = field(default_factory=dict)
    changes: dict[str, TableChange] = field(default_factory=dict)


def diff(collection: Collection, snapshot: Snapshot) -> Plan:
    """Sort each desired row into insert, update or unchanged; what is left is missing."""
    plan = Plan()
    for name, spec in SPECS.items():
        existing = snapshot.rows[name]
        inserts: list[dict[str, Any]] = []
        updates: list[tuple[int, dict[str, Any]]] = []
        unchanged = 0
        seen: set[Key] = set()
        for row in collection.rows[name]:
            key = tuple(row[k] for k in spec.key)
            seen.add(key)
            found = existing.get(key)
            if found is None:
                inserts.append(row)
            elif all(row[f] == found[1][f] for f in spec.fields):
                unchanged += 1
            else:
                updates.append((found[0], row))
        missing = [(row_id, key) for key, (row_id, _) in existing.items() if key not in seen]
        plan.inserts[name], plan.updates[name], plan.missing[name] = inserts, updates, missing
        plan.changes[name] = TableChange(
            inserted=len(inserts),
            updated=len(updates),
            unchanged=unchanged,
            missing=[_label(name, key) for _, key in missing],
        )
    return plan


def check_kept_spans(
    collection: Collection, snapshot: Snapshot, plan: Plan, problems: Problems
) -> None:
    """Rows kept in the database but absent from the files must still match what changes.

    Without pruning, a quote that only the database holds keeps its offsets; if its source's
    text changes under it, the offsets would point at other words. Likewise a figure kept in
    the database must stay inside its quote when the quote is reloaded with another span.
    """
    for name, fields in SPANS.items():
        for _, key in plan.missing[name]:
            row = snapshot.rows[name][key][1]
            source = collection.records.get(("source", row["source"]))
            new_text = collection.texts.get(row["source"])
            if source is None or new_text is None:
                continue
            if any(new_text[row[f"{f}_start"] : row[f"{f}_end"]] != row[f] for f in fields):
                problems.add(
                    source.problem(
                        "path" if source.data.get("path") is not None else "text",
                        f"the new text no longer holds {_label(name, key)} "
                        f"({name[:-1]} in the database only, not in the files)",
                        "load that record's file too, or prune it",
                    )
                )
    quotes = {row["slug"]: row for row in collection.rows["quotes"]}
    for _, key in plan.missing["figures"]:
        figure = snapshot.rows["figures"][key][1]
        quote = quotes.get(figure["quote"])
        if quote is None:
            continue
        if (
            not quote["text_start"]
            <= figure["surface_start"]
            < figure["surface_end"]
            <= quote["text_end"]
        ):
            problems.add(
                collection.records[("quote", quote["slug"])].problem(
                    "text",
                    f"no longer holds the surface of figure '{key[0]}' "
                    "(in the database only, not in the files)",
                    "load that figure's file too, or prune it",
                )
            )


def apply(connection: Connection, plan: Plan, snapshot: Snapshot, *, prune: bool) -> None:
    """Run the inserts and updates table by table, then (when pruning) the deletes."""
    ids = snapshot.ids
    deferred: list[dict[str, Any]] = []
    for name, spec in SPECS.items():
        table = spec.table
        if plan.inserts[name]:
            rows = [_to_ids(spec, row, ids, deferred) for row in plan.inserts[name]]
            connection.execute(insert(table), rows)
            if "slug" in spec.key:
                ids[name] = {
                    slug: row_id
                    for slug, row_id in connection.execute(select(table.c.slug, table.c.id))
                }
        if plan.updates[name]:
            columns = [*spec.columns, *(column for column, _ in spec.refs.values())]
            statement = (
                update(table)
                .where(table.c.id == bindparam("v_id"))
                .values({column: bindparam(f"v_{column}") for column in columns})
            )
            params = []
            for row_id, row in plan.updates[name]:
                values = _to_ids(spec, row, ids, deferred)
                params.append({"v_id": row_id, **{f"v_{k}": v for k, v in values.items()}})
            connection.execute(statement, params)
        if name == "events" and deferred:
            # same_as may name an event inserted in this same load: set it once all have ids.
            events = spec.table
            connection.execute(
                update(events)
                .where(events.c.id == bindparam("v_id"))
                .values(same_as_id=bindparam("v_same_as")),
                [
                    {"v_id": ids["events"][row["slug"]], "v_same_as": ids["events"][row["same_as"]]}
                    for row in deferred
                ],
            )
    if prune:
        for name in reversed(TABLES):
            table = SPECS[name].table
            missing = plan.missing[name]
            if missing:
                connection.execute(
                    delete(table).where(table.c.id == bindparam("v_id")),
                    [{"v_id": row_id} for row_id, _ in missing],
                )
            plan.changes[name].deleted = len(missing)


def _to_ids(
    spec: TableSpec,
    row: dict[str, Any],
    ids: dict[str, dict[str, int]],
    deferred: list[dict[str, Any]],
) -> dict[str, Any]:
    """A row with references turned into ids; a same_as not yet inserted is deferred."""
    values = {column: row[column] for column in spec.columns}
    for ref, (column, target) in spec.refs.items():
        slug = row[ref]
        if slug is None:
            values[column] = None
        elif ref == "same_as" and slug not in ids[target]:
            # Only same_as can name a row that does not exist yet: an event inserted later.
            values[column] = None
            deferred.append(row)
        else:
            values[column] = ids[target][slug]
    return values


def _label(name: str, key: Key) -> str:
    """A readable key of a row: its slug, or person/source/title, event/party-or-person."""
    if name == "roles":
        person, source, title = key
        return f"{person}: {title} ({source})"
    if name == "event_participants":
        event, party, person = key
        return f"{event}: party {party}" if party is not None else f"{event}: person {person}"
    return str(key[0])
