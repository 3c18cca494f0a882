"""_kb_names: the look-up keys of every name of a person or party, kept current by each load.

`kb draft` finds the people and parties an article names by the keys of kb.names (a folded,
transliteration-proof form of a full name, a surname, a party's initials or adjective), with an
indexed query rather than a scan of every name. The keys are computed as records are read (in
the worker processes of a large load) and staged with them (`_keys`); after the merge, each
staged record's keys replace the ones it had, and a prune drops the keys of deleted records.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from kb.loader.staging import stage_name
from kb.loader.tables import real_key, staged_key

# Tables whose names are looked up: (table, kind of the named record, its slug in a staged row
# `s`, the key of the staged row itself).
_ORIGINS = (
    ("people", "'person'", "s.slug", "s.slug"),
    ("parties", "'party'", "s.slug", "s.slug"),
    (
        "aliases",
        "CASE WHEN s.person IS NOT NULL THEN 'person' ELSE 'party' END",
        "coalesce(s.person, s.party)",
        staged_key("aliases"),
    ),
)


def refresh_names(connection: Connection, *, pruned: bool) -> None:
    """Replace the keys of every staged person, party and alias; with `pruned`, drop the keys
    of records the load deleted."""
    postgresql = connection.dialect.name == "postgresql"
    for table, kind, slug, key in _ORIGINS:
        stage = stage_name(table)
        connection.exec_driver_sql(
            f"DELETE FROM _kb_names WHERE origin = '{table}' "
            f"AND origin_key IN (SELECT {key} FROM {stage} s)"
        )
        # One row per key of each staged record: its JSON list expanded in SQL.
        keys = (
            "CROSS JOIN LATERAL json_array_elements_text(CAST(s._keys AS json)) AS j(value)"
            if postgresql
            else "CROSS JOIN json_each(s._keys) AS j"
        )
        connection.exec_driver_sql(
            f"INSERT INTO _kb_names (kind, slug, key, origin, origin_key) "
            f"SELECT {kind}, {slug}, j.value, '{table}', {key} FROM {stage} s {keys} "
            f"WHERE {slug} IS NOT NULL"
        )
    if pruned:
        for table, real in (
            ("people", "r.slug"),
            ("parties", "r.slug"),
            ("aliases", real_key("aliases")),
        ):
            connection.exec_driver_sql(
                f"DELETE FROM _kb_names WHERE origin = '{table}' "
                f"AND origin_key NOT IN (SELECT {real} FROM {table} r)"
            )


def person_keys(name: Any, aliases: Any) -> list[str]:
    """The look-up keys of a person's name and aliases (kb.names), each once; none for a name
    that is not text (already reported)."""
    from kb.names import name_keys

    names = [name, *(aliases or ())]
    keys = (key for text in names if isinstance(text, str) for key in name_keys(text))
    return list(dict.fromkeys(keys))


def party_keys(name: Any, aliases: Any) -> list[str]:
    """The look-up keys of a party's name, aliases, initials and adjectives (kb.names)."""
    from kb.names import party_keys as keys

    if not isinstance(name, str):
        return []
    return keys(name, [alias for alias in aliases or () if isinstance(alias, str)])
