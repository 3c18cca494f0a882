"""`kb draft` as a library: the seed article, each extractor's rules, and drafts that load."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine

from kb.draft import Article, Draft, draft, parse_published, read_article, to_json, to_yaml
from kb.draft.render import scalar
from kb.draft.segment import layout
from kb.errors import KbError
from kb.loader import load, validate
from kb.paths import data_dir

SEED = data_dir("seeds") / "jjtv-2023-02-02-kazakhstan-eu-30-years.txt"
DRAFT_DATA = Path(__file__).parent / "data" / "draft"
TEXTS = sorted(DRAFT_DATA.rglob("*.txt"))


def drafted(body: str, *, published: str | None = None, title: str = "Headline") -> Draft:
    """The draft of an article made of a headline and `body`."""
    text = f"{title}\n\n{body}\n"
    date = parse_published(published) if published else None
    return draft(Article(text, "article.txt", "0" * 64, "article", date))


def fields(result: Draft, record_type: str) -> list[dict[str, Any]]:
    """The fields of every record of one type."""
    return [record.fields for record in result.of_type(record_type)]


def speakers(result: Draft) -> dict[str, str]:
    """Each quote's text and its speaker's name."""
    names = {person["slug"]: person["name"] for person in fields(result, "person")}
    return {quote["text"]: names[quote["speaker"]] for quote in fields(result, "quote")}


def figure_keys(result: Draft) -> set[tuple[str, str, float, str, str]]:
    """(surface, kind, value, unit, qualifier) of every figure."""
    return {
        (f["surface"], f["kind"], f["value"], f["unit"], f["qualifier"])
        for f in fields(result, "figure")
    }


@pytest.fixture(scope="module")
def seed() -> Draft:
    """The draft of the seed article, published on 2 February 2023."""
    return draft(read_article(SEED, published="2023-02-02"))


# The seed article ---------------------------------------------------------------------------


def test_seed_quotes_both_by_the_ambassador(seed: Draft) -> None:
    quotes = fields(seed, "quote")
    assert [quote["text"][:30] for quote in quotes] == [
        "Our relations started after th",
        "Just in 30 years of our cooper",
    ]
    assert set(speakers(seed).values()) == {"Kestutis Jankauskas"}
    assert {quote["kind"] for quote in quotes} == {"direct"}
    assert quotes[1]["text"].endswith("investments into ‘green’ energy")


def test_seed_scare_quote_is_not_a_quote(seed: Draft) -> None:
    assert all("green’" not in q["text"][:10] for q in fields(seed, "quote"))
    assert len(fields(seed, "quote")) == 2


def test_seed_every_figure_and_nothing_else(seed: Draft) -> None:
    assert figure_keys(seed) == {
        ("US$160 billion", "amount", 160_000_000_000, "USD", "more_than"),
        ("180-fold", "multiplier", 180, "times", "exact"),
        ("one third", "share", 33.3333, "percent", "exact"),
        ("29", "count", 29, "areas", "exact"),
        ("3,000", "count", 3000, "companies", "about"),
        ("US$77 billion", "amount", 77_000_000_000, "USD", "almost"),
        ("a half, or 50 percent", "share", 50, "percent", "about"),
        ("800 million", "amount", 800_000_000, "unknown", "about"),
    }


def test_seed_years_ordinals_and_durations_are_not_figures(seed: Draft) -> None:
    surfaces = " | ".join(f["surface"] for f in fields(seed, "figure"))
    for word in ("1995", "30th", "30 years", "three decades", "February 2", "first"):
        assert word not in surfaces


def test_seed_figures_in_quotes_name_their_quote(seed: Draft) -> None:
    quote_of = {f["surface"]: f.get("quote") for f in fields(seed, "figure")}
    first, second = (q["slug"] for q in fields(seed, "quote"))
    assert quote_of["29"] == first
    assert quote_of["US$77 billion"] == quote_of["800 million"] == second
    assert quote_of["US$160 billion"] is None


def test_seed_last_year_is_resolved_against_publication(seed: Draft) -> None:
    (yearly,) = (f for f in fields(seed, "figure") if f["surface"] == "800 million")
    assert (yearly["period_start"], yearly["period_end"]) == ("2022", "2022")
    assert yearly["period_start_inferred"] is True
    assert yearly["evidence"] == "Last year alone, the EU states invested about 800 million."


def test_seed_ambassador_with_his_role(seed: Draft) -> None:
    (person,) = fields(seed, "person")
    assert person["name"] == "Kestutis Jankauskas"
    assert person["aliases"] == ["Jankauskas"]
    assert person["roles"] == [
        {
            "title": "EU Ambassador to Kazakhstan",
            # Drafted alone, the draft creates the party the role names.
            "party": "european-union",
            "source": "jjtv-2023-02-02-kazakhstan-eu-30-years",
            "evidence": "Kestutis Jankauskas, EU Ambassador to Kazakhstan",
        }
    ]


def test_seed_events_with_dates_and_inferred_ones(seed: Draft) -> None:
    events = {
        (e["kind"], e.get("date"), e.get("date_inferred", False)) for e in fields(seed, "event")
    }
    assert ("anniversary", "2023-02-02", True) in events  # "On February 2", year of publication
    assert ("signing", "1995", False) in events  # "…agreement. That was in 1995."
    assert ("signing", "2005", True) in events  # "The decade later"
    (pca,) = (e for e in fields(seed, "event") if e.get("date") == "1995")
    assert pca["evidence"].endswith("cooperation agreement. That was in 1995.")


def test_seed_without_publication_date_leaves_relative_dates_out() -> None:
    result = draft(read_article(SEED))
    assert "published" not in fields(result, "source")[0]
    (yearly,) = (f for f in fields(result, "figure") if f["surface"] == "800 million")
    assert "period_start" not in yearly
    dates = [e.get("date") for e in fields(result, "event")]
    assert "2023-02-02" not in dates
    assert "2005" in dates  # "the decade later" counts from 1995, printed in the text


def test_seed_source_record(seed: Draft) -> None:
    (source,) = fields(seed, "source")
    assert source == {
        "slug": "jjtv-2023-02-02-kazakhstan-eu-30-years",
        "title": "Kazakhstan and EU mark 30 years of diplomatic relations",
        "published": "2023-02-02",
        "language": "en",
        "path": SEED.name,
        "sha256": "a1c712e590bb6abf6269a0ed224e639e9e8da7c62fac833c17801d95583e9a25",
        "status": "draft",
    }


def test_every_record_is_a_draft(seed: Draft) -> None:
    assert {record.fields["status"] for record in seed.records} == {"draft"}


# Offsets ------------------------------------------------------------------------------------


def _words(passage: str) -> str:
    """A passage compared as the loader compares it."""
    return " ".join(passage.translate(str.maketrans("‘’“”", "''\"\"")).split())


@pytest.mark.parametrize("path", [SEED, *TEXTS], ids=lambda path: path.stem)
def test_offsets_point_at_the_passages(path: Path) -> None:
    result = draft(read_article(path, published="2024-01-15"))
    text = result.article.text
    document = json.loads(to_json(result))
    records = {f"{r['type']}/{r['slug']}": r for r in document["records"]}
    assert document["offsets"], "no offsets"
    for key, spans in document["offsets"].items():
        record = records[key]
        for name, (start, end) in spans.items():
            value = record
            for part in re.findall(r"\w+|\[\d+\]", name):
                value = value[int(part[1:-1])] if part.startswith("[") else value[part]
            assert _words(text[start:end]) == _words(str(value)), (key, name)


def test_yaml_comments_give_the_same_offsets(seed: Draft) -> None:
    rendered = to_yaml(seed)
    comments = re.findall(r"# offsets: text (\d+)-(\d+)", rendered)
    quotes = fields(seed, "quote")
    assert [(int(a), int(b)) for a, b in comments] == [
        record.offsets["text"] for record in seed.of_type("quote")
    ]
    start, end = seed.of_type("quote")[0].offsets["text"]
    assert _words(seed.article.text[start:end]) == _words(quotes[0]["text"])


# Quotes -------------------------------------------------------------------------------------


def test_said_name_role_and_surname_later() -> None:
    result = drafted(
        "“We will build it,” said Anna Berg, Trade Commissioner of Ruritania. "
        "“It will take years,” Berg added."
    )
    assert speakers(result) == {"We will build it": "Anna Berg", "It will take years": "Anna Berg"}
    (person,) = fields(result, "person")
    assert person["roles"][0]["title"] == "Trade Commissioner of Ruritania"
    assert person["aliases"] == ["Berg"]


def test_name_said_colon_and_pronoun() -> None:
    result = drafted(
        'Finance Minister Karl Odum said: "The budget is balanced."\n\n'
        "Critics disagreed. “It is a fiction,” said Mia Lund, an economist. "
        "“The deficit is growing,” she added. “So is the debt,” Odum replied."
    )
    assert speakers(result) == {
        "The budget is balanced.": "Karl Odum",
        "It is a fiction": "Mia Lund",
        "The deficit is growing": "Mia Lund",
        "So is the debt": "Karl Odum",
    }


def test_according_to_and_partial_quote() -> None:
    result = drafted(
        "According to Vera Holm, the plan is “a step in the right direction for everyone”. "
        "Holm described the vote as “long overdue and badly needed”."
    )
    quotes = fields(result, "quote")
    assert [(q["text"], q["kind"]) for q in quotes] == [
        ("a step in the right direction for everyone", "partial"),
        ("long overdue and badly needed", "partial"),
    ]
    assert set(speakers(result).values()) == {"Vera Holm"}


def test_scare_quotes_are_not_quotes() -> None:
    result = drafted(
        "The city bought 'green' buses and \"smart\" meters, said Mayor Ola Berg. "
        "Berg called it a “bold” move."
    )
    assert fields(result, "quote") == []


def test_nested_quotation_stays_inside() -> None:
    result = drafted("“He told me, ‘We shall sign,’ and he did,” said Ivo Rand, a diplomat.")
    assert speakers(result) == {"He told me, ‘We shall sign,’ and he did": "Ivo Rand"}


def test_quote_over_two_paragraphs_is_one_quote() -> None:
    result = drafted(
        "“The first part ends here.\n\n“The second part follows,” said Ada Vos, the mayor."
    )
    (quote,) = fields(result, "quote")
    assert quote["text"] == "The first part ends here. “The second part follows"
    assert speakers(result)[quote["text"]] == "Ada Vos"


def test_speaker_named_only_after_the_quote() -> None:
    result = drafted(
        "“Nothing will be closed this year.”\n\n"
        "That promise came from Education Minister Lena Farrow on Monday."
    )
    assert speakers(result) == {"Nothing will be closed this year.": "Lena Farrow"}


def test_quote_with_no_speaker_is_noted_not_drafted() -> None:
    result = drafted("“Nobody knows who wrote these words on the wall,” the sign read.")
    assert fields(result, "quote") == []
    assert [quote.text for quote in result.unattributed] == [
        "Nobody knows who wrote these words on the wall"
    ]
    assert "no speaker found" in to_yaml(result)


def test_apostrophes_do_not_close_single_quotes() -> None:
    result = drafted("‘The port’s new crane isn’t ready yet,’ said Jon Ekberg, the director.")
    assert speakers(result) == {"The port’s new crane isn’t ready yet": "Jon Ekberg"}


# People -------------------------------------------------------------------------------------


def test_titles_before_names_and_organisations_are_not_people() -> None:
    result = drafted(
        "Prime Minister of Ruritania Olaf Berg met President Ana Lind and the Nordic Investment "
        "Bank in Port Aster on Monday. Chief executive Maren Oduya said the deal was signed."
    )
    roles = {p["name"]: [r["title"] for r in p.get("roles", [])] for p in fields(result, "person")}
    assert roles == {
        "Olaf Berg": ["Prime Minister of Ruritania"],
        "Ana Lind": ["President"],
        "Maren Oduya": ["Chief executive"],
    }


def test_indirect_speech_object_is_not_a_person() -> None:
    result = drafted("The minister said Kazakhstan would keep to its quota, according to Reuters.")
    assert fields(result, "person") == []


# Figures ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("It cost $35 bn in all.", ("$35 bn", "amount", 35_000_000_000, "USD", "exact")),
        ("It cost €12 million.", ("€12 million", "amount", 12_000_000, "EUR", "exact")),
        ("It cost £4.5m.", ("£4.5m", "amount", 4_500_000, "GBP", "exact")),
        ("It cost CHF 75 million.", ("CHF 75 million", "amount", 75_000_000, "CHF", "exact")),
        ("It cost 180 billion tenge.", ("180 billion tenge", "amount", 1.8e11, "KZT", "exact")),
        ("Trade grew by nearly 12 percent.", ("12 percent", "change", 12, "percent", "almost")),
        ("Exports rose 9.5 per cent.", ("9.5 per cent", "change", 9.5, "percent", "exact")),
        ("Up to 40% of the cost is covered.", ("40%", "share", 40, "percent", "at_most")),
        (
            "They hold two thirds of the shares.",
            ("two thirds", "share", 66.6667, "percent", "exact"),
        ),
        ("Output increased 180-fold.", ("180-fold", "multiplier", 180, "times", "exact")),
        ("Sales have more than doubled.", ("doubled", "multiplier", 2, "times", "more_than")),
        ("Exports grew threefold.", ("threefold", "multiplier", 3, "times", "exact")),
        ("Over 3,000 companies operate here.", ("3,000", "count", 3000, "companies", "more_than")),
        ("It covers 29 different areas.", ("29", "count", 29, "areas", "exact")),
        (
            "The deal was worth exactly 800 million.",
            ("800 million", "amount", 8e8, "unknown", "exact"),
        ),
    ],
)
def test_figures(sentence: str, expected: tuple[str, str, float, str, str]) -> None:
    assert figure_keys(drafted(sentence)) == {expected}


@pytest.mark.parametrize(
    "sentence",
    [
        "The treaty was signed in 1995 and renewed on 3 May 2021.",
        "It was their 30th anniversary and the 12th-century church was full.",
        "Talks lasted 30 years, three decades of work, and 140-year-old rules.",
        "Mayor Ada Vos, 52, spoke at the age of 19 in the 1990s.",
        "The company was fined twice.",
        "Article 5 of the treaty and COP27 were mentioned.",
    ],
)
def test_not_figures(sentence: str) -> None:
    assert fields(drafted(sentence), "figure") == []


def test_restated_share_is_one_figure() -> None:
    keys = figure_keys(drafted("The EU holds about a half, or 50 percent, of all investment."))
    assert keys == {("a half, or 50 percent", "share", 50, "percent", "about")}


def test_figure_periods_from_the_sentence() -> None:
    result = drafted(
        "Capacity tripled between 2021 and 2023. Since 2015 it has lent $4 billion. "
        "Trade reached €3.1 billion last year, 40 percent more than in 2019.",
        published="2024-03-15",
    )
    periods = {
        f["surface"]: (f.get("period_start"), f.get("period_end")) for f in fields(result, "figure")
    }
    assert periods == {
        "tripled": ("2021", "2023"),
        "$4 billion": ("2015", None),
        "€3.1 billion": ("2023", "2023"),
        "40 percent": (None, None),
    }


def test_a_repeated_surface_grounds_where_the_figure_is() -> None:
    result = drafted("Chevron holds 25%, ExxonMobil the remaining 5%, of the venture.")
    (five,) = (r for r in result.of_type("figure") if r.fields["surface"] == "5%")
    start, end = five.offsets["surface"]
    assert result.article.text[start - 10 : end] == "remaining 5%"


# Events -------------------------------------------------------------------------------------


def test_events_with_dates_precision_and_occurrence() -> None:
    result = drafted(
        "Ruritania and Estmark signed a trade pact on 3 May 2021. "
        "The two countries established relations in 1992 and opened embassies a year later. "
        "The pact entered into force in March 2022. "
        "Minister Ola Berg will visit Estmark next month.",
        published="2024-06-10",
    )
    events = [
        (e["kind"], e.get("date"), e.get("date_inferred", False), e["occurrence"])
        for e in fields(result, "event")
    ]
    assert events == [
        ("signing", "2021-05-03", False, "happened"),
        ("establishment", "1992", False, "happened"),
        ("establishment", "1993", True, "happened"),
        ("entry_into_force", "2022-03", False, "happened"),
        ("visit", "2024-07", True, "planned"),
    ]
    (visit,) = (e for e in fields(result, "event") if e["kind"] == "visit")
    assert visit["participants"] == [{"person": "ola-berg"}]


def test_relative_dates_need_the_publication_date() -> None:
    result = drafted("The leaders met in Geneva on Tuesday and last year.")
    assert "date" not in fields(result, "event")[0]


def test_said_on_a_day_dates_the_saying_not_the_event() -> None:
    result = drafted(
        "The airline has ordered 30 jets, it said on Wednesday.", published="2024-05-16"
    )
    assert "date" not in fields(result, "event")[0]


# Output -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "No",
        "null",
        "1995",
        "2023-02-02",
        "a: b",
        "x #y",
        "#x",
        "- x",
        "it's",
        '"quoted"',
        "tab\there",
        "line\nbreak",
        "nbsp\u00a0here",
        "nel\x85here",
        "ls\u2028here",
        "bom\ufeffhere",
        "bell\x07here",
        "@at",
        "*star",
        "[list]",
        "ending:",
        "ünïcödé",
        " leading",
        "180-fold",
        "33.3333",
    ],
)
def test_scalars_read_back_unchanged(value: str) -> None:
    assert yaml.safe_load(f"key: {scalar(value)}") == {"key": value}


def test_long_passages_fold_and_read_back(seed: Draft) -> None:
    rendered = to_yaml(seed)
    assert "text: >-" in rendered
    assert max(len(line) for line in rendered.splitlines() if not line.startswith("#")) <= 100
    data = yaml.safe_load(rendered)
    assert data["quotes"][0]["text"] == fields(seed, "quote")[0]["text"]
    assert len(data["figures"]) == 8


def test_json_output_is_records_offsets_and_notes(seed: Draft) -> None:
    document = json.loads(to_json(seed))
    assert set(document) == {
        "article", "records", "offsets", "notes", "unattributed", "against", "links"
    }  # fmt: skip
    types = [r["type"] for r in document["records"]]
    assert types[0] == "source" and types.index("person") < types.index("quote")
    assert document["offsets"]["person/kestutis-jankauskas"] == {"roles[0].evidence": [1173, 1221]}


# Reading articles ---------------------------------------------------------------------------


def test_read_article_errors(tmp_path: Path) -> None:
    with pytest.raises(KbError, match="No file"):
        read_article(tmp_path / "missing.txt")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Headline\n\nCaf\xe9 prices rose.".encode("latin-1"))
    with pytest.raises(KbError, match=r"not UTF-8 \(byte 0xe9 on line 3\)"):
        read_article(latin)
    empty = tmp_path / "empty.txt"
    empty.write_text(" \n", encoding="utf-8")
    with pytest.raises(KbError, match="is empty"):
        read_article(empty)
    with pytest.raises(KbError, match="is not a date"):
        read_article(SEED, published="Feb 2023")
    with pytest.raises(KbError, match="is not a slug"):
        read_article(SEED, source_slug="Not A Slug")


def test_bom_and_crlf_keep_offsets_as_the_loader_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "crlf.txt"
    body = "Headline\r\n\r\n“Trade will double,” said Anna Berg, Trade Commissioner.\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    result = draft(read_article(path))
    (quote,) = result.of_type("quote")
    start, end = quote.offsets["text"]
    assert result.article.text[start:end] == "Trade will double"
    assert fields(result, "source")[0]["title"] == "Headline"


def test_dateline_and_byline() -> None:
    result = drafted(
        "By Anna Berg and Tom Baines\n\n"
        "ASTANA, Feb 2 (Reuters) - Output rose by 10% in 2024, Energy Minister Ola Sand said."
    )
    assert fields(result, "source")[0]["author"] == "Anna Berg and Tom Baines"
    (figure,) = fields(result, "figure")
    assert figure["evidence"].startswith("Output rose")
    assert figure["period_start"] == "2024"


def test_run_on_text_is_cut_into_pieces() -> None:
    body = ", ".join(f"region {i} grew by {i % 9 + 1}%" for i in range(200)) + "."
    parts = layout(f"Title\n\n{body}\n")
    assert len(parts.sentences) > 5
    assert all(sentence.end - sentence.start <= 600 for sentence in parts.sentences)
    assert len(fields(drafted(body), "figure")) == 200


@pytest.mark.parametrize(
    "body",
    [
        "",
        "“",
        "“An unclosed quote, said Anna Berg",
        "«a» ‘b’ 'c' \"d\" „e“ ‹f›",
        "\x85\u2028\t\u00a0\x07 said: “”",
        "Mr. Dr. Prof. Anna Berg, , , said said “x” 1,000,000,000,000,000 % $ € bn",
    ],
)
def test_odd_text_drafts_and_reads_back(body: str) -> None:
    result = drafted(body)
    assert yaml.safe_load(to_yaml(result))["sources"][0]["status"] == "draft"
    assert json.loads(to_json(result))["records"][0]["type"] == "source"


# Loading drafts -----------------------------------------------------------------------------


def _collection(tmp_path: Path, path: Path) -> tuple[Path, Path]:
    """A seeds/ and seeds_data/ pair holding the article and its YAML draft."""
    seeds, data = tmp_path / "seeds", tmp_path / "seeds_data"
    seeds.mkdir()
    data.mkdir()
    shutil.copy(path, seeds / path.name)
    expected = path.with_suffix(".expected.yaml")
    published = "2023-02-02"
    if expected.exists():
        published = yaml.safe_load(expected.read_text(encoding="utf-8")).get("published")
    rendered = to_yaml(draft(read_article(path, published=published)))
    (data / f"{path.stem}.yaml").write_text(rendered, encoding="utf-8")
    return seeds, data


@pytest.mark.parametrize("path", [SEED, *TEXTS], ids=lambda path: path.stem)
def test_drafts_validate_and_load_as_drafts(
    path: Path, tmp_path: Path, empty_db: str, engine_for: Callable[[str | Path], Engine]
) -> None:
    seeds, data = _collection(tmp_path, path)
    summary = validate(data, seeds_dir=seeds)
    assert summary.counts["sources"] == 1
    engine = engine_for(empty_db)
    load(engine, data, seeds_dir=seeds)
    with engine.connect() as connection:
        for table in ("sources", "people", "quotes", "figures", "events"):
            statuses = connection.execute(sql(f"SELECT DISTINCT status FROM {table}")).scalars()
            assert set(statuses) <= {"draft"}
        assert connection.execute(sql("SELECT count(*) FROM figures")).scalar_one() > 0
