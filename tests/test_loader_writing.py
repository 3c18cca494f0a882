"""Loading into real SQLite databases: spans, upserts, missing rows, prune, dry runs, rollback."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.dumps import dump, kb_rows
from helpers.expected import EXAMPLE_COUNTS
from helpers.files import copy_example, edit, write
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.db import current_revision, head_revision, make_engine
from kb.errors import KbError
from kb.loader import LoadError, LoadReport, TableChange, load
from kb.loader.spec import TABLES
from kb.paths import bundled_data_dir

# Every span column with the column holding its text, per table.
SPANS = {
    "roles": [("evidence", "source_id")],
    "quotes": [("text", "source_id")],
    "figures": [("evidence", "source_id"), ("surface", "source_id")],
    "events": [("evidence", "source_id")],
}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the example collection of docs/data-format.md; returns its seeds_data/."""
    return copy_example(tmp_path)


@pytest.fixture
def engine(empty_db: str, engine_for: Callable[[str | Path], Engine]) -> Engine:
    """An engine on a fresh migrated, empty database."""
    return engine_for(empty_db)


def counts(report: LoadReport, kind: str) -> dict[str, int]:
    """One count (inserted, updated, unchanged, deleted) of every table of a report."""
    return {name: getattr(change, kind) for name, change in report.tables.items()}


def only_change(report: LoadReport) -> dict[str, TableChange]:
    """The tables a report says change."""
    return {name: change for name, change in report.tables.items() if change.changed}


ALL = dict.fromkeys(TABLES, 0)


def test_load_inserts_every_record_with_spans_sqlite_can_cut(data: Path, engine: Engine) -> None:
    report = load(engine, data)
    assert list(report.tables) == list(TABLES)
    assert counts(report, "inserted") == EXAMPLE_COUNTS
    assert report.changed and not report.dry_run and not report.pruned
    assert [f.name for f in report.files] == ["example.yaml"]
    with engine.connect() as connection:
        for table, spans in SPANS.items():
            for column, source_id in spans:
                rows = connection.execute(
                    text(
                        f"SELECT t.{column}, substr(s.text, t.{column}_start + 1,"
                        f" t.{column}_end - t.{column}_start)"
                        f" FROM {table} t JOIN sources s ON s.id = t.{source_id}"
                    )
                ).all()
                assert rows and all(stored == cut for stored, cut in rows), (table, column)
        figure = connection.execute(
            text("SELECT evidence, surface, value, unit, qualifier FROM figures")
        ).one()
        source = connection.execute(text("SELECT kind, sha256, path, text FROM sources")).one()
    # The curator wrote straight quotes; the database holds the source's curly ones.
    assert tuple(figure) == ("“Trade will double,” said Anna Berg", "double", 2.0, "times", "exact")
    raw = (data.parent / "seeds" / "example.txt").read_bytes()
    assert tuple(source) == (
        "article",
        hashlib.sha256(raw).hexdigest(),
        "example.txt",
        raw.decode(),
    )


def test_spans_count_code_points_beyond_the_bmp(tmp_path: Path, engine: Engine) -> None:
    data = tmp_path / "seeds_data"
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "flags.txt").write_text(
        "🇪🇺 𝔘nion\u00a0and Ruritania: “the pact,” she\r\nsaid.\r\n", encoding="utf-8"
    )
    write(
        data / "q.yaml",
        """\
        sources: [{slug: s, title: T, path: flags.txt}]
        people: [{slug: she, name: She}]
        quotes: [{slug: q, source: s, speaker: she, text: '"the pact," she said'}]
        """,
    )
    load(engine, data)
    with engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT q.text, q.text_start, substr(s.text, q.text_start + 1,"
                " q.text_end - q.text_start) FROM quotes q JOIN sources s ON s.id = q.source_id"
            )
        ).one()
    assert row[0] == row[2] == "“the pact,” she\r\nsaid"
    assert row[1] == len("🇪🇺 𝔘nion\u00a0and Ruritania: ") == 24  # UTF-16 would say 26


