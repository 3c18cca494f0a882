"""Reloads: unchanged files are skipped by content hash, changed ones are merged exactly.

Also the streaming order: records may cite sources and quotes that later files define.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.dumps import kb_rows
from helpers.expected import EXAMPLE_COUNTS
from helpers.facts import figure, happening, write_collection
from helpers.files import copy_example, edit, write
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.loader import LoadError, LoadReport, TableChange, load, validate

# A second data file that cites the example's source and person.
MORE = """\
quotes:
  - {slug: berg-pact, source: example-report, speaker: anna-berg, text: signed a trade pact}
"""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """The example collection plus more.yaml; returns its seeds_data/."""
    data = copy_example(tmp_path)
    write(data / "more.yaml", MORE)
    return data


@pytest.fixture
def engine(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> Engine:
    """An engine on a fresh migrated, empty database."""
    return engine_for(empty_db)


def changed(report: LoadReport) -> dict[str, TableChange]:
    """The tables a report says change."""
    return {name: change for name, change in report.tables.items() if change.changed}


def names(paths: list[Path]) -> list[str]:
    """File names of paths."""
    return [path.name for path in paths]


def test_a_reload_skips_every_unchanged_file(data: Path, engine: Engine) -> None:
    load(engine, data)
    before = kb_rows(engine)
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml", "more.yaml"]
    assert not report.changed
    unchanged = {name: change.unchanged for name, change in report.tables.items()}
    assert unchanged == {**EXAMPLE_COUNTS, "quotes": EXAMPLE_COUNTS["quotes"] + 1}
    assert kb_rows(engine) == before


def test_editing_one_file_rereads_only_that_file(data: Path, engine: Engine) -> None:
    load(engine, data)
    edit(data / "more.yaml", "signed a trade pact", "signed a trade")
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml"]
    assert changed(report) == {"quotes": TableChange(updated=1, unchanged=1)}
    with engine.connect() as connection:
        quote = connection.execute(text("SELECT text FROM quotes WHERE slug = 'berg-pact'"))
        assert quote.scalar_one() == "signed a trade"


def test_a_record_removed_from_a_changed_file_is_missing_and_pruned(
    data: Path, engine: Engine
) -> None:
    load(engine, data)
    write(data / "more.yaml", "quotes: []\n")
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml"]
    assert report.tables["quotes"].missing == ["berg-pact"]
    assert report.tables["quotes"].unchanged == EXAMPLE_COUNTS["quotes"]
    pruned = load(engine, data, prune=True)
    # Pruning rereads every file, so that what it deletes is checked against all that stays.
    assert pruned.skipped == []
    assert pruned.tables["quotes"].deleted == 1


def test_a_deleted_file_leaves_its_records_missing(data: Path, engine: Engine) -> None:
    load(engine, data)
    (data / "more.yaml").unlink()
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml"]
    assert report.tables["quotes"].missing == ["berg-pact"]


def test_a_changed_source_text_rereads_the_file_that_names_it(data: Path, engine: Engine) -> None:
    load(engine, data)
    seeds = data.parent / "seeds" / "example.txt"
    seeds.write_text(seeds.read_text(encoding="utf-8") + "\nA new closing line.\n", "utf-8")
    report = load(engine, data)
    # example.yaml is unchanged, but the text its source names is not: it is read again.
    assert "example.yaml" not in names(report.skipped)
    assert report.tables["sources"].updated == 1


def test_a_slug_a_skipped_file_defines_is_a_duplicate(data: Path, engine: Engine) -> None:
    load(engine, data)
    write(data / "more.yaml", MORE.replace("berg-pact", "berg-trade-will-double"))
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    (problem,) = caught.value.problems
    assert problem.file.endswith("more.yaml")
    assert problem.message.startswith("duplicate slug: quote 'berg-trade-will-double' is also")
    assert "example.yaml:" in problem.message


@pytest.mark.parametrize("waits", [True, False], ids=["waiting", "ready"])
def test_a_slug_defined_twice_names_both_places(
    tmp_path: Path, engine: Engine, waits: bool
) -> None:
    # The staged slugs are indexed as unique when they are, which spares the check for slugs
    # defined twice. Here they are not: either the second definitions cite a source that a
    # later file defines (they are staged only at the end of the read, just before the
    # index), or they are ready when read. Either way the load names both places.
    data = tmp_path / "data"
    write_collection(data, [figure("f1", 100, said=True), happening("e1", "2005")])
    first = data / "facts.jsonl"
    records = [json.loads(line) for line in first.read_text(encoding="utf-8").splitlines()]
    # (The figure without its quote: the first definition of the quote is from alpha.)
    again = [
        {key: value for key, value in record.items() if key != "quote"}
        for record in records
        if record["type"] in ("quote", "figure", "event")
    ]
    alpha = next(record for record in records if record["slug"] == "alpha")
    if waits:
        write(data / "z.jsonl", json.dumps({**alpha, "slug": "zeta"}) + "\n")
        again = [{**record, "source": "zeta"} for record in again]
    second = data / ("a.jsonl" if waits else "y.jsonl")  # before or after facts.jsonl
    write(second, "".join(json.dumps(record) + "\n" for record in again))
    slugs = [record["slug"] for record in records]
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    assert [(p.file, p.line, p.field, p.message) for p in caught.value.problems] == [
        (str(second), line, "slug", f"duplicate slug: {record['type']} '{record['slug']}' "
         f"is also defined at {first}:{slugs.index(record['slug']) + 1}")
        for line, record in enumerate(again, 1)
    ]  # fmt: skip
    assert not any(kb_rows(engine).values())  # nothing was written


def test_reread_reads_every_file(data: Path, engine: Engine) -> None:
    load(engine, data)
    report = load(engine, data, reread=True)
    assert report.skipped == []
    assert not report.changed


def test_a_dry_run_skips_but_records_nothing(data: Path, engine: Engine) -> None:
    load(engine, data, dry_run=True)
    report = load(engine, data)
    assert report.skipped == []  # the dry run left no record of the files
    assert report.tables["quotes"].inserted == EXAMPLE_COUNTS["quotes"] + 1


def test_files_loaded_from_elsewhere_are_not_protected(data: Path, engine: Engine) -> None:
    load(engine, data)
    report = load(engine, data / "example.yaml")
    # Only example.yaml is given: more.yaml's quote is missing, as without skipping.
    assert names(report.skipped) == ["example.yaml"]
    assert report.tables["quotes"].missing == ["berg-pact"]


def test_records_may_cite_sources_and_quotes_of_later_files(tmp_path: Path, engine: Engine) -> None:
    data = tmp_path / "seeds_data"
    # a.jsonl sorts first, and cites what z.jsonl defines.
    facts = [
        {"type": "quote", "slug": "q", "source": "s", "speaker": "p", "text": "Exports doubled"},
        {
            "type": "figure",
            "slug": "f",
            "source": "s",
            "quote": "q",
            "metric": "exports",
            "kind": "change",
            "surface": "doubled",
            "value": 2,
            "unit": "times",
            "evidence": "Exports doubled",
        },
    ]
    defined = [
        {"type": "source", "slug": "s", "title": "T", "text": "Trade doubled. Exports doubled."},
        {"type": "metric", "slug": "exports", "name": "Exports", "kind": "change"},
        {"type": "person", "slug": "p", "name": "P"},
    ]
    write(data / "a.jsonl", "".join(json.dumps(r) + "\n" for r in facts))
    write(data / "z.jsonl", "".join(json.dumps(r) + "\n" for r in defined))
    assert validate(data).counts["figures"] == 1
    load(engine, data)
    with engine.connect() as connection:
        spans = connection.execute(
            text("SELECT surface, surface_start, evidence_start FROM figures")
        ).one()
    assert tuple(spans) == ("doubled", 23, 15)


def test_a_text_rewritten_to_the_same_size_is_rehashed(data: Path, engine: Engine) -> None:
    load(engine, data)
    seeds = data.parent / "seeds" / "example.txt"
    content = seeds.read_text(encoding="utf-8")
    # The same number of bytes, one letter different, and a new modification time.
    seeds.write_text(content.replace("Ruritania", "Ruritanja", 1), encoding="utf-8")
    stat = seeds.stat()
    os.utime(seeds, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    # example.yaml is read again, and its event's evidence no longer matches the text.
    with pytest.raises(LoadError, match="Closest passage: «Ruritanja and the Union"):
        load(engine, data)


def test_the_stat_cache_keeps_each_text_as_it_was_read(data: Path, engine: Engine) -> None:
    """_kb_texts holds the size and time the text file had when the load read it, with the
    hash of those bytes: a change made after the read is not taken for the text read."""
    seeds = data.parent / "seeds" / "example.txt"
    read = seeds.stat()
    load(engine, data)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT path, size, mtime_ns FROM _kb_texts")).all()
    assert rows == [(str(seeds.resolve()), read.st_size, read.st_mtime_ns)]
    # Touched after the load: the stat no longer matches, so the next load rehashes it.
    os.utime(seeds, ns=(read.st_atime_ns, read.st_mtime_ns + 1_000_000_000))
    assert names(load(engine, data).skipped) == ["example.yaml", "more.yaml"]


# Two sources that cite one text file, in a directory of the seeds.
SHARED = """\
sources:
  - {slug: shared-one, title: One, path: texts/shared.txt}
  - {slug: shared-two, title: Two, path: texts/shared.txt}
