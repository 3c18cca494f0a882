"""Schema upgrades and downgrades of a whole database, taking turns with loads (kb.lock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from kb.db import HEAD_REVISION, NOTES, alembic_config, migrate, stored_revision
from kb.lock import DEFAULT_WAIT_S, DOWNGRADE, UPGRADE, Notice, writing_alone

if TYPE_CHECKING:
    from kb.reader import Notice as ReaderNote


@dataclass(frozen=True)
class Migration:
    """What an upgrade or a downgrade did: the revisions before and after (None: base, no kb
    tables), upgrade()'s note about kb sql's reader, downgrade()'s warnings."""

    before: str | None
    after: str | None
    note: ReaderNote | None = None
    warnings: list[str] = field(default_factory=list)


def upgrade(
    engine: Engine,
    revision: str = "head",
    *,
    wait: float | None = DEFAULT_WAIT_S,
    notice: Notice | None = None,
) -> Migration:
    """Migrate the database up to `revision` (default: the newest) in one transaction, once no
    other kb writer writes to it (kb.lock: `notice` hears that this one waits, at most `wait`
    seconds). A database already at the newest revision is left alone without waiting."""
    if revision == "head":
        with engine.connect() as connection:  # a reader: it never waits for a writer
            if stored_revision(connection) == HEAD_REVISION:
                return Migration(HEAD_REVISION, HEAD_REVISION)
    with writing_alone(engine, writer=UPGRADE, wait=wait, notice=notice) as connection:
        # Read inside the lock: another writer may have migrated it while this one waited.
        before = stored_revision(connection)
        note = migrate(connection, revision)
        return Migration(before, stored_revision(connection), note)


def downgrade(
    engine: Engine,
    revision: str,
    *,
    wait: float | None = DEFAULT_WAIT_S,
    notice: Notice | None = None,
) -> Migration:
    """Migrate the database down to `revision` ('base' removes every kb table) once no other
    kb writer writes to it (as for upgrade()), with the warnings the migrations left (under
    NOTES in the Alembic config's attributes)."""
    from alembic import command

    with writing_alone(engine, writer=DOWNGRADE, wait=wait, notice=notice) as connection:
        before = stored_revision(connection)
        config = alembic_config(connection)
        command.downgrade(config, revision)
        after = stored_revision(connection)
    return Migration(before, after, warnings=list(config.attributes.get(NOTES, [])))
