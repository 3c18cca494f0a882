"""Every kind of bad input: `kb load` and `kb validate` exit 1 with one message that names the
file, line, record, field, what is wrong and how to fix it — never a traceback — and the
database afterwards is exactly what it was before (same schema, same rows).

Each case breaks a copy of the example collection of docs/data-format.md and is loaded, through
the command line, into a database that already holds the bundled collection, on SQLite and on
PostgreSQL; `kb validate` must report the same problems.
"""

from __future__ import annotations

import hashlib
import shutil
import textwrap
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from helpers.dumps import dump, without_bookkeeping
from helpers.files import EXAMPLE

from kb.loader import LoadError, validate

Kb = Callable[..., Result]

DATA = "seeds_data/example.yaml"
BIG = 50 * 1024 * 1024  # "a single 50 MB string"


# --- Breaking the example collection --------------------------------------------------------


def edit(old: str, new: str, file: str = DATA) -> Callable[[Path], None]:
    """A change that replaces the one occurrence of `old` in a file of the collection."""

    def change(root: Path) -> None:
        path = root / file
        content = path.read_text(encoding="utf-8")
        assert content.count(old) == 1, old
        path.write_text(content.replace(old, new), encoding="utf-8")

    return change


def add(file: str, content: str | bytes) -> Callable[[Path], None]:
    """A change that writes a file into the collection (text is dedented)."""

    def change(root: Path) -> None:
        path = root / file
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(textwrap.dedent(content), encoding="utf-8", newline="")
        else:
            path.write_bytes(content)

    return change


def big_quote_yaml(root: Path) -> None:
    """The example's quote with a 50 MB text, written without building the string twice."""
    path = root / DATA
    head, tail = path.read_text(encoding="utf-8").split("Trade will double,\n", 1)
    with path.open("w", encoding="utf-8") as out:
        out.write(head)
        out.write("x" * BIG)
        out.write("\n" + tail)


def big_jsonl_line(root: Path) -> None:
    """A JSON Lines file whose second line is one 50 MB record, between two good ones."""
    party = '{"type": "party", "slug": "p%d", "name": "P", "kind": "country"}\n'
    with (root / "seeds_data" / "bulk.jsonl").open("w", encoding="utf-8") as out:
        out.write(party % 1)
        out.write('{"type": "quote", "slug": "q", "text": "' + "x" * BIG + '"}\n')
        out.write(party % 2)


