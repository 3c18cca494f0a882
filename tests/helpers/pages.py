"""Pages as a person sees them: kb's Datasette plugin served for real, read by headless
Chromium, and the marks of an annotated page read back from its DOM."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

# How long a starting Datasette gets to answer.
START_LIMIT_S = 30.0
# Flags for headless Chromium on a machine without a display or a network (as root in CI).
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)

MarkKey = tuple[str, str, str, str, str]


class Marks(HTMLParser):
    """The marks of an annotated page (kb.annotate.render): each element of class kb-mark, by
    data-kind, data-table, data-id, data-start and data-end, with the text inside it (the
    pieces of a split mark joined in order)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[MarkKey, list[str]] = {}
        self._open: list[tuple[str, MarkKey | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        key = None
        classes = (data.get("class") or "").split()
        if "kb-mark" in classes and data.get("data-table") and data.get("data-start") is not None:
            key = (
                data.get("data-kind") or "",
                data.get("data-table") or "",
                data.get("data-id") or "",
                data.get("data-start") or "",
                data.get("data-end") or "",
            )
            self.found.setdefault(key, [])
        if tag not in ("br", "img", "hr", "meta", "link", "input", "wbr"):
            self._open.append((tag, key))

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            opened, _key = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        for _tag, key in self._open:
            if key is not None:
                self.found[key].append(data)


def marks_of(html: str) -> dict[MarkKey, str]:
    """Each mark of a page, (kind, table, id, start, end), and its text."""
    parser = Marks()
    parser.feed(html)
    return {key: "".join(parts) for key, parts in parser.found.items()}


def chromium() -> str | None:
    """The headless browser to drive: Debian's chromium (KB_CHROMIUM overrides), or None."""
    named = os.environ.get("KB_CHROMIUM")
    if named:
        return named
    return shutil.which("chromium") or shutil.which("chromium-browser")


def free_port() -> int:
    """A TCP port nothing listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(database: Path) -> Iterator[str]:
    """A real `datasette serve` (with kb's plugin) of `database` on a free local port; yields
    its base URL and stops it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "datasette", "serve", str(database)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    base = f"http://127.0.0.1:{port}"
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) as process:
        try:
            _wait_until_up(base, process)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    """Poll the server until it answers (or fail with what it printed)."""
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"datasette stopped: {output}")
        try:
            with urllib.request.urlopen(f"{base}/-/versions.json", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"datasette did not answer within {START_LIMIT_S} s")


def browse(browser: str, url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on `url` with a fresh profile and extra flags."""
    command = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def rendered_dom(browser: str, url: str, profile: Path) -> str:
    """The DOM of `url` after Chromium has rendered it (scripts run, styles applied)."""
    result = browse(browser, url, profile, "--dump-dom")
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium failed on {url}: {result.stderr[-2000:]}")
    return result.stdout


def screenshot(browser: str, url: str, profile: Path, target: Path, size: str) -> None:
    """A PNG of `url` as Chromium renders it in a window of `size` ("1200,1600")."""
    result = browse(browser, url, profile, f"--screenshot={target}", f"--window-size={size}")
    if not target.is_file():
        raise RuntimeError(f"chromium made no screenshot of {url}: {result.stderr[-2000:]}")
