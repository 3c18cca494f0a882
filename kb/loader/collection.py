"""Resolve references and ground every record: the rows to write, with references by slug."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kb.loader.checking import Record
from kb.loader.grounding import Text
from kb.loader.problems import Problems, shown
from kb.loader.raw import RawRecord, suggest
from kb.loader.spec import RECORD_TYPES, TABLE_OF_TYPE, TABLES
from kb.loader.texts import TextProblem, file_text, inline_text


@dataclass
class Existing:
    """What the database holds that references and grounding may use (empty for validate).

    With `prune`, rows absent from the files are about to be deleted, so a reference to one
    of them is a problem rather than a resolution.
    """

    slugs: dict[str, set[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    quotes: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    event_sources: dict[str, str] = field(default_factory=dict)
    prune: bool = False


@dataclass
class Collection:
    """Rows per table (references by slug), where records are defined, and source texts."""

    rows: dict[str, list[dict[str, Any]]]
    records: dict[tuple[str, str], RawRecord]  # (record type, slug) -> its first definition
    texts: dict[str, str]


def build(
    records: list[Record], seeds_dir: Path, existing: Existing, problems: Problems
) -> Collection:
    """Check slugs are unique, resolve references and ground spans; problems go to `problems`."""
    builder = _Builder(seeds_dir, existing, problems)
    primary = builder.index(records)
    handlers = {
        "source": builder.source,
        "party": builder.party,
        "person": builder.person,
        "quote": builder.quote,
        "figure": builder.figure,
        "event": builder.event,
    }
    for record_type in RECORD_TYPES:  # in load order: later types use earlier ones' spans
        handle = handlers[record_type]
        for record in records:
            if record.type == record_type:
                handle(record, id(record) in primary)
    return Collection(
        builder.rows,
        {
            (record_type, slug): record.raw
            for record_type, by_slug in builder.records.items()
            for slug, record in by_slug.items()
        },
        {slug: text.text for slug, text in builder.texts.items() if text is not None},
    )


def counts(records: list[Record]) -> dict[str, int]:
    """Records per table name, roles and participants included."""
    result = dict.fromkeys(TABLES, 0)
    for record in records:
        result[TABLE_OF_TYPE[record.type]] += 1
        result["roles"] += len(record.values.get("roles") or ())
        result["event_participants"] += len(record.values.get("participants") or ())
    return result


class _Builder:
    """Builds the rows of one collection, record type by record type."""

    def __init__(self, seeds_dir: Path, existing: Existing, problems: Problems) -> None:
        self.seeds_dir = seeds_dir
        self.existing = existing
        self.problems = problems
        self.records: dict[str, dict[str, Record]] = {t: {} for t in RECORD_TYPES}
        self.texts: dict[str, Text | None] = {}
        self.quote_spans: dict[str, tuple[str, int, int]] = {}
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}

    def report(
        self, raw: RawRecord, path: str | None, message: str, hint: str | None = None
    ) -> None:
        """Add a problem about a record."""
        self.problems.add(raw.problem(path, message, hint))

    def index(self, records: list[Record]) -> set[int]:
        """Index records by type and slug; a repeated slug is a problem naming both places."""
        primary: set[int] = set()
        for record in records:
            slug = record.slug
            if slug is None:
                continue
            first = self.records[record.type].get(slug)
            if first is None:
                self.records[record.type][slug] = record
                primary.add(id(record))
            else:
                self.report(
                    record.raw,
                    "slug",
                    f"duplicate slug: {record.type} '{slug}' is also defined at "
                    f"{first.raw.file}:{first.raw.line}",
                    "give one of them another slug, or remove one",
                )
        return primary

    # References and texts -------------------------------------------------------------

    def resolve(self, raw: RawRecord, path: str, record_type: str, slug: Any) -> bool:
        """Whether `slug` names a record of `record_type` in the files or the database."""
        if not isinstance(slug, str):
            return False
        if slug in self.records[record_type]:
            return True
        in_database = slug in self.existing.slugs.get(record_type, ())
        if in_database and not self.existing.prune:
            return True
        if in_database:
            self.report(
                raw,
                path,
                f"{record_type} '{slug}' is only in the database, and pruning deletes it",
                "load the file that defines it too, or do not prune",
            )
            return False
        known = set(self.records[record_type]) | self.existing.slugs.get(record_type, set())
        self.report(raw, path, f"no {record_type} has the slug '{slug}'", suggest(slug, known))
        return False

    def text_of(self, slug: str) -> Text | None:
        """The text of a source, from the files or else the database (None if unusable)."""
        if slug not in self.texts and slug not in self.records["source"]:
            text = self.existing.texts.get(slug)
            self.texts[slug] = Text(text) if text is not None and not self.existing.prune else None
        return self.texts.get(slug)

    def ground(
        self, raw: RawRecord, path: str, source: str, passage: Any
    ) -> tuple[int, int] | None:
        """Offsets of `passage` in the source's text; a miss shows the closest passage."""
        text = self.text_of(source) if isinstance(passage, str) else None
        if text is None:
            return None
        span = text.find(passage)
        if span is None:
            self.report(
                raw,
                path,
                f"not found in source '{source}'",
                text.miss_hint(passage),
            )
        return span

    # Record types, in load order ------------------------------------------------------

    def source(self, record: Record, primary: bool) -> None:
        """Read the source's text (file or inline) and check its SHA-256."""
        values, raw = record.values, record.raw
        path, inline = values["path"], values["text"]
        if (path is None) == (inline is None):
            return  # reported by the checks: exactly one of them is needed
        try:
            if path is not None:
                source_text = file_text(self.seeds_dir, path, values["sha256"])
            else:
                source_text = inline_text(inline, values["sha256"])
        except TextProblem as problem:
            self.report(raw, problem.field, problem.message, problem.hint)
            return
        if not primary or record.slug is None:
            return
        self.texts[record.slug] = Text(source_text.text)
        self.rows["sources"].append(
            {
                **_pick(
                    values,
                    "slug title kind outlet url published published_precision "
                    "published_inferred author language path retrieved status",
                ),
                "text": source_text.text,
                "sha256": source_text.sha256,
            }
        )

    def party(self, record: Record, primary: bool) -> None:
        """A party has nothing to resolve."""
        if primary:
            row = _pick(record.values, "slug name kind aliases status")
            row["aliases"] = list(row["aliases"] or ())
            self.rows["parties"].append(row)

    def person(self, record: Record, primary: bool) -> None:
        """A person, and each role grounded in its source."""
        values, raw = record.values, record.raw
        if primary:
            row = _pick(values, "slug name aliases status")
            row["aliases"] = list(row["aliases"] or ())
            self.rows["people"].append(row)
        for role in values.get("roles") or ():
            path = role["_path"]
            source_ok = self.resolve(raw, f"{path}.source", "source", role["source"])
            if role["party"] is not None:
                self.resolve(raw, f"{path}.party", "party", role["party"])
            if not source_ok:
                continue
            span = self.ground(raw, f"{path}.evidence", role["source"], role["evidence"])
            if span is None or not primary:
                continue
            self.rows["roles"].append(
                {
                    "person": values["slug"],
                    "source": role["source"],
                    "title": role["title"],
                    "party": role["party"],
                    **self._span("evidence", role["source"], span),
                }
            )

    def quote(self, record: Record, primary: bool) -> None:
        """A quote: speaker and source resolved, its text found verbatim in the source."""
        values, raw = record.values, record.raw
        self.resolve(raw, "speaker", "person", values["speaker"])
        if not self.resolve(raw, "source", "source", values["source"]):
            return
        span = self.ground(raw, "text", values["source"], values["text"])
        if span is None or not primary or record.slug is None:
            return
        self.quote_spans[record.slug] = (values["source"], *span)
        row = _pick(
            values, "slug speaker source kind said_on said_on_precision said_on_inferred status"
        )
        row.update(self._span("text", values["source"], span))
        self.rows["quotes"].append(row)

    def figure(self, record: Record, primary: bool) -> None:
        """A figure: evidence in the source, surface in the evidence (and in the quote)."""
        values, raw = record.values, record.raw
        source = values["source"]
        source_ok = self.resolve(raw, "source", "source", source)
        if values["subject"] is not None:
            self.resolve(raw, "subject", "party", values["subject"])
        quote_span = None
        if values["quote"] is not None and self.resolve(raw, "quote", "quote", values["quote"]):
            quote_span = self._quote_span(values["quote"])
            quote_source = self._quote_source(values["quote"])
            if source_ok and quote_source is not None and quote_source != source:
                self.report(
                    raw,
                    "quote",
                    f"quote '{values['quote']}' is from source '{quote_source}', not '{source}'",
                    "a figure and the quote stating it must come from the same source",
                )
                return
        if not source_ok:
            return
        evidence = self.ground(raw, "evidence", source, values["evidence"])
        text = self.text_of(source)
        if evidence is None or text is None or not isinstance(values["surface"], str):
            return
        surface = self._surface(record, text, evidence, quote_span)
        if surface is None or not primary:
            return
        row = _pick(
            values,
            "slug source quote subject metric kind value unit qualifier base "
            "period_start period_start_precision period_start_inferred "
            "period_end period_end_precision period_end_inferred status",
        )
        row.update(self._span("evidence", source, evidence))
        row.update(self._span("surface", source, surface))
        self.rows["figures"].append(row)

    def _surface(
        self,
        record: Record,
        text: Text,
        evidence: tuple[int, int],
        quote_span: tuple[str, int, int] | None,
    ) -> tuple[int, int] | None:
        """The surface's span inside the evidence, and inside the quote when one is named."""
        surface, raw = record.values["surface"], record.raw
        if quote_span is not None:
            low, high = max(evidence[0], quote_span[1]), min(evidence[1], quote_span[2])
            if low < high and (span := text.find(surface, low, high)) is not None:
                return span
        span = text.find(surface, *evidence)
        if span is None:
            self.report(
                raw,
                "surface",
                f"{shown(surface)} not found in the evidence",
                f"Closest passage in the evidence: «{text.closest(surface, *evidence)}»",
            )
            return None
        if quote_span is not None:
            self.report(
                raw,
                "surface",
                f"{shown(surface)} is not inside the text of quote '{record.values['quote']}'",
                "a figure that names a quote must be stated inside it; "
                "check the quote, or leave 'quote' out if the narration states the figure",
            )
            return None
        return span

    def event(self, record: Record, primary: bool) -> None:
        """An event: source, same_as and participants resolved, evidence grounded."""
        values, raw = record.values, record.raw
        source = values["source"]
        source_ok = self.resolve(raw, "source", "source", source)
        same_as = values["same_as"]
        if same_as is not None:
            self._same_as(record, same_as)
        for item in values.get("participants") or ():
            for kind, record_type in (("party", "party"), ("person", "person")):
                if item[kind] is not None:
                    self.resolve(raw, f"{item['_path']}.{kind}", record_type, item[kind])
        if not source_ok:
            return
        span = self.ground(raw, "evidence", source, values["evidence"])
        if span is None or not primary:
            return
        row = _pick(
            values,
            "slug name kind occurrence status source same_as date date_precision date_inferred",
        )
        row.update(self._span("evidence", source, span))
        self.rows["events"].append(row)
        for item in values.get("participants") or ():
            self.rows["event_participants"].append(
                {
                    "event": values["slug"],
                    "party": item["party"],
                    "person": item["person"],
                    "role": item["role"],
                }
            )

    def _same_as(self, record: Record, same_as: str) -> None:
        """same_as names another event, reported by another source."""
        raw = record.raw
        if same_as == record.slug:
            self.report(raw, "same_as", "names the event itself")
            return
        if not self.resolve(raw, "same_as", "event", same_as):
            return
        other = self.records["event"].get(same_as)
        other_source = (
            other.values["source"]
            if other is not None
            else self.existing.event_sources.get(same_as)
        )
        if other_source is not None and other_source == record.values["source"]:
            self.report(
                raw,
                "same_as",
                f"event '{same_as}' is from the same source '{other_source}'",
                "same_as links records of one happening in different sources",
            )

    # Helpers ---------------------------------------------------------------------------

    def _span(self, name: str, source: str, span: tuple[int, int]) -> dict[str, Any]:
        """Columns of a span: the verbatim text and its offsets."""
        text = self.text_of(source)
        assert text is not None  # grounded spans always have a text
        start, end = span
        return {name: text.text[start:end], f"{name}_start": start, f"{name}_end": end}

    def _quote_span(self, slug: str) -> tuple[str, int, int] | None:
        """A quote's source and span, from the files or the database."""
        if slug in self.records["quote"]:
            return self.quote_spans.get(slug)
        return self.existing.quotes.get(slug)

    def _quote_source(self, slug: str) -> str | None:
        """The source of a quote, from the files or the database."""
        record = self.records["quote"].get(slug)
        if record is not None:
            source = record.values.get("source")
            # An unknown source is reported on the quote itself.
            known = source in self.records["source"] or source in self.existing.slugs.get(
                "source", ()
            )
            return source if isinstance(source, str) and known else None
        span = self.existing.quotes.get(slug)
        return span[0] if span is not None else None


def _pick(values: dict[str, Any], names: str) -> dict[str, Any]:
    """The named values (space-separated names) as a new dict."""
    return {name: values[name] for name in names.split()}
