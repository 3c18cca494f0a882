"""Measure `kb draft`: precision and recall per record type and per kind of link, and the time
to draft an article.

Usage: .venv/bin/python benchmarks/draft_eval.py [-v]

Scores the drafts of the development set (tests/data/draft/devset), the held-out and blind
texts (tests/data/draft/heldout, blind), the news copy in four styles (tests/data/draft/news:
dev and blind, with a table per style) and the seed article against the curators' records for
it (seeds_data/), with the matching rules of kb/draft/scoring.py. Then drafts the eight articles
of tests/data/multi one after another into a SQLite base that starts as the bundled collection,
loading each draft as drafted, and scores the links (people, parties, figures' subjects and
metrics, same_as) with the rules of kb/draft/linkscore.py. Last, times drafting a synthetic
5,000-word article built from the development texts, against a baseline run in the same process
(building the loader's grounding index of the same text, which `kb load` does for every source).
With -v, prints every text's counts, and every article's links that were wrong or missed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from kb.draft import Article, Draft, draft, parse_published, read_article, to_yaml
from kb.draft.linkscore import Result, evaluate_sequence
from kb.draft.scoring import Case, Tally, curated_expected, evaluate, report, score, total
from kb.loader.grounding import Text
from kb.paths import data_dir

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data" / "draft"
MULTI = REPO / "tests" / "data" / "multi"
SEED = "jjtv-2023-02-02-kazakhstan-eu-30-years"
WORDS = 5000
RUNS = 5


def main(verbose: bool) -> None:
    """Print the scores of every set and the timing."""
    for name in ("devset", "heldout", "blind", "news/dev", "news/blind"):
        cases = evaluate(DATA / name)
        print(f"== {name}: {len(cases)} texts")
        if verbose:
            _details(cases)
        print(report(total([case.tallies for case in cases])))
        if any(case.expected.style for case in cases):
            print(_style_report(cases))
        print()
    seed = draft(read_article(data_dir("seeds") / f"{SEED}.txt", published="2023-02-02"))
    curated = curated_expected(
        data_dir("seeds_data") / f"{SEED}.yaml", "jjtv-kazakhstan-eu-30-years"
    )
    print("== seed article, against the curators' records")
    print(report(score(seed, curated)))
    print()
    _links(verbose)
    _timing()


def _links(verbose: bool) -> None:
    """Draft and load the multi-article sequence; print the links' precision and recall."""
    with tempfile.TemporaryDirectory() as work:
        url = f"sqlite:///{Path(work) / 'kb.sqlite3'}"
        results = evaluate_sequence(MULTI, Path(work), url)
    print(f"== links: {len(results)} articles drafted in turn, each loaded as drafted")
    if verbose:
        for result in results:
            _article(result)
        print("  (right/drafted/expected)")
    print(_link_report(total([result.tallies for result in results])))
    print()


def _article(result: Result) -> None:
    """One article's link counts, and what it linked wrongly or missed."""
    counts = "  ".join(
        f"{kind} {t.matched}/{t.predicted}/{t.expected}" for kind, t in result.tallies.items()
    )
    print(f"  {result.article.file[:36]:<36} {counts}")
    for line in result.wrong:
        print(f"      wrong: {line}")
    for line in result.missed:
        print(f"      missed: {line}")


def _link_report(tallies: dict[str, Tally]) -> str:
    """A table of precision and recall per kind of link."""
    lines = [f"{'link':<9} {'drafted':>7} {'expected':>8} {'right':>6}  precision  recall"]
    for kind, tally in tallies.items():
        lines.append(
            f"{kind:<9} {tally.predicted:>7} {tally.expected:>8} {tally.matched:>6}"
            f"  {tally.precision:>9.3f}  {tally.recall:>6.3f}"
        )
    return "\n".join(lines)


def _style_report(cases: list[Case]) -> str:
    """Precision / recall per record type for each style of news copy."""
    styles: dict[str, list[Case]] = {}
    for case in cases:
        styles.setdefault(case.expected.style or "-", []).append(case)
    header = "  ".join(f"{kind:<9}" for kind in ("quotes", "people", "figures", "events"))
    lines = [f"{'style (P R)':<13} {header}"]
    for style, group in sorted(styles.items()):
        tallies = total([case.tallies for case in group])
        cells = "  ".join(
            f"{tallies[kind].precision:.2f} {tallies[kind].recall:.2f}"
            for kind in ("quotes", "people", "figures", "events")
        )
        lines.append(f"{style + f' ({len(group)})':<13} {cells}")
    return "\n".join(lines)


def _details(cases: list[Case]) -> None:
    """Each text's counts: drafted/expected/matched per record type."""
    for case in cases:
        counts = "  ".join(
            f"{kind} {t.predicted}/{t.expected}/{t.matched}" for kind, t in case.tallies.items()
        )
        print(f"  {case.name:<32} {counts}")
    print("  (drafted/expected/matched)")


def _synthetic() -> str:
    """An article of at least WORDS words: a headline, then development texts' bodies (the
    short ones and the news copy)."""
    paths = sorted((DATA / "devset").glob("*.txt")) + sorted((DATA / "news" / "dev").glob("*.txt"))
    bodies = [path.read_text(encoding="utf-8").split("\n", 1)[1].strip() for path in paths]
    parts, words = ["A synthetic article to time kb draft", ""], 0
    while words < WORDS:
        body = bodies[len(parts) % len(bodies)]
        parts.append(body)
        words += len(body.split())
    return "\n\n".join(parts) + "\n"


def _best(run: Callable[[], object]) -> float:
    """The best of RUNS timings of `run`, in seconds."""
    best = float("inf")
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _timing() -> None:
    """Time drafting (and writing the YAML of) a synthetic 5,000-word article."""
    text = _synthetic()
    article = Article(text, "synthetic.txt", "0" * 64, "synthetic", parse_published("2024-06-01"))
    result: list[Draft] = []

    def run() -> None:
        result.append(draft(article))
        to_yaml(result[-1])

    drafting = _best(run)
    baseline = _best(lambda: Text(text))
    drafted = result[-1]
    counts = ", ".join(
        f"{len(drafted.of_type(kind))} {kind}s" for kind in ("person", "quote", "figure", "event")
    )
    print(
        f"== timing: a synthetic article of {len(text.split()):,} words ({len(text):,} characters)"
    )
    print(f"draft + YAML: {drafting * 1000:.0f} ms (best of {RUNS}); {counts}")
    print(
        f"baseline, the loader's grounding index of the same text: {baseline * 1000:.1f} ms "
        f"(drafting takes {drafting / baseline:.0f}× as long)"
    )


if __name__ == "__main__":
    main("-v" in sys.argv[1:])
