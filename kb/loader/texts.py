"""Read a source's text: from a file that must stay inside the seeds directory, or inline."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from kb.loader.limits import MAX_SOURCE_BYTES, size
from kb.loader.problems import display_path, shown

# How the common case opens a source text file (see SeedFiles._read_plain); None where the
# system has no O_NOFOLLOW or O_NONBLOCK (Windows), which reads every text the general way.
_OPEN_PLAIN = (
    os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if hasattr(os, "O_NOFOLLOW") and hasattr(os, "O_NONBLOCK")
    else None
)


@dataclass(frozen=True)
class SourceText:
    """The text of a source and the SHA-256 of the bytes it came from; for a text file, its
    size and modification time (nanoseconds) as it was read."""

    text: str
    sha256: str
    size: int | None = None
    mtime_ns: int | None = None


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


class SeedFiles:
    """The source text files under one seeds directory, as one load reads them.

    Each directory's real path is resolved once (a load reads thousands of texts from a few
    directories, and resolving a path costs a system call per component); a file is then
    resolved again only when it is itself a symbolic link.
    """

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        self.base = os.fspath(seeds_dir)
        self.root = os.path.realpath(seeds_dir)
        self.directories: dict[str, str] = {}

    def text(self, relative: str, sha256: str | None) -> SourceText:
        """The text of `relative`, checked to stay inside the seeds directory and to be UTF-8.

        The SHA-256 is that of the file's raw bytes (what `sha256sum` prints). A byte-order
        mark is not part of the text; line endings are kept as they are, so offsets match the
        file.
        """
        _check_relative(relative)
        plain = self._read_plain(relative, sha256)
        if plain is not None:
            return plain
        try:
            resolved = self._real_path(relative)
        except (OSError, ValueError) as error:  # e.g. an embedded NUL, a symlink loop
            raise TextProblem(
                "path", f"{shown(relative)} cannot be used as a path ({error})"
            ) from None
        if not self._inside(resolved):
            raise TextProblem(
                "path",
                f"{shown(relative)} leads outside the seeds directory "
                f"{display_path(self.seeds_dir)}",
                "source texts must be files inside the seeds directory (no links out of it)",
            )
        try:
            status: os.stat_result | None = os.stat(resolved)
        except OSError as error:
            if error.errno == errno.ELOOP:
                raise TextProblem(
                    "path",
                    f"{shown(relative)} cannot be used as a path (a loop of symbolic links)",
                    "point the link at the text file itself",
                ) from None
            status = None
        if status is None or not stat.S_ISREG(status.st_mode):
            raise TextProblem(
                "path",
                f"no file {display_path(self.seeds_dir / relative)}",
                "paths are relative to the seeds directory; choose it with --seeds DIR",
            )
        return _read_text(resolved, relative, status.st_size, sha256)

    def _read_plain(self, relative: str, sha256: str | None) -> SourceText | None:
        """The text of `relative` when it is a regular file, not a link, in a directory inside
        the seeds directory; else None, and the general path reads it or says what is wrong.

        Four system calls (open, fstat, read, close) rather than eight: a bulk load reads tens
        of thousands of texts, and in a virtual machine each call costs microseconds.
        """
        directory, name = os.path.split(relative)
        if _OPEN_PLAIN is None or name in ("", "."):
            return None
        try:
            real = self._real_directory(directory)
        except (OSError, ValueError):
            return None
        if not self._inside(real):
            return None
        try:
            # O_NOFOLLOW: a link fails (ELOOP) and goes the general way, which resolves it;
            # O_NONBLOCK: opening a FIFO does not wait for a writer.
            descriptor = os.open(os.path.join(real, name), _OPEN_PLAIN)
        except (OSError, ValueError):
            return None
        try:
            status = os.fstat(descriptor)
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SOURCE_BYTES:
                return None
            # The size and time recorded are from before the read: a change during the read
            # leaves them behind the file's, so the next load reads it again.
            raw = os.read(descriptor, status.st_size + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        if len(raw) > status.st_size:
            return None  # it grew since fstat: the general path reads it whole, within limits
        return _text_of(raw, relative, sha256, status)

    def _inside(self, real: str) -> bool:
        """Whether a real path is the seeds directory or inside it."""
        return real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)

    def _real_directory(self, directory: str) -> str:
        """The real path of a directory under the seeds directory, resolved once."""
        real = self.directories.get(directory)
        if real is None:
            real = self.directories[directory] = os.path.realpath(
                os.path.join(self.base, directory)
            )
        return real

    def _real_path(self, relative: str) -> str:
        """The real path of `relative`: its directory's (resolved once), then the file's own
        name, resolved only when it is a link."""
        directory, name = os.path.split(relative)
        if name in ("", "."):
            return os.path.realpath(os.path.join(self.base, relative))
        candidate = os.path.join(self._real_directory(directory), name)
        try:
            is_link = stat.S_ISLNK(os.lstat(candidate).st_mode)
        except FileNotFoundError:
            is_link = False  # reported as "no file"
        return os.path.realpath(candidate) if is_link else candidate


def _read_text(resolved: str, relative: str, length: int, sha256: str | None) -> SourceText:
    """The text of a regular file of `length` bytes, which must be small enough, UTF-8, not
    blank and free of NUL characters, and match `sha256` when given."""
    if length > MAX_SOURCE_BYTES:
        raise TextProblem(
            "path",
            f"{relative} is {size(length)}; a source text may be at most {size(MAX_SOURCE_BYTES)}",
            "split the document into several sources",
        )
    try:
        with open(resolved, "rb") as stream:
            raw = stream.read()
            # The file as read: a reload trusts the hash while size and time stay so.
            status = os.fstat(stream.fileno())
    except OSError as error:  # permissions, an I/O error, a file removed meanwhile
        raise TextProblem(
            "path", f"{relative} cannot be read ({error.strerror or error})"
        ) from None
    return _text_of(raw, relative, sha256, status)


def _text_of(raw: bytes, relative: str, sha256: str | None, status: os.stat_result) -> SourceText:
    """The text of a file's bytes, which must be UTF-8, not blank and free of NUL characters,
    and match `sha256` when given; `status` is the file's as it was read."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise TextProblem(
            "path",
            f"{relative} is not UTF-8 (byte {raw[error.start]:#04x} on line {line})",
            "convert the file to UTF-8",
        ) from None
    if not text or text.isspace():
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
    return SourceText(text, digest, status.st_size, status.st_mtime_ns)


def _check_relative(relative: str) -> None:
    """Reject absolute paths and any '..' before touching the file system."""
    if (
        "\\" not in relative
        and ":" not in relative
        and not relative.startswith("/")
        and ".." not in relative.split("/")
    ):
        return  # the common case, plainly relative: no path objects to build
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