def test_the_longest_metric_name_and_unit_fit(data: Path, engine: Engine) -> None:
    """A metric name and a unit at their length limits, in 4-byte characters, are stored and
    indexed on both databases (PostgreSQL refuses index entries over 2,704 bytes; the unit is a
    column of ix_figures_by_subject)."""
    name, unit = "𝔪" * 300, "𝔲" * 100
    edit(data / "example.yaml", "name: Trade with the Union", f"name: {name}")
    edit(data / "example.yaml", "    kind: multiplier\n    unit: times\n", "    kind: count\n")
    edit(data / "example.yaml", "kind: multiplier", "kind: count")
    edit(data / "example.yaml", "unit: times", f"unit: {unit}")
    load(engine, data)
    with engine.connect() as connection:
        row = connection.execute(
            text("SELECT m.name, f.unit FROM figures f JOIN metrics m ON m.id = f.metric_id")
        ).one()
    assert tuple(row) == (name, unit)


def schema(url: str) -> Any:
    """A database's schema objects without its rows: SQLite's CREATE statements (in any
    order: an index made again comes later in sqlite_master), PostgreSQL's object names."""
    dumped = dump(url)
    if isinstance(dumped, list):
        return sorted(line for line in dumped if line.startswith("CREATE"))
    return {kind: dumped[kind] for kind in ("tables", "views", "indexes")}


def test_loads_leave_the_schema_as_migrated(data: Path, engine: Engine, empty_db: str) -> None:
    """A first load drops secondary indexes (and FTS triggers) to write in bulk; they are all
    back afterwards, and after a reload too."""
    migrated = schema(empty_db)
    assert "ix__kb_records_file_id" in str(migrated)
    load(engine, data)
    assert schema(empty_db) == migrated
    edit(data / "example.yaml", "value: 2", "value: 3")
    assert load(engine, data).changed
    assert schema(empty_db) == migrated


def test_reloading_the_same_files_changes_nothing(data: Path, engine: Engine) -> None:
    load(engine, data)
    before = kb_rows(engine)
    report = load(engine, data)
    assert counts(report, "unchanged") == EXAMPLE_COUNTS
    assert counts(report, "inserted") == counts(report, "updated") == ALL
    assert not report.changed
    assert kb_rows(engine) == before


def test_editing_one_quote_updates_exactly_that_row(data: Path, engine: Engine) -> None:
    write(
        data / "more.yaml",
        """\
        quotes:
          - {slug: berg-pact, source: example-report, speaker: anna-berg, text: signed a trade pact}
        """,
    )
    load(engine, data)
    before = kb_rows(engine)
    edit(data / "example.yaml", "text: Trade will double,", "text: Trade will double")
    report = load(engine, data)
    assert only_change(report) == {"quotes": TableChange(updated=1, unchanged=1)}
    after = kb_rows(engine)
    assert {k: v for k, v in after.items() if k != "quotes"} == {
        k: v for k, v in before.items() if k != "quotes"
    }
    changed = [(b, a) for b, a in zip(before["quotes"], after["quotes"], strict=True) if a != b]
    assert len(changed) == 1
    old, new = changed[0]
    # Columns: id, slug, status, text, ...
    assert (old[0], old[1], old[3]) == (new[0], new[1], "Trade will double,")
    assert new[3] == "Trade will double"


def test_a_changed_reference_or_participant_role_is_an_update(data: Path, engine: Engine) -> None:
    load(engine, data)
    edit(data / "example.yaml", "subject: ruritania", "subject: the-union")
    edit(data / "example.yaml", "role: signatory", "role: party")
    report = load(engine, data)
    assert counts(report, "updated") == {**ALL, "figures": 1, "event_participants": 1}
    with engine.connect() as connection:
        subject = connection.execute(
            text("SELECT p.slug FROM figures f JOIN parties p ON p.id = f.subject_id")
        ).scalar_one()
    assert subject == "the-union"


