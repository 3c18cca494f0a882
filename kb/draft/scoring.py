"""Score drafts against hand-made expected records: precision and recall per record type.

Matching rules (one expected record matches at most one drafted record, first come first served):

- quote: the same words (whitespace, quotation marks and a trailing , . ; : ignored) and the
  same speaker (full name);
- person: the same name;
- figure: the same surface (whitespace ignored), value (within 0.1%) and unit (for counts, the
  same last word: the counted noun);
- event: evidence that contains the expected key phrase (or lies inside the expected evidence)
  and the same date (both absent counts as the same).

Attributes of matched pairs (a quote's kind, a figure's qualifier, an event's kind…) are scored
separately as accuracies, so a record found with a wrong detail is still counted as found.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.draft.lexicon import word_set
from kb.draft.quotes import INCOMPLETE
from kb.draft.records import Draft

RECORD_TYPES = ("quotes", "people", "figures", "events")
# A drafted name longer than this reads as a sentence, not a name.
_NAME_WORDS = 12
_FUNCTION_WORDS = word_set(
    "a an the of and or to in on at for with by from as is are was were be its their his her "
    "this that these those into over"
)
_MARKS = re.compile(r"[“”\"‘’'«»„]")


@dataclass
class Expected:
    """The records expected from one text, and the publication date to draft it with."""

    published: str | None = None
    # The style of news copy (wire, ministry, press, summit), for texts that give one.
    style: str | None = None
    quotes: list[dict[str, Any]] = field(default_factory=list)
    people: list[dict[str, Any]] = field(default_factory=list)
    figures: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Tally:
    """Counts for one record type: drafted, expected, matched, and attribute accuracies."""

    predicted: int = 0
    expected: int = 0
    matched: int = 0
    attributes: dict[str, list[int]] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        """Matched drafted records over drafted records (1 when nothing was drafted)."""
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        """Matched expected records over expected records (1 when nothing was expected)."""
        return self.matched / self.expected if self.expected else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    def attribute(self, name: str, correct: bool) -> None:
        """Count one matched pair's attribute as right or wrong."""
        counts = self.attributes.setdefault(name, [0, 0])
        counts[0] += int(correct)
        counts[1] += 1

    def add(self, other: Tally) -> None:
        """Add another tally's counts to this one."""
        self.predicted += other.predicted
        self.expected += other.expected
        self.matched += other.matched
        for name, (correct, total) in other.attributes.items():
            counts = self.attributes.setdefault(name, [0, 0])
            counts[0] += correct
            counts[1] += total


def load_expected(path: Path) -> Expected:
    """Expected records from a development-set file (see tests/data/draft/README.md)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    published = data.get("published")
    return Expected(
        published=str(published) if published is not None else None,
        style=data.get("style"),
        quotes=list(data.get("quotes") or []),
        people=list(data.get("people") or []),
        figures=list(data.get("figures") or []),
        events=list(data.get("events") or []),
    )


def curated_expected(path: Path, source: str) -> Expected:
    """Expected records from a curated data file: the records of one source, as a curator made
    them (so a draft of the same article can be scored against the human curation)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    names = {person["slug"]: person["name"] for person in data.get("people") or []}
    quotes = [q for q in data.get("quotes") or [] if q["source"] == source]
    speakers = {quote["slug"]: names.get(quote["speaker"]) for quote in quotes}
    people = []
    for person in data.get("people") or []:
        roles = [role["title"] for role in person.get("roles") or [] if role["source"] == source]
        if roles:
            people.append({"name": person["name"], "role": roles[0]})
    figures = [
        {**figure, "speaker": speakers.get(figure.get("quote", ""))}
        for figure in data.get("figures") or []
        if figure["source"] == source
    ]
    events = [
        {**event, "inferred": event.get("date_inferred", False)}
        for event in data.get("events") or []
        if event["source"] == source
    ]
    return Expected(
        quotes=[{**quote, "speaker": names.get(quote["speaker"])} for quote in quotes],
        people=people,
        figures=figures,
        events=events,
    )


def score(draft: Draft, expected: Expected) -> dict[str, Tally]:
    """A tally per record type for one draft."""
    predicted = _predicted(draft)
    return {
        "quotes": _match(predicted["quotes"], expected.quotes, _same_quote, _quote_attributes),
        "people": _match(predicted["people"], expected.people, _same_person, _person_attributes),
        "figures": _match(predicted["figures"], expected.figures, _same_figure, _figure_attributes),
        "events": _match(predicted["events"], expected.events, _same_event, _event_attributes),
    }


