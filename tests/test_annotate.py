"""kb.annotate: a source's text with every grounded fact marked, its coverage, `kb check
--coverage`, and the benchmark script.

The rendered HTML is read back with an HTML parser into elements, each with its textContent,
so the tests check what a browser's DOM would hold: every mark one element (or pieces) whose
text is the record's span, the text container's text the source text exactly, nothing that
was in a text or a label turned into markup.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import Result
from helpers.processes import run_benchmark
from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from kb.annotate import Annotation, Mark, annotate, coverage, render, uncovered
from kb.annotate.coverage import sentences
from kb.annotate.spans import text_order
from kb.draft.segment import layout
from kb.models import Base

Kb = Callable[..., Result]
REPO = Path(__file__).resolve().parent.parent
ARTICLE = "jjtv-kazakhstan-eu-30-years"
T = Base.metadata.tables
# The seed article's records: 2 quotes, 8 figures (surface and evidence), 7 events, 1 role.
SEED_MARKS = {"quote": 2, "figure-surface": 8, "figure-evidence": 8, "event": 7, "role": 1}
COMPANIES = "There are about 3,000 companies with the participation of the European capital"


def row_url(table: str, row_id: int) -> str:
    """Addresses as Datasette writes them."""
    return f"/kb/{table}/{row_id}"


# --- reading the HTML back --------------------------------------------------------------------


@dataclass
class Element:
    """An element of the parsed fragment: tag, attributes, textContent, ancestors' tags."""

    tag: str
    attrs: dict[str, str]
    ancestors: tuple[str, ...]
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        """textContent: every text node inside, in order (CSS content is not text)."""
        return "".join(self.parts)

    @property
    def classes(self) -> set[str]:
        """The class attribute's classes."""
        return set(self.attrs.get("class", "").split())