def test_rows_missing_from_the_files_are_reported_and_kept(data: Path, engine: Engine) -> None:
    yaml = data / "example.yaml"
    write(
        data / "more.yaml",
        """\
        parties:
          - {slug: zembla, name: Zembla, kind: country}
        """,
    )
    load(engine, data)
    (data / "more.yaml").unlink()
    edit(yaml, "      - {party: ruritania}\n", "")
    edit(
        yaml,
        "    roles:\n"
        "      - title: Trade Commissioner\n"
        "        party: the-union\n"
        "        source: example-report\n"
        "        evidence: Anna Berg, Trade Commissioner\n",
        "",
    )
    before = kb_rows(engine)
    report = load(engine, data)
    assert {name: change.missing for name, change in report.tables.items() if change.missing} == {
        "parties": ["zembla"],
        "roles": ["anna-berg: Trade Commissioner (example-report)"],
        "event_participants": ["ruritania-union-trade-pact-signed: party ruritania"],
    }
    assert counts(report, "deleted") == ALL
    assert not report.changed
    assert kb_rows(engine) == before


def test_prune_deletes_missing_rows_in_dependency_order(data: Path, engine: Engine) -> None:
    load(engine, data)
    # Keep only the parties: everything else, sources included, is to be pruned.
    keep = data.parent / "parties-only"
    write(
        keep / "parties.yaml",
        """\
        parties:
          - {slug: ruritania, name: Ruritania, kind: country}
          - {slug: the-union, name: The Union, kind: organization, aliases: [Union]}
        """,
    )
    report = load(engine, keep, prune=True)
    assert report.pruned
    assert counts(report, "deleted") == {**EXAMPLE_COUNTS, "parties": 0}
    assert report.tables["parties"] == TableChange(unchanged=2)
    remaining = kb_rows(engine)
    assert {t: len(rows) for t, rows in remaining.items()} == {**ALL, "parties": 2}


def test_prune_refuses_a_reference_to_a_row_it_would_delete(data: Path, engine: Engine) -> None:
    load(engine, data)
    only_quotes = data.parent / "quotes-only"
    write(
        only_quotes / "q.yaml",
        """\
        quotes:
          - {slug: q, source: example-report, speaker: anna-berg, text: Trade will double}
        """,
    )
    before = kb_rows(engine)
    with pytest.raises(LoadError) as caught:
        load(engine, only_quotes, prune=True)
    assert [(p.field, p.message) for p in caught.value.problems] == [
        ("speaker", "person 'anna-berg' is only in the database, and pruning deletes it"),
        ("source", "source 'example-report' is only in the database, and pruning deletes it"),
    ]
    assert kb_rows(engine) == before


def test_references_may_resolve_to_rows_already_in_the_database(data: Path, engine: Engine) -> None:
    load(engine, data)
    more = data.parent / "more"
    write(
        more / "more.yaml",
        """\
        quotes:
          - {slug: berg-pact, source: example-report, speaker: anna-berg, text: signed a trade pact}
        figures:
          - slug: doubling-again
            source: example-report
            quote: berg-trade-will-double
            metric: trade-with-the-union
            kind: multiplier
            surface: double
            value: 2
            unit: times
            evidence: Trade will double
        events:
          - slug: pact-elsewhere
            source: other
            same_as: ruritania-union-trade-pact-signed
            name: pact
            kind: signing
            evidence: The pact was signed.
            participants: [{party: ruritania}, {person: anna-berg}]
        sources:
          - {slug: other, title: Other, kind: reference, text: The pact was signed.}
        """,
    )
    report = load(engine, more)
    assert counts(report, "inserted") == {
        **ALL,
        "sources": 1,
        "quotes": 1,
        "figures": 1,
        "events": 1,
        "event_participants": 2,
    }
    assert report.tables["quotes"].missing == ["berg-trade-will-double"]
    with engine.connect() as connection:
        same_as = connection.execute(
            text(
                "SELECT o.slug FROM events e JOIN events o ON o.id = e.same_as_id"
                " WHERE e.slug = 'pact-elsewhere'"
            )
        ).scalar_one()
    assert same_as == "ruritania-union-trade-pact-signed"


