"""The record types of the data format (docs/data-format.md) and the fields each one takes."""

from __future__ import annotations

import re
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


# What well-formed values look like (kb.loader.checking and kb.loader.fastcheck check them).
SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 200  # the slug columns are VARCHAR(200)
LANGUAGE_RE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
SHA256_RE = re.compile(r"[0-9a-fA-F]{64}")
DATE_RE = re.compile(r"[0-9]{4}(?:-[0-9]{2}(?:-[0-9]{2})?)?")
PRECISION_OF_LENGTH = {4: "year", 7: "month", 10: "day"}
# No NUL (PostgreSQL refuses it) and no unpaired surrogate (no encoding can store one).
UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class Field:
    """A field of a record: its name, kind, whether required, and kind-specific details.

    `about` says what to write in a required field, for the hint when it is missing.
    `max_length` bounds a text's characters where the database indexes it (see FIGURE).
    """

    name: str
    kind: str
    required: bool = False
    ref: str | None = None
    choices: tuple[str, ...] = ()
    default: object = None
    about: str = ""
    max_length: int | None = None


# Every record type may say whether it was reviewed; `kb draft` writes `status: draft`.
STATUS = Field("status", CHOICE, choices=REVIEW_STATUSES, default="reviewed")


def _slug() -> Field:
    """The slug every record type requires."""
    return Field(
        "slug",
        SLUG,
        required=True,
        about="a stable key of lowercase letters, digits and hyphens, e.g. 'anna-berg'",
    )


def _source(what: str) -> Field:
    """The required reference to the source that states the record."""
    return Field("source", REF, required=True, ref="source", about=f"the slug of the source {what}")


def _evidence(what: str) -> Field:
    """The required passage of the source that states the record, verbatim."""
    return Field(
        "evidence", TEXT, required=True, about=f"the passage of the source {what}, verbatim"
    )


def _date(name: str) -> tuple[Field, Field]:
    """A date field and its `_inferred` companion."""
    return Field(name, DATE), Field(f"{name}_inferred", BOOL, default=False)