class Tree(HTMLParser):
    """Every element with its textContent; fails on an end tag that closes another element."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[Element] = []
        self.elements: list[Element] = []
        self.feed(markup)
        self.close()
        assert not self.stack, f"unclosed: {[e.tag for e in self.stack]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs}, tuple(e.tag for e in self.stack))
        self.stack.append(element)
        self.elements.append(element)

    def handle_endtag(self, tag: str) -> None:
        element = self.stack.pop()
        assert element.tag == tag, f"</{tag}> closes <{element.tag}>"

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].tag == "style":
            return
        for element in self.stack:
            element.parts.append(data)

    def having(self, css_class: str) -> list[Element]:
        """The elements with a class."""
        return [e for e in self.elements if css_class in e.classes]

    def container(self) -> Element:
        """The text container."""
        (found,) = self.having("kb-text")
        return found


def mark_texts(tree: Tree) -> dict[tuple[str, int], tuple[str, int, int]]:
    """(kind, id) -> (text, start, end) of every mark in the text, pieces joined in data-part
    order (checking that they are numbered 0, 1, … and adjoin or leave only a gap)."""
    pieces: dict[tuple[str, int], list[Element]] = defaultdict(list)
    for element in tree.having("kb-mark"):
        assert element.tag == "mark"
        pieces[element.attrs["data-kind"], int(element.attrs["data-id"])].append(element)
    found = {}
    for key, elements in pieces.items():
        start, end = int(elements[0].attrs["data-start"]), int(elements[0].attrs["data-end"])
        if len(elements) > 1 or "data-part" in elements[0].attrs:
            elements.sort(key=lambda e: int(e.attrs["data-part"]))
            assert [int(e.attrs["data-part"]) for e in elements] == list(range(len(elements)))
            assert all("kb-piece" in e.classes for e in elements)
            assert int(elements[0].attrs["data-piece-start"]) == start
            assert int(elements[-1].attrs["data-piece-end"]) == end
            for element in elements:
                piece = int(element.attrs["data-piece-start"]), int(element.attrs["data-piece-end"])
                assert piece[0] < piece[1]
                assert int(element.attrs["data-start"]) == start
        assert [e.attrs.get("id") for e in elements[1:]] == [None] * (len(elements) - 1)
        found[key] = ("".join(e.text for e in elements), start, end)
    return found


def tag_links(tree: Tree) -> dict[tuple[str, str], Element]:
    """(data-kind, data-id) -> the tag link just before a mark (before its first piece): the
    link to its record, whose title describes it."""
    found = {}
    for before, element in zip(tree.elements, tree.elements[1:], strict=False):
        if element.tag == "mark" and element.attrs.get("data-part", "0") == "0":
            assert before.tag == "a" and "kb-tag" in before.classes, element.attrs
            found[element.attrs["data-kind"], element.attrs["data-id"]] = before
    return found


def check_page(annotation: Annotation, markup: str) -> Tree:
    """What holds on every page: the container reads the text, every mark (joined from its
    pieces) reads its span, each piece its own span, links never nest, the type-marker links
    and conflict links hold no text."""
    tree = Tree(markup)
    text = annotation.text
    assert tree.container().text == text
    assert "\r" not in markup
    found = mark_texts(tree)
    expected = {
        (m.kind, m.row_id): (text[m.start : m.end], m.start, m.end) for m in annotation.marks
    }
    assert found == expected
    for element in tree.having("kb-piece"):
        start, end = int(element.attrs["data-piece-start"]), int(element.attrs["data-piece-end"])
        assert element.text == text[start:end]
    for element in tree.elements:
        if element.tag == "a":
            assert "a" not in element.ancestors
    # The links in the text hold no text of their own: their markers are CSS content.
    for element in tree.having("kb-tag") + tree.having("kb-conflict"):
        assert element.text == "" or "li" in element.ancestors
    # Each mark's first piece follows its tag link, which says what it is (the mark does not
    # repeat it).
    tags = tag_links(tree)
    assert set(tags) == {(kind, str(row_id)) for kind, row_id in found}
    assert all(tag.attrs["title"] for tag in tags.values())
    assert not any("title" in e.attrs or "data-href" in e.attrs for e in tree.having("kb-mark"))
    for element in tree.having("kb-uncovered"):
        start, end = int(element.attrs["data-start"]), int(element.attrs["data-end"])
        assert element.text == text[start:end]
    return tree


# --- databases --------------------------------------------------------------------------------


@pytest.fixture
def seeded(seeded_db: str, engine_for: Callable[[str | Path], Engine]) -> Iterator[Connection]:
    """A connection to a fresh database holding the bundled collection."""
    with engine_for(seeded_db).connect() as connection:
        yield connection


def ids(connection: Connection, table: str, *slugs: str) -> list[int]:
    """The ids of rows by slug, in the order given."""
    rows = connection.execute(
        select(T[table].c.slug, T[table].c.id).where(T[table].c.slug.in_(slugs))
    )
    found = {slug: id_ for slug, id_ in rows}
    return [found[slug] for slug in slugs]


def add_source(connection: Connection, slug: str, text: str) -> int:
    """A source with `text`; its id."""
    return int(
        connection.execute(
            insert(T["sources"]).returning(T["sources"].c.id),
            {
                "slug": slug,
                "title": f"Title of {slug}",
                "kind": "article",
                "text": text,
                "sha256": hashlib.sha256(text.encode()).hexdigest(),
            },
        ).scalar_one()
    )


def add(connection: Connection, table: str, **values: object) -> int:
    """A row of `table`; its id."""
    return int(connection.execute(insert(T[table]).returning(T[table].c.id), values).scalar_one())


def loose(words: str) -> str:
    """`words` as grounding compares them: whitespace runs as one space, quote marks straight."""
    return " ".join(words.split()).translate(str.maketrans("‘’“”", "''\"\""))


# --- the seed article -------------------------------------------------------------------------


def test_the_seed_article_has_a_mark_at_every_records_span(seeded: Connection) -> None:
    """Every quote, figure (surface and evidence), event and role of the article is a mark
    whose offsets are the record's, in text order; the record's stored words are the text at
    those offsets."""
    annotation = annotate(seeded, ARTICLE)
    assert annotation is not None
    title = seeded.execute(select(T["sources"].c.title).where(T["sources"].c.slug == ARTICLE))
    assert (annotation.slug, annotation.title) == (ARTICLE, title.scalar_one())
    counts: dict[str, int] = defaultdict(int)
    for mark in annotation.marks:
        counts[mark.kind] += 1
    assert counts == SEED_MARKS
    columns = {
        "quote": ("quotes", "text"),
        "figure-surface": ("figures", "surface"),
        "figure-evidence": ("figures", "evidence"),
        "event": ("events", "evidence"),
        "role": ("roles", "evidence"),
    }
    for mark in annotation.marks:
        table, name = columns[mark.kind]
        row = seeded.execute(
            select(T[table].c[name], T[table].c.status).where(T[table].c.id == mark.row_id)
        ).one()
        # Grounding matches runs of whitespace, and straight and curly quote marks, loosely.
        assert loose(annotation.text[mark.start : mark.end]) == loose(row[0]), mark
        assert (mark.table, mark.status) == (table, row[1])
    assert list(annotation.marks) == sorted(annotation.marks, key=text_order)
    # Marks are plain values: equal to one made field by field, hashable, frozen.
    copies = [
        Mark(m.kind, m.table, m.row_id, m.start, m.end, m.status, m.label, m.conflict_with)
        for m in annotation.marks
    ]
    assert copies == list(annotation.marks) and set(copies) == set(annotation.marks)
    with pytest.raises(AttributeError):
        annotation.marks[0].start = 0  # type: ignore[misc]
    assert annotation.uncovered == ()


def test_the_seed_articles_page_marks_every_span(seeded: Connection) -> None:
    """The rendered page: the text exactly, each mark's element text its span, the side list
    one item per record in text order, and the heading that says all is curated."""
    annotation = annotate(seeded, ARTICLE)
    assert annotation is not None
    markup = render(annotation, row_url)
    tree = check_page(annotation, markup)
    assert len(tree.having("kb-mark")) == sum(SEED_MARKS.values())
    items = [e for e in tree.elements if e.tag == "li" and "kb-fact" in e.classes]
    assert len(items) == sum(SEED_MARKS.values()) - SEED_MARKS["figure-evidence"]
    assert [int(i.attrs["data-start"]) for i in items] == sorted(
        int(i.attrs["data-start"]) for i in items
    )
    (heading,) = tree.having("kb-coverage")
    assert heading.text == "All sentences with figures or quotes are curated"
    assert "<style>" in markup and "white-space: pre-wrap" in markup
    assert "<style>" not in render(annotation, row_url, style=False)
    # Each mark links to its row, through the type-marker link just before it.
    links = {(e.attrs["href"], "kb-tag" in e.classes) for e in tree.elements if e.tag == "a"}
    for mark in annotation.marks:
        assert (row_url(mark.table, mark.row_id), True) in links


def test_a_quotes_title_names_its_speaker(seeded: Connection) -> None:
    """A quote's tag link (its title) and its side-list item name the speaker."""
    annotation = annotate(seeded, ARTICLE)
    assert annotation is not None
    tree = Tree(render(annotation, row_url))
    tags = tag_links(tree)
    quotes = [e for e in tree.having("kb-quote") if e.tag == "mark"]
    assert len(quotes) == 2
    assert all(
        tags["quote", e.attrs["data-id"]].attrs["title"] == "Quote by Kestutis Jankauskas"
        for e in quotes
    )
    items = [e for e in tree.elements if e.tag == "li" and "kb-quote" in e.classes]
    assert all("Kestutis Jankauskas" in e.text for e in items)
    (role,) = [e for e in tree.having("kb-role") if e.tag == "mark"]
    assert (
        tags["role", role.attrs["data-id"]].attrs["title"]
        == "Role: Kestutis Jankauskas: EU Ambassador to Kazakhstan"
    )


