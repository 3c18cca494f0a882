"""Make docs/annotated-source.png, the README's picture of the seed article's annotated page.

Usage: .venv/bin/python docs/screenshot.py [--size 1200,1500]

Builds a database from the bundled collection in a temporary directory, serves it with
`datasette serve` (kb's plugin found through its entry point), and has headless Chromium
(Debian's `chromium`) take the picture. The same steps as tests/test_browser.py, which checks
the page's marks against the database.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from helpers.pages import chromium, screenshot, served  # noqa: E402

from kb.datasette import page_path  # noqa: E402
from kb.db import make_engine  # noqa: E402
from kb.loader import load  # noqa: E402
from kb.migrating import upgrade  # noqa: E402
from kb.paths import data_dir  # noqa: E402

SEED = "jjtv-kazakhstan-eu-30-years"
TARGET = REPO / "docs" / "annotated-source.png"


def main(size: str) -> None:
    """Build, serve and photograph the seed article's annotated page."""
    browser = chromium()
    if browser is None:
        sys.exit("Chromium not found: apt-get install chromium (or set KB_CHROMIUM).")
    with tempfile.TemporaryDirectory() as work:
        database = Path(work) / "kb.sqlite3"
        engine = make_engine(f"sqlite:///{database}")
        upgrade(engine)
        load(engine, data_dir("seeds_data"), seeds_dir=data_dir("seeds"))
        engine.dispose()
        with served(database) as base:
            screenshot(browser, base + page_path("kb", SEED), Path(work) / "profile", TARGET, size)
    print(f"Wrote {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1200,1500", help="window size, width,height")
    main(parser.parse_args().size)
