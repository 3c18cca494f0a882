"""The annotated page as a person sees it: a real `datasette serve` with kb's plugin, opened in
headless Chromium (Debian's `chromium`), its rendered DOM read back and a screenshot taken.

Locally the test is skipped when Chromium is missing; under CI (`CI` set) it fails, since
`.ci/run` installs Chromium.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from helpers.pages import chromium, marks_of, rendered_dom, screenshot, served

from kb.datasette import page_path

pytestmark = pytest.mark.slow

SEED = "jjtv-kazakhstan-eu-30-years"


@pytest.fixture
def browser() -> str:
    """The Chromium to drive; missing is a skip locally and a failure under CI."""
    found = chromium()
    if found is None:
        message = "headless Chromium not found (apt-get install chromium; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def kb_file(seeded_sqlite: Path, tmp_path: Path) -> Path:
    """The bundled collection, loaded, as kb.sqlite3."""
    target = tmp_path / "kb.sqlite3"
    target.write_bytes(seeded_sqlite.read_bytes())
    return target


def test_every_mark_in_the_rendered_page_is_its_records_span(
    browser: str, kb_file: Path, tmp_path: Path
) -> None:
    with sqlite3.connect(kb_file) as connection:
        (text,) = connection.execute("SELECT text FROM sources WHERE slug = ?", (SEED,)).fetchone()
        quotes = connection.execute(
            "SELECT q.id, q.text_start, q.text_end FROM quotes q "
            "JOIN sources s ON s.id = q.source_id WHERE s.slug = ?",
            (SEED,),
        ).fetchall()
    with served(kb_file) as base:
        url = base + page_path("kb", SEED)
        dom = rendered_dom(browser, url, tmp_path / "profile")
        shot = tmp_path / "annotated.png"
        screenshot(browser, url, tmp_path / "profile-2", shot, "1200,1600")
    marks = marks_of(dom)
    assert marks, "no marks in the rendered page"
    for (_kind, _table, _row, start, end), shown in marks.items():
        assert shown == text[int(start) : int(end)]
    marked_quotes = {
        (int(row), int(start), int(end))
        for _kind, table, row, start, end in marks
        if table == "quotes"
    }
    assert set(quotes) <= marked_quotes
    assert shot.stat().st_size > 10_000  # a real picture, not an empty page
