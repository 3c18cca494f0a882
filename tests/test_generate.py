"""The benchmarks' generator writes valid, grounded, reproducible collections in bounded memory,
in one JSON Lines file of facts, in N files of whole documents (--files), or in YAML."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.expected import KB_TABLES
from helpers.processes import run_benchmark

REPO = Path(__file__).resolve().parent.parent
BENCHMARKS = REPO / "benchmarks"
TABLES = KB_TABLES


def generate(out: Path, facts: int, *options: str) -> Path:
    """Generate a collection under `out` and return its data directory."""
    done = run_benchmark("generate.py", out, "--facts", str(facts), *options)
    assert done.returncode == 0, done.stderr
    return out / "seeds_data"


def files_of(root: Path) -> dict[str, bytes]:
    """Every file under `root`, by relative path, with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def validate_output(files: int, counts: dict[str, int]) -> str:
    """What `kb validate` prints for a collection with these record counts."""
    rows = "\n".join(f"{table:<18}  {counts[table]:>7}" for table in TABLES)
    return (
        f"type                records\n------------------  -------\n{rows}\n\n"
        f"ok: {files} files, no problems\n"
    )


# 200 facts: 11 documents of 18 (6 quotes, 6 figures, 6 events each) and one of 2 (a quote
# and a figure); a person for every two documents, each with one role; two parties per event.
COUNTS_200 = {
    "sources": 12,
    "parties": 48,
    "metrics": 40,
    "people": 6,
    "roles": 6,
    "aliases": 0,
    "quotes": 67,
    "figures": 67,
    "events": 66,
    "event_participants": 132,
}


def test_generated_json_lines_validate(tmp_path: Path, kb: Callable[..., Result]) -> None:
    """Every generated record grounds: `kb validate` accepts the JSON Lines collection."""
    data = generate(tmp_path, 200)
    assert sorted(p.name for p in data.iterdir()) == [
        "facts.jsonl",
        "parties.jsonl",
        "people.jsonl",
    ]
    result = kb("validate", str(data))
    assert result.exit_code == 0, result.output
    assert result.output == validate_output(3, COUNTS_200)


def test_generated_yaml_validates(tmp_path: Path, kb: Callable[..., Result]) -> None:
    """At small sizes the same collection can be written as YAML, one file per document."""
    data = generate(tmp_path, 200, "--format", "yaml")
    assert len(list((data / "documents").rglob("*.yaml"))) == COUNTS_200["sources"]
    result = kb("validate", str(data))
    assert result.exit_code == 0, result.output
    assert result.output == validate_output(2 + COUNTS_200["sources"], COUNTS_200)


def test_yaml_is_refused_for_bulk_collections(tmp_path: Path) -> None:
    """YAML is for small collections: past its limit the generator says to use JSON Lines."""
    done = run_benchmark("generate.py", tmp_path, "--facts", "20001", "--format", "yaml")
    assert done.returncode == 2
    assert "YAML output is for small collections (at most 20,000 facts)" in done.stderr
    assert not (tmp_path / "seeds_data").exists()


def test_same_seed_same_collection(tmp_path: Path) -> None:
    """The collection depends only on the size and the seed, byte for byte."""
    first = files_of(generate(tmp_path / "a", 500, "--seed", "7").parent)
    again = files_of(generate(tmp_path / "b", 500, "--seed", "7").parent)
    other = files_of(generate(tmp_path / "c", 500, "--seed", "8").parent)
    assert first == again
    assert first.keys() == other.keys()
    assert first != other


def test_generator_memory_does_not_grow_with_the_collection(tmp_path: Path) -> None:
    """The generator writes as it goes: 20 times the facts costs (almost) no more memory."""
    probe = (
        "import resource, sys; sys.path.insert(0, sys.argv[1]); from generate import generate; "
        "generate(__import__('pathlib').Path(sys.argv[2]), int(sys.argv[3])); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )

    def peak_kib(facts: int) -> int:
        out = tmp_path / str(facts)
        done = subprocess.run(
            [sys.executable, "-c", probe, str(BENCHMARKS), str(out), str(facts)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        return int(done.stdout)

    small, large = peak_kib(2_000), peak_kib(40_000)
    written = sum(len(b) for b in files_of(tmp_path / "40000").values())
    assert written > 15 << 20  # the large collection is over 15 MiB on disk…
    assert large - small < 8 << 10  # …yet costs under 8 MiB more memory than the small one


def test_files_split_the_same_records_into_whole_documents(
    tmp_path: Path, kb: Callable[..., Result]
) -> None:
    """--files N: the records of facts.jsonl, in the same order, in N files of consecutive whole
    documents (each opening with its source); parties and people as without --files."""
    one = generate(tmp_path / "one", 3_001, "--seed", "5")
    split = generate(tmp_path / "split", 3_001, "--seed", "5", "--files", "7")
    assert sorted(p.name for p in split.iterdir()) == ["docs", "parties.jsonl", "people.jsonl"]
    docs = sorted((split / "docs").iterdir())
    assert [p.name for p in docs] == [f"{n:04d}.jsonl" for n in range(7)]
    assert b"".join(p.read_bytes() for p in docs) == (one / "facts.jsonl").read_bytes()
    for name in ("parties.jsonl", "people.jsonl"):
        assert (split / name).read_bytes() == (one / name).read_bytes()
    assert files_of(split.parent / "seeds") == files_of(one.parent / "seeds")
    sources = []
    for path in docs:
        types = [json.loads(line)["type"] for line in path.read_text().splitlines()]
        assert types[0] == "source"  # a file starts with a document, never in the middle
        sources.append(types.count("source"))
    assert sources == [24, 24, 24, 24, 24, 24, 23]  # 167 documents, as even as whole ones go
    result = kb("validate", str(split))
    assert result.exit_code == 0, result.output
    assert result.output.endswith("ok: 9 files, no problems\n")


def test_files_are_deterministic(tmp_path: Path) -> None:
    """The split depends only on the size, the seed and N."""
    first = files_of(generate(tmp_path / "a", 200, "--files", "12").parent)
    again = files_of(generate(tmp_path / "b", 200, "--files", "12").parent)
    assert first == again
    assert sorted(k for k in first if k.startswith("seeds_data/docs/")) == [
        f"seeds_data/docs/{n:04d}.jsonl" for n in range(12)
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--files", "0"], "--files must be between 1 and the number of documents (12 for 200"),
        (["--files", "13"], "--files must be between 1 and the number of documents (12 for 200"),
        (["--files", "2", "--format", "yaml"], "--files splits JSON Lines"),
    ],
)
def test_files_refuses_what_cannot_be_split(
    tmp_path: Path, options: list[str], message: str
) -> None:
    """A file holds whole documents, and only JSON Lines are split: anything else is refused
    before a file is written."""
    done = run_benchmark("generate.py", tmp_path, "--facts", "200", *options)
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "seeds_data").exists()
