"""Ground records as they stream past and stage their rows; hold back only what must wait.

A record is grounded as soon as the text of its source is known: the source was read earlier
in this load, or it is in the database and defined by a file this load skips as unchanged.
A record whose source (or, for a figure, whose quote) is not known yet is deferred until every
file has been read; in the usual layout (sources before the facts that cite them) nothing
waits. Whether references resolve, and whether slugs are unique, is checked afterwards in SQL
over the staging tables (kb.loader.crosscheck); here only what needs the source text is done.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Protocol

from sqlalchemy import text as sql
from sqlalchemy.engine import Connection

from kb.db import driver_execute
from kb.loader.checking import Record
from kb.loader.grounding import Text
from kb.loader.lookup import party_keys, person_keys
from kb.loader.problems import Problems, shown
from kb.loader.staging import Stage, json_text, lines_json, stage_name, staged_columns
from kb.loader.texts import SeedFiles, TextProblem, inline_text

# Source texts kept in memory for grounding, in characters; older ones are read again.
TEXT_CACHE_CHARS = 8 * 1024 * 1024
# Slugs looked up in one query (SQLite allows 32,766 parameters since 3.32; fewer is no slower).
SLUGS_PER_QUERY = 500
# Staged slugs looked up at once from which the staged table's statistics pay (Stage.analyze_early).
BULK_LOOKUP = 50
# Quote spans kept for the figures that name them (a figure usually follows its quote).
QUOTE_CACHE = 20_000

# The columns of each kind of span: its verbatim text, start and end.
_SPAN_COLUMNS = {
    name: (name, f"{name}_start", f"{name}_end") for name in ("text", "evidence", "surface", "name")
}

# The columns of a staged quote that figures need: its slug, source and span.
_QUOTE_COLUMNS = ("slug", "source", "text_start", "text_end")

Span = tuple[int, int]
QuoteSpan = tuple[str, int, int]


class RowSink(Protocol):
    """Where grounded rows go: the staging tables, or a worker's list of results."""

    def add(self, table: str, meta: tuple[Any, ...], values: dict[str, Any]) -> None:
        """Take one row of `table`: `meta` is (file, line, label, lines, path)."""