SOURCE = (
    _slug(),
    Field("title", TEXT, required=True, about="the headline or title of the document"),
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
    _slug(),
    Field("name", TEXT, required=True, about="the country's or organization's name"),
    Field("kind", CHOICE, required=True, choices=PARTY_KINDS),
    Field("aliases", TEXTS, default=()),
    STATUS,
)
# The unit is a column of a figure index (see FIGURE): the same bound.
UNIT_MAX = 100
METRIC = (
    _slug(),
    Field(
        "name",
        TEXT,
        required=True,
        about="what is measured, e.g. 'EU share of foreign trade'",
        max_length=300,
    ),
    Field("kind", CHOICE, required=True, choices=FIGURE_KINDS),
    Field("unit", TEXT, max_length=UNIT_MAX),
    Field("aliases", TEXTS, default=()),
    Field("description", TEXT),
    STATUS,
)
ROLE = (
    Field("title", TEXT, required=True, about="the title of the role as the source states it"),
    _source("stating the role"),
    _evidence("stating the role"),
    Field("party", REF, ref="party"),
)
# A role written as a record of its own: in the file of the source that states it, for a
# person any file defines.
ROLE_RECORD = (
    Field("person", REF, required=True, ref="person", about="the slug of the person"),
    *ROLE,
    STATUS,
)
ALIAS = (
    Field("person", REF, ref="person"),
    Field("party", REF, ref="party"),
    Field("name", TEXT, required=True, about="the other name, verbatim as the source prints it"),
    _source("printing the name"),
    STATUS,
)
PERSON = (
    _slug(),
    Field("name", TEXT, required=True, about="the full name as printed"),
    Field("aliases", TEXTS, default=()),
    Field("roles", ROLES, default=()),
    STATUS,
)
QUOTE = (
    _slug(),
    _source("printing the quote"),
    Field("speaker", REF, required=True, ref="person", about="the slug of the person speaking"),
    Field("text", TEXT, required=True, about="the quoted words, verbatim, without quote marks"),
    Field("kind", CHOICE, choices=QUOTE_KINDS, default="direct"),
    *_date("said_on"),
    STATUS,
)
FIGURE = (
    _slug(),
    _source("stating the figure"),
    Field("quote", REF, ref="quote"),
    Field("subject", REF, ref="party"),
    Field(
        "metric",
        REF,
        required=True,
        ref="metric",
        about="the slug of the metric record saying what is measured, e.g. 'eu-trade-turnover'",
    ),
    Field("kind", CHOICE, required=True, choices=FIGURE_KINDS),
    Field("surface", TEXT, required=True, about="the number as printed, e.g. 'US$160 billion'"),
    Field("value", NUMBER, required=True, about="the number with its scale applied, e.g. 1.6e11"),
    Field(
        "unit",
        TEXT,
        required=True,
        about="an ISO 4217 code (or 'unknown') for an amount, 'percent' for a share, "
        "'times' for a multiplier, the thing counted for a count",
        # The unit is a column of a figure index, and PostgreSQL refuses an index entry over
        # 2,704 bytes: this bound (4 bytes a character at most) keeps entries below it.
        max_length=UNIT_MAX,
    ),
    Field("qualifier", CHOICE, choices=QUALIFIERS, default="exact"),
    Field("base", TEXT),
    *_date("period_start"),
    *_date("period_end"),
    *_date("as_of"),
    _evidence("stating the figure"),
    STATUS,
)
PARTICIPANT = (
    Field("party", REF, ref="party"),
    Field("person", REF, ref="person"),
    Field("role", TEXT),
)
# A participant written as a record of its own: another source's statement that a party or
# person took part in an event any file defines.
PARTICIPANT_RECORD = (
    Field("event", REF, required=True, ref="event", about="the slug of the event"),
    *PARTICIPANT,
    _source("stating the participation"),
    _evidence("stating the participation"),
    STATUS,
)
EVENT = (
    _slug(),
    _source("reporting the event"),
    Field("name", TEXT, required=True, about="what happened, briefly"),
    Field("kind", CHOICE, required=True, choices=EVENT_KINDS),
    Field("occurrence", CHOICE, choices=EVENT_OCCURRENCES, default="happened"),
    *_date("date"),
    Field("same_as", REF, ref="event"),
    Field("participants", PARTICIPANTS, default=()),
    _evidence("reporting the event"),
    STATUS,
)

# Record type -> its fields, in the order the loader writes the tables.
RECORD_FIELDS: dict[str, tuple[Field, ...]] = {
    "source": SOURCE,
    "party": PARTY,
    "metric": METRIC,
    "person": PERSON,
    "role": ROLE_RECORD,
    "alias": ALIAS,
    "quote": QUOTE,
    "figure": FIGURE,
    "event": EVENT,
    "participant": PARTICIPANT_RECORD,
}
NESTED_FIELDS: dict[str, tuple[Field, ...]] = {ROLES: ROLE, PARTICIPANTS: PARTICIPANT}

# YAML files group records under plural keys; JSON Lines names the type in "type".
PLURALS = {
    "sources": "source",
    "parties": "party",
    "metrics": "metric",
    "people": "person",
    "roles": "role",
    "aliases": "alias",
    "quotes": "quote",
    "figures": "figure",
    "events": "event",
    "participants": "participant",
}
RECORD_TYPES = tuple(RECORD_FIELDS)

# Tables in load order; deletion (prune) runs in the reverse order.
TABLES = (
    "sources",
    "parties",
    "metrics",
    "people",
    "roles",
    "aliases",
    "quotes",
    "figures",
    "events",
    "event_participants",
)
# The table of each record type (a person's nested roles, an event's nested participants go
# to the tables of the role and participant types).
TABLE_OF_TYPE = {
    **{singular: plural for plural, singular in PLURALS.items()},
    "participant": "event_participants",
}
