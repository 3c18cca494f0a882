"""Score a draft's links against hand-made expectations, over a sequence of articles drafted
one after another into a growing knowledge base (tests/data/multi; its README defines them).

What counts (one tally per kind of link, each a kb.draft.scoring.Tally):

- people: each name the article prints (first printed and later forms) → person slug. A drafted
  pair is right when the expectations give that name that slug; a name drafted but not expected
  (someone who is not a person) is a wrong link; an expected name drafted with another slug or
  not at all is missed.
- parties: each distinct word or name linked to a party → party slug, the same way; a word the
  expectations list as not to be linked ("the bloc", "Europe") counts as wrong when linked.
- subjects and metrics: each figure (by surface) → its subject / metric slug. A figure the
  expectations do not list counts as a wrong link; a null subject expected and drafted is
  neither drafted nor expected.
- same_as: each event (by a key phrase of its evidence) → the known event of the same
  happening. Right when the drafted target is the expected record or one linked to it by
  same_as (the same group, as kb conflicts follows them); a link drafted on an event expected
  to have none is wrong.

A new record's slug is right when it is the slug the expectations give (new slugs are fixed).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import text

from kb.draft.records import Draft
from kb.draft.scoring import Tally

KINDS = ("people", "parties", "subjects", "metrics", "same_as")
# Every event's same_as, to tell the groups of records of one happening.
_SAME_AS = text(
    "SELECT e.slug, (SELECT t.slug FROM events AS t WHERE t.id = e.same_as_id) AS same_as "
    "FROM events AS e"
)
_REFERENCE = re.compile(r"^(?P<phrase>.+?) @ (?P<source>[a-z0-9-]+)$")


@dataclass
class Article:
    """One article of the sequence and what its draft must link."""

    file: str
    slug: str
    published: str
    entry: dict[str, Any]


@dataclass
class Result:
    """One article's draft, its tallies, and the wrong and missed links (for -v)."""

    article: Article
    draft: Draft
    tallies: dict[str, Tally]
    wrong: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)


def articles(collection: Path) -> list[Article]:
    """The articles of collection.yaml, in loading order."""
    data = yaml.safe_load((collection / "collection.yaml").read_text(encoding="utf-8"))
    return [
        Article(entry["file"], entry["slug"], str(entry["published"]), entry)
        for entry in data["articles"]
    ]


def prepare(work: Path, bundled_data: Path, bundled_seeds: Path) -> tuple[Path, Path]:
    """A collection to draft into: copies of the bundled seeds/ and seeds_data/ under `work`."""
    seeds, data = work / "seeds", work / "seeds_data"
    shutil.copytree(bundled_seeds, seeds)
    shutil.copytree(bundled_data, data)
    return seeds, data


def draft_sequence(
    collection: Path,
    seeds: Path,
    data: Path,
    draft_one: Callable[[Path, Article], Draft],
    load: Callable[[], object],
) -> Iterator[tuple[Article, Draft]]:
    """Draft each article in turn beside `data` and load it before the next is drafted.

    `draft_one(text_path, article)` drafts the article (copied into `seeds`) against the base;
    its YAML goes into `data` as it is, and `load()` loads `data` (raising on any problem).
    """
    from kb.draft.render import to_yaml

    load()
    for article in articles(collection):
        text = Path(shutil.copy(collection / article.file, seeds / article.file))
        drafted = draft_one(text, article)
        (data / f"{Path(article.file).stem}.yaml").write_text(to_yaml(drafted), encoding="utf-8")
        load()
        yield article, drafted


def evaluate_sequence(collection: Path, work: Path, url: str) -> list[Result]:
    """Draft the collection's articles in turn into a copy of the bundled collection under
    `work`, loaded into the (empty, migrated) database at `url`; each article's result."""
    from kb.db import make_engine
    from kb.draft import draft, knowledge_base, read_article
    from kb.loader import load
    from kb.paths import data_dir

    seeds, data = prepare(work, data_dir("seeds_data"), data_dir("seeds"))
    engine = make_engine(url)

    def draft_one(path: Path, article: Article) -> Draft:
        with knowledge_base(path, db=url, data=None) as known:
            drafted = read_article(path, published=article.published, source_slug=article.slug)
            return draft(drafted, known)

    results: list[Result] = []
    earlier: dict[str, Draft] = {}
    try:
        loading = lambda: load(engine, data, seeds_dir=seeds, jobs=1)  # noqa: E731
        for article, drafted in draft_sequence(collection, seeds, data, draft_one, loading):
            with engine.connect() as connection:
                events = {row.slug: row.same_as for row in connection.execute(_SAME_AS)}
            result = Result(article, drafted, {})
            score(result, events, earlier)
            earlier[article.slug] = drafted
            results.append(result)
    finally:
        engine.dispose()
    return results