def alias_bomb(root: Path) -> None:
    """A party whose aliases nest nine levels of nine aliases each ("billion laughs")."""
    levels = ["      - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    levels += [f"      - &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    body = "parties:\n  - slug: lol\n    name: Lol\n    kind: country\n    aliases:\n"
    (root / "seeds_data" / "bomb.yaml").write_text(body + "\n".join(levels) + "\n", "utf-8")


def symlink_out(root: Path) -> None:
    """seeds/leak.txt is a link to a file outside the seeds directory."""
    outside = root.parent / "outside.txt"
    outside.write_text("Trade will double,", encoding="utf-8")
    (root / "seeds" / "leak.txt").symlink_to(outside)
    edit("path: example.txt", "path: leak.txt")(root)


def changed_text(root: Path) -> None:
    """The source records the text's sha256, then the text changes."""
    text = root / "seeds" / "example.txt"
    digest = hashlib.sha256(text.read_bytes()).hexdigest()
    edit("path: example.txt", f"path: example.txt\n    sha256: {digest}")(root)
    text.write_text(text.read_text(encoding="utf-8").replace("3 May", "4 May"), encoding="utf-8")


def not_utf8_text(root: Path) -> None:
    """The source text is saved as Latin-1."""
    text = root / "seeds" / "example.txt"
    text.write_bytes(
        text.read_text(encoding="utf-8").translate({0x201C: "«", 0x201D: "»"}).encode("latin-1")
    )


def deeply_nested_json(root: Path) -> None:
    """A JSON Lines record nested 100,000 levels deep."""
    (root / "seeds_data" / "deep.jsonl").write_text(
        '{"type": "party", "slug": "deep", "aliases": ' + "[" * 100_000 + "]" * 100_000 + "}\n",
        encoding="utf-8",
    )


@dataclass(frozen=True)
class Case:
    """A way to break the collection, and the problem lines kb must print for it."""

    id: str
    breaks: Callable[[Path], None]
    problems: tuple[str, ...]


def at(line: int | None, message: str, *, subject: str = "", file: str = DATA) -> str:
    """A problem line as kb prints it: file:line, then the record and field, then the message."""
    where = file if line is None else f"{file}:{line}"
    return f"{where}: {subject + ': ' if subject else ''}{message}"


QUOTE = "quote 'berg-trade-will-double'"
FIGURE = "figure 'trade-will-double'"
EVENT = "event 'ruritania-union-trade-pact-signed'"
PERSON = "person 'anna-berg'"
SOURCE = "source 'example-report'"
EVENT_DATE = '    date: "2021-05-03"\n'
PARTY_LINE = '{"type": "party", "slug": "x", "name": "X", "kind": "country"}\n'
YAML_FIX = (
    "Check the indentation, and put quotes around a value that holds ': ' or starts with a "
    "character such as [ { * & ! or a quote mark"
)
JSON_FIX = (
    "Each line holds one whole JSON object: names and text in double quotes, no comma after "
    "the last item"
)
NOT_A_MAPPING = (
    "the file must be a mapping of record types to lists of records. "
    "Start with a line such as 'quotes:'"
)
EVENT_KINDS = (
    "anniversary, establishment, signing, entry_into_force, meeting, visit, celebration, other"
)
CALENDAR_FIX = 'Check the day and month; when only the month is known, write "YYYY-MM"'
TAG_FIX = "Remove it: only plain text, numbers, true/false, lists and mappings are read"

CASES = [
    # Syntax and shape of the files.
    Case(
        "yaml-syntax",
        edit("text: Trade will double,", "text: Trade: will double,"),
        (at(28, f"YAML syntax error: mapping values are not allowed in this context. {YAML_FIX}"),),
    ),
    Case(
        "yaml-unclosed-quote",
        edit("text: Trade will double,", "text: 'Trade will double,"),
        (
            at(
                58,
                "YAML syntax error: found unexpected end of stream (while scanning a quoted "
                f"scalar that starts on line 28). {YAML_FIX}",
            ),
        ),
    ),
    Case(
        "json-syntax",
        add("seeds_data/more.jsonl", PARTY_LINE + PARTY_LINE.replace('"}', '",}')),
        (
            at(
                2,
                "invalid JSON: Expecting property name enclosed in double quotes (column 63). "
                + JSON_FIX,
                file="seeds_data/more.jsonl",
            ),
        ),
    ),
    Case(
        "top-level-list",
        add("seeds_data/list.yaml", "- slug: x\n  name: X\n"),
        (at(1, NOT_A_MAPPING, file="seeds_data/list.yaml"),),
    ),
    Case(
        "top-level-scalar",
        add("seeds_data/scalar.yaml", "just some text\n"),
        (at(1, NOT_A_MAPPING, file="seeds_data/scalar.yaml"),),
    ),
    Case(
        "top-level-unknown-key",
        add("seeds_data/typo.yaml", "partys:\n  - {slug: x, name: X, kind: country}\n"),
        (
            at(
                1,
                "unknown record type 'partys' (expected one of sources, parties, metrics, "
                "people, roles, aliases, quotes, figures, events, participants). "
                "Did you mean 'parties'?",
                file="seeds_data/typo.yaml",
            ),
        ),
    ),
    Case(
        "jsonl-not-an-object",
        add("seeds_data/more.jsonl", '["party", "x"]\n'),
        (
            at(
                1,
                "each line must be a JSON object. Write one record per line, e.g. "
                '{"type": "party", "slug": "ruritania", ...}',
                file="seeds_data/more.jsonl",
            ),
        ),
    ),
    Case(
        "jsonl-unknown-type",
        add("seeds_data/more.jsonl", PARTY_LINE.replace('"party"', '"partey"')),
        (
            at(
                1,
                "unknown type 'partey' (expected one of source, party, metric, person, role, "
                "alias, quote, figure, event, participant). Did you mean 'party'?",
                subject="record 'x' field 'type'",
                file="seeds_data/more.jsonl",
            ),
        ),
    ),
    # Fields: unknown, missing, of the wrong type.
    Case(
        "unknown-field",
        edit("    text: Trade", "    txet: Trade"),
        (
            at(
                25,
                "missing (required). Add 'text': the quoted words, verbatim, without quote marks",
                subject=f"{QUOTE} field 'text'",
            ),
            at(28, "unknown field. Did you mean 'text'?", subject=f"{QUOTE} field 'txet'"),
        ),
    ),
    Case(
        "missing-field",
        edit("    speaker: anna-berg\n", ""),
        (
            at(
                25,
                "missing (required). Add 'speaker': the slug of the person speaking",
                subject=f"{QUOTE} field 'speaker'",
            ),
        ),
    ),
    Case(
        "missing-choice",
        edit("    kind: signing\n", ""),
        (
            at(
                43,
                f"missing (required). Add 'kind': one of {EVENT_KINDS}",
                subject=f"{EVENT} field 'kind'",
            ),
        ),
    ),
    Case(
        "wrong-type-number",
        edit("value: 2", "value: two"),
        (
            at(
                38,
                "must be a number, not text. Write the number without quotes, scale applied: "
                "1.6e11 for 160 billion",
                subject=f"{FIGURE} field 'value'",
            ),
        ),
    ),
    Case(
        "wrong-type-list",
        edit("aliases: [Berg]", "aliases: Berg"),
        (
            at(
                17,
                "must be a list of text, not text. Write [Name, Other name]",
                subject=f"{PERSON} field 'aliases'",
            ),
        ),
    ),
    Case(
        "wrong-type-text",
        edit("name: Anna Berg", "name: {first: Anna}"),
        (
            at(
                16,
                "must be text, not a mapping. Put the value in quotes to make it text (YAML "
                "reads a value starting with [ or { as a list or a mapping)",
                subject=f"{PERSON} field 'name'",
            ),
        ),
    ),
    Case(
        "wrong-type-bool",
        edit(EVENT_DATE, EVENT_DATE + "    date_inferred: maybe\n"),
        (
            at(
                48,
                "must be true or false, not text. Write true or false",
                subject=f"{EVENT} field 'date_inferred'",
            ),
        ),
    ),
    Case(
        "huge-integer",
        edit("value: 2", "value: " + "9" * 500),
        (
            at(
                38,
                "is too large a number. Write it with an exponent, e.g. 1.6e11",
                subject=f"{FIGURE} field 'value'",
            ),
        ),
    ),
    Case(
        "nul-in-text",
        edit("name: Anna Berg", 'name: "Anna\\0Berg"'),
        (
            at(
                16,
                "holds a NUL character (at character 5). Remove it",
                subject=f"{PERSON} field 'name'",
            ),
        ),
    ),
    Case(
        "unpaired-surrogate",
        add("seeds_data/more.jsonl", PARTY_LINE.replace('"X"', '"X\\udc00"')),
        (
            at(
                1,
                "holds an unpaired surrogate '\\udc00' (at character 2). JSON escapes such as "
                "\\ud83d must come in pairs; write the character itself",
                subject="party 'x' field 'name'",
                file="seeds_data/more.jsonl",
            ),
        ),
    ),
    # Dates.
    Case(
        "date-not-in-calendar",
        edit('"2021-05-03"', '"2021-02-30"'),
        (
            at(
                47,
                "'2021-02-30' is not a calendar date (day is out of range for month). "
                + CALENDAR_FIX,
                subject=f"{EVENT} field 'date'",
            ),
        ),
    ),
    Case(
        "date-month-13",
        edit('"2021-05-03"', '"2021-13"'),
        (
            at(
                47,
                f"'2021-13' is not a calendar date (month must be in 1..12). {CALENDAR_FIX}",
                subject=f"{EVENT} field 'date'",
            ),
        ),
    ),
    Case(
        "date-in-words",
        edit('"2021-05-03"', "yesterday"),
        (
            at(
                47,
                "'yesterday' is not a date in the form YYYY, YYYY-MM or YYYY-MM-DD. "
                'For example "2023", "2023-02" or "2023-02-02"',
                subject=f"{EVENT} field 'date'",
            ),
        ),
    ),
    Case(
        # The form of a date is its precision: a separately stated one is refused, and the
        # message says how to write a coarser date.
        "date-precision-stated",
        edit(EVENT_DATE, EVENT_DATE + "    date_precision: month\n"),
        (
            at(
                48,
                "unknown field. A date's precision is the form of 'date' itself: "
                '"2023" (year), "2023-02" (month) or "2023-02-02" (day)',
                subject=f"{EVENT} field 'date_precision'",
            ),
        ),
    ),
    Case(
        "unknown-choice",
        edit("kind: signing", "kind: sining"),
        (
            at(
                46,
                f"unknown value 'sining' (allowed: {EVENT_KINDS}). Did you mean 'signing'?",
                subject=f"{EVENT} field 'kind'",
            ),
        ),
    ),
    # Slugs and references.
    Case(
        "duplicate-slug-in-file",
        edit(
            "  - {slug: the-union,",
            "  - {slug: ruritania, name: R, kind: country}\n  - {slug: the-union,",
        ),
        (
            at(
                12,
                f"duplicate slug: party 'ruritania' is also defined at {DATA}:11. "
                "Give one of them another slug, or remove one",
                subject="party 'ruritania' field 'slug'",
            ),
        ),
    ),
    Case(
        "duplicate-slug-across-files",
        add("seeds_data/more.yaml", "people:\n  - slug: anna-berg\n    name: Anna Berg\n"),
        (
            at(
                2,
                f"duplicate slug: person 'anna-berg' is also defined at {DATA}:15. "
                "Give one of them another slug, or remove one",
                subject=f"{PERSON} field 'slug'",
                file="seeds_data/more.yaml",
            ),
        ),
    ),
    Case(
        "dangling-reference",
        edit("speaker: anna-berg", "speaker: ana-berg"),
        (
            at(
                27,
                "no person has the slug 'ana-berg'. Did you mean 'anna-berg'?",
                subject=f"{QUOTE} field 'speaker'",
            ),
        ),
    ),
    Case(
        "dangling-nested-reference",
        edit("{party: ruritania}", "{party: ruritanya}"),
        (
            at(
                49,
                "no party has the slug 'ruritanya'. Did you mean 'ruritania'?",
                subject=f"{EVENT} field 'participants[0].party'",
            ),
        ),
    ),
    # Grounding.
    Case(
        "quote-not-in-source",
        edit("text: Trade will double,", "text: Trade will triple,"),
        (
            at(
                28,
                "not found in source 'example-report'. Closest passage: «“Trade will double,”»",
                subject=f"{QUOTE} field 'text'",
            ),
        ),
    ),
    Case(
        "surface-not-in-evidence",
        edit("surface: double", "surface: triple"),
        (
            at(
                37,
                "'triple' not found in the evidence. Closest passage in the evidence: «will»",
                subject=f"{FIGURE} field 'surface'",
            ),
        ),
    ),
    # Source texts.
    Case(
        "source-text-missing",
        edit("path: example.txt", "path: examples.txt"),
        (
            at(
                8,
                "no file seeds/examples.txt. Paths are relative to the seeds directory; "
                "choose it with --seeds DIR",
                subject=f"{SOURCE} field 'path'",
            ),
        ),
    ),
    Case(
        "source-text-not-utf8",
        not_utf8_text,
        (
            at(
                8,
                "example.txt is not UTF-8 (byte 0xab on line 1). Convert the file to UTF-8",
                subject=f"{SOURCE} field 'path'",
            ),
        ),
    ),
    Case(
        "source-text-changed",
        changed_text,
        (
            at(
                9,
                "does not match the text (its SHA-256 is "
                "4ffec0295f5debd1461d7dd6c54126d4c162094884cb687e25781fa397d7efd5). "
                "The text changed since the record was written: check the change, "
                "then update sha256",
                subject=f"{SOURCE} field 'sha256'",
            ),
        ),
    ),
    Case(
        "path-goes-up",
        edit("path: example.txt", "path: ../seeds_data/example.yaml"),
        (
            at(
                8,
                "'../seeds_data/example.yaml' goes up with '..'. "
                "Write the path relative to the seeds directory, without '..'",
                subject=f"{SOURCE} field 'path'",
            ),
        ),
    ),
    Case(
        "path-absolute",
        edit("path: example.txt", "path: /etc/passwd"),
        (
            at(
                8,
                "'/etc/passwd' is an absolute path. Write the path relative to the seeds directory",
                subject=f"{SOURCE} field 'path'",
            ),
        ),
    ),
    Case(
        "path-symlink-out",
        symlink_out,
        (
            at(
                8,
                "'leak.txt' leads outside the seeds directory seeds. Source texts must be files "
                "inside the seeds directory (no links out of it)",
                subject=f"{SOURCE} field 'path'",
            ),
        ),
    ),
    # Hostile YAML and sizes.
    Case(
        "tag-python-object",
        edit("name: Anna Berg", "name: !!python/object:builtins.dict {}"),
        (
            at(
                16,
                f"the tag !!python/object:builtins.dict is not allowed. {TAG_FIX}",
                subject=f"{PERSON} field 'name'",
            ),
        ),
    ),
    Case(
        "tag-os-system",
        edit("name: Anna Berg", "name: !!python/object/apply:os.system ['echo owned']"),
        (
            at(
                16,
                f"the tag !!python/object/apply:os.system is not allowed. {TAG_FIX}",
                subject=f"{PERSON} field 'name'",
            ),
        ),
    ),
    Case(
        "alias-bomb",
        alias_bomb,
        (
            at(
                5,
                "aliases expand to more than 10,000 nodes; refusing to read it. Write the values "
                "out instead of repeating them through anchors and aliases",
                subject="party 'lol' field 'aliases'",
                file="seeds_data/bomb.yaml",
            ),
        ),
    ),
    Case(
        "quote-of-50-mb",
        big_quote_yaml,
        (
            at(
                None,
                "the file is 50.0 MiB; a YAML file may hold at most 8 MiB. Split it into "
                "several files, or write bulk data as JSON Lines (.jsonl)",
            ),
        ),
    ),
    Case(
        "jsonl-line-of-50-mb",
        big_jsonl_line,
        (
            at(
                2,
                "the line is longer than 1 MiB, the limit for one record. A record this large "
                "is a mistake (source texts belong in files under the seeds directory, named "
                "by 'path'); shorten or split it",
                file="seeds_data/bulk.jsonl",
            ),
        ),
    ),
    Case(
        "json-nested-too-deeply",
        deeply_nested_json,
        (
            at(
                1,
                "the JSON is nested too deeply. A record nests lists and objects a few levels "
                "deep at most",
                file="seeds_data/deep.jsonl",
            ),
        ),
    ),
]


# --- The matrix -----------------------------------------------------------------------------


@pytest.fixture
def collection(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example collection, made the working directory (messages say seeds_data/)."""
    root = tmp_path / "collection"
    shutil.copytree(EXAMPLE, root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    return root


def expected_error(case: Case, *, loading: bool) -> str:
    """The whole stderr of a run that finds exactly the case's problems."""
    count = len(case.problems)
    header = f"Error: {count} problem{'s' if count != 1 else ''} in seeds_data"
    header += "; nothing was loaded" if loading else ""
    return "\n".join([header, *case.problems]) + "\n"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_load_refuses_bad_input_and_changes_nothing(
    kb: Kb, collection: Path, seeded_db: str, case: Case
) -> None:
    case.breaks(collection)
    before = dump(seeded_db)
    result = kb("load", "seeds_data", db=seeded_db)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == expected_error(case, loading=True)
    assert dump(seeded_db) == before


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_validate_reports_the_same_problems(kb: Kb, collection: Path, case: Case) -> None:
    case.breaks(collection)
    result = kb("validate", "seeds_data")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == expected_error(case, loading=False)


def test_the_dump_sees_any_change(kb: Kb, collection: Path, seeded_db: str) -> None:
    # The matrix compares dumps; this shows a dump would differ if a load wrote anything.
    before = dump(seeded_db)
    result = kb("load", "seeds_data", db=seeded_db)
    assert result.exit_code == 0, result.output
    assert dump(seeded_db) != before


# --- One run reports every problem ----------------------------------------------------------


def test_one_run_reports_a_hundred_problems_and_counts_the_rest(
    kb: Kb, collection: Path, seeded_db: str
) -> None:
    parties = "".join(f"  - {{slug: p{n}, name: P{n}, kind: kountry}}\n" for n in range(150))
    add("seeds_data/many.yaml", "parties:\n" + parties)(collection)
    listed = [
        at(
            n + 2,
            "unknown value 'kountry' (allowed: country, organization). Did you mean 'country'?",
            subject=f"party 'p{n}' field 'kind'",
            file="seeds_data/many.yaml",
        )
        for n in range(100)
    ]
    tail = "… and 50 more (only the first 100 are listed)."
    before = dump(seeded_db)

    loaded = kb("load", "seeds_data", db=seeded_db)
    assert loaded.exit_code == 1
    assert loaded.stderr.splitlines() == [
        "Error: 150 problems in seeds_data; nothing was loaded",
        *listed,
        tail,
    ]
    assert dump(seeded_db) == before

    validated = kb("validate", "seeds_data")
    assert validated.exit_code == 1
    assert validated.stderr.splitlines() == ["Error: 150 problems in seeds_data", *listed, tail]


# --- What is not a mistake: empty files, a byte-order mark, CRLF line endings ---------------

JSONL = (
    '{"type": "party", "slug": "freedonia", "name": "Freedonia", "kind": "country"}\n'
    '{"type": "person", "slug": "rufus-firefly", "name": "Rufus T. Firefly"}\n'
)


def with_bom(root: Path) -> None:
    """Every data file starts with a UTF-8 byte-order mark."""
    for path in (root / "seeds_data").iterdir():
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def with_crlf(root: Path) -> None:
    """Every data file ends its lines with CRLF."""
    for path in (root / "seeds_data").iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))


