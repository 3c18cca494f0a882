"""`kb export`: a file per table and view that csv/json readers (and so pandas) read as they are.

pandas is not installed; the files are read the way pandas reads them by default: CSV with a
header, the default dialect and UTF-8 (csv.DictReader), JSON as a list of records (json.load).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.expected import KB_TABLES
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from kb.errors import KbError
from kb.export import export

Kb = Callable[..., Result]
EXPORTED = [*KB_TABLES, "quotes_view", "figures_view", "events_view", "timeline"]
PEOPLE_CSV = (
    "id,slug,status,name,aliases\n"
    '1,kestutis-jankauskas,reviewed,Kestutis Jankauskas,"[""Jankauskas""]"\n'
    '2,olzhas-bektenov,reviewed,Olzhas Bektenov,"[""Bektenov""]"\n'
    '3,alikhan-smailov,reviewed,Alikhan Smailov,"[""Smailov""]"\n'
    '4,ursula-von-der-leyen,reviewed,Ursula von der Leyen,"[""von der Leyen""]"\n'
)
PEOPLE_JSON = (
    "[\n"
    '{"id": 1, "slug": "kestutis-jankauskas", "status": "reviewed", '
    '"name": "Kestutis Jankauskas", "aliases": ["Jankauskas"]},\n'
    '{"id": 2, "slug": "olzhas-bektenov", "status": "reviewed", '
    '"name": "Olzhas Bektenov", "aliases": ["Bektenov"]},\n'
    '{"id": 3, "slug": "alikhan-smailov", "status": "reviewed", '
    '"name": "Alikhan Smailov", "aliases": ["Smailov"]},\n'
    '{"id": 4, "slug": "ursula-von-der-leyen", "status": "reviewed", '
    '"name": "Ursula von der Leyen", "aliases": ["von der Leyen"]}\n'
    "]\n"
)


@pytest.fixture(autouse=True)
def no_database_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only --db names the database."""
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)


def counts(url: str, engine_for: Callable[[str | Path], Engine]) -> dict[str, int]:
    """Rows in each exported table and view, counted by the database."""
    with engine_for(url).connect() as connection:
        return {
            name: int(connection.execute(text(f"SELECT count(*) FROM {name}")).scalar_one())
            for name in EXPORTED
        }


def columns(url: str, engine_for: Callable[[str | Path], Engine], name: str) -> list[str]:
    """The column names of a table or view, in order."""
    return [str(c["name"]) for c in inspect(engine_for(url)).get_columns(name)]


