"""The exceptions kb raises for mistakes a user can fix (exit code 1, never a traceback)."""

from __future__ import annotations


class KbError(Exception):
    """A user-facing error: the message says what is wrong and how to fix it."""


class ConfigError(KbError):
    """The database URL or a path given on the command line cannot be used."""
