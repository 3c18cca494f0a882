"""`kb draft` against a knowledge base: people, parties, subjects, metrics and same_as links,
each with its reason; what the draft creates and what it refers to; and that it only reads.

Database tests run on the bundled collection (`seeded_db`, both backends); the rest draft
against data files or nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from sqlalchemy.engine import Engine

from kb.draft import Article, Draft, Known, draft, knowledge_base, parse_published, to_yaml
from kb.draft.known import EMPTY, read_files
from kb.draft.linking import bare_name
from kb.draft.linking.link import Link
from kb.errors import KbError
from kb.loader import load
from kb.paths import data_dir

Kb = Callable[..., Result]


def article(body: str, *, published: str = "2024-06-03", slug: str = "article") -> Article:
    """An article made of a headline and `body`."""
    return Article(
        f"Headline\n\n{body}\n", "article.txt", "0" * 64, slug, parse_published(published)
    )


@contextmanager
def base(db: str | None = None, data: Path | None = None) -> Iterator[Known]:
    """The knowledge base a test drafts against."""
    with knowledge_base(Path("article.txt"), db=db, data=data, alone=db is None) as known:
        yield known


def drafted(body: str, db: str | None = None, *, data: Path | None = None, **options: Any) -> Draft:
    """The draft of `body` against the database `db` (and data files), or alone."""
    with base(db, data) as known:
        return draft(article(body, **options), known)


def fields(result: Draft, record_type: str) -> list[dict[str, Any]]:
    """The fields of every record of one type."""
    return [record.fields for record in result.of_type(record_type)]


def unwrapped(output: str) -> str:
    """YAML output with each comment that runs over several lines on one line."""
    return output.replace("\n#   ", " ")


def links(result: Draft, kind: str) -> dict[str, Link]:
    """The links of one kind, by what the article prints."""
    return {link.surface: link for link in result.links if link.kind == kind}


@pytest.fixture(autouse=True)
def _no_database_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


# People --------------------------------------------------------------------------------------


def test_a_known_person_gets_a_role_and_an_alias_not_a_record(seeded_db: str) -> None:
    result = drafted(
        "EU Ambassador Kęstutis Jankauskas opened the forum. “We are ready,” Jankauskas said.",
        seeded_db,
    )
    assert fields(result, "person") == []
    (role,) = fields(result, "role")
    assert (role["person"], role["title"], role["party"]) == (
        "kestutis-jankauskas",
        "EU Ambassador",
        "european-union",
    )
    (alias,) = fields(result, "alias")
    assert (alias["person"], alias["name"]) == ("kestutis-jankauskas", "Kęstutis Jankauskas")
    link = links(result, "person")["Kęstutis Jankauskas"]
    assert (link.target, link.new, link.score) == ("kestutis-jankauskas", False, 1.0)
    assert "Kestutis Jankauskas" in link.reason and "diacritics" in link.reason
    assert {q["speaker"] for q in fields(result, "quote")} == {"kestutis-jankauskas"}
    rendered = to_yaml(result)
    assert "Kęstutis Jankauskas, Jankauskas → kestutis-jankauskas (known)" in rendered
    assert "# party european-union: “EU” in the role" in rendered


def test_a_transliteration_variant_is_the_known_person(seeded_db: str) -> None:
    result = drafted("“Kazakhstan signed it,” said Prime Minister Alikhan Smaiylov.", seeded_db)
    link = links(result, "person")["Alikhan Smaiylov"]
    assert link.target == "alikhan-smailov" and "transliteration" in link.reason
    assert [a["name"] for a in fields(result, "alias")] == ["Alikhan Smaiylov"]
    (role,) = fields(result, "role")
    assert role["party"] == "kazakhstan"  # a national office, in the country the text names


def test_the_same_surname_with_another_given_name_is_a_new_person(seeded_db: str) -> None:
    result = drafted("“Prices will fall,” said Trade Minister Dana Bektenov.", seeded_db)
    link = links(result, "person")["Dana Bektenov"]
    assert (link.target, link.new) == ("dana-bektenov", True)
    assert link.close == (("olzhas-bektenov", 0.3),)
    (person,) = fields(result, "person")
    assert person["slug"] == "dana-bektenov"
    assert "# new person: no known person close enough; also close: olzhas-bektenov" in to_yaml(
        result
    )


def test_a_surname_two_known_people_share_is_not_linked(tmp_path: Path) -> None:
    data = tmp_path / "seeds_data"
    data.mkdir()
    (data / "people.yaml").write_text(
        "people:\n"
        "  - {slug: anna-berg, name: Anna Berg, aliases: [Berg]}\n"
        "  - {slug: ola-berg, name: Ola Berg, aliases: [Berg]}\n",
        encoding="utf-8",
    )
    result = drafted("“The port will open,” Berg said.", data=data)
    link = links(result, "person")["Berg"]
    assert link.new and link.target == "berg"
    assert {slug for slug, _ in link.close} == {"anna-berg", "ola-berg"}
    one = drafted("“The port will open,” Anna Berg said.", data=data)
    assert links(one, "person")["Anna Berg"].target == "anna-berg"


def test_a_new_person_is_slugged_by_the_full_name_once() -> None:
    result = drafted(
        "Kazakh President Kassym-Jomart Tokayev opened the forum. “We are open,” Tokaev said."
    )
    (person,) = fields(result, "person")
    assert person["slug"] == "kassym-jomart-tokayev"
    assert person["aliases"] == ["Tokaev"]
    assert person["roles"][0]["party"] == "kazakhstan"
    assert {q["speaker"] for q in fields(result, "quote")} == {"kassym-jomart-tokayev"}
    assert bare_name("Kazakh Kassym-Jomart Tokayev") == "Kassym-Jomart Tokayev"
    solo = drafted("European Commission President Ursula von der Leyen spoke on Monday.")
    assert [p["slug"] for p in fields(solo, "person")] == ["ursula-von-der-leyen"]


# Parties and subjects -----------------------------------------------------------------------


def test_names_adjectives_and_abbreviations_find_the_known_party(seeded_db: str) -> None:
    result = drafted(
        "Kazakh grain exports to the EU reached 1.2 million tonnes last year. European "
        "companies now hold 40 percent of the Republic of Kazakhstan’s mines.",
        seeded_db,
    )
    parties = {surface: link.target for surface, link in links(result, "party").items()}
    assert parties == {
        "Kazakh": "kazakhstan",
        "EU": "european-union",
        "European": "european-union",
        "Republic of Kazakhstan": "kazakhstan",
    }
    assert {f["surface"]: f.get("subject") for f in fields(result, "figure")} == {
        "1.2 million": "kazakhstan",
        "40 percent": "kazakhstan",
    }
    assert fields(result, "party") == []


def test_the_other_side_is_not_the_subject(seeded_db: str) -> None:
    result = drafted(
        "Kazakhstan hosted the talks. Investment from EU countries reached $9.8 billion last "
        "year. The talks covered 12 areas, from customs to climate.",
        seeded_db,
    )
    subjects = {f["surface"]: f.get("subject") for f in fields(result, "figure")}
    assert subjects == {"$9.8 billion": "kazakhstan", "12": None}
    assert (
        "the sentence names only the other side" in links(result, "subject")["$9.8 billion"].reason
    )


def test_a_new_party_only_when_a_record_needs_it(seeded_db: str) -> None:
    # A place of an event, and a country named once in passing, are not parties of a record.
    result = drafted(
        "Ministers will meet in Luxembourg next week, beside Italian pasta makers. "
        "Uzbekistan’s trade with the EU reached €6.4 billion last year.",
        seeded_db,
    )
    assert fields(result, "party") == [
        {"slug": "uzbekistan", "name": "Uzbekistan", "kind": "country", "status": "draft"}
    ]
    (figure,) = fields(result, "figure")
    assert figure["subject"] == "uzbekistan"
    assert "Luxembourg" not in links(result, "party") and "Italian" not in links(result, "party")


def test_an_organization_named_in_full_with_its_acronym() -> None:
    result = drafted(
        "An Uzbek delegation held talks in Tashkent on 4 March 2024 with the European Bank for "
        "Reconstruction and Development (EBRD). Uzbekistan is ready, officials said."
    )
    parties = {p["slug"]: p for p in fields(result, "party")}
    bank = parties["european-bank-for-reconstruction-and-development"]
    assert bank["aliases"] == ["EBRD"] and bank["kind"] == "organization"
    assert links(result, "party")["EBRD"].target == bank["slug"]
    (event,) = fields(result, "event")
    assert {"party": bank["slug"]} in event["participants"]
    assert {"party": "uzbekistan"} in event["participants"]


# Metrics ------------------------------------------------------------------------------------


def test_a_known_metric_by_its_words_and_a_new_one_reused(seeded_db: str) -> None:
    result = drafted(
        "Kazakhstan’s trade with the EU reached $40 billion last year. The European Union will "
        "make €1.5 billion available for transport projects in Kazakhstan. In May the EU "
        "provided €0.5 billion for transport projects in Kazakhstan.",
        seeded_db,
    )
    metrics = [f["metric"] for f in fields(result, "figure")]
    assert metrics == ["eu-trade-turnover", "eu-transport-financing", "eu-transport-financing"]
    (metric,) = fields(result, "metric")
    assert metric == {
        "slug": "eu-transport-financing",
        "name": "EU transport financing",
        "kind": "amount",
        "status": "draft",
    }
    link = next(link for link in result.links if link.kind == "metric")
    assert "“trade with the EU” (an alias)" in link.reason and link.score >= 0.4


def test_a_new_metric_is_named_for_what_is_measured() -> None:
    names = {
        "Last year the EU invested €3 billion in Kazakhstan.": "EU investment",
        "Kazakh grain exports to the EU reached 1.2 million tonnes.": "Grain exports to the EU",
        "The European Union funds 48 projects in Kazakhstan.": "European Union-funded projects",
        "Some 6,000 companies with European capital operate in Kazakhstan.": (
            "Companies with European capital"
        ),
    }
    for sentence, name in names.items():
        (metric,) = fields(drafted(sentence), "metric")
        assert metric["name"] == name, sentence


# Events -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "same_as"),
    [
        (
            "Kazakhstan and the EU signed the enhanced agreement in Astana in December 2015.",
            "isdp-kz-eu-epca-signed",
        ),
        (
            "Kazakhstan and the EU established diplomatic relations in 1993.",
            "jjtv-kz-eu-relations-established",
        ),
        # Another day, though the month is the same.
        ("Kazakhstan and the EU signed an agreement on 22 December 2015.", None),
        # No party or person in common.
        ("Japan and India signed an agreement on 21 December 2015.", None),
        # Another kind of happening the same day.
        ("Kazakhstan and the EU met in Astana on 21 December 2015.", None),
    ],
)
def test_same_as_needs_kind_date_and_someone_in_common(
    seeded_db: str, sentence: str, same_as: str | None
) -> None:
    (event,) = fields(drafted(sentence, seeded_db), "event")
    assert event.get("same_as") == same_as


# Data files, databases and slugs ------------------------------------------------------------


def test_data_files_not_loaded_count_as_known(tmp_path: Path) -> None:
    data = Path(shutil.copytree(data_dir("seeds_data"), tmp_path / "seeds_data"))
    result = drafted("“We are ready,” said Kestutis Jankauskas, EU Ambassador.", data=data)
    assert links(result, "person")["Kestutis Jankauskas"].target == "kestutis-jankauskas"
    assert "the data files in" in result.against
    files = read_files(data)
    assert files.problems == 0 and files.taken("metric", ["european-investment"]) == {
        "european-investment"
    }


def test_a_draft_loads_beside_the_collection_it_was_drafted_against(
    seeded_db: str, engine_for: Callable[[str | Path], Engine], tmp_path: Path
) -> None:
    seeds, data = tmp_path / "seeds", tmp_path / "seeds_data"
    seeds.mkdir()
    data.mkdir()
    body = (
        "EU Ambassador Kęstutis Jankauskas and Uzbek Deputy Minister Dilnoza Rakhimova met in "
        "Tashkent on 4 March 2024. Uzbekistan’s trade with the EU reached €6.4 billion last "
        "year, and the EU funds 37 projects in the country."
    )
    text = f"Headline\n\n{body}\n"
    (seeds / "new.txt").write_text(text, encoding="utf-8")
    new = Article(text, "new.txt", hashlib.sha256(text.encode()).hexdigest(), "new", None)
    with base(seeded_db) as known:
        result = draft(new, known)
    (data / "new.yaml").write_text(to_yaml(result), encoding="utf-8")
    report = load(engine_for(seeded_db), data, seeds_dir=seeds)
    inserted = {table: change.inserted for table, change in report.tables.items()}
    assert inserted["parties"] == 1 and inserted["people"] == 1 and inserted["aliases"] == 1


def test_the_source_slug_must_be_new(seeded_db: str) -> None:
    with base(seeded_db) as known, pytest.raises(KbError, match="already in the database"):
        draft(article("Trade grew.", slug="jjtv-kazakhstan-eu-30-years"), known)


def test_drafting_alone_knows_nothing() -> None:
    with base() as known:
        assert known is EMPTY
    assert "# Linked against: nothing." in to_yaml(drafted("Trade grew 5 percent."))


# The command ---------------------------------------------------------------------------------


def _article_file(tmp_path: Path) -> Path:
    path = tmp_path / "seeds" / "new.txt"
    path.parent.mkdir()
    path.write_text(
        "Headline\n\n“We are ready,” said Kestutis Jankauskas, EU Ambassador.\n", encoding="utf-8"
    )
    return path


def test_the_command_reads_the_database_and_never_writes_it(
    kb: Kb, seeded_sqlite: Path, tmp_path: Path
) -> None:
    before = hashlib.sha256(seeded_sqlite.read_bytes()).hexdigest()
    result = kb("draft", str(_article_file(tmp_path)), "--db", str(seeded_sqlite))
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(result.output)
    assert "people" not in data and data["roles"][0]["person"] == "kestutis-jankauskas"
    assert f"# Linked against: the database {seeded_sqlite}." in unwrapped(result.output)
    assert hashlib.sha256(seeded_sqlite.read_bytes()).hexdigest() == before


def test_the_command_uses_kb_sqlite3_here_when_it_exists(
    kb: Kb, seeded_sqlite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _article_file(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    alone = kb("draft", str(path))
    assert "# Linked against: nothing." in alone.output
    shutil.copy(seeded_sqlite, work / "kb.sqlite3")
    linked = kb("draft", str(path))
    assert f"# Linked against: the database {work / 'kb.sqlite3'}." in unwrapped(linked.output)
    assert "# Linked against: nothing." in kb("draft", str(path), "--no-db").output


def test_the_command_explains_a_missing_database_or_data_directory(kb: Kb, tmp_path: Path) -> None:
    path = _article_file(tmp_path)
    missing = kb("draft", str(path), "--db", str(tmp_path / "nope.sqlite3"))
    assert missing.exit_code == 1
    assert missing.output.startswith(f"Error: No database at {tmp_path / 'nope.sqlite3'}.")
    nodir = kb("draft", str(path), "--data", str(tmp_path / "nodir"))
    assert (nodir.exit_code, nodir.output) == (
        1,
        f"Error: --data {tmp_path / 'nodir'}: no such directory of data files.\n",
    )
