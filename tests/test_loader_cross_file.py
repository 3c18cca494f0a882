"""A second article's file adds to records another file defines: loads, reloads and prunes.

The documented second article (docs/data-format.md, "Many sources, one knowledge base") adds a
role and an alias to a person example.yaml defines, a participant to an event example.yaml
defines, and links its own event to that one with same_as. Every fact belongs to the file
that states it: reloading or deleting the defining file, editing the second one, and pruning
must each keep exactly what the files say, on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.dumps import kb_rows
from helpers.files import edit, write_example
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.loader import LoadError, load

FOLLOW_UP = "example-follow-up.yaml"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The example collection and the documented second article; returns its seeds_data/."""
    return write_example(tmp_path / "c", follow_up=True)


@pytest.fixture
def engine(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> Engine:
    """An engine on a fresh migrated, empty database."""
    return engine_for(empty_db)


def stated_by_the_follow_up(engine: Engine) -> list[tuple[str, ...]]:
    """What the second article adds to example.yaml's records, row by row."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT 'role', p.slug, r.title FROM roles r JOIN people p ON p.id = r.person_id "
                "JOIN sources s ON s.id = r.source_id WHERE s.slug = 'example-follow-up' "
                "UNION ALL SELECT 'alias', p.slug, a.name FROM aliases a "
                "JOIN people p ON p.id = a.person_id "
                "UNION ALL SELECT 'participant', e.slug, ep.role FROM event_participants ep "
                "JOIN events e ON e.id = ep.event_id WHERE ep.source_id IS NOT NULL "
                "ORDER BY 1"
            )
        ).all()
    return [tuple(row) for row in rows]


FOLLOWED_UP = [
    ("alias", "anna-berg", "Ana Berg"),
    ("participant", "ruritania-union-trade-pact-signed", "negotiator"),
    ("role", "anna-berg", "the Union's chief negotiator"),
]


def missing(report: object) -> dict[str, list[str]]:
    """The rows a load reports missing, by table (only tables with some)."""
    tables = report.tables  # type: ignore[attr-defined]
    return {name: change.missing for name, change in tables.items() if change.missing}


def test_the_second_article_adds_to_records_the_first_defines(data: Path, engine: Engine) -> None:
    report = load(engine, data)
    assert stated_by_the_follow_up(engine) == FOLLOWED_UP
    assert report.tables["roles"].inserted == 2
    assert report.tables["event_participants"].inserted == 3
    again = load(engine, data)
    assert not again.changed
    assert [path.name for path in again.skipped] == [FOLLOW_UP, "example.yaml"]


def test_editing_the_defining_file_keeps_what_the_other_file_says(
    data: Path, engine: Engine
) -> None:
    """Reloading example.yaml alone (the follow-up is skipped) rewrites its person and event
    but leaves the follow-up's role, alias and participant as they were: not missing."""
    load(engine, data)
    edit(data / "example.yaml", "aliases: [Berg]", "aliases: [Berg, A. Berg]")
    edit(data / "example.yaml", "role: signatory}", "role: co-signatory}")
    report = load(engine, data)
    assert [path.name for path in report.skipped] == [FOLLOW_UP]
    assert report.tables["people"].updated == 1
    assert report.tables["event_participants"].updated == 1
    assert missing(report) == {}
    assert stated_by_the_follow_up(engine) == FOLLOWED_UP


def test_removing_a_nested_role_from_the_defining_file_keeps_the_other_files_role(
    data: Path, engine: Engine
) -> None:
    load(engine, data)
    content = (data / "example.yaml").read_text(encoding="utf-8")
    start = content.index("    roles:\n")
    end = content.index("quotes:")
    (data / "example.yaml").write_text(content[:start] + "\n" + content[end:], encoding="utf-8")
    report = load(engine, data)
    assert report.tables["roles"].missing == ["anna-berg: Trade Commissioner (example-report)"]
    pruned = load(engine, data, prune=True)
    assert pruned.tables["roles"].deleted == 1
    assert stated_by_the_follow_up(engine) == FOLLOWED_UP


def test_editing_the_other_file_reports_what_it_no_longer_says(data: Path, engine: Engine) -> None:
    """The follow-up drops its role and participant: only those are missing (example.yaml is
    skipped, and its own role and participants are not), and pruning deletes only them."""
    load(engine, data)
    follow_up = data / FOLLOW_UP
    content = follow_up.read_text(encoding="utf-8")
    content = content[: content.index("roles:")] + content[content.index("aliases:") :]
    content = content[: content.index("participants:")]
    follow_up.write_text(content, encoding="utf-8")
    report = load(engine, data)
    assert [path.name for path in report.skipped] == ["example.yaml"]
    assert missing(report) == {
        "roles": ["anna-berg: the Union's chief negotiator (example-follow-up)"],
        "event_participants": [
            "ruritania-union-trade-pact-signed: person anna-berg (example-follow-up)"
        ],
    }
    before = kb_rows(engine)
    pruned = load(engine, data, prune=True)
    assert {name: c.deleted for name, c in pruned.tables.items() if c.deleted} == {
        "roles": 1,
        "event_participants": 1,
    }
    after = kb_rows(engine)
    assert len(after["roles"]) == len(before["roles"]) - 1
    assert stated_by_the_follow_up(engine) == [("alias", "anna-berg", "Ana Berg")]


def test_deleting_the_defining_file_keeps_its_records_until_pruned(
    data: Path, engine: Engine
) -> None:
    """Without example.yaml, its records are missing but kept, and the follow-up's references
    still hold; pruning would delete the person and event the follow-up refers to, so it is
    refused with the follow-up's lines, and nothing changes."""
    load(engine, data)
    (data / "example.yaml").unlink()
    report = load(engine, data)
    assert report.tables["people"].missing == ["anna-berg"]
    assert report.tables["events"].missing == ["ruritania-union-trade-pact-signed"]
    assert stated_by_the_follow_up(engine) == FOLLOWED_UP
    before = kb_rows(engine)
    with pytest.raises(LoadError) as caught:
        load(engine, data, prune=True)
    problems = {(p.record_type, p.field, p.message) for p in caught.value.problems}
    only_in_database = "is only in the database, and pruning deletes it"
    assert ("role", "person", f"person 'anna-berg' {only_in_database}") in problems
    assert ("alias", "person", f"person 'anna-berg' {only_in_database}") in problems
    assert (
        "participant",
        "event",
        f"event 'ruritania-union-trade-pact-signed' {only_in_database}",
    ) in problems
    assert (
        "event",
        "same_as",
        f"event 'ruritania-union-trade-pact-signed' {only_in_database}",
    ) in (problems)
    assert kb_rows(engine) == before


def test_a_role_stated_in_two_files_is_reported_with_both_places(
    data: Path, engine: Engine
) -> None:
    """A role is defined once: the follow-up repeating example.yaml's nested role is refused,
    read together with it or with it skipped."""
    repeated = (
        "  - person: anna-berg\n"
        "    title: Trade Commissioner\n"
        "    source: example-report\n"
        "    evidence: Anna Berg, Trade Commissioner\n"
    )
    follow_up = data / FOLLOW_UP
    original = follow_up.read_text(encoding="utf-8")
    edit(follow_up, "roles:                     # Anna Berg is defined in example.yaml\n",
         "roles:\n" + repeated)  # fmt: skip
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    (problem,) = caught.value.problems
    assert (problem.record_type, problem.line) == ("role", 8)
    assert problem.message.startswith("repeats the role stated at ")
    assert problem.message.endswith("example.yaml:19")
    follow_up.write_text(original, encoding="utf-8")
    load(engine, data)
    edit(follow_up, "roles:                     # Anna Berg is defined in example.yaml\n",
         "roles:\n" + repeated)  # fmt: skip
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    (problem,) = caught.value.problems
    assert problem.message.startswith("repeats the role stated in ")
    assert problem.message.endswith("example.yaml")


def test_an_alias_must_be_printed_by_its_source(data: Path, engine: Engine) -> None:
    edit(data / FOLLOW_UP, "name: Ana Berg,", "name: Anne Berg,")
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    (problem,) = caught.value.problems
    assert (problem.record_type, problem.field, problem.message) == (
        "alias",
        "name",
        "not found in source 'example-follow-up'",
    )


def name_keys(engine: Engine) -> list[tuple[str, ...]]:
    """The look-up keys of names (_kb_names) of people, by slug and origin."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT slug, key, origin FROM _kb_names WHERE kind = 'person' "
                "ORDER BY slug, origin, key"
            )
        ).all()
    return [tuple(row) for row in rows]


def test_the_name_keys_follow_the_records(data: Path, engine: Engine) -> None:
    """_kb_names holds the keys of every name of a person, from the person's file and from the
    aliases other files add; each load replaces the keys of what it reads, a prune drops
    those of what it deletes, and a skipped file's keys stay."""
    load(engine, data)
    assert name_keys(engine) == [
        ("anna-berg", "ana berg", "aliases"),
        ("anna-berg", "berg", "aliases"),
        ("anna-berg", "ana berg", "people"),
        ("anna-berg", "berg", "people"),
    ]
    edit(data / "example.yaml", "name: Anna Berg", "name: Anna Lindqvist Berg")
    load(engine, data)  # the follow-up, with the alias, is skipped
    assert ("anna-berg", "ana lindkvist berg", "people") in name_keys(engine)
    assert ("anna-berg", "ana berg", "aliases") in name_keys(engine)
    follow_up = data / FOLLOW_UP
    content = follow_up.read_text(encoding="utf-8")
    start = content.index("aliases:")
    follow_up.write_text(content[:start] + content[content.index("events:") :], "utf-8")
    load(engine, data, prune=True)
    assert [key[2] for key in name_keys(engine)] == ["people", "people"]
