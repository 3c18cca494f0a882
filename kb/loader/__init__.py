"""The loader: read data files, check and ground every record, write them in one transaction.

See docs/data-format.md for the format it implements.
"""

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
