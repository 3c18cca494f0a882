"""How each table's rows are keyed and compared: natural keys, references by slug, plain columns.

Rows are handled in "slug space" (references as slugs, not ids), so a row is unchanged exactly
when every value the files give matches the database, whatever ids the rows have.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from kb.loader.spec import TABLES
from kb.models import Base


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
        _spec("metrics", "slug", {}, "slug name kind unit aliases description status"),
        _spec("people", "slug", {}, "slug name aliases status"),
        _spec(
            "roles",
            "person source title",
            {
                "person": ("person_id", "people"),
                "source": ("source_id", "sources"),
                "party": ("party_id", "parties"),
            },
            "title evidence evidence_start evidence_end status",
        ),
        _spec(
            "aliases",
            "person party source name",
            {
                "person": ("person_id", "people"),
                "party": ("party_id", "parties"),
                "source": ("source_id", "sources"),
            },
            "name name_start name_end status",
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
                "metric": ("metric_id", "metrics"),
            },
            "slug kind surface value unit qualifier base "
            "period_start period_start_precision period_start_inferred "
            "period_end period_end_precision period_end_inferred "
            "as_of as_of_precision as_of_inferred "
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
            "event party person source",
            {
                "event": ("event_id", "events"),
                "party": ("party_id", "parties"),
                "person": ("person_id", "people"),
                "source": ("source_id", "sources"),
            },
            "role status evidence evidence_start evidence_end",
        ),
    )
}
assert tuple(SPECS) == TABLES

# Spans in the database that a changed source text must still support: table -> text fields.
SPANS = {
    "roles": ("evidence",),
    "aliases": ("name",),
    "quotes": ("text",),
    "figures": ("evidence", "surface"),
    "events": ("evidence",),
    "event_participants": ("evidence",),
}

# Tables whose rows have no slug, keyed by their natural key instead. A row is written either
# inside the record of its parent (a person's roles, an event's participants: defined by the
# parent's file) or as a record of its own (defined by its own file, which _kb_records says
# by the row's key: kb.loader.fingerprints). Aliases are always records of their own.
PARENTS: dict[str, tuple[str, str]] = {
    "roles": ("people", "person"),
    "event_participants": ("events", "event"),
}
KEYED = ("roles", "aliases", "event_participants")
# Between the parts of a row's key: no slug holds a space, and the one part that may (a
# role's title, an alias's name) comes last, so a key names one row.
KEY_SEPARATOR = " "


def staged_key(table: str, alias: str = "s") -> str:
    """SQL for the key of a staged row of a keyless table (its fields are slugs and text)."""
    parts = [f"coalesce({alias}.{field}, '')" for field in SPECS[table].key]
    return f" || '{KEY_SEPARATOR}' || ".join(parts)


def real_key(table: str, alias: str = "r") -> str:
    """SQL for the key of a real row of a keyless table: staged_key() of the row it came from."""
    spec = SPECS[table]
    parts = []
    for field in spec.key:
        if field in spec.refs:
            column, target = spec.refs[field]
            parts.append(f"coalesce((SELECT slug FROM {target} WHERE id = {alias}.{column}), '')")
        else:
            parts.append(f"{alias}.{field}")
    return f" || '{KEY_SEPARATOR}' || ".join(parts)
