"""Search knows speakers: a quote is found by its words and its speaker's name and aliases
together, in `kb search` and in Datasette's search box, on SQLite and PostgreSQL.

The bundled collection has Kestutis Jankauskas's two quotes, both about investment, neither
naming him: `kb search "Jankauskas investment"` finds them only through the quotes' index,
which holds each quote's words with its speaker's name and aliases (kb/search/index.py).
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from helpers.cli import ok
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from kb.paths import bundled_data_dir, data_dir
from kb.search.run import search

Kb = Callable[..., Result]
EngineFor = Callable[[str | Path], Engine]

ARTICLE = "jjtv-2023-02-02-kazakhstan-eu-30-years.yaml"
SPEECHES = {"jankauskas-investment-77bn", "jankauskas-pca-to-epca"}
PERSON = "kestutis-jankauskas"
NAME = "Kestutis Jankauskas"

# `kb search "Jankauskas investment"`: his name, then the words of each quote around the match
# (FTS5's snippet() and PostgreSQL's ts_headline cut them differently).
TABLES = {
    "sqlite": """\
quote   jankauskas-investment-77bn in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: …a half, or 50 percent, of all «investment» in Kazakhstan. Last year
        alone, the EU states…

quote   jankauskas-pca-to-epca in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: …It was the main framework agreement, which paved the way for
        European «investment», and for the…
""",
    "postgresql": """\
quote   jankauskas-investment-77bn in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: half, or 50 percent, of all «investment» in Kazakhstan. Last year
        alone, the EU states invested

quote   jankauskas-pca-to-epca in jjtv-kazakhstan-eu-30-years
        Kestutis «Jankauskas»: agreement, which paved the way for European «investment», and for the
        establishment of our relations