"""


def test_sources_that_share_a_text_file_remember_it_once(data: Path, engine: Engine) -> None:
    """_kb_texts holds one row per text file read, by its absolute path, and a load that
    reads the file again replaces that row (one statement may not update a row twice)."""
    seeds = data.parent / "seeds"
    shared = write(seeds / "texts" / "shared.txt", "A text that two sources share.\n")
    write(data / "shared.yaml", SHARED)
    load(engine, data)
    shared.write_text("A longer text that two sources share.\n", encoding="utf-8")
    load(engine, data, reread=True)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT path, size FROM _kb_texts ORDER BY path")).all()
    example = seeds / "example.txt"
    assert rows == [
        (str(example.resolve()), example.stat().st_size),
        (str(shared.resolve()), shared.stat().st_size),
    ]


def test_a_text_touched_but_unchanged_is_rehashed_and_skipped(data: Path, engine: Engine) -> None:
    load(engine, data)
    seeds = data.parent / "seeds" / "example.txt"
    stat = seeds.stat()
    os.utime(seeds, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml", "more.yaml"]


def test_a_file_that_cannot_be_hashed_is_read_and_not_remembered(
    data: Path, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kb.loader.fingerprints as fingerprints

    real = fingerprints.digest

    def digest(path: Path | str) -> str:
        if str(path).endswith("more.yaml"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(fingerprints, "digest", digest)
    load(engine, data)
    report = load(engine, data)
    assert names(report.skipped) == ["example.yaml"]  # more.yaml is read every time
    assert not report.changed


def test_a_changed_text_must_still_hold_the_rows_of_skipped_files(
    data: Path, engine: Engine
) -> None:
    load(engine, data)
    seeds = data.parent / "seeds" / "example.txt"
    # example.yaml's records are found again in the new text; more.yaml's quote, in a file
    # that did not change, keeps offsets that now point at other words.
    seeds.write_text("Today: " + seeds.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    (problem,) = caught.value.problems
    assert problem.message == (
        "the new text no longer holds berg-pact (quote in "
        f"{data / 'more.yaml'}, which did not change and was not reread)"
    )
    assert problem.hint == "update that record too"
