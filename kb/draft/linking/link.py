"""A link from what an article prints to a record: the target, why, how sure, and what else
was close."""

from __future__ import annotations

from dataclasses import dataclass

# Auto-link above this score with this margin over the next candidate (OpenRefine's rule); below
# either, the draft makes a new record and names the close candidates in a comment.
THRESHOLD = 0.85
MARGIN = 0.1
# Candidates from this score up are named as "also close".
CLOSE = 0.3


@dataclass(frozen=True)
class Link:
    """One link of a draft: what the article prints, and the record it is linked to.

    `kind` is person, party, subject, metric or same_as; `target` the slug (None: not linked);
    `new` whether the draft creates that record; `close` the other candidates and their scores.
    """

    kind: str
    surface: str
    start: int
    target: str | None
    new: bool
    reason: str
    score: float
    close: tuple[tuple[str, float], ...] = ()

    def describe(self) -> str:
        """The link as a comment says it: target, reason, score and close candidates."""
        if self.target is None:
            return f"not linked: {self.why()}"
        return f"{self.target} ({'new' if self.new else 'known'}): {self.why()}"

    def why(self) -> str:
        """The reason, the score and the close candidates."""
        said = self.reason
        if self.score and self.target is not None:
            said += f"; score {self.score:.2f}"
        if self.close:
            said += "; also close: " + ", ".join(
                f"{slug} {score:.2f}" for slug, score in self.close
            )
        return said


def decide(scored: dict[str, float]) -> tuple[str | None, float, tuple[tuple[str, float], ...]]:
    """The candidate to link (above THRESHOLD by MARGIN over the next), its score, the others."""
    ranked = sorted(scored.items(), key=lambda item: (-item[1], item[0]))
    if not ranked:
        return None, 0.0, ()
    best, score = ranked[0]
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    others = tuple((slug, round(s, 2)) for slug, s in ranked[1:4] if s >= CLOSE)
    if score >= THRESHOLD and score - runner >= MARGIN:
        return best, score, others
    close = tuple((slug, round(s, 2)) for slug, s in ranked[:4] if s >= CLOSE)
    return None, score, close
