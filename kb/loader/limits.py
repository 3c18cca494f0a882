"""Size limits on what the loader reads, so a huge or hostile file fails fast in bounded memory.

Each limit is far above any honest record: a curated YAML file holds a few hundred KB, a JSON
Lines record a few KB, an article a few tens of KB. Past a limit the loader refuses the file
(or the line) before reading it whole, and says which limit it hit.
"""

from __future__ import annotations

MIB = 1 << 20

# A YAML file is composed into a node tree in memory (several times the file's size), so the
# whole file is bounded; bulk data belongs in JSON Lines, which is read a line at a time.
MAX_YAML_BYTES = 8 * MIB

# One line of a JSON Lines file: one record.
MAX_LINE_BYTES = 1 * MIB

# A source text file in the seeds directory.
MAX_SOURCE_BYTES = 8 * MIB

# Nodes built a second time through YAML aliases, per file; well past any honest use of anchors.
MAX_ALIAS_NODES = 10_000


def size(count: int) -> str:
    """A byte count for messages: '8 MiB', '50.0 MiB', '812 bytes'."""
    if count < MIB:
        return f"{count:,} bytes"
    mib = count / MIB
    return f"{mib:.0f} MiB" if mib == int(mib) else f"{mib:.1f} MiB"