def test_same_as_may_name_an_event_inserted_in_the_same_load(data: Path, engine: Engine) -> None:
    write(
        data / "other.yaml",
        """\
        sources:
          - {slug: a-other, title: Other, kind: reference, text: The pact was signed in May 2021.}
        events:
          - {slug: a-pact, source: a-other, same_as: ruritania-union-trade-pact-signed,
             name: pact, kind: signing, date: 2021-05, evidence: The pact was signed}
        """,
    )
    # a-pact sorts (and is inserted) before the event it names.
    report = load(engine, data)
    assert report.tables["events"].inserted == 2
    query = "SELECT e.slug, o.slug FROM events e LEFT JOIN events o ON o.id = e.same_as_id"
    with engine.connect() as connection:
        assert sorted(tuple(r) for r in connection.execute(text(query))) == [
            ("a-pact", "ruritania-union-trade-pact-signed"),
            ("ruritania-union-trade-pact-signed", None),
        ]
    assert not load(engine, data).changed


def test_a_dry_run_reports_the_same_and_writes_nothing(data: Path, engine: Engine) -> None:
    before = kb_rows(engine)
    dry = load(engine, data, dry_run=True)
    assert dry.dry_run and dry.changed
    assert kb_rows(engine) == before
    real = load(engine, data)
    assert dry.tables == real.tables
    assert dry.to_dict() == {**real.to_dict(), "dry_run": True}


def test_a_dry_run_prune_deletes_nothing(data: Path, engine: Engine) -> None:
    load(engine, data)
    empty = write(data.parent / "none" / "empty.yaml", "")
    before = kb_rows(engine)
    report = load(engine, empty.parent, dry_run=True, prune=True)
    assert counts(report, "deleted") == EXAMPLE_COUNTS
    assert kb_rows(engine) == before


def test_any_problem_leaves_the_database_exactly_as_before(data: Path, engine: Engine) -> None:
    load(engine, data)
    before = kb_rows(engine)
    write(data / "more.yaml", "parties:\n  - {slug: zembla, name: Zembla, kind: country}\n")
    edit(data / "example.yaml", "name: Anna Berg\n", "name: Anna K. Berg\n")
    edit(data / "example.yaml", "on 3 May 2021.", "on 4 May 2021.")
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    assert str(caught.value).startswith(f"1 problem in {data}; nothing was loaded\n")
    assert kb_rows(engine) == before