""",
}

# A 100-column terminal and no database from the environment, for every test.
pytestmark = pytest.mark.usefixtures("terminal")


def hits(connection: Connection, query: str, *types: str) -> list[dict[str, Any]]:
    """The hits of a search."""
    return search(connection, query, types=types).hits


def quotes(connection: Connection, query: str) -> set[str]:
    """The slugs of the quotes a search finds."""
    return {hit["slug"] for hit in hits(connection, query, "quote")}


def searched(kb: Kb, db: str, *args: str) -> dict[str, Any]:
    """What `kb search ARGS --format json` prints."""
    found: dict[str, Any] = json.loads(ok(kb("search", *args, "--format", "json", db=db)))
    return found


# --- a speaker's name with the words of their quotes -------------------------------------------


def test_a_speakers_name_and_a_word_of_his_quote_find_it(
    seeded_db: str, engine_for: EngineFor
) -> None:
    with engine_for(seeded_db).connect() as connection:
        found = hits(connection, "Jankauskas investment")
        assert {(hit["type"], hit["slug"]) for hit in found} == {("quote", s) for s in SPEECHES}
        # The snippet names the speaker, then shows the quote's own words, both marked.
        for hit in found:
            assert hit["snippet"].startswith("Kestutis «Jankauskas»: ")
            assert "«investment»" in hit["snippet"]
        # Only his quote about hydrogen; the surname as a prefix and a phrase of the name too.
        assert quotes(connection, "Jankauskas hydrogen") == {"jankauskas-investment-77bn"}
        assert quotes(connection, "Jankausk* 1995") == {"jankauskas-pca-to-epca"}
        assert quotes(connection, '"Kestutis Jankauskas" minerals') == {
            "jankauskas-investment-77bn"
        }
        # Every word must still match: in the quote or in its speaker's names.
        assert quotes(connection, "Jankauskas helium") == set()
        assert quotes(connection, "Bektenov investment") == set()


def test_the_command_finds_the_quote_and_counts_it(kb: Kb, seeded_db: str, backend: str) -> None:
    found = searched(kb, seeded_db, "Jankauskas investment")
    assert {(hit["type"], hit["slug"], hit["source"]) for hit in found["hits"]} == {
        ("quote", slug, "jjtv-kazakhstan-eu-30-years") for slug in SPEECHES
    }
    assert found["by_type"]["quote"]["matches"] == 2
    # The table shows the speaker's name before each quote's words.
    assert ok(kb("search", "Jankauskas investment", db=seeded_db)) == TABLES[backend]
    # --type quote finds them; --type person only the person (whose names hold no investment).
    assert len(searched(kb, seeded_db, "Jankauskas investment", "--type", "quote")["hits"]) == 2
    assert searched(kb, seeded_db, "Jankauskas investment", "--type", "person")["hits"] == []


def test_a_quote_found_by_its_speaker_alone_opens_with_his_name(
    seeded_db: str, engine_for: EngineFor
) -> None:
    with engine_for(seeded_db).connect() as connection:
        found = {hit["slug"]: hit["snippet"] for hit in hits(connection, "Kestutis", "quote")}
    assert found == {
        "jankauskas-investment-77bn": "«Kestutis» Jankauskas: Just in 30 years of our cooperation "
        "the countries of the European Union have invested almost…",
        "jankauskas-pca-to-epca": "«Kestutis» Jankauskas: Our relations started after the "
        "establishment of diplomatic ties with the signing of the partnership and…",
    }


def test_a_quote_found_by_its_words_alone_shows_them_alone(
    seeded_db: str, engine_for: EngineFor
) -> None:
    with engine_for(seeded_db).connect() as connection:
        (hit,) = hits(connection, "hydrogen", "quote")
    assert hit["snippet"].count("«hydrogen»") == 2
    assert "Jankauskas" not in hit["snippet"]


def test_an_alias_finds_the_quotes_too(seeded_db: str, engine_for: EngineFor) -> None:
    engine = engine_for(seeded_db)
    with engine.connect() as connection:
        assert quotes(connection, "Kestas investment") == set()
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE people SET aliases = :aliases WHERE slug = :slug"),
            {"aliases": json.dumps(["Jankauskas", "Kestas"]), "slug": PERSON},
        )
    with engine.connect() as connection:
        found = hits(connection, "Kestas investment", "quote")
        assert {hit["slug"] for hit in found} == SPEECHES
        # Found by an alias, not the name: the name, then the aliases with the match marked.
        for hit in found:
            assert hit["snippet"].startswith(f"{NAME} (Jankauskas, «Kestas»): ")
        assert quotes(connection, "Kestas") == SPEECHES


def test_renaming_a_person_reindexes_their_quotes(seeded_db: str, engine_for: EngineFor) -> None:
    engine = engine_for(seeded_db)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE people SET name = 'Kestutis Algirdas Jankauskas' WHERE slug = :slug"),
            {"slug": PERSON},
        )
    with engine.connect() as connection:
        assert quotes(connection, "Algirdas investment") == SPEECHES
        assert quotes(connection, "Kestutis hydrogen") == {"jankauskas-investment-77bn"}
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE people SET name = 'Someone Else', aliases = '[]' WHERE slug = :slug"),
            {"slug": PERSON},
        )
    with engine.connect() as connection:
        assert quotes(connection, "Jankauskas investment") == set()
        assert quotes(connection, "Someone investment") == SPEECHES
    assert_index_in_step(engine)


def test_a_quote_given_to_another_speaker_is_found_by_their_name(
    seeded_db: str, engine_for: EngineFor
) -> None:
    engine = engine_for(seeded_db)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE quotes SET speaker_id = (SELECT id FROM people WHERE slug = "
                "'olzhas-bektenov') WHERE slug = 'jankauskas-pca-to-epca'"
            )
        )
    with engine.connect() as connection:
        assert quotes(connection, "Jankauskas investment") == {"jankauskas-investment-77bn"}
        assert quotes(connection, "Bektenov investment") == {"jankauskas-pca-to-epca"}
    assert_index_in_step(engine)


# --- ranking -----------------------------------------------------------------------------------

# A long quote by another speaker that names Jankauskas once, among many other words: bm25
# scores a word in a long text low, yet its own words rank above his name on his quotes.
MENTION = (
    "Speaking about the anniversary of relations and the years of cooperation, trade, "
    "investment, energy, transport, education, culture and the many agreements that the "
    "partners have signed and implemented since the establishment of diplomatic ties, the "
    "minister said he had discussed all of these matters at length with Jankauskas, and that "
    "the partners would continue to work on every one of them in the years to come, in the "
    "capital and in the regions, with business and with society, step by step and together."
)


def test_a_quotes_own_words_rank_above_its_speakers_name(
    seeded_db: str, engine_for: EngineFor
) -> None:
    engine = engine_for(seeded_db)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO quotes (slug, status, text, speaker_id, source_id, kind, "
                "text_start, text_end, said_on_inferred) SELECT 'mentions-jankauskas', "
                "'reviewed', :text, p.id, s.id, 'direct', 0, :end, false FROM people p, "
                "sources s WHERE p.slug = 'olzhas-bektenov' AND s.slug = "
                "'jjtv-kazakhstan-eu-30-years'"
            ),
            {"text": MENTION, "end": len(MENTION)},
        )
    with engine.connect() as connection:
        found = hits(connection, "Jankauskas", "quote")
        assert found[0]["slug"] == "mentions-jankauskas"
        assert {hit["slug"] for hit in found[1:]} == SPEECHES
        assert found[0]["rank"] < min(hit["rank"] for hit in found[1:])
        # His name found in the quote's words: no speaker's name before them.
        assert "«Jankauskas»" in found[0]["snippet"]
        assert "Bektenov" not in found[0]["snippet"]
        # With a word of the quotes too, the mention still comes first.
        both = hits(connection, "Jankauskas investment", "quote")
        assert both[0]["slug"] == "mentions-jankauskas"
        assert {hit["slug"] for hit in both} == SPEECHES | {"mentions-jankauskas"}
    assert_index_in_step(engine)


def test_words_found_by_words_rank_as_before(seeded_db: str, engine_for: EngineFor) -> None:
    # Indexing the speakers does not change how a quote found by its words alone is ranked
    # against other hits: the order of tests/test_search.py's hydrogen table holds.
    with engine_for(seeded_db).connect() as connection:
        found = [(hit["type"], hit["slug"]) for hit in hits(connection, "hydrogen")]
        person = hits(connection, "Jankauskas")
    assert found[0] == ("event", "jjtv-kz-eu-critical-minerals-agreement")
    assert ("quote", "jankauskas-investment-77bn") in found
    # The person first: his name is all his record holds, and only part of his quotes'.
    assert (person[0]["type"], person[0]["slug"]) == ("person", PERSON)


# --- loading -----------------------------------------------------------------------------------


@pytest.fixture
def collection(tmp_path: Path) -> Path:
    """A copy of the bundled collection and its texts, to edit and reload."""
    data = Path(shutil.copytree(bundled_data_dir(), tmp_path / "seeds_data"))
    shutil.copytree(data_dir("seeds"), tmp_path / "seeds")
    return data


def edit(collection: Path, old: str, new: str) -> None:
    """Replace the one occurrence of `old` in the article's data file."""
    article = collection / ARTICLE
    content = article.read_text(encoding="utf-8")
    assert content.count(old) == 1
    article.write_text(content.replace(old, new), encoding="utf-8")


