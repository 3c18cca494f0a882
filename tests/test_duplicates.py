"""`kb check` warns about likely duplicates: one person, party or metric defined twice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from click.testing import Result
from helpers.files import write
from sqlalchemy.engine import Engine

from kb.duplicates import likely_duplicates
from kb.loader import load
from kb.paths import bundled_data_dir

Kb = Callable[..., Result]

# A second file that defines again what the bundled collection has, under other slugs and
# spellings, beside records that only look alike.
TWICE = """\
sources:
  - slug: twice
    title: Twice
    text: >-
      Prime Minister Alikhan Smaiylov met Kęstutis Jankauskas. Anna B. Berg met Anna C. Berg,
      and Olga Ivanova met Sergei Ivanov.
parties:
  - {slug: eu, name: EU, kind: organization}
  - {slug: ruritania, name: Ruritania, kind: country}
metrics:
  - {slug: foreign-trade-share, name: Share of foreign trade of the EU, kind: share, unit: percent}
  - slug: eu-foreign-trade
    name: Trade with Europe
    kind: amount
    aliases: [EU share of foreign trade]
people:
  - {slug: alikhan-smaiylov, name: Alikhan Smaiylov}
  - {slug: kestutis-jankauskas-2, name: Kęstutis Jankauskas}
  - {slug: anna-b-berg, name: Anna B. Berg}
  - {slug: anna-c-berg, name: Anna C. Berg}
  - {slug: olga-ivanova, name: Olga Ivanova}
  - {slug: sergei-ivanov, name: Sergei Ivanov}
  - {slug: k-jankauskas, name: K. Jankauskas}
"""


def collection(tmp_path: Path) -> Path:
    """The bundled collection's files with twice.yaml beside them."""
    data = tmp_path / "seeds_data"
    for path in bundled_data_dir().iterdir():
        write(data / path.name, path.read_bytes())
    write(data / "twice.yaml", TWICE)
    return data


def test_likely_duplicates_and_not(
    tmp_path: Path, empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    engine = engine_for(empty_db)
    load(engine, collection(tmp_path), seeds_dir=bundled_data_dir().parent / "seeds")
    with engine.connect() as connection:
        found = [str(duplicate) for duplicate in likely_duplicates(connection)]
    assert found == [
        "metrics 'eu-foreign-trade' and 'eu-share-of-foreign-trade': both are named "
        "'EU share of foreign trade'",
        "metrics 'eu-share-of-foreign-trade' and 'foreign-trade-share': 'EU share of foreign "
        "trade' and 'Share of foreign trade of the EU' have the same content words",
        "parties 'eu' and 'european-union': both are named 'EU'",
        "people 'alikhan-smailov' and 'alikhan-smaiylov': 'Alikhan Smailov' and 'Alikhan "
        "Smaiylov' may be one person's name",
        "people 'k-jankauskas' and 'kestutis-jankauskas': 'K. Jankauskas' and 'Kestutis "
        "Jankauskas' may be one person's name",
        "people 'k-jankauskas' and 'kestutis-jankauskas-2': 'K. Jankauskas' and 'Kęstutis "
        "Jankauskas' may be one person's name",
        "people 'kestutis-jankauskas' and 'kestutis-jankauskas-2': 'Kestutis Jankauskas' and "
        "'Kęstutis Jankauskas' may be one person's name",
    ]
    # Not: Anna B. and Anna C. Berg (their middle initials differ), Olga Ivanova and Sergei
    # Ivanov (Ivanov and Ivanova are two names), Ruritania (one of a kind).


def test_kb_check_warns_and_passes(kb: Kb, tmp_path: Path, empty_sqlite: Path) -> None:
    data = collection(tmp_path)
    assert (
        kb(
            "load", str(data), "--seeds", str(bundled_data_dir().parent / "seeds"), db=empty_sqlite
        ).exit_code
        == 0
    )
    result = kb("check", db=empty_sqlite)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("duplicates"))
    assert lines[at] == "duplicates         warning: 7 likely duplicates, see below"
    assert lines[at + 1] == (
        "  metrics 'eu-foreign-trade' and 'eu-share-of-foreign-trade': both are named "
        "'EU share of foreign trade'"
    )
    assert lines[-1] == "All 9 checks passed (with warnings)."
