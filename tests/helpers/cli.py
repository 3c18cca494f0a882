"""Checking a command's result in CLI tests."""

from __future__ import annotations

from click.testing import Result


def ok(result: Result) -> str:
    """The stdout of a command that must succeed, with nothing on stderr."""
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    return result.stdout