class Grounding:
    """Grounds records and hands on their rows; where texts and quotes come from is left to
    subclasses: the database (Grounder) or one worker's file (kb.loader.parallel)."""

    def __init__(
        self, stage: RowSink, seed_files: SeedFiles, problems: Problems, *, prune: bool
    ) -> None:
        self.stage = stage
        self.seed_files = seed_files
        self.problems = problems
        self.prune = prune
        self.file_sources: set[str] = set()
        self.texts: OrderedDict[str, Text | None] = OrderedDict()
        self.cached_chars = 0
        self.quotes: OrderedDict[str, QuoteSpan | None] = OrderedDict()
        self.file = 0

    def text_of(self, slug: str) -> Text | None:
        """The text of a source (None if unknown or unusable)."""
        raise NotImplementedError

    def _quote_row(self, slug: str) -> tuple[Any, ...] | None:
        """(source, start, end) of a quote not in the quote cache, or None."""
        raise NotImplementedError

    def handle(self, record: Record) -> None:
        """Ground and hand on the rows of a record whose sources are known."""
        if record.type == "source":
            self.source(record)
        else:
            self.HANDLERS[record.type](self, record)

    # Staging -------------------------------------------------------------------------

    def put(self, table: str, record: Record, values: dict[str, Any], path: str | None) -> None:
        """Stage one row of `record` in `table`."""
        raw = record.raw
        meta = (self.file, raw.line, raw.label, lines_json(raw.lines, raw.line), path)
        self.stage.add(table, meta, values)

    def report(self, record: Record, path: str | None, message: str, hint: str | None) -> None:
        """Add a problem about a record."""
        self.problems.add(record.raw.problem(path, message, hint))

    # Texts ---------------------------------------------------------------------------

    def _cache(self, slug: str, text: Text | None) -> None:
        """Keep a text for the next records of its source, within TEXT_CACHE_CHARS."""
        self.texts[slug] = text
        self.cached_chars += len(text.text) if text is not None else 0
        while self.cached_chars > TEXT_CACHE_CHARS and len(self.texts) > 1:
            _, old = self.texts.popitem(last=False)
            self.cached_chars -= len(old.text) if old is not None else 0

    def usable_text(self, source: Any) -> Text | None:
        """The text of a source named by a valid slug, when it can be used for grounding
        (otherwise the reference is reported by the cross-checks)."""
        return self.text_of(source) if isinstance(source, str) else None

    def ground(
        self, record: Record, path: str, text: Text | None, source: str, passage: Any
    ) -> Span | None:
        """Offsets of `passage` in the source's text; a miss shows the closest passage."""
        if text is None or not isinstance(passage, str):
            return None
        span = text.find(passage)
        if span is None:
            self.report(record, path, f"not found in source '{source}'", text.miss_hint(passage))
        return span

    # Record types --------------------------------------------------------------------

    def source(self, record: Record) -> None:
        """Read the source's text (file or inline) and check its SHA-256."""
        values = record.values
        path, inline = values["path"], values["text"]
        row = {**values, "text": None, "sha256": None, "_text_size": None, "_text_mtime_ns": None}
        if (path is None) != (inline is None):
            try:
                if path is not None:
                    source_text = self.seed_files.text(path, values["sha256"])
                else:
                    source_text = inline_text(inline, values["sha256"])
            except TextProblem as problem:
                self.report(record, problem.field, problem.message, problem.hint)
            else:
                row.update(
                    text=source_text.text,
                    sha256=source_text.sha256,
                    _text_size=source_text.size,
                    _text_mtime_ns=source_text.mtime_ns,
                )
        slug = record.slug
        if slug is not None and slug not in self.file_sources:
            # The first definition is the one used, even when its text cannot be read.
            self.file_sources.add(slug)
            self._cache(slug, Text(row["text"]) if row["text"] is not None else None)
        self.put("sources", record, row, None)

    def party(self, record: Record) -> None:
        """A party has nothing to ground; its names are looked up by their keys."""
        values = record.values
        keys = party_keys(values["name"], values["aliases"])
        row = {**values, "aliases": json_text(values["aliases"]), "_keys": json_text(keys)}
        self.put("parties", record, row, None)

    def metric(self, record: Record) -> None:
        """A metric has nothing to ground."""
        values = record.values
        self.put("metrics", record, {**values, "aliases": json_text(values["aliases"])}, None)

    def person(self, record: Record) -> None:
        """A person, and each role grounded in its source (a role has its person's status)."""
        values = record.values
        keys = person_keys(values["name"], values["aliases"])
        row = {**values, "aliases": json_text(values["aliases"]), "_keys": json_text(keys)}
        self.put("people", record, row, None)
        for role in values.get("roles") or ():
            self._role(record, {**role, "person": values["slug"], "status": values["status"]})

    def role(self, record: Record) -> None:
        """A role written as a record of its own."""
        self._role(record, {**record.values, "_path": None})

    def _role(self, record: Record, role: dict[str, Any]) -> None:
        """Ground a role's evidence in its source; stage it."""
        path, source = role["_path"], role["source"]
        text = self.usable_text(source)
        field = "evidence" if path is None else f"{path}.evidence"
        span = self.ground(record, field, text, source, role["evidence"])
        self.put("roles", record, {**role, **spans("evidence", text, span)}, path)

    def alias(self, record: Record) -> None:
        """Another name of a person or party: found verbatim in its source."""
        values = record.values
        source = values["source"]
        text = self.usable_text(source)
        span = self.ground(record, "name", text, source, values["name"])
        name = values["name"]
        keys = person_keys(name, ()) if values["party"] is None else party_keys(name, ())
        row = {**values, **spans("name", text, span), "_keys": json_text(keys)}
        self.put("aliases", record, row, None)

    def quote(self, record: Record) -> None:
        """A quote: its text found verbatim in the source."""
        values = record.values
        source = values["source"]
        text = self.usable_text(source)
        span = self.ground(record, "text", text, source, values["text"])
        slug = record.slug
        if slug is not None and slug not in self.quotes:
            self.remember_quote(slug, (source, *span) if span is not None else None)
        self.put("quotes", record, {**values, **spans("text", text, span)}, None)

    def remember_quote(self, slug: str, span: QuoteSpan | None) -> None:
        """Keep a quote's source and span for the figures that name it, within QUOTE_CACHE."""
        self.quotes[slug] = span
        if len(self.quotes) > QUOTE_CACHE:
            self.quotes.popitem(last=False)

    def figure(self, record: Record) -> None:
        """A figure: evidence in the source, surface in the evidence (and in the quote)."""
        values = record.values
        source = values["source"]
        text = self.usable_text(source)
        evidence = surface = None
        if text is not None and self._quote_agrees(record, source):
            evidence = self.ground(record, "evidence", text, source, values["evidence"])
            if evidence is not None and isinstance(values["surface"], str):
                surface = self._surface(record, text, evidence)
        row = {**values, **spans("evidence", text, evidence), **spans("surface", text, surface)}
        self.put("figures", record, row, None)

    def _quote_agrees(self, record: Record, source: str) -> bool:
        """A figure's quote, when named and known, must come from the figure's (usable) source."""
        values = record.values
        quote_source = self._quote_source(values["quote"])
        if quote_source is not None and quote_source != source:
            self.report(
                record,
                "quote",
                f"quote '{values['quote']}' is from source '{quote_source}', not '{source}'",
                "a figure and the quote stating it must come from the same source",
            )
            return False
        return True

    def _quote_source(self, slug: Any) -> str | None:
        """The source of a known quote (from the files, else the database), or None."""
        if not isinstance(slug, str):
            return None
        span = self._quote_span(slug)
        if span is not None:
            return span[0]
        row = self._quote_row(slug)
        return None if row is None else row[0]

    def _quote_span(self, slug: str) -> QuoteSpan | None:
        """A quote's source and span, from this load's quotes or the database."""
        if slug in self.quotes:
            return self.quotes[slug]
        row = self._quote_row(slug)
        if row is None or row[1] is None:
            return None
        return (row[0], row[1], row[2])

    def _surface(self, record: Record, text: Text, evidence: Span) -> Span | None:
        """The surface's span inside the evidence, and inside the quote when one is named."""
        values = record.values
        surface = values["surface"]
        quote = values["quote"]
        quote_span = self._quote_span(quote) if isinstance(quote, str) else None
        if quote_span is not None:
            low, high = max(evidence[0], quote_span[1]), min(evidence[1], quote_span[2])
            if low < high and (span := text.find(surface, low, high)) is not None:
                return span
        span = text.find(surface, *evidence)
        if span is None:
            self.report(
                record,
                "surface",
                f"{shown(surface)} not found in the evidence",
                f"Closest passage in the evidence: «{text.closest(surface, *evidence)}»",
            )
            return None
        if quote_span is not None:
            self.report(
                record,
                "surface",
                f"{shown(surface)} is not inside the text of quote '{quote}'",
                "a figure that names a quote must be stated inside it; "
                "check the quote, or leave 'quote' out if the narration states the figure",
            )
            return None
        return span

    def event(self, record: Record) -> None:
        """An event: evidence grounded; a same_as naming itself is reported here."""
        values = record.values
        if values["same_as"] is not None and values["same_as"] == record.slug:
            self.report(record, "same_as", "names the event itself", None)
        source = values["source"]
        text = self.usable_text(source)
        span = self.ground(record, "evidence", text, source, values["evidence"])
        self.put("events", record, {**values, **spans("evidence", text, span)}, None)
        # Stated by the event's own source and evidence: no source or evidence of their own.
        stated_with_event = {"source": None, **spans("evidence", None, None)}
        for item in values.get("participants") or ():
            row = {
                **item,
                "event": values["slug"],
                "status": values["status"],
                **stated_with_event,
            }
            self.put("event_participants", record, row, item["_path"])

    def participant(self, record: Record) -> None:
        """A participation another source states, written as a record of its own."""
        values = record.values
        source = values["source"]
        text = self.usable_text(source)
        span = self.ground(record, "evidence", text, source, values["evidence"])
        self.put("event_participants", record, {**values, **spans("evidence", text, span)}, None)

    HANDLERS: ClassVar[dict[str, Callable[[Grounding, Record], None]]] = {
        "party": party,
        "metric": metric,
        "person": person,
        "role": role,
        "alias": alias,
        "quote": quote,
        "figure": figure,
        "event": event,
        "participant": participant,
    }