def total(tallies: list[dict[str, Tally]]) -> dict[str, Tally]:
    """The tallies of several drafts added up, per record type (or kind of link)."""
    summed: dict[str, Tally] = {}
    for tally in tallies:
        for record_type, counts in tally.items():
            summed.setdefault(record_type, Tally()).add(counts)
    return summed or {record_type: Tally() for record_type in RECORD_TYPES}


def report(tallies: dict[str, Tally]) -> str:
    """A table of precision, recall and F1 per type, then the attribute accuracies."""
    lines = [f"{'type':<8} {'drafted':>7} {'expected':>8} {'matched':>7}  precision  recall  F1"]
    for record_type, tally in tallies.items():
        lines.append(
            f"{record_type:<8} {tally.predicted:>7} {tally.expected:>8} {tally.matched:>7}"
            f"  {tally.precision:>9.3f}  {tally.recall:>6.3f}  {tally.f1:.3f}"
        )
    for record_type, tally in tallies.items():
        shown = ", ".join(
            f"{name} {correct}/{count}" for name, (correct, count) in tally.attributes.items()
        )
        if shown:
            lines.append(f"  {record_type} attributes right: {shown}")
    return "\n".join(lines)


def _predicted(draft: Draft) -> dict[str, list[dict[str, Any]]]:
    """The drafted records in the expected records' terms (names instead of slugs). A person
    the draft links to the knowledge base has no person record: their name is the one the
    article prints first, their roles the role records."""
    names = {r.fields["slug"]: r.fields["name"] for r in draft.of_type("person")}
    for link in draft.links:
        if link.kind == "person" and link.target is not None:
            names.setdefault(link.target, link.surface)
    quotes = [
        {
            **record.fields,
            "speaker": names[record.fields["speaker"]],
            "incomplete": any(note.startswith(INCOMPLETE) for note in record.notes),
        }
        for record in draft.of_type("quote")
    ]
    speakers = {quote["slug"]: quote["speaker"] for quote in quotes}
    titles: dict[str, list[str]] = {slug: [] for slug in names}
    for record in draft.of_type("person"):
        titles[record.fields["slug"]] += [role["title"] for role in record.fields.get("roles", [])]
    for record in draft.of_type("role"):
        titles[record.fields["person"]].append(record.fields["title"])
    aliases: dict[str, list[str]] = {slug: [] for slug in names}
    for record in draft.of_type("person"):
        aliases[record.fields["slug"]] += list(record.fields.get("aliases", []))
    for record in draft.of_type("alias"):
        if record.fields.get("person") in aliases:
            aliases[record.fields["person"]].append(record.fields["name"])
    people = [
        {"name": name, "roles": titles[slug], "aliases": aliases[slug]}
        for slug, name in names.items()
    ]
    metrics = {r.fields["slug"]: r.fields["name"] for r in draft.of_type("metric")}
    figures = [
        {
            **r.fields,
            "speaker": speakers.get(r.fields.get("quote", "")),
            "metric_name": metrics.get(r.fields.get("metric", ""), r.fields.get("metric", "")),
        }
        for r in draft.of_type("figure")
    ]
    events = [
        {
            **r.fields,
            "inferred": r.fields.get("date_inferred", False),
            "participants": [
                names[p["person"]] for p in r.fields.get("participants", []) if "person" in p
            ],
        }
        for r in draft.of_type("event")
    ]
    return {"quotes": quotes, "people": people, "figures": figures, "events": events}


Record = dict[str, Any]


def _match(
    predicted: list[Record],
    expected: list[Record],
    same: Callable[[Record, Record], bool],
    attributes: Callable[[Record, Record, Tally], None],
) -> Tally:
    """Match expected records to drafted ones, one to one, and tally the result."""
    tally = Tally(predicted=len(predicted), expected=len(expected))
    used: set[int] = set()
    for wanted in expected:
        for index, record in enumerate(predicted):
            if index not in used and same(record, wanted):
                used.add(index)
                tally.matched += 1
                attributes(record, wanted, tally)
                break
    return tally


def _words(text: str) -> str:
    """Text compared loosely: whitespace collapsed, quotation marks and end punctuation gone."""
    return " ".join(_MARKS.sub("", text).split()).rstrip(",.;: ")


def _same_quote(record: Record, wanted: Record) -> bool:
    """Same words, same speaker."""
    return bool(
        _words(record["text"]) == _words(wanted["text"]) and record["speaker"] == wanted["speaker"]
    )


def _quote_attributes(record: Record, wanted: Record, tally: Tally) -> None:
    """A quote's kind, and whether it is marked as cut off by the end of the text."""
    tally.attribute("kind", record.get("kind", "direct") == wanted.get("kind", "direct"))
    if wanted.get("incomplete") or record.get("incomplete"):
        tally.attribute("incomplete", bool(wanted.get("incomplete")) == record["incomplete"])


