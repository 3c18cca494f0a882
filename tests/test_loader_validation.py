"""Validation: fields, types, dates, enumerations, slugs, references, source texts, messages."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from helpers.expected import EXAMPLE_COUNTS
from helpers.files import copy_example, edit, write

from kb.errors import KbError
from kb.loader import LoadError, Problem, texts, validate

TEXT = (
    "Ruritania and the Union signed a trade pact on 3 May 2021. "
    "“Trade will double,” said Anna Berg, Trade Commissioner."
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the example collection of docs/data-format.md; returns its seeds_data/."""
    return copy_example(tmp_path)


def problems_of(path: Path, seeds: Path | None = None) -> list[Problem]:
    """The problems validate() reports (it must report some)."""
    with pytest.raises(LoadError) as caught:
        validate(path, seeds_dir=seeds)
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    """The single problem of a list."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def test_the_example_of_the_data_format_is_valid(data: Path) -> None:
    summary = validate(data)
    assert [f.name for f in summary.files] == ["example.yaml"]
    assert summary.counts == EXAMPLE_COUNTS
    assert summary.to_dict()["counts"]["roles"] == 1


def test_load_error_is_a_kb_error_listing_every_problem(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "    speaker: anna-berg\n", "    speker: anna-berg\n")
    edit(yaml, "kind: multiplier\n    surface", "kind: multiplyer\n    surface")
    with pytest.raises(KbError) as caught:
        validate(data)
    error = caught.value
    assert isinstance(error, LoadError)
    lines = str(error).splitlines()
    assert lines[0] == f"3 problems in {data}"
    assert lines[1:] == [
        f"{yaml}:25: quote 'berg-trade-will-double' field 'speaker': missing (required). "
        "Add 'speaker': the slug of the person speaking",
        f"{yaml}:27: quote 'berg-trade-will-double' field 'speker': unknown field. "
        "Did you mean 'speaker'?",
        f"{yaml}:36: figure 'trade-will-double' field 'kind': unknown value 'multiplyer' "
        "(allowed: amount, count, share, multiplier, change). Did you mean 'multiplier'?",
    ]
    assert error.to_dict()["total"] == 3


def test_problem_renders_as_one_readable_line() -> None:
    problem = Problem(
        "seeds_data/x.yaml",
        42,
        "berg-trade",
        "quote",
        "text",
        "not found in source 'example-report'",
        "Closest passage: «Trade will double,»",
    )
    assert str(problem) == (
        "seeds_data/x.yaml:42: quote 'berg-trade' field 'text': not found in source "
        "'example-report'. Closest passage: «Trade will double,»"
    )
    nameless = Problem("a.jsonl", 3, "#3", "party", None, "a record must be a mapping")
    assert str(nameless) == "a.jsonl:3: party #3: a record must be a mapping"
    assert str(Problem("a.yaml", None, None, None, None, "not a data file")) == (
        "a.yaml: not a data file"
    )


def test_missing_required_fields(data: Path) -> None:
    write(data / "more.yaml", "parties:\n  - slug: nameless\n")
    problems = problems_of(data)
    assert [(p.record, p.field, p.message, p.line) for p in problems] == [
        ("nameless", "name", "missing (required)", 2),
        ("nameless", "kind", "missing (required)", 2),
    ]


def test_a_record_without_a_slug_is_named_by_position(data: Path) -> None:
    write(data / "more.yaml", "parties:\n  - {slug: a, name: A, kind: country}\n  - {name: B}\n")
    problems = problems_of(data)
    assert {(p.record, p.field) for p in problems} == {("#2", "slug"), ("#2", "kind")}


@pytest.mark.parametrize(
    ("field", "value", "message", "hint"),
    [
        ("name", "1995", "must be text, not a number (1995)", "quotes"),
        ("name", "true", "must be text, not true/false (true)", "quotes"),
        ("name", "''", "is empty", "leave the field out"),
        ("aliases", "Union", "must be a list of text, not text", "[Name, Other name]"),
        ("aliases", "[Union, 3]", "must be a list of non-empty text; it holds a number (3)", ""),
        ("kind", "[country]", "must be text, not a list", ""),
    ],
)
def test_wrong_types(data: Path, field: str, value: str, message: str, hint: str) -> None:
    fields = {"slug": "p", "name": "P", "kind": "country", field: value}
    write(
        data / "more.yaml",
        "parties:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items()) + "\n",
    )
    problems = [p for p in problems_of(data) if p.record == "p"]
    problem = only(problems)
    assert (problem.field, problem.message) == (field, message)
    assert hint in (problem.hint or "")


def test_repeated_field_names_in_yaml_are_reported_once(data: Path) -> None:
    write(data / "more.yaml", "parties:\n  - {slug: p, name: P, kind: country, kind: country}\n")
    assert only(problems_of(data)).message.startswith("given twice")


def test_a_number_must_be_a_number(data: Path) -> None:
    edit(data / "example.yaml", "value: 2", 'value: "2"')
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == ("value", "must be a number, not text")
    assert "without quotes" in (problem.hint or "")
    edit(data / "example.yaml", 'value: "2"', "value: .nan")
    assert only(problems_of(data)).message == "must be a finite number, not nan"


@pytest.mark.parametrize(
    ("date", "message"),
    [
        ('"2021-02-30"', "'2021-02-30' is not a calendar date (day is out of range for month)"),
        ('"2021-13"', "'2021-13' is not a calendar date (month must be in 1..12)"),
        ('"0000"', "'0000' is not a calendar date (year 0 is out of range)"),
        ('"2021/05/03"', "'2021/05/03' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ('"3 May 2021"', "'3 May 2021' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2021-5-3", "'2021-5-3' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD"),
        ("21", "must be a date written as text, not a number (21)"),
        ("2021.5", "must be a date written as text, not a number (2021.5)"),
    ],
)
def test_invalid_dates(data: Path, date: str, message: str) -> None:
    edit(data / "example.yaml", 'date: "2021-05-03"', f"date: {date}")
    problem = only(problems_of(data))
    assert (problem.record, problem.field, problem.message) == (
        "ruritania-union-trade-pact-signed",
        "date",
        message,
    )


def test_retrieved_must_be_a_day_and_inferred_needs_its_date(data: Path) -> None:
    edit(data / "example.yaml", "    language: en\n", "    language: en\n    retrieved: 2021-05\n")
    edit(data / "example.yaml", 'date: "2021-05-03"', "date_inferred: true")
    problems = problems_of(data)
    assert [(p.field, p.message) for p in problems] == [
        ("retrieved", "'2021-05' must be a full date, YYYY-MM-DD"),
        ("date_inferred", "is true but 'date' is not given"),
    ]


def test_unknown_enumeration_values_list_the_allowed_ones(data: Path) -> None:
    edit(data / "example.yaml", "kind: signing", "kind: Signing")
    problem = only(problems_of(data))
    assert problem.message == (
        "unknown value 'Signing' (allowed: anniversary, establishment, signing, "
        "entry_into_force, meeting, visit, celebration, other)"
    )
    assert problem.hint == "did you mean 'signing'?"


@pytest.mark.parametrize(
    ("slug", "fix"),
    [
        ("Anna-Berg", "anna-berg"),
        ("anna--berg", "anna-berg"),
        ("anna_berg", "anna-berg"),
        ("-anna", "anna"),
        ("anna berg", "anna-berg"),
        ("a" * 201, "a" * 200),
    ],
)
def test_slug_format(data: Path, slug: str, fix: str) -> None:
    write(data / "more.yaml", f"parties:\n  - {{slug: '{slug}', name: X, kind: country}}\n")
    problem = only(problems_of(data))
    assert problem.field == "slug"
    assert "is not a valid slug (lowercase letters, digits and single hyphens)" in problem.message
    assert problem.hint == f"for example '{fix}'"


def test_a_reference_must_be_a_slug_too(data: Path) -> None:
    edit(data / "example.yaml", "speaker: anna-berg", "speaker: Anna Berg")
    problem = only(problems_of(data))
    assert (problem.field, problem.hint) == ("speaker", "for example 'anna-berg'")


def test_duplicate_slugs_within_and_across_files_name_both_places(data: Path) -> None:
    yaml = data / "example.yaml"
    other = write(
        data / "z.jsonl",
        '{"type": "party", "slug": "ruritania", "name": "Ruritania", "kind": "country"}\n',
    )
    edit(
        yaml,
        "  - {slug: the-union,",
        "  - {slug: ruritania, name: R, kind: country}\n  - {slug: the-union,",
    )
    problems = problems_of(data)
    assert [(p.file, p.line, p.record, p.field) for p in problems] == [
        (str(yaml), 12, "ruritania", "slug"),
        (str(other), 1, "ruritania", "slug"),
    ]
    for problem in problems:
        assert problem.message == f"duplicate slug: party 'ruritania' is also defined at {yaml}:11"


def test_same_slug_in_different_types_is_fine(data: Path) -> None:
    write(
        data / "more.yaml",
        "parties:\n  - {slug: anna-berg, name: Anna Berg Ltd, kind: organization}\n",
    )
    assert validate(data).counts["parties"] == 3


@pytest.mark.parametrize(
    ("old", "new", "field", "message", "hint"),
    [
        (
            "source: example-report\n    speaker",
            "source: example-reprot\n    speaker",
            "source",
            "no source has the slug 'example-reprot'",
            "did you mean 'example-report'?",
        ),
        (
            "speaker: anna-berg",
            "speaker: ana-berg",
            "speaker",
            "no person has the slug 'ana-berg'",
            "did you mean 'anna-berg'?",
        ),
        (
            "party: the-union\n",
            "party: union\n",
            "roles[0].party",
            "no party has the slug 'union'",
            "did you mean 'the-union'?",
        ),
        (
            "subject: ruritania",
            "subject: zembla",
            "subject",
            "no party has the slug 'zembla'",
            None,
        ),
        (
            "quote: berg-trade-will-double",
            "quote: berg-trade-will-tripple",
            "quote",
            "no quote has the slug 'berg-trade-will-tripple'",
            "did you mean 'berg-trade-will-double'?",
        ),
        (
            "- {party: ruritania}",
            "- {person: ruritania}",
            "participants[0].person",
            "no person has the slug 'ruritania'",
            None,
        ),
        (
            "kind: signing\n",
            "kind: signing\n    same_as: ruritania-union-trade-pact\n",
            "same_as",
            "no event has the slug 'ruritania-union-trade-pact'",
            "did you mean 'ruritania-union-trade-pact-signed'?",
        ),
    ],
)
def test_dangling_references(
    data: Path, old: str, new: str, field: str, message: str, hint: str | None
) -> None:
    edit(data / "example.yaml", old, new)
    problem = only(problems_of(data))
    assert (problem.field, problem.message, problem.hint) == (field, message, hint)


def test_same_as_must_name_another_sources_event(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "kind: signing\n", "kind: signing\n    same_as: ruritania-union-trade-pact-signed\n")
    assert only(problems_of(data)).message == "names the event itself"
    write(
        data / "more.yaml",
        """\
        events:
          - slug: pact-again
            source: example-report
            name: The pact
            kind: signing
            evidence: signed a trade pact
        """,
    )
    edit(yaml, "same_as: ruritania-union-trade-pact-signed", "same_as: pact-again")
    problem = only(problems_of(data))
    assert problem.message == "event 'pact-again' is from the same source 'example-report'"


def test_participants_are_one_party_or_person_each_once(data: Path) -> None:
    edit(
        data / "example.yaml",
        "- {party: ruritania}",
        "- {party: ruritania, person: anna-berg}\n      - {}\n      - {party: the-union}\n"
        "      - {party: 3}\n      - {person: Anna}",
    )
    problems = problems_of(data)
    assert [(p.field, p.message) for p in problems] == [
        ("participants[0]", "needs exactly one of 'party' and 'person'"),
        ("participants[1]", "needs exactly one of 'party' and 'person'"),
        ("participants[3].party", "must be text, not a number (3)"),
        (
            "participants[4].person",
            "'Anna' is not a valid slug (lowercase letters, digits and single hyphens)",
        ),
        ("participants[5]", "repeats participants[2]"),
    ]


def test_a_person_states_a_role_once_per_source(data: Path) -> None:
    edit(
        data / "example.yaml",
        "    roles:\n",
        "    roles:\n"
        "      - {title: Trade Commissioner, source: example-report, evidence: Anna Berg}\n",
    )
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "roles[1]",
        "repeats roles[0] (same source and title)",
    )


@pytest.mark.parametrize(
    ("record", "field", "limit"),
    [("metric", "name", 300), ("metric", "unit", 100), ("figure", "unit", 100)],
)
def test_a_metric_name_and_a_unit_have_a_length_limit(
    data: Path, record: str, field: str, limit: int
) -> None:
    yaml = data / "example.yaml"
    # The metric (the file's last record) and its figure become counts, which take any unit.
    edit(yaml, "    kind: multiplier\n    unit: times\n", "    kind: count\n")
    edit(yaml, "kind: multiplier", "kind: count")
    if record == "figure":
        old = "unit: times"
    elif field == "name":
        old = "name: Trade with the Union"
    else:
        # Its figure's unit, and the metric's, as the file's last line.
        edit(yaml, "unit: times", "unit: " + "x" * limit)
        content = yaml.read_text(encoding="utf-8")
        yaml.write_text(content + f"    unit: {'x' * limit}\n", encoding="utf-8")
        validate(data)
        yaml.write_text(content + f"    unit: {'x' * (limit + 1)}\n", encoding="utf-8")
    if record == "figure" or field == "name":
        edit(yaml, old, f"{field}: {'x' * limit}")
        validate(data)
        edit(yaml, f"{field}: {'x' * limit}", f"{field}: {'x' * (limit + 1)}")
    problem = only(problems_of(data))
    assert (problem.record_type, problem.field, problem.message) == (
        record,
        field,
        f"is {limit + 1:,} characters long; it may be at most {limit:,}",
    )


def test_figure_units_suit_their_kind(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "unit: times\n    evidence", "unit: fold\n    evidence")
    problems = problems_of(data)
    assert [(p.field, p.message) for p in problems] == [
        ("unit", "a multiplier's unit must be 'times', not 'fold'"),
        ("unit", "is 'fold', but metric 'trade-with-the-union' is measured in 'times'"),
    ]
    # The metric, a multiplier too, takes the same unit: an amount would fit neither.
    edit(yaml, "kind: multiplier\n    surface", "kind: amount\n    surface")
    messages = [problem.message for problem in problems_of(data)]
    assert any("must be an ISO 4217 currency code, not 'fold'" in m for m in messages), messages


def test_a_figure_has_its_metrics_kind_and_unit(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "kind: multiplier\n    surface", "kind: change\n    surface")
    problem = only(problems_of(data))
    assert (problem.record, problem.field, problem.message, problem.hint) == (
        "trade-will-double",
        "kind",
        "is 'change', but metric 'trade-with-the-union' takes 'multiplier' figures",
        "choose the metric that measures this kind of figure, or correct the kind",
    )
    edit(yaml, "kind: change\n    surface", "kind: multiplier\n    surface")
    edit(yaml, "    kind: multiplier\n    unit: times\n", "    kind: count\n    unit: rounds\n")
    edit(yaml, "kind: multiplier\n    surface", "kind: count\n    surface")
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "unit",
        "is 'times', but metric 'trade-with-the-union' is measured in 'rounds'",
    )


def test_an_unknown_metric_is_named_with_the_closest_known_ones(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "metric: trade-with-the-union", "metric: trade-with-union")
    problem = only(problems_of(data))
    assert (problem.field, problem.message, problem.hint) == (
        "metric",
        "no metric has the slug 'trade-with-union'",
        "did you mean 'trade-with-the-union'?",
    )
    # Named by its words, as files written before metrics were records did.
    edit(yaml, "metric: trade-with-union", "metric: Trade with the Union")
    problem = only(problems_of(data))
    assert problem.message == (
        "'Trade with the Union' is not a metric's slug: a figure names a metric record, "
        "defined once (under 'metrics:') and shared by every source"
    )
    assert (
        problem.hint
        == "define the metric or use a known one; its slug might be 'trade-with-the-union'"
    )


def test_a_figure_is_either_as_of_a_date_or_over_a_period(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(
        yaml,
        "unit: times\n    evidence",
        'unit: times\n    as_of: "2021"\n    period_end: "2021"\n    evidence',
    )
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == ("as_of", "is given together with a period")


def test_a_figures_quote_must_be_of_the_same_source(data: Path) -> None:
    write(
        data / "other.yaml",
        """\
        sources:
          - slug: other-report
            title: Another report
            text: Trade will double, she said.
        figures:
          - slug: doubling
            source: other-report
            quote: berg-trade-will-double
            metric: trade-with-the-union
            kind: multiplier
            surface: double
            value: 2
            unit: times
            evidence: Trade will double
        """,
    )
    problem = only(problems_of(data))
    assert (problem.record, problem.field) == ("doubling", "quote")
    assert problem.message == (
        "quote 'berg-trade-will-double' is from source 'example-report', not 'other-report'"
    )


# Source texts -----------------------------------------------------------------------------


def test_a_source_needs_exactly_one_of_path_and_text(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "    path: example.txt\n", "    path: example.txt\n    text: inline\n")
    both = only(problems_of(data))
    assert both.message == "needs exactly one of 'path' and 'text' (both are given)"
    edit(yaml, "    path: example.txt\n    text: inline\n", "")
    neither = only(problems_of(data))
    assert (neither.field, neither.message) == (None, "needs exactly one of 'path' and 'text'")


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/etc/passwd", "'/etc/passwd' is an absolute path"),
        ("../seeds_data/example.yaml", "'../seeds_data/example.yaml' goes up with '..'"),
        ("sub/../../x.txt", "'sub/../../x.txt' goes up with '..'"),
        ("C:\\\\x.txt", "'C:\\\\x.txt' is an absolute path"),
        ("a\\0b", "holds a NUL character (at character 2)"),
    ],
)
def test_a_source_path_must_stay_inside_the_seeds_directory(
    data: Path, path: str, message: str
) -> None:
    edit(data / "example.yaml", "path: example.txt", f'path: "{path}"')
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == ("path", message)


def test_a_symlink_out_of_the_seeds_directory_is_refused(data: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(TEXT, encoding="utf-8")
    seeds = data.parent / "seeds"
    os.symlink(outside, seeds / "link.txt")
    os.symlink(tmp_path, seeds / "up")
    edit(data / "example.yaml", "path: example.txt", "path: link.txt")
    assert "leads outside the seeds directory" in only(problems_of(data)).message
    edit(data / "example.yaml", "path: link.txt", "path: up/outside.txt")
    assert "leads outside the seeds directory" in only(problems_of(data)).message


def test_a_symlink_inside_the_seeds_directory_is_fine(data: Path) -> None:
    seeds = data.parent / "seeds"
    os.symlink(seeds / "example.txt", seeds / "alias.txt")
    edit(data / "example.yaml", "path: example.txt", "path: alias.txt")
    assert validate(data).counts["sources"] == 1


def test_links_in_and_out_of_directories_and_loops(data: Path, tmp_path: Path) -> None:
    # Directories are resolved once per load, files only when they are links: a link to a
    # directory inside is fine, a file link inside a linked directory is followed, and a loop
    # of links is a problem, not a crash.
    seeds = data.parent / "seeds"
    (seeds / "texts").mkdir()
    os.symlink(seeds / "example.txt", seeds / "texts" / "linked.txt")
    os.symlink(seeds / "texts", seeds / "alias")
    os.symlink("b.txt", seeds / "a.txt")
    os.symlink("a.txt", seeds / "b.txt")
    edit(data / "example.yaml", "path: example.txt", "path: alias/linked.txt")
    assert validate(data).counts["sources"] == 1
    edit(data / "example.yaml", "path: alias/linked.txt", "path: a.txt")
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "path",
        "'a.txt' cannot be used as a path (a loop of symbolic links)",
    )


def test_a_source_file_that_cannot_be_read_is_a_problem(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root, whom permissions do not stop: the read itself is made to fail.
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(texts, "open", refuse, raising=False)
    monkeypatch.setattr(texts, "_OPEN_PLAIN", None)  # the common case's read, os.open, too
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "path",
        "example.txt cannot be read (Permission denied)",
    )


def test_the_common_case_reads_a_text_as_the_general_path_does(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A plain file is read with four system calls (SeedFiles._read_plain), not by the general
    # path; what it gives, size and time included, is what the general path gives.
    seeds = data.parent / "seeds"
    (seeds / "texts").mkdir()
    (seeds / "texts" / "a.txt").write_bytes("\ufeffLine one\r\nCafé\n".encode())
    general_reads: list[str] = []
    real_read = texts._read_text

    def read_text(resolved: str, relative: str, length: int, sha256: str | None) -> Any:
        general_reads.append(relative)
        return real_read(resolved, relative, length, sha256)

    monkeypatch.setattr(texts, "_read_text", read_text)
    for relative in ("example.txt", "texts/a.txt"):
        common = texts.SeedFiles(seeds).text(relative, None)
        assert general_reads == []
        with monkeypatch.context() as general_only:
            general_only.setattr(texts, "_OPEN_PLAIN", None)
            general = texts.SeedFiles(seeds).text(relative, None)
        assert general_reads == [relative]
        general_reads.clear()
        assert common == general
    assert common.text == "Line one\r\nCafé\n"


@pytest.mark.parametrize("kind", ["fifo", "directory"])
def test_a_source_path_that_is_not_a_file_is_a_problem(data: Path, kind: str) -> None:
    # Opened without waiting (a FIFO with no writer), seen not to be a regular file, and
    # reported by the general path.
    target = data.parent / "seeds" / "not-a-file"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.mkdir()
    edit(data / "example.yaml", "path: example.txt", "path: not-a-file")
    problem = only(problems_of(data))
    assert problem.message == f"no file {target}"


def test_a_missing_source_file_says_where_it_looked(data: Path, tmp_path: Path) -> None:
    edit(data / "example.yaml", "path: example.txt", "path: exmaple.txt")
    problem = only(problems_of(data))
    assert problem.message == f"no file {data.parent / 'seeds' / 'exmaple.txt'}"
    assert "--seeds" in (problem.hint or "")
    # Another seeds directory can be named.
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "exmaple.txt").write_text(TEXT, encoding="utf-8")
    assert validate(data, seeds_dir=other).counts["quotes"] == 1


def test_a_source_text_must_be_utf8(data: Path) -> None:
    (data.parent / "seeds" / "example.txt").write_bytes(b"line one\nCaf\xe9\n")
    problem = only(problems_of(data))
    assert problem.message == "example.txt is not UTF-8 (byte 0xe9 on line 2)"


def test_sha256_is_checked_when_given(data: Path) -> None:
    raw = (data.parent / "seeds" / "example.txt").read_bytes()
    good = hashlib.sha256(raw).hexdigest()
    edit(
        data / "example.yaml", "path: example.txt", f"path: example.txt\n    sha256: {good.upper()}"
    )
    assert validate(data).counts["sources"] == 1
    (data.parent / "seeds" / "example.txt").write_bytes(raw.replace(b"2021", b"2022"))
    changed = hashlib.sha256(raw.replace(b"2021", b"2022")).hexdigest()
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "sha256",
        f"does not match the text (its SHA-256 is {changed})",
    )


def test_a_bad_sha256_is_a_format_problem(data: Path) -> None:
    edit(data / "example.yaml", "path: example.txt", "path: example.txt\n    sha256: abc")
    assert only(problems_of(data)).message == "must be 64 hexadecimal digits"


# Collecting problems ----------------------------------------------------------------------


def test_all_problems_are_collected_up_to_a_hundred(data: Path) -> None:
    write(
        data / "bad.jsonl",
        "".join(
            f'{{"type": "party", "slug": "p{i}", "name": "P", "kind": "kountry"}}\n'
            for i in range(150)
        ),
    )
    with pytest.raises(LoadError) as caught:
        validate(data)
    error = caught.value
    assert (len(error.problems), error.omitted, error.total) == (100, 50, 150)
    rendered = str(error).splitlines()
    assert rendered[0] == f"150 problems in {data}"
    assert rendered[-1] == "… and 50 more (only the first 100 are listed)."
    assert len(rendered) == 102


def test_problems_of_every_stage_come_together(data: Path) -> None:
    yaml = data / "example.yaml"
    edit(yaml, "Trade will double,\n", "Trade will triple,\n")  # grounding
    edit(yaml, "kind: country}", "kind: county}")  # enumeration
    write(data / "broken.yaml", "parties: [\n")  # syntax
    problems = problems_of(data)
    assert sorted(p.message.split(" ")[0] for p in problems) == ["YAML", "not", "unknown"]


def test_files_are_named_relative_to_the_working_directory(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(data / "example.yaml", "kind: signing", "kind: sign")
    monkeypatch.chdir(data.parent)
    # Given absolutely, shown relative; given relatively, shown as given.
    for given in (data, Path("seeds_data"), Path("seeds_data/example.yaml")):
        with pytest.raises(LoadError) as caught:
            validate(given)
        assert caught.value.problems[0].file == "seeds_data/example.yaml"
    elsewhere = data.parent.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # outside the working directory: the absolute path stays
    assert problems_of(data)[0].file == str(data / "example.yaml")


def test_the_seeds_directory_is_found_beside_the_data_directory(data: Path) -> None:
    # A file of seeds_data/ and the directory itself both look in seeds_data/../seeds/.
    assert validate(data / "example.yaml").counts["sources"] == 1
    nested = data / "more" / "x.yaml"
    write(nested, "sources:\n  - {slug: s2, title: T, path: example.txt}\n")
    assert validate(data).counts["sources"] == 2
    # Read on its own, a nested file looks for seeds beside its own directory.
    problem = only(problems_of(nested))
    assert problem.message == f"no file {data / 'seeds' / 'example.txt'}"


def test_the_bundled_collection_is_the_default() -> None:
    summary = validate()
    assert summary.files
    assert all(f.suffix in {".yaml", ".yml", ".jsonl"} for f in summary.files)
    assert summary.counts["sources"] > 0


def test_a_source_text_with_a_nul_is_refused(data: Path) -> None:
    text = data.parent / "seeds" / "example.txt"
    text.write_text(TEXT.replace("Ruritania and", "Ruritania\x00and"), encoding="utf-8")
    problem = only(problems_of(data))
    assert (problem.field, problem.message) == (
        "path",
        "example.txt holds a NUL character (line 1), which a database cannot store",
    )


def test_a_source_text_may_be_as_large_as_the_limit_and_no_larger(
    data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = len(TEXT.encode())
    monkeypatch.setattr(texts, "MAX_SOURCE_BYTES", size)
    assert validate(data).counts["quotes"] == 1
    monkeypatch.setattr(texts, "MAX_SOURCE_BYTES", size - 1)
    problem = only(problems_of(data))
    assert (problem.field, problem.message, problem.hint) == (
        "path",
        f"example.txt is {size} bytes; a source text may be at most {size - 1} bytes",
        "split the document into several sources",
    )


def test_a_passage_longer_than_its_source_says_so(data: Path) -> None:
    edit(data / "example.yaml", "text: Trade will double,", f"text: {TEXT} {TEXT}")
    problem = only(problems_of(data))
    assert (problem.field, problem.message, problem.hint) == (
        "text",
        "not found in source 'example-report'",
        "it is longer (231 characters) than the whole text it must be found in (115): "
        "check that the field holds only the passage",
    )


def test_a_long_near_miss_is_found_from_its_start(data: Path) -> None:
    # Only the first 500 characters of a passage are used to look for the closest one.
    long_text = " ".join(f"Sentence {n} of the report." for n in range(200))
    (data.parent / "seeds" / "example.txt").write_text(long_text, encoding="utf-8")
    begin = long_text.index("Sentence 37 ")
    passage = long_text[begin : begin + 2000].replace("Sentence 90 ", "Sentense 90 ")
    quote = {"slug": "q", "source": "example-report", "speaker": "anna-berg", "text": passage}
    yaml = (data / "example.yaml").read_text(encoding="utf-8")
    records = yaml[: yaml.index("people:")] + "people:\n  - {slug: anna-berg, name: Anna Berg}\n"
    (data / "example.yaml").write_text(records + f"quotes:\n  - {json.dumps(quote)}\n")
    problem = only(problems_of(data))
    assert problem.hint is not None
    assert problem.hint.startswith("Closest passage: «")
    assert "Sentence 37 of the report. Sentence 38 of the report." in problem.hint[:100]


def test_did_you_mean_among_thousands_of_slugs(tmp_path: Path) -> None:
    # Past 5,000 slugs, "did you mean" looks only at those sharing the first two letters.
    country = {"type": "party", "kind": "country"}
    records = [{**country, "slug": f"country-{i:05d}", "name": f"C{i}"} for i in range(5001)]
    records += [
        {**country, "slug": "ruritania", "name": "Ruritania"},
        {"type": "source", "slug": "s", "title": "T", "text": "The pact was signed."},
        {
            "type": "event",
            "slug": "e",
            "name": "Pact",
            "kind": "signing",
            "occurrence": "happened",
            "source": "s",
            "evidence": "The pact was signed.",
            "participants": [{"party": "ruritanja"}],
        },
    ]
    data = write(
        tmp_path / "seeds_data" / "all.jsonl", "".join(json.dumps(r) + "\n" for r in records)
    )
    with pytest.raises(LoadError) as caught:
        validate(data)
    (problem,) = caught.value.problems
    assert (problem.field, problem.message, problem.hint) == (
        "participants[0].party",
        "no party has the slug 'ruritanja'",
        "did you mean 'ruritania'?",
    )


def test_an_unknown_metric_lists_the_close_ones_of_the_bundled_collection(tmp_path: Path) -> None:
    """Several metrics can fit a misremembered slug: the hint names each close one."""
    from kb.paths import bundled_data_dir

    data = tmp_path / "seeds_data"
    for path in bundled_data_dir().iterdir():
        write(data / path.name, path.read_bytes())
    edit(
        data / "kazakhtv-2017-kazakhstan-eu-cooperation.yaml",
        "    metric: eu-share-of-foreign-trade\n",
        "    metric: eu-share-of-trade\n",
    )
    problem = only(problems_of(data, bundled_data_dir().parent / "seeds"))
    assert (problem.field, problem.message, problem.hint) == (
        "metric",
        "no metric has the slug 'eu-share-of-trade'",
        "did you mean 'eu-share-of-foreign-trade' or 'eu-share-of-investment'?",
    )