class Grounder(Grounding):
    """Grounds and stages the records of one load, in the order they are read; texts and
    quotes not in memory are read back from the staging tables or the database."""

    def __init__(
        self,
        connection: Connection,
        stage: Stage,
        seeds_dir: Path,
        problems: Problems,
        *,
        database_sources: set[str],
        prune: bool,
    ) -> None:
        super().__init__(stage, SeedFiles(seeds_dir), problems, prune=prune)
        self.connection = connection
        self.staging = stage
        # Sources whose text is final before the end of the read: defined by skipped files.
        self.database_sources = database_sources
        self.deferred: list[tuple[int, Record]] = []
        self.finishing = False
        # Where a source's slug and a quote's slug, source and span sit in staged rows.
        self.columns = {table: staged_columns(table).index for table in ("sources", "quotes")}

    # Entry points ---------------------------------------------------------------------

    def add(self, record: Record, file: int) -> None:
        """Ground and stage one record, or defer it until every file is read."""
        self.file = file
        if record.type != "source" and not self.finishing and not self.ready(record):
            self.deferred.append((file, record))
        else:
            self.handle(record)

    def staged(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Stage rows grounded elsewhere (by a worker), as if their records had been added."""
        self.staging.add_rows(table, rows)
        if table == "sources":
            slug = self.columns["sources"]("slug")
            self.file_sources.update(row[slug] for row in rows if row[slug] is not None)
        elif table == "quotes":
            slug, source, start, end = map(self.columns["quotes"], _QUOTE_COLUMNS)
            for row in rows:
                if row[slug] is not None and row[slug] not in self.quotes:
                    span = (row[source], row[start], row[end])
                    self.remember_quote(row[slug], span if row[start] is not None else None)

    def finish(self) -> None:
        """Ground the deferred records, now that every source and quote is staged."""
        self.finishing = True
        self.staging.flush()
        deferred, self.deferred = self.deferred, []
        # Grounding them looks quotes up by slug. The index may be unique (sparing the check
        # for slugs defined twice) only if no quote is still to come.
        self.staging.index_quotes(unique=all(record.type != "quote" for _, record in deferred))
        for file, record in deferred:
            self.add(record, file)
        self.staging.flush()

    def ready(self, record: Record) -> bool:
        """Whether everything `record` needs to be grounded is known now."""
        if any(not self.known_source(source) for source in cited_sources(record)):
            return False
        quote = cited_quote(record)
        return quote is None or quote in self.quotes

    def known_source(self, slug: str) -> bool:
        """Whether the final text of a source is known (read in this load, or frozen)."""
        return slug in self.file_sources or slug in self.database_sources

    # Texts and quotes not in memory ----------------------------------------------------

    def text_of(self, slug: str) -> Text | None:
        """The text of a source, from the files or else the database (None if unusable)."""
        if slug in self.texts:
            self.texts.move_to_end(slug)
            return self.texts[slug]
        if not (self.known_source(slug) or self.finishing):
            return None  # a later file may define it: ready() defers what needs it
        found = self.source_text(slug)
        text = Text(found) if found is not None else None
        self._cache(slug, text)
        return text

    def source_text(self, slug: str) -> str | None:
        """The text a source read in this load has (its first definition's), else the text the
        database holds (None: no text, or pruning, which deletes what only the database holds)."""
        return self.source_texts({slug})[slug]

    def source_texts(self, slugs: set[str]) -> dict[str, str | None]:
        """source_text() of each of `slugs`, in a query per SLUGS_PER_QUERY of them (a task sent
        again to a worker may need thousands)."""
        found: dict[str, str | None] = dict.fromkeys(slugs)
        staged = [slug for slug in slugs if slug in self.file_sources]
        stored = [] if self.prune else [slug for slug in slugs if slug not in self.file_sources]
        self.staging.flush("sources")
        if len(staged) >= BULK_LOOKUP:
            self.staging.analyze_early("sources")
        # Staged: later definitions first, so that the first one read is the one kept.
        queries = (
            (stored, "SELECT slug, text FROM sources WHERE slug IN ({})"),
            (
                staged,
                f"SELECT slug, text FROM {stage_name('sources')} WHERE slug IN ({{}}) "
                "ORDER BY _seq DESC",
            ),
        )
        for wanted, query in queries:
            for start in range(0, len(wanted), SLUGS_PER_QUERY):
                chunk = wanted[start : start + SLUGS_PER_QUERY]
                statement = query.format(", ".join("?" * len(chunk)))
                found.update(driver_execute(self.connection, statement, chunk).fetchall())
        return found

    def in_database(self, slug: str) -> bool:
        """Whether the database holds a source with this slug."""
        return self._first("SELECT 1 FROM sources WHERE slug = ?", slug) is not None

    def _first(self, statement: str, slug: str) -> Any:
        """The first column of the first row of a query by slug (`?`), or None."""
        # Only staged sources are read here: the other tables' buffers may stay full.
        self.staging.flush("sources")
        # Asked once per record whose source text is not in memory: straight to the driver.
        row = driver_execute(self.connection, statement, (slug,)).fetchone()
        return None if row is None else row[0]

    def _quote_row(self, slug: str) -> tuple[Any, ...] | None:
        """(source, start, end) of a quote staged in this load or else in the database."""
        self.staging.flush("quotes")
        staged = self.connection.execute(
            sql(
                f"SELECT source, text_start, text_end FROM {stage_name('quotes')} "
                "WHERE slug = :slug ORDER BY _seq LIMIT 1"
            ),
            {"slug": slug},
        ).first()
        if staged is not None:
            source = staged[0]
            known = isinstance(source, str) and (
                source in self.file_sources or self.in_database(source)
            )
            return (source, staged[1], staged[2]) if known else None
        if self.prune:
            return None
        row = self.connection.execute(
            sql(
                "SELECT s.slug, q.text_start, q.text_end FROM quotes q "
                "JOIN sources s ON s.id = q.source_id WHERE q.slug = :slug"
            ),
            {"slug": slug},
        ).first()
        return None if row is None else (row[0], row[1], row[2])


def cited_sources(record: Record) -> list[str]:
    """The sources whose texts grounding `record` needs (valid slugs only)."""
    values = record.values
    if record.type == "person":
        cited = [role["source"] for role in values["roles"] or ()]
    else:
        cited = [values.get("source")]
    return [source for source in cited if isinstance(source, str)]


def cited_quote(record: Record) -> str | None:
    """The quote a figure names (a valid slug), else None."""
    quote = record.values["quote"] if record.type == "figure" else None
    return quote if isinstance(quote, str) else None


def spans(name: str, text: Text | None, span: Span | None) -> dict[str, Any]:
    """Columns of a span: the verbatim text and its offsets (None when not grounded)."""
    verbatim, first, last = _SPAN_COLUMNS[name]
    if span is None or text is None:
        return {verbatim: None, first: None, last: None}
    start, end = span
    # A dict display: dict(zip(...)) cost twice as much, three times per fact.
    return {verbatim: text.text[start:end], first: start, last: end}
