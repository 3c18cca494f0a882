"""Generate a synthetic collection of any size: source texts and grounded facts about them.

Usage: .venv/bin/python benchmarks/generate.py OUT_DIR --facts N [--seed S] [--format jsonl|yaml]
                                                [--files N]

Writes OUT_DIR/seeds/ (one text file per source document) and OUT_DIR/seeds_data/ (the records,
in the data format of docs/data-format.md), so `kb validate OUT_DIR/seeds_data` and `kb load
OUT_DIR/seeds_data` find the texts in the default place. Facts come in a fixed cycle of six per
document: a quote, a figure stated by the narration, an event, a quote holding a number, the
figure inside that quote, another event; 18 facts make a document. People and parties are
shared across documents: each person's role is stated in one document and they are quoted in
many. Every quote, evidence and surface is cut from the text the generator writes, so every
record grounds. The output depends only on N and the seed, and it is written document by
document: a collection of a million facts never sits in memory. JSON Lines go to one facts.jsonl,
or with --files N to N files docs/NNNN.jsonl holding consecutive documents (each document's
source before its facts), as a collection edited file by file would be.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml

FACTS_PER_DOCUMENT = 18
# YAML is for curated files: past this size the loader's YAML reading dominates everything
# (DESIGN.md §7), so bulk collections are written as JSON Lines only.
MAX_YAML_FACTS = 20_000

COUNTRIES = (
    "Kazakhstan", "Uzbekistan", "Kyrgyzstan", "Tajikistan", "Turkmenistan", "Mongolia",
    "Georgia", "Armenia", "Azerbaijan", "Türkiye", "Germany", "France", "Italy", "Spain",
    "Poland", "Lithuania", "Latvia", "Estonia", "Finland", "Sweden", "Norway", "Austria",
    "Czechia", "Hungary", "Romania", "Bulgaria", "Greece", "Portugal", "Ireland", "Japan",
    "South Korea", "India", "Canada", "Brazil", "Chile", "Kenya", "Nigeria", "Egypt",
)  # fmt: skip
ORGANIZATIONS = (
    "European Union", "European Commission", "Asian Development Bank", "World Bank",
    "United Nations", "OSCE", "European Investment Bank", "EBRD", "Eurasian Economic Union",
    "Organization of Turkic States",
)  # fmt: skip
FIRST_NAMES = (
    "Anna", "Kęstutis", "Aigerim", "Marek", "Sofia", "Dana", "Yerlan", "Ingrid", "Tomás",
    "Lucía", "Emil", "Zhanna", "Pieter", "Ólafur", "Mira", "Timur", "Élodie", "Jonas", "Asel",
    "Björn", "Nurlan", "Chiara", "Rustam", "Greta", "Olga",
)  # fmt: skip
LAST_NAMES = (
    "Berg", "Jankauskas", "Nurlanova", "Kowalski", "Rossi", "Abenov", "Müller", "Dubois",
    "García", "Lindqvist", "Tokayeva", "Novák", "Horvath", "Papadopoulos", "Silva", "Murphy",
    "Tanaka", "Kim", "Sharma", "Okafor", "Haddad", "Ivanova", "Sato", "Öztürk", "Baker",
    "Costa", "Petrov", "Larsen", "Moreau", "Kaminski",
)  # fmt: skip
TITLES = (
    "Minister of Foreign Affairs", "Trade Commissioner", "Ambassador", "Deputy Prime Minister",
    "Minister of Energy", "Head of the Delegation", "Chief Economist", "Minister of Finance",
    "Special Envoy", "Director General",
)  # fmt: skip
OUTLETS = ("Steppe Wire", "Caspian Courier", "Silk Road Daily", "Astana Review", "Baltic Post")
TOPICS = (
    "critical raw materials", "green hydrogen", "transport corridors", "grain exports",
    "visa facilitation", "renewable energy", "digital connectivity", "water management",
    "education exchanges", "customs cooperation", "rare earth metals", "rail freight",
    "wind power", "uranium supplies", "financial services", "food security",
)  # fmt: skip
METRICS = (
    "trade turnover", "foreign direct investment", "grain exports", "energy imports",
    "joint ventures", "tourist arrivals", "rail freight volume", "loan portfolio",
    "industrial output", "student exchanges",
)  # fmt: skip
VERBS = ("expand", "strengthen", "deepen", "review", "accelerate", "support", "modernise")
NOUNS = (
    "cooperation", "investment", "partnership", "dialogue", "trade", "infrastructure",
    "logistics", "research", "innovation", "agreements", "projects", "markets", "reforms",
)  # fmt: skip
ADVERBS = ("steadily", "quickly", "jointly", "carefully", "this year", "in the coming months")
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
QUALIFIER_WORDS = {"exact": "", "about": "about ", "almost": "almost ", "more_than": "more than "}
EVENT_KINDS = {
    "signing": "signed an agreement on {topic}",
    "meeting": "held talks on {topic}",
    "visit": "exchanged official visits on {topic}",
    "celebration": "celebrated a decade of work on {topic}",
}


def slugify(name: str) -> str:
    """A slug of a name: 'Kęstutis Öztürk' → 'kestutis-ozturk'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    kept = "".join(c if c.isalnum() else "-" for c in ascii_name.lower())
    return "-".join(part for part in kept.split("-") if part)


