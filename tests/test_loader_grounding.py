"""Grounding: finding passages under whitespace and quote-mark normalisation, and near misses."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from helpers.files import copy_example, edit
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from kb.db import make_engine
from kb.loader import LoadError, Problem, load, validate
from kb.loader.grounding import _IRREGULAR, Text, _irregular_runs, normalise

ARTICLE = Path(__file__).parent.parent / "seeds" / "jjtv-2023-02-02-kazakhstan-eu-30-years.txt"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the example collection of docs/data-format.md; returns its seeds_data/."""
    return copy_example(tmp_path)


def problems_of(path: Path) -> list[Problem]:
    """The problems validate() reports (it must report some)."""
    with pytest.raises(LoadError) as caught:
        validate(path)
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    """The single problem of a list."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_normalise_collapses_whitespace_and_straightens_quotes() -> None:
    assert normalise("  “Trade\u00a0will\r\n\tdouble,”  said ‘Berg’ ") == (
        "\"Trade will double,\" said 'Berg'"
    )


def test_find_maps_back_to_original_offsets() -> None:
    source = "Intro.\n\n“Trade\u00a0 will\ndouble,” said Anna Berg — Trade Commissioner."
    text = Text(source)
    span = text.find('"Trade will double," said')
    assert span is not None
    start, end = span
    assert source[start:end] == "“Trade\u00a0 will\ndouble,” said"
    assert (start, end) == (8, 34)


def test_find_takes_the_first_occurrence_and_respects_bounds() -> None:
    source = "double it. Trade will double. It will double again."
    text = Text(source)
    assert text.find("double") == (0, 6)
    assert text.find("will double") == (17, 28)
    assert text.find("double", 7) == (22, 28)
    assert text.find("double", 7, 27) is None
    assert text.find("double again", 0, 50) == (38, 50)


def test_only_whitespace_and_quotes_are_normalised() -> None:
    text = Text("EU–Kazakhstan trade rose by “one third”.")
    assert text.find("EU-Kazakhstan") is None  # dashes are exact
    assert text.find("eu–kazakhstan") is None  # so is case
    assert text.find("'one third'") is None  # double and single marks differ
    assert text.find('"one third"') == (28, 39)
    assert text.find("   trade rose  ") == (14, 24)  # leading and trailing spaces do not count
    assert text.find("   ") is None


def test_offsets_count_code_points() -> None:
    source = "🇪🇺 and 𝔎azakhstan: “partners”"
    span = Text(source).find('"partners"')
    assert span is not None
    assert source[span[0] : span[1]] == "“partners”"


# Passages made of words, whitespace variants and quote marks, perturbed the allowed ways.
WORDS = ["trade", "will", "double", "EU", "1995", "“", "”", "‘", "’", '"', "'"]
SPACES = [" ", "  ", "\n", "\u00a0", "\t", "\r\n", " \u00a0 "]
STRAIGHT = {"“": '"', "”": '"', "‘": "'", "’": "'"}


@given(st.text(alphabet=["a", "é", " ", "\n", "\t", "\u00a0", "\u2028", "“", "’"], max_size=40))
def test_the_normalised_copy_maps_back_to_the_original(source: str) -> None:
    text = Text(source)
    # Every run of whitespace is one space, curly quotes are straight; nothing else changes.
    assert text.normal == "".join(STRAIGHT.get(c, c) for c in re.sub(r"\s+", " ", source))
    originals = [text.index[i] for i in range(len(text.normal))]
    assert originals == sorted(set(originals))
    for character, original in zip(text.normal, originals, strict=True):
        assert STRAIGHT.get(source[original], source[original]) == character or (
            character == " " and source[original].isspace()
        )
    # A run starts where its first character was; the next stretch begins after the run.
    for i, original in enumerate(originals):
        assert text.index.first_at(original) == i


@given(
    st.text(alphabet=["a", "é", " ", "\n"], max_size=40)
    | st.text(alphabet=["a", " ", "\n", "\t", "\r", "\u00a0", "\u2028", "\u00ad"], max_size=20)
)
def test_the_runs_found_from_line_breaks_are_the_regex_runs(source: str) -> None:
    # The fast path (spaces and line breaks only, no two spaces together) and the texts it
    # hands to the regex both give exactly the regex's runs.
    assert list(_irregular_runs(source)) == [m.span() for m in _IRREGULAR.finditer(source)]


@pytest.mark.parametrize("seed", range(300))
def test_any_normalised_variant_of_a_passage_is_found(seed: int) -> None:
    rng = random.Random(seed)
    pieces = [(rng.choice(WORDS), rng.choice(SPACES)) for _ in range(rng.randint(1, 40))]
    source = "".join(word + space for word, space in pieces)
    first = rng.randrange(len(pieces))
    last = rng.randrange(first, len(pieces))
    words = [word for word, _ in pieces[first : last + 1]]
    needle = rng.choice(SPACES).join(STRAIGHT.get(w, w) if rng.random() < 0.5 else w for w in words)
    span = Text(source).find(needle)
    assert span is not None
    start, end = span
    assert normalise(source[start:end]) == normalise(needle)
    assert not source[start].isspace() and not source[end - 1].isspace()
    # The first occurrence: it starts no later than the passage the needle was cut from.
    assert start <= sum(len(w) + len(s) for w, s in pieces[:first])


def test_closest_passage_in_a_long_text_is_the_right_one() -> None:
    article = ARTICLE.read_text(encoding="utf-8")
    rng = random.Random(7)
    filler = " ".join(
        rng.choice(["trade", "relations", "Kazakhstan", "EU", "years", "the"]) for _ in range(9000)
    )
    source = filler + "\n\n" + article + "\n\n" + filler
    assert len(source) > 50_000
    text = Text(source)
    closest = text.closest("the indicators of the bilateral trade turnover increased 108-fold")
    assert "the indicators of the bilateral trade turnover increased 180-fold" in closest
    assert len(closest) < 100


def test_a_missing_passage_shows_the_closest_one(data: Path) -> None:
    edit(data / "example.yaml", "text: Trade will double,", "text: Trade wil double")
    problem = only(problems_of(data))
    assert (problem.record_type, problem.record, problem.field) == (
        "quote",
        "berg-trade-will-double",
        "text",
    )
    assert problem.line == 28
    assert problem.message == "not found in source 'example-report'"
    assert problem.hint == "Closest passage: «“Trade will double,”»"


def test_grounding_failures_of_every_kind(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "evidence: Anna Berg, Trade Commissioner", "evidence: Anna Berg, trade commissioner")
    edit(yaml, "on 3 May 2021.", "on 3rd May 2021.")
    edit(yaml, 'evidence: "\\"Trade', 'evidence: "\\"Commerce')
    problems = problems_of(data)
    assert [(p.record, p.field) for p in problems] == [
        ("anna-berg", "roles[0].evidence"),
        ("trade-will-double", "evidence"),
        ("ruritania-union-trade-pact-signed", "evidence"),
    ]
    assert problems[0].hint == "Closest passage: «Anna Berg, Trade Commissioner.»"
    assert all(p.message == "not found in source 'example-report'" for p in problems)


def test_a_surface_must_lie_inside_its_evidence(data: Path) -> None:
    # "Trade" occurs in the source, but not inside this evidence.
    edit(data / "example.yaml", "surface: double", "surface: Trade Commissioner")
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "surface",
        "'Trade Commissioner' not found in the evidence",
    )
    assert problem.hint == "Closest passage in the evidence: «“Trade will double,”»"


def test_a_figure_naming_a_quote_must_lie_inside_it(data: Path) -> None:
    edit(data / "example.yaml", "surface: double", "surface: Anna Berg")
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "surface",
        "'Anna Berg' is not inside the text of quote 'berg-trade-will-double'",
    )


def test_a_surface_inside_the_quote_is_preferred_to_an_earlier_one(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    data = tmp_path / "seeds_data" / "f.yaml"
    data.parent.mkdir()
    data.write_text(
        """\
