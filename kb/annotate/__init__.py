"""A source's text with every grounded fact marked where it stands, and what is left to curate.

- `annotate(connection, slug)`: the source with its marks (quotes, figure surfaces and
  evidence, event and role evidence) in text order and its uncovered sentences, or None;
- `render(annotation, row_url)`: that as an HTML fragment, escaped throughout (the markup is
  described in kb.annotate.render; `CSS` is its style sheet);
- `coverage(connection)`: per source, the sentences holding a number or a quotation mark that
  no record covers (`kb check --coverage`).

Library code for the Datasette plugin and `kb check`: it reads with a few set-based selects
and never writes.
"""

from kb.annotate.coverage import Sentence, SourceCoverage, coverage, uncovered
from kb.annotate.read import annotate
from kb.annotate.render import render
from kb.annotate.spans import KINDS, Annotation, Mark
from kb.annotate.style import CSS

__all__ = [
    "CSS",
    "KINDS",
    "Annotation",
    "Mark",
    "Sentence",
    "SourceCoverage",
    "annotate",
    "coverage",
    "render",
    "uncovered",
]