def test_a_figure_in_conflict_links_to_the_figure_it_disagrees_with(seeded: Connection) -> None:
    """US$160 billion (narration) and almost US$77 billion (the Ambassador) disagree: each
    figure's mark carries the other's id and links to it, after the mark and in the side
    list."""
    high, low = ids(seeded, "figures", "jjtv-eu-investment-160bn", "jjtv-eu-investment-77bn")
    annotation = annotate(seeded, ARTICLE)
    assert annotation is not None
    partners = {m.row_id: m.conflict_with for m in annotation.marks if m.kind == "figure-surface"}
    assert partners[high] == (low,) and partners[low] == (high,)
    assert all(not others for id_, others in partners.items() if id_ not in (high, low))
    tree = Tree(render(annotation, row_url))
    conflicts = tree.having("kb-conflict")
    in_text = [e for e in conflicts if "li" not in e.ancestors]
    in_list = [e for e in conflicts if "li" in e.ancestors]
    assert {e.attrs["href"] for e in in_text} == {row_url("figures", high), row_url("figures", low)}
    assert all(e.text == "" for e in in_text)
    assert {e.attrs["href"] for e in in_list} == {row_url("figures", high), row_url("figures", low)}
    assert any("almost US$77 billion" in e.text for e in in_list)
    surface = tag_links(tree)["figure-surface", str(high)]
    assert f"conflicts with figure #{low}" in surface.attrs["title"]


