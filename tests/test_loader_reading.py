"""Reading data files: YAML and JSON Lines, encodings, lines of records and fields, safety."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.files import write
from sqlalchemy import text
from sqlalchemy.engine import Engine

from kb.loader import LoadError, Problem, jsonl, load, validate, yamlfile
from kb.loader.problems import display_path

PARTIES_YAML = """\
parties:
  - slug: ruritania
    name: Ruritania
    kind: country
  - {slug: the-union, name: The Union, kind: organization, aliases: [Union, TU]}
"""
PARTIES_JSONL = (
    '{"type": "party", "slug": "ruritania", "name": "Ruritania", "kind": "country"}\n'
    '{"type": "party", "slug": "the-union", "name": "The Union", "kind": "organization",'
    ' "aliases": ["Union", "TU"]}\n'
)


def problems_of(path: Path, seeds: Path | None = None) -> list[Problem]:
    """The problems validate() reports for `path` (it must report some)."""
    with pytest.raises(LoadError) as caught:
        validate(path, seeds_dir=seeds)
    return caught.value.problems


def only(problems: list[Problem]) -> Problem:
    """The single problem of a list."""
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


def party_rows(engine: Engine) -> list[tuple[object, ...]]:
    """The parties table, in slug order."""
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT slug, name, kind, aliases FROM parties ORDER BY slug")
            )
        ]


def test_yaml_and_jsonl_hold_the_same_records(
    tmp_path: Path, empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    empty_db = empty_sqlite
    yaml_file = write(tmp_path / "y" / "seeds_data" / "parties.yaml", PARTIES_YAML)
    jsonl_file = write(tmp_path / "j" / "seeds_data" / "parties.jsonl", PARTIES_JSONL)
    assert validate(yaml_file).counts == validate(jsonl_file).counts
    assert validate(yaml_file).counts["parties"] == 2

    yaml_db = tmp_path / "yaml.sqlite3"
    yaml_db.write_bytes(empty_db.read_bytes())
    load(engine_for(yaml_db), yaml_file)
    load(engine_for(empty_db), jsonl_file)
    rows = party_rows(engine_for(empty_db))
    assert rows == party_rows(engine_for(yaml_db))
    assert rows[1] == ("the-union", "The Union", "organization", '["Union", "TU"]')


def test_a_directory_is_read_recursively_in_name_order(tmp_path: Path) -> None:
    """Files under the data directory in path order (a folder's files before a sibling whose
    name only starts like it); nothing hidden, no other suffix, no directory named *.yaml, no
    directory reached through a link. A hidden folder above the data directory does not
    count."""
    data = tmp_path / ".work" / "seeds_data"
    write(data / "b.yaml", "parties:\n  - {slug: b, name: B, kind: country}\n")
    write(data / "a" / "c.yml", "parties:\n  - {slug: c, name: C, kind: country}\n")
    write(data / "a" / "b.jsonl", '{"type": "party", "slug": "d", "name": "D", "kind": "country"}')
    write(data / "a-z.yaml", "parties:\n  - {slug: e, name: E, kind: country}\n")
    write(data / "notes.txt", "not data")
    write(data / ".backup.yaml", "not: [valid")
    write(data / ".git" / "x.yaml", "not: [valid")
    (data / "folder.yaml").mkdir()
    # A link to a file is read; a link to a directory is not followed.
    write(tmp_path / "elsewhere" / "f.yaml", "parties:\n  - {slug: f, name: F, kind: country}\n")
    (data / "z.yaml").symlink_to(tmp_path / "elsewhere" / "f.yaml")
    (data / "linked").symlink_to(data / "a", target_is_directory=True)
    summary = validate(data)
    assert [p.relative_to(data).as_posix() for p in summary.files] == [
        "a/b.jsonl",
        "a/c.yml",
        "a-z.yaml",
        "b.yaml",
        "z.yaml",
    ]
    assert summary.files == sorted(summary.files)
    assert summary.counts["parties"] == 5


@pytest.mark.parametrize("cwd", ["/", "base", "base/deeper"])
@pytest.mark.parametrize(
    "shown", ["base", "base/a.yaml", "base/deeper/b.jsonl", "basement/c.yaml", "d.yaml"]
)
def test_paths_are_shown_relative_to_the_working_directory_when_inside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cwd: str, shown: str
) -> None:
    """display_path() gives what Path.relative_to(Path.cwd()) gives, else the path itself."""
    working = tmp_path / cwd if cwd != "/" else Path("/")
    working.mkdir(parents=True, exist_ok=True)
    monkeypatch.chdir(working)
    path = tmp_path / shown
    try:
        expected = str(path.relative_to(Path.cwd()))
    except ValueError:
        expected = str(path)
    assert display_path(path) == expected
    assert display_path(Path(shown)) == shown


def test_bom_and_crlf_are_accepted_and_lines_still_count(tmp_path: Path) -> None:
    data = tmp_path / "seeds_data"
    yaml_body = PARTIES_YAML.replace("\n", "\r\n").encode("utf-8")
    write(data / "a.yaml", b"\xef\xbb\xbf" + yaml_body)
    write(
        data / "b.jsonl",
        b"\xef\xbb\xbf"
        + PARTIES_JSONL.replace("ruritania", "r2")
        .replace("the-union", "u2")
        .replace("\n", "\r\n")
        .encode("utf-8"),
    )
    assert validate(data).counts["parties"] == 4

    bad = yaml_body.replace(b"kind: country", b"kind: kountry")
    write(data / "a.yaml", b"\xef\xbb\xbf" + bad)
    problem = only(problems_of(data))
    assert (problem.file.endswith("a.yaml"), problem.line, problem.field) == (True, 4, "kind")


def test_empty_files_hold_no_records(tmp_path: Path) -> None:
    data = tmp_path / "seeds_data"
    write(data / "empty.yaml", "")
    write(data / "comments.yaml", "# nothing yet\n")
    write(data / "empty-list.yaml", "quotes:\n")
    write(data / "empty.jsonl", "\n\n")
    summary = validate(data)
    assert len(summary.files) == 4
    assert set(summary.counts.values()) == {0}


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "bad.yaml",
        """\
        parties:
          - slug: ruritania
            name: [Ruritania
            kind: country
        """,
    )
    problem = only(problems_of(path))
    assert problem.line is not None and 3 <= problem.line <= 5
    assert "YAML syntax error" in problem.message
    assert str(problem).startswith(f"{problem.file}:{problem.line}: YAML syntax error")


def test_a_jsonl_syntax_error_names_its_line_and_other_lines_still_count(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "bad.jsonl",
        '{"type": "party", "slug": "a", "name": "A", "kind": "country"}\n'
        "\n"
        '{"type": "party", "slug": "b", "name": "B", "kind": "country",}\n'
        '["not", "an", "object"]\n'
        '{"type": "party", "slug": "c", "name": "C", "kind": "kountry"}\n',
    )
    problems = problems_of(path)
    assert [(p.line, p.field) for p in problems] == [(3, None), (4, None), (5, "kind")]
    assert "invalid JSON" in problems[0].message
    assert "must be a JSON object" in problems[1].message


def test_jsonl_type_must_be_known(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "t.jsonl",
        '{"slug": "a", "name": "A", "kind": "country"}\n'
        '{"type": "parties", "slug": "b", "name": "B", "kind": "country"}\n',
    )
    missing, unknown = problems_of(path)
    assert (missing.line, missing.field) == (1, "type")
    assert "missing 'type'" in missing.message
    assert unknown.hint == "did you mean 'party'?"


def test_unknown_record_type_in_yaml_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path / "seeds_data" / "q.yaml", "party:\n  - {slug: a, name: A}\n? [a]\n: x\n")
    problems = problems_of(path)
    assert [(p.line, p.message, p.hint) for p in problems] == [
        (
            1,
            "unknown record type 'party' (expected one of sources, parties, metrics, people, "
            "roles, aliases, quotes, figures, events, participants)",
            "did you mean 'parties'?",
        ),
        (3, "a record type must be a plain name", None),
    ]


def test_every_field_keeps_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "people.yaml",
        """\
        people:
          - slug: anna-berg
            name: Anna Berg
            roles:
              - title: Trade Commissioner
                source: nowhere
                evidence: Anna Berg, Trade Commissioner
              - title: Chair
                source: nowhere
                evidence: x
                pary: the-union
        """,
    )
    problems = problems_of(path)
    assert [(p.line, p.record, p.field) for p in problems] == [
        (6, "anna-berg", "roles[0].source"),
        (9, "anna-berg", "roles[1].source"),
        (11, "anna-berg", "roles[1].pary"),
    ]
    assert problems[2].hint == "did you mean 'party'?"


def test_unquoted_dates_stay_text_and_a_bare_year_is_a_year(
    tmp_path: Path, empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    data = tmp_path / "seeds_data"
    write(
        data / "s.yaml",
        """\
        sources:
          - slug: s
            title: T
            published: 2023-02-02
            retrieved: 2023-02-03
            text: Signed in 1995.
        events:
          - slug: e
            source: s
            name: signed
            kind: signing
            date: 1995
            evidence: Signed in 1995.
        """,
    )
    engine = engine_for(empty_sqlite)
    load(engine, data)
    with engine.connect() as connection:
        source = connection.execute(
            text("SELECT published, published_precision, retrieved, typeof(published) FROM sources")
        ).one()
        event = connection.execute(text("SELECT date, date_precision, typeof(date) FROM events"))
        assert tuple(source) == ("2023-02-02", "day", "2023-02-03", "text")
        assert tuple(event.one()) == ("1995", "year", "text")


def test_numbers_in_exponent_form_are_numbers(
    tmp_path: Path, empty_sqlite: Path, engine_for: Callable[[str | Path], Engine]
) -> None:
    # PyYAML's YAML 1.1 rules would read 1.6e11 as text; the data format means a number.
    data = tmp_path / "seeds_data"
    write(
        data / "f.yaml",
        """\
        sources:
          - {slug: s, title: T, text: It exceeded US$160 billion.}
        metrics:
          - {slug: m, name: Investment, kind: amount}
        figures:
          - {slug: f, source: s, metric: m, kind: amount, surface: US$160 billion,
             value: 1.6e11, unit: USD, evidence: It exceeded US$160 billion.}
        """,
    )
    engine = engine_for(empty_sqlite)
    load(engine, data)
    with engine.connect() as connection:
        value = connection.execute(text("SELECT value, typeof(value) FROM figures")).one()
    assert tuple(value) == (1.6e11, "real")


@pytest.mark.parametrize(
    "tagged",
    [
        "!!python/object/apply:os.system ['echo owned']",
        "!!python/name:os.system",
        "!ruritania Ruritania",
        "!!binary aGVsbG8=",
        "!!set {a, b}",
    ],
)
def test_tags_that_build_objects_are_problems(tmp_path: Path, tagged: str) -> None:
    path = write(
        tmp_path / "seeds_data" / "t.yaml",
        f"parties:\n  - slug: a\n    kind: country\n    name: {tagged}\n",
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.record, problem.field) == (4, "a", "name")
    assert "is not allowed" in problem.message


def test_an_alias_bomb_is_refused(tmp_path: Path) -> None:
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    body = "\n".join(f"  - {{slug: p{i}, kind: country, name: n, aliases: *a{i}}}" for i in [8])
    path = write(
        tmp_path / "seeds_data" / "bomb.yaml",
        "x-anchors:\n" + "\n".join("  " + level for level in levels) + "\nparties:\n" + body,
    )
    problems = problems_of(path)
    assert any("aliases expand to more than" in p.message for p in problems), problems


def test_an_alias_that_contains_itself_is_a_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "loop.yaml",
        "parties:\n  - slug: a\n    kind: country\n    name: n\n    aliases: &x [b, *x]\n",
    )
    problem = only(problems_of(path))
    assert "refers to itself" in problem.message


def test_ordinary_anchors_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "a.yaml",
        "parties:\n  - {slug: a, kind: country, name: A, aliases: &names [X, Y]}\n"
        "  - {slug: b, kind: country, name: B, aliases: *names}\n",
    )
    assert validate(path).counts["parties"] == 2


def test_repeated_keys_are_problems(tmp_path: Path) -> None:
    data = tmp_path / "seeds_data"
    write(data / "a.yaml", "parties:\n  - slug: a\n    name: A\n    kind: country\n    name: B\n")
    write(
        data / "b.jsonl",
        '{"type": "party", "slug": "b", "name": "B", "name": "C", "kind": "country"}',
    )
    first, second = problems_of(data)
    assert (first.line, first.field, first.message) == (5, "name", "given twice (first on line 3)")
    assert (second.line, second.record, second.field) == (1, "b", "name")


def test_merge_keys_are_not_supported(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "m.yaml",
        "parties:\n  - &base {slug: a, kind: country, name: A}\n  - <<: *base\n    slug: b\n",
    )
    problem = problems_of(path)[0]
    assert (problem.line, problem.record, problem.field) == (3, "b", "<<")
    assert "merge keys" in problem.message


def test_a_data_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "latin1.yaml",
        "parties:\n  - slug: a\n    name: Caf\xe9\n    kind: country\n".encode("latin-1"),
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.message) == (3, "not UTF-8 (byte 0xe9)")


def test_the_top_of_a_yaml_file_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path / "seeds_data" / "list.yaml", "- slug: a\n")
    problem = only(problems_of(path))
    assert "must be a mapping of record types" in problem.message


def test_records_must_be_mappings_in_a_list(tmp_path: Path) -> None:
    path = write(tmp_path / "seeds_data" / "x.yaml", "parties:\n  - a\nquotes: text\n")
    problems = problems_of(path)
    assert [(p.line, p.record, p.message) for p in problems] == [
        (2, "#1", "a record must be a mapping of fields"),
        (3, None, "'quotes' must hold a list of records"),
    ]


def test_path_problems(tmp_path: Path) -> None:
    missing = only(problems_of(tmp_path / "nowhere"))
    assert missing.message == "no such file or directory"
    other = only(problems_of(write(tmp_path / "data.json", json.dumps({}))))
    assert other.message == "not a data file"
    (tmp_path / "empty").mkdir()
    empty = only(problems_of(tmp_path / "empty"))
    assert empty.message == "no data files here"


# --- Limits and hostile input ---------------------------------------------------------------


def test_a_jsonl_line_may_be_as_long_as_the_limit_and_no_longer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 80)
    line = '{"type": "party", "slug": "a", "name": "A", "kind": "country"}'
    fits = line.replace('"A"', '"' + "A" * (80 - len(line) + 1) + '"')
    assert len(fits.encode()) == 80
    too_long = fits.replace('"slug": "a"', '"slug":  "c"')
    third = fits.replace('"slug": "a"', '"slug": "b"')
    path = write(
        tmp_path / "seeds_data" / "p.jsonl",
        f"{fits}\r\n{too_long}\r\n{third}",
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.message) == (
        2,
        "the line is longer than 80 bytes, the limit for one record",
    )
    monkeypatch.setattr(jsonl, "MAX_LINE_BYTES", 81)
    assert validate(path).counts["parties"] == 3


def test_a_yaml_file_may_be_as_large_as_the_limit_and_no_larger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "seeds_data" / "p.yaml", PARTIES_YAML)
    size = path.stat().st_size
    monkeypatch.setattr(yamlfile, "MAX_YAML_BYTES", size)
    assert validate(path).counts["parties"] == 2
    monkeypatch.setattr(yamlfile, "MAX_YAML_BYTES", size - 1)
    problem = only(problems_of(path))
    assert (problem.line, problem.message) == (
        None,
        f"the file is {size} bytes; a YAML file may hold at most {size - 1} bytes",
    )


def test_a_jsonl_line_that_is_not_utf8_names_its_line_and_column(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "p.jsonl",
        PARTIES_JSONL.encode() + '{"type": "party", "name": "Caf\xe9"}\n'.encode("latin-1"),
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.message) == (3, "not UTF-8 (byte 0xe9 at column 31)")


def test_a_control_character_in_yaml_names_its_line(tmp_path: Path) -> None:
    # After non-ASCII text: libyaml counts the position in bytes, not characters.
    body = "# Ruritánia, Ürümqi, 日本\n" + PARTIES_YAML.replace("Ruritania", "Ruri\x07")
    path = write(tmp_path / "seeds_data" / "p.yaml", body)
    problem = only(problems_of(path))
    assert (problem.line, problem.message) == (4, "the character U+0007 is not allowed in YAML")


def test_a_key_under_a_tag_is_not_a_field_name(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "p.yaml",
        "parties:\n  - slug: a\n    kind: country\n    name: A\n    !!python/name:os.system x: 1\n",
    )
    problem = only(problems_of(path))
    assert (problem.line, problem.record, problem.message) == (
        5,
        "a",
        "a key must be a plain name",
    )


def test_huge_numbers_in_json_are_problems_not_crashes(tmp_path: Path) -> None:
    record = '{"type": "party", "slug": "a", "name": %s, "kind": "country"}\n'
    path = write(tmp_path / "seeds_data" / "p.jsonl", record % ("9" * 5000))
    problem = only(problems_of(path))
    assert (problem.field, problem.message) == ("name", "must be text, not a number (inf)")


def test_long_values_are_cut_short_in_messages(tmp_path: Path) -> None:
    path = write(
        tmp_path / "seeds_data" / "p.yaml",
        f"parties:\n  - slug: a\n    name: A\n    kind: {'k' * 1000}\n",
    )
    problem = only(problems_of(path))
    assert problem.message.startswith(f"unknown value '{'k' * 80}…' (1,000 characters) (allowed: ")
    assert len(str(problem)) < 300