def with_bom_and_crlf(root: Path) -> None:
    """Both: a byte-order mark, and CRLF line endings."""
    with_bom(root)
    with_crlf(root)


def with_empty_files(root: Path) -> None:
    """Empty data files beside the others: nothing at all, only a comment, only blank lines."""
    add("seeds_data/empty.yaml", "")(root)
    add("seeds_data/comment.yaml", "# to be curated\n")(root)
    add("seeds_data/no-quotes-yet.yaml", "quotes:\n")(root)
    add("seeds_data/empty.jsonl", "")(root)
    add("seeds_data/blank.jsonl", "\n\r\n\n")(root)


VARIANTS: dict[str, Callable[[Path], None]] = {
    "bom": with_bom,
    "crlf": with_crlf,
    "bom-and-crlf": with_bom_and_crlf,
    "empty-files": with_empty_files,
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_empty_files_bom_and_crlf_load_the_same_rows_as_plain_files(
    kb: Kb, collection: Path, empty_db: str, variant: str
) -> None:
    add("seeds_data/more.jsonl", JSONL)(collection)
    plain = kb("load", "seeds_data", db=empty_db)
    assert plain.exit_code == 0, plain.output
    rows = without_bookkeeping(dump(empty_db))

    VARIANTS[variant](collection)
    assert kb("validate", "seeds_data").exit_code == 0
    again = kb("load", "seeds_data", db=empty_db)
    # Every row the variant describes is already there, unchanged: the same rows.
    assert again.exit_code == 0, again.output
    assert again.stdout.endswith("\nNothing changed: the database already matches the files.\n")
    assert without_bookkeeping(dump(empty_db)) == rows


# --- Bounded memory -------------------------------------------------------------------------


@pytest.mark.parametrize("breaks", [big_quote_yaml, big_jsonl_line, alias_bomb])
def test_huge_input_is_refused_in_bounded_memory(
    collection: Path, breaks: Callable[[Path], None]
) -> None:
    breaks(collection)
    tracemalloc.start()
    try:
        with pytest.raises(LoadError):
            validate(Path("seeds_data"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A 50 MB value is never held whole: the peak stays a small fraction of it.
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes"