def _same_person(record: Record, wanted: Record) -> bool:
    """Same name."""
    return bool(record["name"] == wanted["name"])


def _person_attributes(record: Record, wanted: Record, tally: Tally) -> None:
    """A person's role: none expected and none drafted, or the expected title among the drafted."""
    role = wanted.get("role")
    titles = [title.lower() for title in record["roles"]]
    tally.attribute("role", role.lower() in titles if role else not titles)
    if wanted.get("aliases"):
        tally.attribute("aliases", set(wanted["aliases"]) <= set(record.get("aliases", [])))


def _same_figure(record: Record, wanted: Record) -> bool:
    """Same surface, value and unit (a count's unit by its last word)."""
    if " ".join(str(record["surface"]).split()) != " ".join(str(wanted["surface"]).split()):
        return False
    value, target = float(record["value"]), float(wanted["value"])
    if abs(value - target) > 0.001 * max(1.0, abs(target)):
        return False
    unit, wanted_unit = str(record["unit"]), str(wanted["unit"])
    if wanted.get("kind") == "count" or record.get("kind") == "count":
        return unit.lower().split()[-1:] == wanted_unit.lower().split()[-1:]
    return unit == wanted_unit


def _figure_attributes(record: Record, wanted: Record, tally: Tally) -> None:
    """A figure's kind, qualifier, speaker and period."""
    tally.attribute("kind", record["kind"] == wanted["kind"])
    tally.attribute(
        "qualifier", record.get("qualifier", "exact") == wanted.get("qualifier", "exact")
    )
    tally.attribute("speaker", record.get("speaker") == wanted.get("speaker"))
    period = (record.get("period_start"), record.get("period_end"))
    tally.attribute("period", period == (wanted.get("period_start"), wanted.get("period_end")))
    if wanted.get("metric"):
        tally.attribute("metric", similar_phrases(record.get("metric_name", ""), wanted["metric"]))


def _same_event(record: Record, wanted: Record) -> bool:
    """Evidence overlapping the expected key phrase, and the same date."""
    evidence, phrase = _words(record["evidence"]), _words(wanted["evidence"])
    if phrase not in evidence and evidence not in phrase:
        return False
    return bool(record.get("date") == _date(wanted.get("date")))


def _date(value: Any) -> str | None:
    """A date from YAML as text (a bare year may have been read as a number)."""
    return None if value is None else str(value)


def _event_attributes(record: Record, wanted: Record, tally: Tally) -> None:
    """An event's kind, occurrence, whether its date was inferred, and its participants."""
    tally.attribute("kind", record["kind"] == wanted["kind"])
    tally.attribute(
        "occurrence", record.get("occurrence", "happened") == wanted.get("occurrence", "happened")
    )
    if wanted.get("date") is not None:
        tally.attribute("inferred", record["inferred"] == wanted.get("inferred", False))
    if "participants" in wanted:
        people = [p for p in wanted["participants"] if isinstance(p, str)]
        tally.attribute("participants", sorted(record["participants"]) == sorted(people))
    if wanted.get("name"):
        tally.attribute("name", similar_phrases(record.get("name", ""), wanted["name"]))


def similar_phrases(drafted: str, wanted: str) -> bool:
    """Whether a drafted name says what a curator's does: at least half the content words of
    each are in the other (compared by stem: "meets" and "meeting" agree), and the drafted one
    is short (a name, not a sentence)."""
    ours, theirs = _content_stems(drafted), _content_stems(wanted)
    if not ours or not theirs or len(drafted.split()) > _NAME_WORDS:
        return False
    shared = len(ours & theirs)
    return shared * 2 >= len(theirs) and shared * 2 >= len(ours)


def _content_stems(text: str) -> set[str]:
    """The stems of a phrase's content words."""
    return {
        word[:5] for word in re.findall(r"[^\W_]+", text.lower()) if word not in _FUNCTION_WORDS
    }


@dataclass
class Case:
    """One text of a development set: its draft, the expected records, and the tallies."""

    name: str
    draft: Draft
    expected: Expected
    tallies: dict[str, Tally]


def evaluate(directory: Path) -> list[Case]:
    """Draft every NN-name.txt of a development set and score it against NN-name.expected.yaml."""
    from kb.draft import draft, read_article

    cases = []
    for text_path in sorted(directory.glob("*.txt")):
        expected = load_expected(text_path.with_suffix(".expected.yaml"))
        drafted = draft(read_article(text_path, published=expected.published))
        cases.append(Case(text_path.stem, drafted, expected, score(drafted, expected)))
    return cases