def test_csv_files_read_back_with_every_row(
    kb: Kb, seeded_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    out = tmp_path / "out"
    assert kb("export", str(out), db=seeded_db).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{n}.csv" for n in EXPORTED)
    expected = counts(seeded_db, engine_for)
    for name in EXPORTED:
        with (out / f"{name}.csv").open(encoding="utf-8", newline="") as stream:
            reader = csv.DictReader(stream)
            records = list(reader)
        assert reader.fieldnames == columns(seeded_db, engine_for, name), name
        assert len(records) == expected[name], name


def test_json_files_are_lists_of_records(
    kb: Kb, seeded_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    out = tmp_path / "out"
    assert kb("export", str(out), "--format", "json", db=seeded_db).exit_code == 0
    expected = counts(seeded_db, engine_for)
    for name in EXPORTED:
        records = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert isinstance(records, list)
        assert all(isinstance(r, dict) for r in records)
        assert len(records) == expected[name], name
        if records:
            assert list(records[0]) == columns(seeded_db, engine_for, name)


def test_both_backends_write_the_same_files(kb: Kb, seeded_db: str, tmp_path: Path) -> None:
    kb("export", str(tmp_path / "csv"), db=seeded_db)
    kb("export", str(tmp_path / "json"), "--format", "json", db=seeded_db)
    assert (tmp_path / "csv" / "people.csv").read_text(encoding="utf-8") == PEOPLE_CSV
    assert (tmp_path / "json" / "people.json").read_text(encoding="utf-8") == PEOPLE_JSON
    timeline = json.loads((tmp_path / "json" / "timeline.json").read_text(encoding="utf-8"))
    assert timeline[0] == {
        "date": "1993-02-02",
        "date_precision": "day",
        "date_inferred": True,
        "name": "Kazakhstan and the EU establish diplomatic relations",
        "kind": "establishment",
        "occurrence": "happened",
        "same_as_group": "jjtv-kz-eu-relations-established",
        "source_slug": "jjtv-kazakhstan-eu-30-years",
        "source_title": "Kazakhstan and EU mark 30 years of diplomatic relations",
        "slug": "jjtv-kz-eu-relations-established",
        "id": 2,
    }


def test_text_with_newlines_survives_csv(
    kb: Kb, seeded_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    kb("export", str(tmp_path), db=seeded_db)
    with (tmp_path / "sources.csv").open(encoding="utf-8", newline="") as stream:
        exported = {r["slug"]: r["text"] for r in csv.DictReader(stream)}
    with engine_for(seeded_db).connect() as connection:
        stored = dict(connection.execute(text("SELECT slug, text FROM sources")).all())
    assert exported == stored
    assert any("\n" in value for value in stored.values())


def test_cli_reports_the_files(kb: Kb, seeded_db: str, tmp_path: Path) -> None:
    out = tmp_path / "new" / "dir"
    result = kb("export", str(out), db=seeded_db)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:4] == [
        f"Exported 14 tables and views to {out} as CSV.",
        "",
        "file                    rows",
        "----------------------  ----",
    ]
    assert lines[4:8] == [
        "sources.csv                9",
        "parties.csv                3",
        "metrics.csv                9",
        "people.csv                 4",
    ]
    assert lines[-1].startswith("Not exported: ")
    assert "_alembic_version" in lines[-1]


def test_internal_tables_are_not_exported(kb: Kb, seeded_sqlite: Path, tmp_path: Path) -> None:
    result = kb("export", str(tmp_path / "out"), db=seeded_sqlite)
    assert result.stdout.splitlines()[-1] == (
        "Not exported: events_fts, figures_fts, metrics_fts, people_fts, quotes_fts, "
        "quotes_fts_source, sources_fts, _alembic_version, _kb_files, _kb_names, _kb_records, "
        "_kb_texts (internal tables, and full-text indexes with their storage)."
    )
    names = {p.stem for p in (tmp_path / "out").iterdir()}
    assert not {n for n in names if n.startswith("_") or "_fts" in n}


def test_existing_files_are_kept_unless_forced(kb: Kb, seeded_db: str, tmp_path: Path) -> None:
    (tmp_path / "people.csv").write_text("mine\n", encoding="utf-8")
    refused = kb("export", str(tmp_path), db=seeded_db)
    assert (refused.exit_code, refused.stderr) == (
        1,
        f"Error: {tmp_path} already holds 1 of the files to write (people.csv). Add --force to "
        "overwrite them, or choose another directory. Nothing was written.\n",
    )
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv") == ["people.csv"]
    assert (tmp_path / "people.csv").read_text(encoding="utf-8") == "mine\n"
    forced = kb("export", str(tmp_path), "--force", db=seeded_db)
    assert forced.exit_code == 0
    assert (tmp_path / "people.csv").read_text(encoding="utf-8") == PEOPLE_CSV


def test_a_file_is_not_a_directory(
    kb: Kb, seeded_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    result = kb("export", str(target), db=seeded_db)
    assert result.exit_code == 2
    assert result.stderr.endswith(
        f"Error: Invalid value for 'DIRECTORY': Directory '{target}' is a file.\n"
    )
    with engine_for(seeded_db).connect() as connection, pytest.raises(KbError) as refused:
        export(connection, target)
    assert str(refused.value) == (
        f"{target} is a file, not a directory: choose a directory to export to."
    )


def test_library_refuses_an_unknown_format(
    seeded_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    out = tmp_path / "out"
    with engine_for(seeded_db).connect() as connection, pytest.raises(KbError, match="csv or json"):
        export(connection, out, "xlsx")
    assert not out.exists()


def test_an_empty_database_exports_headers(
    kb: Kb, empty_db: str, tmp_path: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    kb("export", str(tmp_path / "out"), db=empty_db)
    assert (tmp_path / "out" / "quotes.csv").read_text(encoding="utf-8").splitlines() == [
        ",".join(columns(empty_db, engine_for, "quotes"))
    ]
    assert (tmp_path / "out" / "quotes_view.csv").exists()
    kb("export", str(tmp_path / "json"), "--format", "json", db=empty_db)
    assert json.loads((tmp_path / "json" / "quotes.json").read_text(encoding="utf-8")) == []
