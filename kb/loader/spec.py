"""The record types of the data format (docs/data-format.md) and the fields each one takes."""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import (
    EVENT_KINDS,
    EVENT_OCCURRENCES,
    FIGURE_KINDS,
    PARTY_KINDS,
    QUALIFIERS,
    QUOTE_KINDS,
    REVIEW_STATUSES,
    SOURCE_KINDS,
)

# Field kinds: how a value is checked and normalised (see kb.loader.checking).
TEXT = "text"
SLUG = "slug"
REF = "ref"
DATE = "date"
DAY = "day"
BOOL = "bool"
NUMBER = "number"
CHOICE = "choice"
TEXTS = "texts"
SHA256 = "sha256"
LANGUAGE = "language"
ROLES = "roles"
PARTICIPANTS = "participants"


@dataclass(frozen=True)
class Field:
    """A field of a record: its name, kind, whether required, and kind-specific details."""

    name: str
    kind: str
    required: bool = False
    ref: str | None = None
    choices: tuple[str, ...] = ()
    default: object = None


# Every record type may say whether it was reviewed; `kb draft` writes `status: draft`.
STATUS = Field("status", CHOICE, choices=REVIEW_STATUSES, default="reviewed")


def _date(name: str) -> tuple[Field, Field]:
    """A date field and its `_inferred` companion."""
    return Field(name, DATE), Field(f"{name}_inferred", BOOL, default=False)


SOURCE = (
    Field("slug", SLUG, required=True),
    Field("title", TEXT, required=True),
    Field("kind", CHOICE, choices=SOURCE_KINDS, default="article"),
    Field("outlet", TEXT),
    Field("url", TEXT),
    Field("author", TEXT),
    Field("language", LANGUAGE),
    *_date("published"),
    Field("retrieved", DAY),
    Field("path", TEXT),
    Field("text", TEXT),
    Field("sha256", SHA256),
    STATUS,
)
PARTY = (
    Field("slug", SLUG, required=True),
    Field("name", TEXT, required=True),
    Field("kind", CHOICE, required=True, choices=PARTY_KINDS),
    Field("aliases", TEXTS, default=()),
    STATUS,
)
ROLE = (
    Field("title", TEXT, required=True),
    Field("source", REF, required=True, ref="source"),
    Field("evidence", TEXT, required=True),
    Field("party", REF, ref="party"),
)
PERSON = (
    Field("slug", SLUG, required=True),
    Field("name", TEXT, required=True),
    Field("aliases", TEXTS, default=()),
    Field("roles", ROLES, default=()),
    STATUS,
)
QUOTE = (
    Field("slug", SLUG, required=True),
    Field("source", REF, required=True, ref="source"),
    Field("speaker", REF, required=True, ref="person"),
    Field("text", TEXT, required=True),
    Field("kind", CHOICE, choices=QUOTE_KINDS, default="direct"),
    *_date("said_on"),
    STATUS,
)
FIGURE = (
    Field("slug", SLUG, required=True),
    Field("source", REF, required=True, ref="source"),
    Field("quote", REF, ref="quote"),
    Field("subject", REF, ref="party"),
    Field("metric", TEXT, required=True),
    Field("kind", CHOICE, required=True, choices=FIGURE_KINDS),
    Field("surface", TEXT, required=True),
    Field("value", NUMBER, required=True),
    Field("unit", TEXT, required=True),
    Field("qualifier", CHOICE, choices=QUALIFIERS, default="exact"),
    Field("base", TEXT),
    *_date("period_start"),
    *_date("period_end"),
    Field("evidence", TEXT, required=True),
    STATUS,
)
PARTICIPANT = (
    Field("party", REF, ref="party"),
    Field("person", REF, ref="person"),
    Field("role", TEXT),
)
EVENT = (
    Field("slug", SLUG, required=True),
    Field("source", REF, required=True, ref="source"),
    Field("name", TEXT, required=True),
    Field("kind", CHOICE, required=True, choices=EVENT_KINDS),
    Field("occurrence", CHOICE, choices=EVENT_OCCURRENCES, default="happened"),
    *_date("date"),
    Field("same_as", REF, ref="event"),
    Field("participants", PARTICIPANTS, default=()),
    Field("evidence", TEXT, required=True),
    STATUS,
)

# Record type -> its fields, in the order the loader writes the tables.
RECORD_FIELDS: dict[str, tuple[Field, ...]] = {
    "source": SOURCE,
    "party": PARTY,
    "person": PERSON,
    "quote": QUOTE,
    "figure": FIGURE,
    "event": EVENT,
}
NESTED_FIELDS: dict[str, tuple[Field, ...]] = {ROLES: ROLE, PARTICIPANTS: PARTICIPANT}

# YAML files group records under plural keys; JSON Lines names the type in "type".
PLURALS = {
    "sources": "source",
    "parties": "party",
    "people": "person",
    "quotes": "quote",
    "figures": "figure",
    "events": "event",
}
RECORD_TYPES = tuple(RECORD_FIELDS)

# Tables in load order; deletion (prune) runs in the reverse order.
TABLES = (
    "sources",
    "parties",
    "people",
    "roles",
    "quotes",
    "figures",
    "events",
    "event_participants",
)
TABLE_OF_TYPE = {singular: plural for plural, singular in PLURALS.items()}