sources:
  - {slug: s, title: T, text: "Exports doubled. “Imports doubled too,” she said."}
people:
  - {slug: she, name: She}
metrics:
  - {slug: m, name: Imports, kind: change, unit: times}
quotes:
  - {slug: q, source: s, speaker: she, text: "Imports doubled too,"}
figures:
  - {slug: f, source: s, quote: q, metric: m, kind: change, surface: doubled, value: 2,
     unit: times, evidence: "Exports doubled. “Imports doubled too,”"}
""",
        encoding="utf-8",
    )
    engine = make_engine(f"sqlite:///{tmp_path / 'kb.sqlite3'}")
    load(engine, data, seeds_dir=seeds)
    with engine.connect() as connection:
        spans = connection.execute(
            text("SELECT surface_start, surface_end, evidence_start, evidence_end FROM figures")
        ).one()
    engine.dispose()
    assert tuple(spans) == (26, 33, 0, 39)


def test_a_long_near_miss_shows_where_it_first_differs() -> None:
    source = Text("Intro. " + "The agreement was signed in Astana after long talks. " * 3 + "End.")
    written = (
        "The agreement was signed in Astana after long talks. The agreement was sined in Astana"
    )
    hint = source.miss_hint(written)
    assert hint.startswith("Closest passage: «The agreement was signed in Astana")
    assert hint.endswith(
        "the source has «…The agreement was signed in Astana» "
        "where the record has «…The agreement was sined in Astana»"
    )


def test_a_short_near_miss_shows_only_the_passage() -> None:
    assert Text("It was signed in 1995.").miss_hint("signed in 1996") == (
        "Closest passage: «signed in 1995.»"
    )
