"""Turn what a user types into full-text terms that no input can make a syntax error.

A balanced "…" is a phrase; anything else splits at spaces. A trailing `*` asks for a prefix.
Operators (AND, OR, NOT, NEAR, -, :, ^, parentheses) are not operators here: every term is
matched as the words it holds, which is what someone typing a search expects.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A balanced quoted phrase (with an optional prefix star), or a run of anything but spaces and
# quote marks. An unbalanced quote mark matches neither branch, so it is skipped like a space.
TOKEN = re.compile(r'"(?P<phrase>[^"]*)"(?P<star>\*?)|(?P<word>[^\s"]+)')
# A run of letters or digits: what both FTS5's unicode61 tokenizer and PostgreSQL's parser
# treat as (part of) a word. The underscore is a separator to both.
WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Term:
    """A word or phrase to find, its words in sequence; the last matches as a prefix if asked."""

    text: str
    prefix: bool = False


def parse(query: str) -> list[Term]:
    """The terms of `query`; a piece without a letter or digit (say, a lone `-`) is dropped."""
    terms = []
    # NUL cannot reach PostgreSQL in text; it is no part of a word anyway.
    for token in TOKEN.finditer(query.replace("\0", " ")):
        if token["phrase"] is not None:
            term = Term(token["phrase"], prefix=bool(token["star"]))
        else:
            text = token["word"].rstrip("*")
            term = Term(text, prefix=text != token["word"])
        if WORD.search(term.text):
            terms.append(term)
    return terms


def fts5_query(terms: list[Term]) -> str:
    """An FTS5 query finding every term: each a double-quoted string (quotes doubled inside),
    `*` after it for a prefix; FTS5 reads a string's words as a phrase and ANDs the strings."""
    return " ".join(_fts5_string(term) for term in terms)


def _fts5_string(term: Term) -> str:
    """One term as an FTS5 string, which FTS5 never reads as syntax."""
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted


def tsquery_prefix(term: Term) -> str:
    """to_tsquery text for a prefix term: its words in sequence, the last one a prefix.

    Only runs of letters and digits reach it, each single-quoted, so it cannot be a syntax
    error (the words of other terms go through phraseto_tsquery, which takes any text).
    """
    words = WORD.findall(term.text)
    return " <-> ".join(f"'{word}'" for word in words) + ":*"
