"""Read-side queries: (connection or session, filters) -> rows as dicts; no printing, no CLI.

Every row carries every column of its record (spans, date precisions, inferred flags) plus the
readable names of what it refers to (speaker_slug, speaker_name, source_slug, source_title, …).
Filters are bound parameters; an unknown person, party, metric or source is a KbError that
suggests the closest slugs, never an empty result. Questions that span sources live here too:
`conflicts` (do the sources agree? and what a load changes in that).
"""

from kb.queries.connect import reading
from kb.queries.dates import check_date
from kb.queries.facts import events, figures, quotes
from kb.queries.records import metrics, parties, people, person, roles, sources
from kb.queries.stats import stats

__all__ = [
    "check_date",
    "events",
    "figures",
    "metrics",
    "parties",
    "people",
    "person",
    "quotes",
    "reading",
    "roles",
    "sources",
    "stats",
]