def test_a_reload_that_renames_a_person_or_adds_an_alias_reindexes_their_quotes(
    kb: Kb, seeded_db: str, engine_for: EngineFor, collection: Path
) -> None:
    engine = engine_for(seeded_db)
    edit(collection, "    aliases: [Jankauskas]\n", "    aliases: [Jankauskas, Kestas]\n")
    assert kb("load", str(collection), db=seeded_db).exit_code == 0
    with engine.connect() as connection:
        assert quotes(connection, "Kestas investment") == SPEECHES
    edit(collection, f"    name: {NAME}\n", "    name: Kestutis Algirdas Jankauskas\n")
    assert kb("load", str(collection), db=seeded_db).exit_code == 0
    with engine.connect() as connection:
        assert quotes(connection, "Algirdas investment") == SPEECHES
        assert quotes(connection, "Kestas hydrogen") == {"jankauskas-investment-77bn"}
    assert_index_in_step(engine)


def test_a_reload_into_a_larger_base_reindexes_through_the_triggers(
    kb: Kb, seeded_db: str, engine_for: EngineFor, collection: Path
) -> None:
    # With more quotes in the base than the reload writes, the load keeps the index in step
    # row set by row set (a bulk load drops the triggers and rebuilds the index once instead):
    # the person's rename reaches a quote no file defines, through the trigger on people.
    engine = engine_for(seeded_db)
    with engine.begin() as connection:
        for i in range(3):
            connection.execute(
                text(
                    "INSERT INTO quotes (slug, status, text, speaker_id, source_id, kind, "
                    "text_start, text_end, said_on_inferred) SELECT :slug, 'reviewed', "
                    "'Investment will flourish', p.id, s.id, 'partial', 0, 24, false "
                    "FROM people p, sources s WHERE p.slug = :person "
                    "AND s.slug = 'jjtv-kazakhstan-eu-30-years'"
                ),
                {"slug": f"extra-{i}", "person": PERSON},
            )
    edit(collection, f"    name: {NAME}\n", "    name: Kestutis Algirdas Jankauskas\n")
    assert kb("load", str(collection), db=seeded_db).exit_code == 0
    extra = {f"extra-{i}" for i in range(3)}
    with engine.connect() as connection:
        assert quotes(connection, "Algirdas investment") == SPEECHES | extra
        assert quotes(connection, "Algirdas flourish") == extra
    assert_index_in_step(engine)