def score(result: Result, events: dict[str, str | None], earlier: dict[str, Draft]) -> None:
    """Fill a result's tallies, wrong and missed links (`events`: every event's same_as in the
    base, to tell groups; `earlier`: the drafts before it, by source slug)."""
    entry = result.article.entry
    links = result.draft.links
    people = {**(entry.get("people") or {}), **(entry.get("also_printed") or {})}
    parties = dict(entry.get("parties") or {})
    not_linked = set(entry.get("parties_not_linked") or [])
    figures = {str(surface): value for surface, value in (entry.get("figures") or {}).items()}
    result.tallies = {kind: Tally() for kind in KINDS}
    _pairs(result, "people", _distinct(links, "person"), people, set())
    _pairs(result, "parties", _distinct(links, "party"), parties, not_linked)
    drafted_figures = [(_words(link.surface), link) for link in links if link.kind == "subject"]
    subjects = {s: v.get("subject") for s, v in figures.items()}
    _figures(result, "subjects", drafted_figures, subjects)
    metrics = {s: v.get("metric") for s, v in figures.items()}
    drafted_metrics = [(_words(link.surface), link) for link in links if link.kind == "metric"]
    _figures(result, "metrics", drafted_metrics, metrics)
    _same_as(result, events, earlier)


def _distinct(links: list[Any], kind: str) -> dict[str, str | None]:
    """Each surface linked, and its target (the first, if one surface got several)."""
    found: dict[str, str | None] = {}
    for link in links:
        if link.kind == kind and link.target is not None:
            found.setdefault(_words(link.surface), link.target)
    return found


def _pairs(
    result: Result, kind: str, drafted: dict[str, str | None], expected: dict[str, Any],
    not_linked: set[str],
) -> None:  # fmt: skip
    tally = result.tallies[kind]
    wanted = {_words(surface): slug for surface, slug in expected.items() if slug}
    tally.expected += len(wanted)
    tally.predicted += len(drafted)
    for surface, target in drafted.items():
        if wanted.get(surface) == target:
            tally.matched += 1
        else:
            said = (
                "not to be linked" if surface in not_linked else f"expected {wanted.get(surface)}"
            )
            result.wrong.append(f"{kind}: {surface} → {target} ({said})")
    for surface, slug in wanted.items():
        if drafted.get(surface) != slug:
            result.missed.append(f"{kind}: {surface} → {slug}")


def _figures(
    result: Result, kind: str, drafted: list[tuple[str, Any]], expected: dict[str, Any]
) -> None:
    tally = result.tallies[kind]
    wanted = {_words(surface): slug for surface, slug in expected.items()}
    tally.expected += sum(1 for slug in wanted.values() if slug)
    seen: set[str] = set()
    for surface, link in drafted:
        if surface in seen:
            continue
        seen.add(surface)
        target = link.target
        if target is None and wanted.get(surface, "?") is None:
            continue  # no subject expected, none drafted
        if target is not None:
            tally.predicted += 1
        if surface in wanted and wanted[surface] == target and target is not None:
            tally.matched += 1
        elif target is not None:
            result.wrong.append(f"{kind}: {surface} → {target} (expected {wanted.get(surface)})")
    for surface, slug in wanted.items():
        if slug and not any(s == surface and link.target == slug for s, link in drafted):
            result.missed.append(f"{kind}: {surface} → {slug}")


def _same_as(result: Result, events: dict[str, str | None], earlier: dict[str, Draft]) -> None:
    entry = result.article.entry
    tally = result.tallies["same_as"]
    expected = {
        phrase: _event(target, earlier) for phrase, target in (entry.get("same_as") or {}).items()
    }
    tally.expected += len(expected)
    records = result.draft.of_type("event")
    for record in records:
        target = record.fields.get("same_as")
        if target is None:
            continue
        tally.predicted += 1
        evidence = _words(record.fields["evidence"])
        wanted = [slug for phrase, slug in expected.items() if _words(phrase) in evidence]
        if any(_group(target, events) == _group(slug, events) for slug in wanted if slug):
            tally.matched += 1
        else:
            result.wrong.append(
                f"same_as: “{evidence[:60]}…” → {target} (expected {wanted or 'none'})"
            )
    for phrase, slug in expected.items():
        found = [
            r.fields.get("same_as")
            for r in records
            if _words(phrase) in _words(r.fields["evidence"])
        ]
        if not any(t and slug and _group(t, events) == _group(slug, events) for t in found):
            result.missed.append(f"same_as: “{phrase[:60]}” → {slug}")


def _event(target: str, earlier: dict[str, Draft]) -> str | None:
    """The slug an expectation names: a slug, or "key phrase @ source" of an earlier draft."""
    found = _REFERENCE.match(target)
    if found is None:
        return target
    drafted = earlier.get(found.group("source"))
    if drafted is None:
        return None
    phrase = _words(found.group("phrase"))
    for record in drafted.of_type("event"):
        if phrase in _words(record.fields["evidence"]):
            return str(record.fields["slug"])
    return None


def _group(slug: str, events: dict[str, str | None]) -> str:
    """The first record of a same_as group: follow same_as to its end."""
    seen = {slug}
    while (following := events.get(slug)) is not None and following not in seen:
        seen.add(following)
        slug = following
    return slug


def _words(text: str) -> str:
    """Text compared loosely: whitespace runs as one space, curly quotes as straight ones."""
    return " ".join(text.translate(str.maketrans("‘’“”", "''\"\"")).split())
