"""The loader: read data files, check and ground every record, write them in one transaction.

See docs/data-format.md for the format it implements. The names below are imported when first
used: a caller that needs one part (kb draft reads the grounding index and the record checks)
does not pay for the rest, SQLAlchemy's engine and the merge among it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kb.loader.api import load, validate
    from kb.loader.problems import LoadError, Problem
    from kb.loader.report import LoadReport, TableChange, ValidationSummary

__all__ = [
    "LoadError",
    "LoadReport",
    "Problem",
    "TableChange",
    "ValidationSummary",
    "load",
    "validate",
]

# Where each name lives.
_MODULES = {
    "load": "kb.loader.api",
    "validate": "kb.loader.api",
    "LoadError": "kb.loader.problems",
    "Problem": "kb.loader.problems",
    "LoadReport": "kb.loader.report",
    "TableChange": "kb.loader.report",
    "ValidationSummary": "kb.loader.report",
}


def __getattr__(name: str) -> Any:
    """Import a public name of the loader on first use."""
    if name not in _MODULES:
        raise AttributeError(f"module 'kb.loader' has no attribute {name!r}")
    return getattr(import_module(_MODULES[name]), name)