def test_a_bulk_load_leaves_every_trigger_in_place(
    seeded_db: str, engine_for: EngineFor, backend: str
) -> None:
    # The seeded database was loaded in bulk: on SQLite with the triggers dropped and the index
    # rebuilt; on PostgreSQL with the GIN index built after the rows.
    engine = engine_for(seeded_db)
    with engine.connect() as connection:
        if backend == "sqlite":
            rows = connection.execute(
                text("SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'")
            )
            triggers = set(rows.all())
            assert {("quotes_ai", "quotes"), ("quotes_fts_speaker", "people")} <= triggers
        else:
            rows = connection.execute(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1")
            )
            assert set(rows.scalars()) >= {
                "quotes_ai", "quotes_au", "quotes_ad", "quotes_at", "quotes_fts_speaker"
            }  # fmt: skip
            index = connection.execute(
                text("SELECT tablename FROM pg_indexes WHERE indexname = 'ix_quotes_fts'")
            )
            assert index.scalar_one() == "quotes_fts"
    assert_index_in_step(engine)


def assert_index_in_step(engine: Engine) -> None:
    """The quotes' index holds what it would if built anew: FTS5's integrity check against its
    content (the view joining quotes to people), or each tsvector recomputed."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text("INSERT INTO quotes_fts(quotes_fts, rank) VALUES ('integrity-check', 1)")
            )
            return
        stale = connection.execute(
            text(
                "SELECT count(*) FROM quotes q LEFT JOIN people p ON p.id = q.speaker_id "
                "FULL JOIN quotes_fts f ON f.id = q.id WHERE f.document IS DISTINCT FROM "
                "quotes_fts_document(q.text, p.name, p.aliases)"
            )
        )
        assert stale.scalar_one() == 0


# --- Datasette ---------------------------------------------------------------------------------


def datasette_search(path: Path, words: str, metadata: dict[str, Any] | None = None) -> Any:
    """The quotes (slugs) Datasette's search box on the quotes table finds for `words`."""
    datasette_app = pytest.importorskip("datasette.app")

    async def run() -> Any:
        datasette = datasette_app.Datasette([str(path)], metadata=metadata)
        await datasette.invoke_startup()
        response = await datasette.client.get(
            "/kb/quotes.json", params={"_search": words, "_shape": "array", "_col": "slug"}
        )
        assert response.status_code == 200, response.text
        return sorted(row["slug"] for row in response.json())

    return asyncio.run(run())


@pytest.fixture
def kb_file(seeded_sqlite: Path) -> Path:
    """The bundled collection in a file named kb.sqlite3 (Datasette calls it kb)."""
    assert seeded_sqlite.name == "kb.sqlite3"
    return seeded_sqlite


def test_datasettes_search_box_on_quotes_knows_speakers(kb_file: Path) -> None:
    # kb's plugin gives Datasette the metadata naming the quotes' index.
    assert datasette_search(kb_file, "Jankauskas investment") == sorted(SPEECHES)
    assert datasette_search(kb_file, "Jankauskas hydrogen") == ["jankauskas-investment-77bn"]
    assert datasette_search(kb_file, "Bektenov investment") == []


def test_kb_metadatas_file_names_the_quotes_index(kb: Kb, kb_file: Path) -> None:
    # The same with `kb metadata` given to Datasette (-m metadata.json).
    metadata = json.loads(ok(kb("metadata", db=kb_file)))
    quotes_entry = metadata["databases"]["kb"]["tables"]["quotes"]
    assert (quotes_entry["fts_table"], quotes_entry["fts_pk"]) == ("quotes_fts", "id")
    assert datasette_search(kb_file, "Jankauskas investment", metadata) == sorted(SPEECHES)