PARTIES = tuple((slugify(n), n, "country") for n in COUNTRIES) + tuple(
    (slugify(n), n, "organization") for n in ORGANIZATIONS
)
# The unit of each kind of number the generator prints (Author._surface).
UNIT_OF_KIND = {"amount": "USD", "share": "percent", "count": "companies", "multiplier": "times"}


def metric_slug(metric: str, kind: str) -> str:
    """The slug of the metric record of `metric` measured as `kind` (a metric has one kind)."""
    return f"{slugify(metric)}-{kind}"


# Every metric record: each metric phrase, once per kind of number it may be printed as.
METRIC_RECORDS = tuple(
    {
        "slug": metric_slug(metric, kind),
        "name": f"{metric} ({kind})",
        "kind": kind,
        "unit": unit,
    }
    for metric in METRICS
    for kind, unit in UNIT_OF_KIND.items()
)


@dataclass(frozen=True)
class Plan:
    """The shape of a collection: how many facts, documents and people, and the seed."""

    facts: int
    seed: int

    @property
    def documents(self) -> int:
        """Source documents: one per FACTS_PER_DOCUMENT facts (the last may hold fewer)."""
        return max(1, -(-self.facts // FACTS_PER_DOCUMENT))

    @property
    def people(self) -> int:
        """People: one for every two documents; person p's role is stated in document p."""
        return max(1, self.documents // 2)

    def facts_in(self, document: int) -> int:
        """How many facts document `document` holds."""
        return min(FACTS_PER_DOCUMENT, self.facts - document * FACTS_PER_DOCUMENT)


def person_name(plan: Plan, person: int) -> tuple[str, str]:
    """(full name, surname) of person `person`: distinct for every index."""
    firsts, lasts = len(FIRST_NAMES), len(LAST_NAMES)
    first = FIRST_NAMES[(person + plan.seed) % firsts]
    # The surname moves with the first name too, so neighbours do not share a surname.
    last = LAST_NAMES[(person // firsts + person % firsts + plan.seed) % lasts]
    generation = person // (firsts * lasts)
    # Past every first/last pair, a middle initial (then two) keeps names distinct.
    middle = ""
    while generation:
        generation, letter = divmod(generation - 1, 26)
        middle = chr(ord("A") + letter) + ". " + middle
    return f"{first} {middle}{last}", last


def person_slug(plan: Plan, person: int) -> str:
    """The slug of person `person`."""
    return f"{slugify(person_name(plan, person)[0])}-{person}"


@dataclass
class Document:
    """One source document being written: its paragraphs and the records grounded in them."""

    index: int
    paragraphs: list[str] = field(default_factory=list)
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def slug(self) -> str:
        """The source's slug."""
        return f"bench-{self.index:07d}"

    @property
    def path(self) -> str:
        """The text's path under the seeds directory (a thousand texts per folder)."""
        return f"{self.index // 1000:04d}/{self.slug}.txt"

    def add(self, kind: str, record: dict[str, Any]) -> None:
        """Keep a record of `kind` (quotes, figures, events, people)."""
        self.records.setdefault(kind, []).append(record)

    @property
    def text(self) -> str:
        """The document's full text."""
        return "\n\n".join(self.paragraphs) + "\n"


class Writer:
    """Where the records go: JSON Lines files (one, or `files` of them), or YAML files."""

    def __init__(self, out: Path, fmt: str, plan: Plan, files: int | None = None) -> None:
        self.seeds = out / "seeds"
        self.data = out / "seeds_data"
        self.yaml = fmt == "yaml"
        self.plan = plan
        self.files = files
        self.facts_file = -1  # which of the `files` data files self.facts is, once open
        self.data.mkdir(parents=True, exist_ok=True)
        suffix = "yaml" if self.yaml else "jsonl"
        self.parties = (self.data / f"parties.{suffix}").open("w", encoding="utf-8")
        self.people = (self.data / f"people.{suffix}").open("w", encoding="utf-8")
        self.facts: TextIO | None = None
        if self.yaml:
            self.people.write("people:\n")
        elif files is None:
            self.facts = (self.data / "facts.jsonl").open("w", encoding="utf-8")

    def write_parties(self) -> None:
        """Every shared party and metric."""
        records = [{"slug": s, "name": n, "kind": k} for s, n, k in PARTIES]
        if self.yaml:
            self.parties.write(_yaml({"parties": records, "metrics": list(METRIC_RECORDS)}))
        else:
            self.parties.writelines(_jsonl("party", record) for record in records)
            self.parties.writelines(_jsonl("metric", record) for record in METRIC_RECORDS)

    def write_document(self, document: Document, source: dict[str, Any]) -> None:
        """A document's text file and its records."""
        target = self.seeds / document.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document.text, encoding="utf-8")
        people = document.records.pop("people", [])
        if self.yaml:
            self.people.writelines(_yaml([person]) for person in people)
            data = {"sources": [source], **document.records}
            folder = self.data / "documents" / document.path.split("/")[0]
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{document.slug}.yaml").write_text(_yaml(data), encoding="utf-8")
            return
        self.people.writelines(_jsonl("person", person) for person in people)
        if self.files is not None:
            self._open_facts_file(document.index * self.files // self.plan.documents)
        assert self.facts is not None
        self.facts.write(_jsonl("source", source))
        for kind, records in document.records.items():
            self.facts.writelines(_jsonl(kind.removesuffix("s"), r) for r in records)

    def _open_facts_file(self, number: int) -> None:
        """Make data file `number` of `files` the one written to (documents come in order, so
        each file is opened once and only one is open at a time)."""
        if number == self.facts_file:
            return
        if self.facts is not None:
            self.facts.close()
        assert self.files is not None
        width = max(4, len(str(self.files - 1)))
        target = self.data / "docs" / f"{number:0{width}d}.jsonl"
        target.parent.mkdir(exist_ok=True)
        self.facts = target.open("w", encoding="utf-8")
        self.facts_file = number

    def close(self) -> None:
        """Flush and close every open file."""
        for stream in (self.parties, self.people, self.facts):
            if stream is not None:
                stream.close()


def _jsonl(record_type: str, record: dict[str, Any]) -> str:
    """One JSON Lines record."""
    return json.dumps({"type": record_type, **record}, ensure_ascii=False) + "\n"


def _yaml(data: object) -> str:
    """YAML text of `data`, UTF-8 as written, keys in the order given."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


class Author:
    """Writes the text and records of each document from one random stream."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)

    def document(self, index: int) -> tuple[Document, dict[str, Any]]:
        """Document `index`: its text, records, and source record."""
        document = Document(index)
        a, b = self.rng.sample(PARTIES, 2)
        topic = self.rng.choice(TOPICS)
        day = self._day(2015, 2024)
        document.paragraphs.append(f"{a[1]} and {b[1]} discuss {topic} ({day[1]})")
        if index < self.plan.people:
            self._role(document, index)
        quote: dict[str, Any] | None = None
        for number in range(self.plan.facts_in(index)):
            step = number % 6
            if step in (0, 3):
                quote = self._quote(document, number, with_figure=step == 3)
            elif step == 1:
                self._narrated_figure(document, number)
            elif step == 4:
                assert quote is not None
                self._quoted_figure(document, number, quote)
            else:
                self._event(document, number)
        source = {
            "slug": document.slug,
            "title": f"{a[1]} and {b[1]} discuss {topic}",
            "outlet": self.rng.choice(OUTLETS),
            "url": f"https://news.example/{document.slug}",
            "published": day[0],
            "language": "en",
            "retrieved": "2025-01-15",
            "path": document.path,
            "sha256": hashlib.sha256(document.text.encode("utf-8")).hexdigest(),
        }
        return document, source

    def _role(self, document: Document, person: int) -> None:
        """The sentence stating person `person`'s role, and the person record."""
        name, surname = person_name(self.plan, person)
        title = self.rng.choice(TITLES)
        party = self.rng.choice(PARTIES)
        evidence = f"{name}, {title} of {party[1]}"
        document.paragraphs.append(f"{evidence}, opened the meeting.")
        role = {"title": title, "party": party[0], "source": document.slug, "evidence": evidence}
        slug = person_slug(self.plan, person)
        document.add("people", {"slug": slug, "name": name, "aliases": [surname], "roles": [role]})

    def _quote(self, document: Document, number: int, *, with_figure: bool) -> dict[str, Any]:
        """A quoted sentence; with a number in it when a figure will point into it."""
        speaker = self.rng.randrange(self.plan.people)
        name = person_name(self.plan, speaker)[0]
        words = self._clause()
        if with_figure:
            surface = self._surface()[0]
            text = f"{words}, and {self.rng.choice(METRICS)} reached {surface}."
        else:
            text = f"{words} {self.rng.choice(ADVERBS)}."
        document.paragraphs.append(f"“{text}” said {name}.")
        record = {
            "slug": f"{document.slug}-quote-{number}",
            "source": document.slug,
            "speaker": person_slug(self.plan, speaker),
            "text": text,
        }
        document.add("quotes", record)
        return record

    def _narrated_figure(self, document: Document, number: int) -> None:
        """A sentence of the narration stating a number."""
        surface, value, unit, kind = self._surface()
        qualifier = self.rng.choice(tuple(QUALIFIER_WORDS))
        party = self.rng.choice(PARTIES)
        metric = self.rng.choice(METRICS)
        year = self.rng.randrange(2000, 2024)
        evidence = (
            f"{party[1]} recorded {QUALIFIER_WORDS[qualifier]}{surface} in {metric} in {year}."
        )
        document.paragraphs.append(evidence)
        document.add(
            "figures",
            {
                "slug": f"{document.slug}-figure-{number}",
                "source": document.slug,
                "subject": party[0],
                "metric": metric_slug(metric, kind),
                "kind": kind,
                "surface": surface,
                "value": value,
                "unit": unit,
                "qualifier": qualifier,
                # "in 2008": a quantity over that year.
                "period_start": str(year),
                "period_end": str(year),
                "evidence": evidence,
            },
        )

    def _quoted_figure(self, document: Document, number: int, quote: dict[str, Any]) -> None:
        """The figure stated inside the previous quote (its number is the last words)."""
        text = quote["text"]
        metric, surface = text.rsplit(", and ", 1)[1].removesuffix(".").split(" reached ")
        value, unit, kind = _parse_surface(surface)
        document.add(
            "figures",
            {
                "slug": f"{document.slug}-figure-{number}",
                "source": document.slug,
                "quote": quote["slug"],
                "metric": metric_slug(metric, kind),
                "kind": kind,
                "surface": surface,
                "value": value,
                "unit": unit,
                "evidence": text,
            },
        )

    def _event(self, document: Document, number: int) -> None:
        """A sentence reporting a dated event between two parties."""
        a, b = self.rng.sample(PARTIES, 2)
        kind = self.rng.choice(tuple(EVENT_KINDS))
        what = EVENT_KINDS[kind].format(topic=self.rng.choice(TOPICS))
        date, printed = self._date()
        evidence = f"{a[1]} and {b[1]} {what} {printed}."
        document.paragraphs.append(evidence)
        role = "signatory" if kind == "signing" else None
        participants = [{"party": p[0], **({"role": role} if role else {})} for p in (a, b)]
        document.add(
            "events",
            {
                "slug": f"{document.slug}-event-{number}",
                "source": document.slug,
                "name": f"{a[1]} and {b[1]} {what}",
                "kind": kind,
                "date": date,
                "participants": participants,
                "evidence": evidence,
            },
        )

    def _clause(self) -> str:
        """A few words someone might say: 'We will deepen trade and logistics'."""
        nouns = self.rng.sample(NOUNS, 2)
        return f"We will {self.rng.choice(VERBS)} {nouns[0]} and {nouns[1]}"

    def _surface(self) -> tuple[str, float, str, str]:
        """A number as printed, with its value, unit and kind."""
        kind = self.rng.choice(("amount", "share", "count", "multiplier"))
        if kind == "amount":
            whole, tenth = self.rng.randrange(1, 999), self.rng.randrange(10)
            scale = self.rng.choice(("million", "billion"))
            surface = f"US${whole}.{tenth} {scale}"
        elif kind == "share":
            surface = f"{self.rng.randrange(1, 100)} percent"
        elif kind == "count":
            surface = f"{self.rng.randrange(2, 5000):,} companies"
        else:
            surface = f"{self.rng.randrange(2, 50)}-fold"
        return (surface, *_parse_surface(surface))

    def _date(self) -> tuple[str, str]:
        """An event date at a random precision, and how the text prints it."""
        year = self.rng.randrange(1992, 2025)
        precision = self.rng.choice(("year", "month", "day"))
        if precision == "year":
            return str(year), f"in {year}"
        month = self.rng.randrange(1, 13)
        if precision == "month":
            return f"{year}-{month:02d}", f"in {MONTHS[month - 1]} {year}"
        day = self.rng.randrange(1, 29)
        return f"{year}-{month:02d}-{day:02d}", f"on {day} {MONTHS[month - 1]} {year}"

    def _day(self, first: int, last: int) -> tuple[str, str]:
        """A day between two years: ISO text and as printed."""
        year, month = self.rng.randrange(first, last), self.rng.randrange(1, 13)
        day = self.rng.randrange(1, 29)
        return f"{year}-{month:02d}-{day:02d}", f"{day} {MONTHS[month - 1]} {year}"


def _parse_surface(surface: str) -> tuple[float, str, str]:
    """(value, unit, kind) of a surface written by Author._surface."""
    if surface.startswith("US$"):
        number, scale = surface.removeprefix("US$").split()
        return float(number) * (1e6 if scale == "million" else 1e9), "USD", "amount"
    if surface.endswith(" percent"):
        return float(surface.split()[0]), "percent", "share"
    if surface.endswith(" companies"):
        return float(surface.split()[0].replace(",", "")), "companies", "count"
    return float(surface.removesuffix("-fold")), "times", "multiplier"


@dataclass(frozen=True)
class Summary:
    """What a run of the generator wrote."""

    facts: int
    documents: int
    people: int
    parties: int
    metrics: int
    data_dir: Path
    seeds_dir: Path
    files: int | None = None  # the documents' data files, when --files split them

    def as_dict(self) -> dict[str, Any]:
        """The summary as JSON-ready values."""
        sizes = {
            "facts": self.facts,
            "documents": self.documents,
            "people": self.people,
            "parties": self.parties,
            "metrics": self.metrics,
        }
        return sizes if self.files is None else {**sizes, "files": self.files}


def documents(plan: Plan) -> Iterator[tuple[Document, dict[str, Any]]]:
    """Every document of the collection, in order, one at a time."""
    author = Author(plan)
    for index in range(plan.documents):
        yield author.document(index)


def generate(
    out: Path, facts: int, *, seed: int = 1, fmt: str = "jsonl", files: int | None = None
) -> Summary:
    """Write a collection of `facts` facts under `out` (seeds/ and seeds_data/); with `files`,
    the documents and their facts go to that many JSON Lines files under seeds_data/docs/."""
    plan = Plan(facts, seed)
    _check_options(plan, fmt, files)
    writer = Writer(out, fmt, plan, files)
    try:
        writer.write_parties()
        for document, source in documents(plan):
            writer.write_document(document, source)
    finally:
        writer.close()
    return Summary(
        facts,
        plan.documents,
        plan.people,
        len(PARTIES),
        len(METRIC_RECORDS),
        writer.data,
        writer.seeds,
        files,
    )


def _check_options(plan: Plan, fmt: str, files: int | None) -> None:
    """Refuse sizes and formats that do not fit together, before anything is written."""
    if plan.facts < 1:
        raise ValueError("--facts must be at least 1")
    if fmt == "yaml" and plan.facts > MAX_YAML_FACTS:
        raise ValueError(
            f"YAML output is for small collections (at most {MAX_YAML_FACTS:,} facts); "
            "use --format jsonl for bulk data"
        )
    if files is None:
        return
    if fmt == "yaml":
        raise ValueError("--files splits JSON Lines; YAML is already one file per document")
    if not 1 <= files <= plan.documents:
        raise ValueError(
            f"--files must be between 1 and the number of documents ({plan.documents:,} "
            f"for {plan.facts:,} facts): a file holds whole documents"
        )


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and write the collection."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="directory to write seeds/ and seeds_data/ into")
    parser.add_argument("--facts", type=int, required=True, help="number of facts to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--format", choices=("jsonl", "yaml"), default="jsonl", dest="fmt")
    parser.add_argument(
        "--files", type=int, help="split the documents' records into this many JSON Lines files"
    )
    args = parser.parse_args(argv)
    try:
        summary = generate(args.out, args.facts, seed=args.seed, fmt=args.fmt, files=args.files)
    except ValueError as error:
        parser.error(str(error))
    print(json.dumps(summary.as_dict()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