def test_figures_conflict_across_sources_and_without_a_subject(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """Conflicts are found among every figure measuring the same thing, in any source: two
    figures without a subject (100 and 300 things), and a party's 5 and 5.2 (which agree) each
    against its 50; a figure in an unknown unit, or alone in its group, conflicts with none.
    Partners come in kb figures' order (by source, then position)."""
    texts = {
        "a": "Headline\n\nThere were 100 things. The party had 5 things.",
        "b": "Headline\n\nThere were 300 things, or 7 units. It had 5.2 things, then 50 things.",
    }
    with engine_for(empty_db).begin() as connection:
        party = add(connection, "parties", slug="party", name="Party", kind="country", aliases=[])
        metric = add(
            connection,
            "metrics",
            slug="things",
            name="Things",
            kind="count",
            unit="things",
            aliases=[],
        )
        other = add(
            connection, "metrics", slug="other", name="Other", kind="count", unit="x", aliases=[]
        )
        ids: dict[str, int] = {}
        for slug, text in texts.items():
            source = add_source(connection, slug, text)
            for words, subject, unit, measured in (
                ("100", None, "things", metric),
                ("300", None, "things", metric),
                ("7", None, "unknown", metric),
                ("5 ", party, "things", metric),
                ("5.2", party, "things", metric),
                ("50 ", party, "things", metric),
                ("There", party, "things", other),
            ):
                if words not in text:
                    continue
                start = text.index(words)
                surface = words.strip()
                ids[f"{slug}:{surface}"] = add(
                    connection,
                    "figures",
                    slug=f"{slug}-{surface}",
                    source_id=source,
                    subject_id=subject,
                    metric_id=measured,
                    kind="count",
                    surface=surface,
                    value=float(surface) if surface[0].isdigit() else 1.0,
                    unit=unit,
                    qualifier="exact",
                    evidence=surface,
                    evidence_start=start,
                    evidence_end=start + len(surface),
                    surface_start=start,
                    surface_end=start + len(surface),
                )
    with engine_for(empty_db).connect() as connection:
        partners = {}
        for slug in texts:
            annotation = annotate(connection, slug)
            assert annotation is not None
            check_page(annotation, render(annotation, row_url))
            for mark in annotation.marks:
                name = f"{slug}:{annotation.text[mark.start : mark.end]}"
                partners.setdefault(name, mark.conflict_with)
                assert partners[name] == mark.conflict_with  # surface and evidence alike
    assert partners == {
        "a:There": (),
        "a:100": (ids["b:300"],),
        "a:5": (ids["b:50"],),
        "b:There": (),
        "b:300": (ids["a:100"],),
        "b:7": (),
        "b:5.2": (ids["b:50"],),
        "b:50": (ids["a:5"], ids["b:5.2"]),
    }


def test_an_unknown_source_is_none(seeded: Connection) -> None:
    """No such slug: None, not an error."""
    assert annotate(seeded, "no-such-source") is None


def test_draft_records_are_marked_apart_from_reviewed_ones(seeded: Connection) -> None:
    """A draft quote and figure: class kb-draft on their marks and tag links (dashed in the
    CSS), "draft" in their titles and side-list items; the reviewed ones stay kb-reviewed."""
    (quote,) = ids(seeded, "quotes", "jankauskas-investment-77bn")
    (figure,) = ids(seeded, "figures", "jjtv-epca-areas")
    seeded.execute(update(T["quotes"]).where(T["quotes"].c.id == quote).values(status="draft"))
    seeded.execute(update(T["figures"]).where(T["figures"].c.id == figure).values(status="draft"))
    annotation = annotate(seeded, ARTICLE)
    assert annotation is not None
    drafts = {(m.table, m.row_id) for m in annotation.marks if m.status == "draft"}
    assert drafts == {("quotes", quote), ("figures", figure)}
    tree = check_page(annotation, render(annotation, row_url))
    tags = tag_links(tree)
    for element in tree.elements:
        if element.tag == "mark":
            key = (element.attrs["data-table"], int(element.attrs["data-id"]))
            draft = key in drafts
            assert ("kb-draft" in element.classes) is draft
            assert ("kb-reviewed" in element.classes) is not draft
            tag = tags[element.attrs["data-kind"], element.attrs["data-id"]]
            assert ("kb-draft" in tag.classes) is draft
            assert ("draft, not yet reviewed" in tag.attrs["title"]) is draft
    tags = [e for e in tree.having("kb-tag") if "kb-draft" in e.classes]
    assert {e.attrs["href"] for e in tags} == {row_url("quotes", quote), row_url("figures", figure)}
    items = [e for e in tree.elements if e.tag == "li" and "kb-draft" in e.classes]
    assert len(items) == 2 and all(e.text.endswith("draft") for e in items)
    assert ".kb-mark.kb-draft" in render(annotation, row_url) and "dashed" in render(
        annotation, row_url
    )
    (summary,) = tree.having("kb-summary")
    assert summary.text == "2 quotes, 8 figures, 7 events, 1 role (2 drafts, not yet reviewed)"


# --- nesting, crossing, escaping --------------------------------------------------------------


def annotation_of(text: str, *spans: tuple[str, int, int], status: str = "reviewed") -> Annotation:
    """An annotation of `text` with marks of (kind, start, end), ids 1, 2, …"""
    tables = {"quote": "quotes", "event": "events", "role": "roles"}
    marks = tuple(
        Mark(kind, tables.get(kind, "figures"), number, start, end, status, f"label {number}")
        for number, (kind, start, end) in enumerate(spans, 1)
    )
    return Annotation(
        1, "s", "S", text, marks, tuple(uncovered(text, [(m.start, m.end) for m in marks]))
    )


def test_nested_marks_nest_and_crossing_ones_are_split_into_pieces() -> None:
    """A quote holding an event holding a figure's evidence and surface nest; an event that
    starts inside the quote and ends after it is split where the quote ends, into two pieces
    whose texts join to its span; a role crossing that event's end is split too."""
    text = "Headline\n\nHe said: “We signed in 1995 and grew 3-fold.” Then they left. Done."
    quote = (text.index("We"), text.index("”"))
    event = (text.index("signed"), text.index(" and grew"))
    crossing = (text.index("grew"), text.index(" they"))
    role = (text.index("Then"), text.index(" Done"))
    evidence = (text.index("We"), text.index("”"))
    surface = (text.index("1995"), text.index("1995") + 4)
    annotation = annotation_of(
        text,
        ("quote", *quote),
        ("event", *event),
        ("figure-evidence", *evidence),
        ("figure-surface", *surface),
        ("event", *crossing),
        ("role", *role),
    )
    tree = check_page(annotation, render(annotation, row_url))
    by_key = {(e.attrs["data-kind"], e.attrs["data-id"]): e for e in tree.having("kb-mark")}
    # The quote is outermost (before the figure's evidence of the same span), the event inside.
    assert by_key["figure-evidence", "3"].ancestors[-1] == "mark"
    assert tree.having("kb-quote")[0].ancestors.count("mark") == 0
    assert by_key["event", "2"].ancestors.count("mark") == 2
    assert by_key["figure-surface", "4"].ancestors.count("mark") == 3
    pieces = [e for e in tree.having("kb-piece")]
    assert {(e.attrs["data-kind"], e.attrs["data-id"]) for e in pieces} == {
        ("event", "5"),
        ("role", "6"),
    }
    crossing_pieces = [e for e in pieces if e.attrs["data-id"] == "5"]
    assert [e.text for e in crossing_pieces] == ["grew 3-fold.", "” Then"]
    assert crossing_pieces[0].attrs["id"] == "kb-event-5"
    assert "id" not in crossing_pieces[1].attrs
    # Only the first piece has the type-marker link before it.
    assert sum(e.attrs["href"] == row_url("events", 5) for e in tree.having("kb-tag")) == 1


def test_identical_spans_nest_in_a_fixed_order() -> None:
    """Marks over the same characters: quote, event, role, figure evidence, figure surface,
    outermost first; two events by id."""
    text = "Headline\n\nAbout 40 companies came."
    span = (text.index("About"), len(text))
    annotation = annotation_of(
        text,
        ("figure-surface", *span),
        ("event", *span),
        ("role", *span),
        ("quote", *span),
        ("figure-evidence", *span),
        ("event", *span),
    )
    tree = check_page(annotation, render(annotation, row_url))
    order = [(e.attrs["data-kind"], e.attrs["data-id"]) for e in tree.having("kb-mark")]
    assert order == [
        ("quote", "4"),
        ("event", "2"),
        ("event", "6"),
        ("role", "3"),
        ("figure-evidence", "5"),
        ("figure-surface", "1"),
    ]


@pytest.mark.parametrize("seed", range(40))
def test_random_marks_always_read_their_spans(seed: int) -> None:
    """Any marks over any text (nested, crossing, equal, touching; markup characters, carriage
    returns, quotation marks): every mark's pieces join to its span, every piece reads its
    own, the container reads the text."""
    rng = random.Random(seed)
    alphabet = ["a", "b", " ", "\n", "\n\n", "<", ">", "&", '"', "'", "\r\n", "“", "3", ". "]
    text = "Title\n\n" + "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
    kinds = ["quote", "figure-surface", "figure-evidence", "event", "role"]
    spans = []
    for _ in range(rng.randint(0, 12)):
        start = rng.randrange(len(text))
        spans.append((rng.choice(kinds), start, rng.randint(start + 1, len(text))))
    annotation = annotation_of(text, *spans, status=rng.choice(["reviewed", "draft"]))
    check_page(annotation, render(annotation, row_url))


def test_markup_in_a_source_text_and_in_records_renders_as_text(
    empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """<script> in a source's text, a speaker's name, a metric's name, a figure's surface, an
    event's name, a role's title, and in the address row_url gives: all escaped, so the page
    holds no element the data made."""
    script = '<script>alert("x")</script>'
    text = f"Headline {script}\n\nHe said: “We <b>grew</b> by 5 & more.” Then {script} 7 of 9."
    with engine_for(empty_db).begin() as connection:
        source = add_source(connection, "evil", text)
        person = add(connection, "people", slug="evil-person", name=f"Eve {script}", aliases=[])
        metric = add(
            connection,
            "metrics",
            slug="evil-metric",
            name=f"Growth {script}",
            kind="count",
            unit="things",
            aliases=[],
        )
        start = text.index("We")
        end = text.index("”")
        add(
            connection,
            "quotes",
            slug="evil-quote",
            text=text[start:end],
            speaker_id=person,
            source_id=source,
            kind="direct",
            text_start=start,
            text_end=end,
        )
        surface = text.index("5 &")
        add(
            connection,
            "figures",
            slug="evil-figure",
            source_id=source,
            metric_id=metric,
            kind="count",
            surface=text[surface : surface + 1],
            value=5,
            unit="things",
            qualifier="exact",
            evidence=text[start:end],
            evidence_start=start,
            evidence_end=end,
            surface_start=surface,
            surface_end=surface + 1,
        )
        add(
            connection,
            "events",
            slug="evil-event",
            name=f"Growth {script}",
            kind="other",
            occurrence="happened",
            source_id=source,
            evidence=text[start:end],
            evidence_start=start,
            evidence_end=end,
        )
        add(
            connection,
            "roles",
            person_id=person,
            title=f"Boss {script}",
            source_id=source,
            evidence=text[start:end],
            evidence_start=start,
            evidence_end=end,
        )
    with engine_for(empty_db).connect() as connection:
        annotation = annotate(connection, "evil")
    assert annotation is not None
    assert annotation.text == text
    assert {m.label for m in annotation.marks} >= {f"Eve {script}", f"Growth {script}: 5"}
    markup = render(annotation, lambda table, row: f'/x?t={table}&id={row}"><script>')
    assert "<script" not in markup and "<b>" not in markup
    tree = check_page(annotation, markup)
    assert {e.tag for e in tree.elements} <= {
        "div",
        "style",
        "p",
        "ul",
        "li",
        "span",
        "mark",
        "a",
        "ol",
    }
    (quote,) = [e for e in tree.having("kb-quote") if e.tag == "mark"]
    tag = tag_links(tree)["quote", quote.attrs["data-id"]]
    assert tag.attrs["title"] == f"Quote by Eve {script}"
    assert tag.attrs["href"] == f'/x?t=quotes&id={quote.attrs["data-id"]}"><script>'
    # The uncovered sentence after the quote holds the script and numbers, as text.
    (left,) = tree.having("kb-uncovered")
    assert left.text == f"Then {script} 7 of 9."
    assert any(f"Boss {script}" in e.text for e in tree.elements if e.tag == "li")


def test_carriage_returns_survive_the_html_parser() -> None:
    """A text with CRLF line ends: written as &#13;, read back as CR (a literal CR would be
    read as a line feed)."""
    text = "Headline\r\n\r\nThe EU invested 5 billion.\r\nMore 6.\r\n"
    annotation = annotation_of(text, ("figure-surface", text.index("5"), text.index("5") + 9))
    markup = render(annotation, row_url)
    assert "&#13;" in markup
    check_page(annotation, markup)


# --- coverage ---------------------------------------------------------------------------------


def sentence_texts(text: str, spans: list[tuple[int, int]] | None = None) -> list[str]:
    """The texts of the uncovered sentences of `text` with marks over `spans`."""
    return [text[start:end] for start, end in uncovered(text, spans or [])]


def test_sentences_with_a_digit_or_a_quotation_mark_want_curating() -> None:
    """Digits and quotation marks count; apostrophes inside or after a word do not; the
    headline is not a sentence of the body."""
    text = (
        "Headline with 30 years\n\n"
        "It grew by 3 percent. Kazakhstan’s partners’ trade grew. He said “yes” then. "
        "They call it 'green' energy. It's fine. A «quoted» word. Nothing here.\n\n"
        "Their ‘clean’ plan. An „opening” mark. Done."
    )
    assert sentence_texts(text) == [
        "It grew by 3 percent.",
        "He said “yes” then.",
        "They call it 'green' energy.",
        "A «quoted» word.",
        "Their ‘clean’ plan.",
        "An „opening” mark.",
    ]


def test_a_sentence_is_uncovered_only_when_no_mark_overlaps_it() -> None:
    """A mark over any character of a sentence covers it, the sentence's quotation marks
    outside a quote's span included; a mark that only touches it does not."""
    text = "Headline\n\nHe said “we grew 5-fold” today. It rose 7 percent. Then 9 more."
    quote = (text.index("we"), text.index("” today"))
    assert sentence_texts(text, [quote]) == ["It rose 7 percent.", "Then 9 more."]
    seven = text.index("7")
    assert sentence_texts(text, [quote, (seven, seven + 1)]) == ["Then 9 more."]
    # A span over the space between two sentences touches neither.
    space = text.index(" Then")
    assert sentence_texts(text, [quote, (space, space + 1)]) == [
        "It rose 7 percent.",
        "Then 9 more.",
    ]


def texts_for_layout() -> list[str]:
    """Every article text the repository holds, and a few odd shapes."""
    paths = sorted((REPO / "tests" / "data").rglob("*.txt")) + sorted((REPO / "seeds").glob("*"))
    return [p.read_text(encoding="utf-8") for p in paths if p.is_file()] + [
        "\n\n\nHeadline\n\nBody one. Two 3.\n\nThree.",
        "  A first line that is a sentence. It is 4.\n\nNext paragraph 5.",
        "Headline\nFirst paragraph 1. Two.\n\nSecond 2 \n  \n\n  x",
        "Headline\nLine two 2.\nLine three 3.\n",
        "One line only 1.",
        "",
    ]


def test_spans_out_of_the_text_are_cut_to_it() -> None:
    """Spans reaching before or past the text count for what of them lies in it, and an
    empty text has nothing to curate."""
    text = "Headline\n\nIt grew 5 percent. It fell 6 percent."
    second = text.index("It fell")
    assert uncovered(text, [(-10, 0), (len(text), len(text) + 9)]) == [
        (text.index("It grew"), second - 1),
        (second, len(text)),
    ]
    assert uncovered(text, [(second + 3, len(text) + 9)]) == [(text.index("It grew"), second - 1)]
    assert uncovered("", [(-4, 42), (1, 8)]) == []
    assert uncovered("", []) == []


def test_splitting_only_what_is_needed_gives_layouts_sentences() -> None:
    """Laying out each paragraph alone gives exactly the sentences of layout() of the whole
    text, for every text in the repository (coverage relies on it)."""
    for text in texts_for_layout():
        whole = [(s.start, s.end) for s in layout(text).sentences]
        assert sentences(text, lambda start, end: True) == whole


@pytest.mark.parametrize("seed", range(5))
def test_uncovered_sentences_are_those_of_the_whole_layout(seed: int) -> None:
    """uncovered() (which lays out only paragraphs that may hold an uncovered sentence) finds
    exactly the sentences of the whole layout that hold a wanted character and overlap no
    mark, on random texts with random marks."""
    rng = random.Random(seed)
    words = ["Word", "word", "Mr.", "U.S.", " ", ". ", "! ", "\n", "\n\n", " \n \n ", "3",
             "“Quote.” ", "«Q» ", "'q' ", "ASTANA, Feb 2 (Reuters) - ", "Kazakhstan’s", ", ",
             "x" * 60 + " ", "A" * 30 + ", ", "٣ ", "中文 ", "ä — é "]  # fmt: skip
    pattern = re.compile(r"\d|[\"“”„«»‹›‘]|(?<![\w’'])'(?=\w)")
    for _ in range(400):
        text = "".join(rng.choice(words) for _ in range(rng.randint(0, 80)))
        spans = []
        for _ in range(rng.randint(0, 6)):
            if len(text) > 1:
                start = rng.randrange(len(text) - 1)
                spans.append((start, rng.randint(start + 1, min(len(text), start + 40))))
        whole = [
            (s.start, s.end)
            for s in layout(text).sentences
            if pattern.search(text, s.start, s.end)
            and not any(a < s.end and b > s.start for a, b in spans)
        ]
        assert uncovered(text, spans) == whole, (text, spans)
        assert uncovered(text, sorted(spans), in_order=True) == whole, (text, spans)


@pytest.fixture
def uncurated(seeded_db: str, engine_for: Callable[[str | Path], Engine]) -> str:
    """The bundled collection without the article's figure of 3,000 companies and its event
    of the planned celebrations: two sentences with numbers left uncovered."""
    with engine_for(seeded_db).begin() as connection:
        connection.execute(
            delete(T["figures"]).where(T["figures"].c.slug == "jjtv-european-companies")
        )
        connection.execute(
            delete(T["events"]).where(T["events"].c.slug == "jjtv-kz-eu-anniversary-events-planned")
        )
    return seeded_db


def test_coverage_lists_each_sources_uncovered_sentences(
    uncurated: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    """coverage(): every source by slug; the article with its two sentences, in text order,
    with their offsets; the page says so at the top and marks them."""
    with engine_for(uncurated).connect() as connection:
        report = coverage(connection)
        annotation = annotate(connection, ARTICLE)
    assert [s.slug for s in report] == sorted(s.slug for s in report) and len(report) == 9
    (left,) = [s for s in report if s.count]
    assert (left.slug, left.count) == (ARTICLE, 2)
    assert [s.text for s in left.sentences] == [
        f"{COMPANIES} operating in Kazakhstan.",
        "A number of events are planned to mark the 30th anniversary of the establishment of "
        "diplomatic relations between the parties.",
    ]
    assert annotation is not None
    assert annotation.uncovered == tuple((s.start, s.end) for s in left.sentences)
    assert all(annotation.text[s.start : s.end] == s.text for s in left.sentences)
    assert left.to_dict()["count"] == 2
    tree = check_page(annotation, render(annotation, row_url))
    (heading,) = tree.having("kb-coverage")
    assert heading.text == "2 sentences with figures or quotes not yet curated"
    assert [e.text for e in tree.having("kb-uncovered")] == [s.text for s in left.sentences]


def test_the_heading_counts_one_sentence_in_the_singular() -> None:
    """1 sentence, 2 sentences, and all curated."""
    for text, heading in (
        ("Headline\n\nIt grew 5 percent.", "1 sentence with figures or quotes not yet curated"),
        ("Headline\n\nIt grew 5. It fell 6.", "2 sentences with figures or quotes not yet curated"),
        ("Headline\n\nNothing to count.", "All sentences with figures or quotes are curated"),
    ):
        tree = Tree(render(annotation_of(text), row_url))
        assert tree.having("kb-coverage")[0].text == heading


# --- kb check --coverage ----------------------------------------------------------------------


def test_check_coverage_prints_each_source_left_to_curate(kb: Kb, uncurated: str) -> None:
    """`kb check --coverage`: the source, its count, its sentences with their offsets (cut to
    80 columns), a total; exit status 0. The audit does not run."""
    result = kb("check", "--coverage", db=uncurated)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Coverage of ")
    assert f"{ARTICLE}: 2 sentences with figures or quotes not yet curated" in lines
    start = lines.index(f"{ARTICLE}: 2 sentences with figures or quotes not yet curated")
    first, second = lines[start + 1 : start + 3]
    assert first.startswith("  [1224, 1327) There are about 3,000 companies") and first.endswith(
        "…"
    )
    assert second.startswith("  [2197, 2322) A number of events are planned")
    assert all(len(line) <= 80 for line in lines[1:])
    assert lines[-1] == "2 sentences with figures or quotes not yet curated, in 1 of 9 sources."
    assert "integrity" not in result.output


def test_check_coverage_as_json(kb: Kb, uncurated: str) -> None:
    """--format json: every source, with its count and its sentences' texts and offsets."""
    result = kb("check", "--coverage", "--format", "json", db=uncurated)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["uncovered"] == 2 and len(report["sources"]) == 9
    (left,) = [s for s in report["sources"] if s["count"]]
    assert left["slug"] == ARTICLE
    assert left["sentences"][0]["start"] == 1224 and left["sentences"][0]["end"] == 1327
    assert left["sentences"][0]["text"].startswith(COMPANIES)


def test_check_coverage_on_a_curated_collection(kb: Kb, seeded_db: str) -> None:
    """Nothing left: one line says so; exit status 0."""
    result = kb("check", "--coverage", db=seeded_db)
    assert result.exit_code == 0
    assert result.output.splitlines()[-1] == (
        "All sentences with figures or quotes are curated, in all 9 sources."
    )


def test_check_help_shows_coverage(kb: Kb) -> None:
    """--help describes --coverage and gives examples."""
    result = kb("check", "--help")
    assert "--coverage" in result.output and "kb check --coverage --format json" in result.output


# --- the benchmark ----------------------------------------------------------------------------


def test_the_benchmark_runs(tmp_path: Path) -> None:
    """annotate_bench.py on a small source prints its sizes and times against the baseline
    (no time is asserted)."""
    result = run_benchmark("annotate_bench.py", "--kb", "20", "--runs", "1")
    assert result.returncode == 0, result.stderr
    assert "baseline: html.escape(text)" in result.stdout
    assert re.search(r"annotate \+ render +[\d.]+ +[\d.]+", result.stdout)
    assert re.search(r"Marks: [\d,]+ \(", result.stdout)
