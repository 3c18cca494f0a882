"""Read a source's text: from a file that must stay inside the seeds directory, or inline."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from kb.loader.limits import MAX_SOURCE_BYTES, size
from kb.loader.problems import display_path, shown


@dataclass(frozen=True)
class SourceText:
    """The text of a source and the SHA-256 of the bytes it came from."""

    text: str
    sha256: str


class TextProblem(Exception):
    """The text of a source cannot be used: the field at fault, what is wrong, how to fix it."""

    def __init__(self, field: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.hint = hint


def inline_text(text: str, sha256: str | None) -> SourceText:
    """An inline text; its SHA-256 is that of its UTF-8 bytes."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    _check_sha256(digest, sha256)
    return SourceText(text, digest)


def file_text(
    seeds_dir: Path, relative: str, sha256: str | None, root: Path | None = None
) -> SourceText:
    """The text of `relative` under `seeds_dir`, checked to stay inside it and to be UTF-8.

    The SHA-256 is that of the file's raw bytes (what `sha256sum` prints). A byte-order mark
    is not part of the text; line endings are kept as they are, so offsets match the file.
    `root` is seeds_dir resolved, when the caller has it (a load resolves it once).
    """
    _check_relative(relative)
    root = seeds_dir.resolve() if root is None else root
    candidate = seeds_dir / relative
    try:
        resolved = candidate.resolve()
        is_file = resolved.is_file()
    except (OSError, ValueError) as error:  # e.g. an embedded NUL, a symlink loop
        raise TextProblem("path", f"{shown(relative)} cannot be used as a path ({error})") from None
    if not resolved.is_relative_to(root):
        raise TextProblem(
            "path",
            f"{shown(relative)} leads outside the seeds directory {display_path(seeds_dir)}",
            "source texts must be files inside the seeds directory (no links out of it)",
        )
    if not is_file:
        raise TextProblem(
            "path",
            f"no file {display_path(candidate)}",
            "paths are relative to the seeds directory; choose it with --seeds DIR",
        )
    length = resolved.stat().st_size
    if length > MAX_SOURCE_BYTES:
        raise TextProblem(
            "path",
            f"{relative} is {size(length)}; a source text may be at most {size(MAX_SOURCE_BYTES)}",
            "split the document into several sources",
        )
    raw = resolved.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise TextProblem(
            "path",
            f"{relative} is not UTF-8 (byte {raw[error.start]:#04x} on line {line})",
            "convert the file to UTF-8",
        ) from None
    if not text.strip():
        raise TextProblem("path", f"{relative} is empty")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TextProblem(
            "path",
            f"{relative} holds a NUL character (line {line}), which a database cannot store",
            "remove it; a NUL in a text file usually means the file is damaged or not text",
        )
    digest = hashlib.sha256(raw).hexdigest()
    _check_sha256(digest, sha256)
    return SourceText(text, digest)


def _check_relative(relative: str) -> None:
    """Reject absolute paths and any '..' before touching the file system."""
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or windows.root:
        raise TextProblem(
            "path",
            f"{shown(relative)} is an absolute path",
            "write the path relative to the seeds directory",
        )
    if ".." in posix.parts or ".." in windows.parts:
        raise TextProblem(
            "path",
            f"{shown(relative)} goes up with '..'",
            "write the path relative to the seeds directory, without '..'",
        )


def _check_sha256(actual: str, expected: str | None) -> None:
    """A given SHA-256 must match the text's."""
    if expected is not None and expected != actual:
        raise TextProblem(
            "sha256",
            f"does not match the text (its SHA-256 is {actual})",
            "the text changed since the record was written: check the change, then update sha256",
        )