def test_a_database_refusal_becomes_a_kb_error_and_rolls_back(
    data: Path, empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    # A real (SQLite) trigger stands for whatever validation could not foresee.
    engine = engine_for(empty_sqlite)
    with engine.begin() as connection:
        connection.execute(
            text(
                "CREATE TRIGGER no_quotes BEFORE INSERT ON quotes"
                " BEGIN SELECT RAISE(ABORT, 'quotes are closed'); END"
            )
        )
    before = kb_rows(engine)
    with pytest.raises(KbError) as caught:
        load(engine, data)
    assert not isinstance(caught.value, LoadError)
    assert str(caught.value) == (
        f"Cannot load into {engine.url.database}: quotes are closed. Nothing was written."
    )
    assert kb_rows(engine) == before


def test_load_migrates_a_new_database_first(tmp_path: Path, data: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    try:
        report = load(engine, data)
        assert current_revision(engine) == head_revision()
        assert counts(report, "inserted") == EXAMPLE_COUNTS
    finally:
        engine.dispose()


def test_a_changed_text_must_still_hold_rows_only_the_database_has(
    data: Path, engine: Engine
) -> None:
    load(engine, data)
    sources_only = data.parent / "sources-only"
    source_yaml = write(
        sources_only / "s.yaml",
        """\
        sources:
          - {slug: example-report, title: Ruritania and the Union sign a trade pact,
             outlet: Example News, url: https://news.example/pact, published: "2021-05-04",
             language: en, path: example.txt}
        """,
    )
    seeds_text = data.parent / "seeds" / "example.txt"
    # Appending keeps every offset valid: the load goes through.
    seeds_text.write_text(seeds_text.read_text(encoding="utf-8") + " More.", encoding="utf-8")
    report = load(engine, sources_only)
    assert report.tables["sources"] == TableChange(updated=1)
    # Inserting at the start moves every span: rows kept from before would point elsewhere.
    seeds_text.write_text("Breaking: " + seeds_text.read_text(encoding="utf-8"), encoding="utf-8")
    before = kb_rows(engine)
    with pytest.raises(LoadError) as caught:
        load(engine, sources_only)
    problems = caught.value.problems
    assert {(p.file, p.line, p.field) for p in problems} == {(str(source_yaml), 4, "path")}
    assert [p.message.split(" (")[0] for p in problems] == [
        "the new text no longer holds anna-berg: Trade Commissioner",
        "the new text no longer holds berg-trade-will-double",
        "the new text no longer holds trade-will-double",
        "the new text no longer holds ruritania-union-trade-pact-signed",
    ]
    assert kb_rows(engine) == before
    # Loading the dependent records with it regrounds them.
    report = load(engine, data)
    assert counts(report, "updated") == {
        **ALL,
        "sources": 1,
        "roles": 1,
        "quotes": 1,
        "figures": 1,
        "events": 1,
    }


def test_the_report_is_json_serialisable(data: Path, engine: Engine) -> None:
    report = load(engine, data)
    payload = json.loads(json.dumps(report.to_dict()))
    assert payload["changed"] is True
    assert payload["tables"]["quotes"] == {
        "inserted": 1,
        "updated": 0,
        "unchanged": 0,
        "missing": [],
        "deleted": 0,
    }
    assert payload["files"] == [str(data / "example.yaml")]


def test_jsonl_records_load_like_yaml_ones(tmp_path: Path, engine: Engine) -> None:
    (tmp_path / "seeds").mkdir()
    data = tmp_path / "seeds_data"
    records = [
        {"type": "source", "slug": "s", "title": "T", "text": "Anna Berg said: “Yes.”"},
        {"type": "person", "slug": "anna-berg", "name": "Anna Berg", "aliases": ["Berg"]},
        {"type": "quote", "slug": "yes", "source": "s", "speaker": "anna-berg", "text": "Yes."},
    ]
    write(data / "bulk.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in records))
    report = load(engine, data)
    assert counts(report, "inserted") == {**ALL, "sources": 1, "people": 1, "quotes": 1}
    with engine.connect() as connection:
        quote = connection.execute(text("SELECT text, text_start, text_end FROM quotes")).one()
    assert tuple(quote) == ("Yes.", 17, 21)


def test_the_bundled_collection_loads_and_reloads_unchanged(
    seeded_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(seeded_db)
    report = load(engine)
    assert report.files and all(f.is_relative_to(bundled_data_dir()) for f in report.files)
    assert not report.changed
    assert all(not change.missing for change in report.tables.values())
    # Every table the collection fills (it prints no other spelling of a name: no aliases).
    assert all(change.unchanged > 0 for name, change in report.tables.items() if name != "aliases")
    assert report.tables["aliases"].unchanged == 0


def test_a_reloaded_quote_must_still_hold_figures_only_the_database_has(
    data: Path, engine: Engine
) -> None:
    load(engine, data)
    yaml = data / "example.yaml"
    content = yaml.read_text(encoding="utf-8")
    # The same collection without its figure, and with a shorter quote.
    yaml.write_text(
        content[: content.index("figures:")] + content[content.index("events:") :],
        encoding="utf-8",
    )
    edit(yaml, "text: Trade will double,", "text: Trade will")
    with pytest.raises(LoadError) as caught:
        load(engine, data)
    problem = caught.value.problems[0]
    assert len(caught.value.problems) == 1
    assert (problem.record, problem.field, problem.line) == ("berg-trade-will-double", "text", 28)
    assert problem.message == (
        "no longer holds the surface of figure 'trade-will-double' "
        "(in the database only, not in the files)"
    )
    report = load(engine, data, prune=True)
    assert report.tables["figures"] == TableChange(missing=["trade-will-double"], deleted=1)
    assert report.tables["quotes"] == TableChange(updated=1)


def test_a_source_file_with_bom_and_crlf_keeps_its_line_endings(
    tmp_path: Path, engine: Engine
) -> None:
    raw = "\ufeffFirst line.\r\nAnna Berg said: “Yes.”\r\n".encode()
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "bom.txt").write_bytes(raw)
    data = tmp_path / "seeds_data"
    write(
        data / "s.yaml",
        f"""\
        sources: [{{slug: s, title: T, path: bom.txt, sha256: {hashlib.sha256(raw).hexdigest()}}}]
        people: [{{slug: anna-berg, name: Anna Berg}}]
        quotes: [{{slug: q, source: s, speaker: anna-berg, text: "line.Anna"}}]
        """,
    )
    with pytest.raises(LoadError) as caught:  # a line break matches a space, not nothing
        load(engine, data)
    assert caught.value.problems[0].hint == "Closest passage: «line. Anna»"
    edit(data / "s.yaml", '"line.Anna"', '"line. Anna"')
    load(engine, data)
    with engine.connect() as connection:
        source_text, sha = connection.execute(text("SELECT text, sha256 FROM sources")).one()
        quote = connection.execute(text("SELECT text, text_start FROM quotes")).one()
    # The byte-order mark is not text; the SHA-256 is that of the file's bytes.
    assert source_text == "First line.\r\nAnna Berg said: “Yes.”\r\n"
    assert sha == hashlib.sha256(raw).hexdigest()
    assert tuple(quote) == ("line.\r\nAnna", 6)


def test_a_failed_load_leaves_no_new_database_file(tmp_path: Path, data: Path) -> None:
    edit(data / "example.yaml", "on 3 May 2021.", "on 4 May 2021.")
    path = tmp_path / "new.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with pytest.raises(LoadError):
            load(engine, data)
    finally:
        engine.dispose()
    assert list(tmp_path.glob("new.sqlite3*")) == []


def test_a_dry_run_on_a_new_file_creates_nothing(tmp_path: Path, data: Path) -> None:
    path = tmp_path / "new.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        report = load(engine, data, dry_run=True)
    finally:
        engine.dispose()
    assert report.tables["quotes"].inserted == 1
    assert list(tmp_path.glob("new.sqlite3*")) == []


def test_review_status_is_stored_and_defaults_to_reviewed(data: Path, engine: Engine) -> None:
    edit(
        data / "example.yaml",
        "text: Trade will double,",
        "text: Trade will double,\n    status: draft",
    )
    load(engine, data)
    with engine.connect() as connection:
        statuses = dict(connection.execute(text("SELECT slug, status FROM quotes")).all())
        events = set(connection.execute(text("SELECT status FROM events")).scalars())
    assert statuses == {"berg-trade-will-double": "draft"}
    assert events == {"reviewed"}


def test_an_observer_sees_the_database_before_and_after_the_writes(
    data: Path, engine: Engine
) -> None:
    """load(observe=...) looks inside the load's transaction: before anything is written and
    after every write; a dry run shows the same and keeps nothing."""

    def figures(connection: Any) -> list[str]:
        return list(connection.execute(text("SELECT slug FROM figures ORDER BY slug")).scalars())

    assert load(engine, data, observe=figures).observed == ([], ["trade-will-double"])
    edit(data / "example.yaml", "slug: trade-will-double", "slug: trade-doubles")
    rehearsal = load(engine, data, observe=figures, prune=True, dry_run=True)
    assert rehearsal.observed == (["trade-will-double"], ["trade-doubles"])
    with engine.connect() as connection:
        assert figures(connection) == ["trade-will-double"]
    assert load(engine, data).observed is None
