"""What a load changes in the picture: the conflicts it adds and the ones it removes.

kb.loader.load(observe=...) calls its observer on the load's connection twice: once the files
are checked, before anything is written (the staging tables `kb_stage_<table>` then hold the
rows being loaded, in slug space: see kb/loader/staging.py), and after the writes, before the
commit. ConflictWatch is such an observer, and changes() compares what it saw.

Only what the load can change is looked at, so a load costs about the same whatever the size
of the database:
- figures: the stored figures the load changes in what decides a conflict (subject, metric,
  kind, unit, qualifier, value, time) or prunes, and the figures it inserts (their ids are
  above every stored id: a load inserts before it prunes). Only pairs with such a figure can
  change; they are looked for in those figures' groups, before and after;
- events: the happenings (same_as groups) of the stored events the load changes in date or
  link or prunes, of those its new and changed events link to, and of its new linked events.
  Every pair of such a happening is compared, as a changed link can join or part others.
A conflict is known by its kind and both sides' slugs. Past CAP conflicts in either look the
comparison stops: such a load (a first load of a large collection) is told to run
`kb conflicts` instead.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    column,
    exists,
    func,
    or_,
    select,
    table,
    text,
    true,
    union,
)
from sqlalchemy.engine import Connection

from kb.queries.common import Row, dialect_name
from kb.queries.conflicts import events, figures
from kb.tables import EVENTS, FIGURES, METRICS, PARTIES

# Conflicts either look may find before the comparison gives up.
CAP = 1000

# The loader's staging tables, as light tables (their columns are the records' fields, with
# references as slugs: kb/loader/staging.py).
FIGURE_FIELDS = "slug subject metric kind unit qualifier value period_start period_end as_of"
STAGED_FIGURES = table("kb_stage_figures", *map(column, FIGURE_FIELDS.split()))
STAGED_EVENTS = table("kb_stage_events", column("slug"), column("date"), column("same_as"))
# Ids kept from the first look for the second, in temporary tables of the load's connection.
KEPT = {"figures": "kb_watch_figures", "events": "kb_watch_events"}

Key = tuple[str, str, str]  # (type, slug, slug): the slugs in order


@dataclass
class Look:
    """What one look saw: the conflicts the load can change, by key; `complete` is False when
    there were more than CAP (then `found` holds none)."""

    found: dict[Key, Row] = field(default_factory=dict)
    complete: bool = True


@dataclass
class Changes:
    """The conflicts a load adds and removes (records as kb conflicts gives them), or
    `complete` False when more than `cap` were involved, too many to compare."""

    added: list[Row]
    removed: list[Row]
    complete: bool = True
    cap: int = CAP

    def to_dict(self) -> dict[str, Any]:
        """The changes as a JSON-able dict."""
        return {"complete": self.complete, "added": self.added, "removed": self.removed}


@dataclass
class ConflictWatch:
    """An observer for kb.loader.load: call it before and after the writes (`prune`: the load
    deletes the stored rows that no file restates)."""

    prune: bool = False
    calls: int = 0
    newest: dict[str, int] = field(default_factory=dict)

    def __call__(self, connection: Connection) -> Look:
        """The first call looks before the writes, the second after them."""
        self.calls += 1
        if self.calls == 1:
            return self._before(connection)
        return self._after(connection)

    def _before(self, connection: Connection) -> Look:
        """Keep the stored figures and events the load changes or prunes; look at them."""
        for name in ("figures", "events"):
            self.newest[name] = _newest(connection, name)
        _keep(connection, "figures", _changed_figures(self.prune))
        _keep(connection, "events", _changed_events(self.prune))
        focus = set(connection.execute(select(_kept("figures").c.id)).scalars())
        kept = select(EVENTS.c.id).where(EVENTS.c.id.in_(select(_kept("events").c.id)))
        return _look(connection, focus, union(kept, _staged_targets()), self.newest)

    def _after(self, connection: Connection) -> Look:
        """Look at the figures and events the load changed, pruned or inserted; forget them."""
        focus = set(connection.execute(select(_kept("figures").c.id)).scalars())
        kept, newest = _kept("events"), self.newest["events"]
        new_linked = (EVENTS.c.id > newest) & EVENTS.c.same_as_id.is_not(None)
        # A union, each side through the primary key (an OR of the two reads the table).
        seeds = union(
            select(EVENTS.c.id).where(EVENTS.c.id.in_(select(kept.c.id))),
            select(EVENTS.c.id).where(new_linked),
        )
        try:
            return _look(connection, focus, seeds, self.newest, new=True)
        finally:
            for name in KEPT.values():
                connection.execute(text(f"DROP TABLE IF EXISTS {name}"))


def changes(observed: tuple[Look, Look] | None) -> Changes | None:
    """The conflicts the load added and removed, from what ConflictWatch saw (None: no
    observer): figure conflicts first, then events, each by what it is about."""
    if observed is None:
        return None
    before, after = observed
    if not (before.complete and after.complete):
        return Changes([], [], complete=False, cap=CAP)
    added = [row for key, row in sorted(after.found.items()) if key not in before.found]
    removed = [row for key, row in sorted(before.found.items()) if key not in after.found]
    return Changes(_ordered(added), _ordered(removed), cap=CAP)


def _ordered(rows: list[Row]) -> list[Row]:
    """Figure conflicts first, then events, each by what it is about, then its sides' slugs."""
    return sorted(rows, key=lambda r: (r["type"] != "figure", r["what"], r["a_slug"], r["b_slug"]))


# --- the two looks ---------------------------------------------------------------------------


def _look(
    connection: Connection,
    changed: set[int],
    seeds: events.Ids,
    newest: dict[str, int],
    *,
    new: bool = False,
) -> Look:
    """The conflicts of the figures `changed` (with `new`, also those inserted: ids above
    newest['figures']) and of the happenings of the events `seeds` selects."""
    threshold = newest["figures"] if new else None

    def focus(id_: int) -> bool:
        return id_ in changed or (threshold is not None and id_ > threshold)

    figure_pairs: list[tuple[int, int]] = []
    if changed or threshold is not None:
        where = _affected(connection, threshold)
        if where is not None:
            groups = figures.in_groups(where, subject_first=dialect_name(connection) != "sqlite")
            with closing(figures.pairs_in_groups(connection, groups, focus)) as found:
                figure_pairs = list(islice(found, CAP + 1))
    happenings = events.distinct(events.happenings(connection, seeds).values())
    if not new:
        _keep_members(connection, happenings)
    event_pairs = [(a.id, b.id) for group in happenings for a, b in events.pairs(group)]
    if len(figure_pairs) + len(event_pairs) > CAP:
        return Look(complete=False)
    found_rows = figures.records(connection, figure_pairs) + events.records(connection, event_pairs)
    return Look({_key(row): row for row in found_rows})


def _key(row: Row) -> Key:
    """A conflict's kind and its sides' slugs, in order."""
    first, second = sorted((row["a_slug"], row["b_slug"]))
    return row["type"], first, second


def _affected(connection: Connection, threshold: int | None) -> ColumnElement[bool] | None:
    """A filter selecting (at least) the figures of the groups of the kept figures and of
    those above `threshold` (if given): by their subjects and metrics. True: every figure
    (all of them are new). None: no figure."""
    if threshold == 0:
        return true()  # the table was empty: every group is new
    f = FIGURES
    # Not DISTINCT in SQL: SQLite would then read a whole covering index rather than a range
    # of the primary key. A select each, through the primary key (an OR of the two would read
    # the whole table).
    keys_of = select(f.c.subject_id, f.c.metric_id)
    chosen = [keys_of.where(f.c.id.in_(select(_kept("figures").c.id)))]
    if threshold is not None:
        chosen.append(keys_of.where(f.c.id > threshold))
    keys = {(subject, metric) for each in chosen for subject, metric in connection.execute(each)}
    if not keys:
        return None
    subjects = sorted({subject for subject, _ in keys if subject is not None})
    about = [f.c.subject_id.in_(subjects)] if subjects else []
    if any(subject is None for subject, _ in keys):
        about.append(f.c.subject_id.is_(None))
    return and_(f.c.metric_id.in_(sorted({metric for _, metric in keys})), or_(*about))


def _newest(connection: Connection, name: str) -> int:
    """The highest id of a stored table (0 when it is empty)."""
    t = FIGURES if name == "figures" else EVENTS
    return int(connection.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one())


# --- what the load changes -------------------------------------------------------------------


def _kept(name: str) -> Any:
    """The temporary table of ids kept for `name` ('figures' or 'events')."""
    return table(KEPT[name], column("id"))


def _keep(connection: Connection, name: str, ids: Select[Any] | CompoundSelect[Any]) -> None:
    """Keep the ids `ids` selects in the temporary table of `name`, for the second look."""
    kept = KEPT[name]
    connection.execute(text(f"DROP TABLE IF EXISTS {kept}"))
    connection.execute(text(f"CREATE TEMPORARY TABLE {kept} (id INTEGER PRIMARY KEY)"))
    connection.execute(_kept(name).insert().from_select(["id"], ids))


def _keep_members(connection: Connection, happenings: list[list[events.Record]]) -> None:
    """Keep the records of the happenings the first look saw: the second looks at them too
    (a changed link may have parted them from the records the load changed)."""
    members = {record.id for records in happenings for record in records}
    kept = set(connection.execute(select(_kept("events").c.id)).scalars())
    if members - kept:
        connection.execute(_kept("events").insert(), [{"id": i} for i in sorted(members - kept)])


def _changed_figures(prune: bool) -> Select[Any] | CompoundSelect[Any]:
    """The ids of the stored figures that a staged figure changes in what decides a conflict
    (with `prune`, also those no staged figure restates: the load deletes them)."""
    f, s, p, m = FIGURES, STAGED_FIGURES, PARTIES, METRICS
    subject = select(p.c.slug).where(p.c.id == f.c.subject_id).scalar_subquery()
    metric = select(m.c.slug).where(m.c.id == f.c.metric_id).scalar_subquery()
    differs = or_(
        subject.is_distinct_from(s.c.subject),
        metric.is_distinct_from(s.c.metric),
        *(
            f.c[name].is_distinct_from(s.c[name])
            for name in ("kind", "unit", "qualifier", "value", "period_start", "period_end")
        ),
        f.c.as_of.is_distinct_from(s.c.as_of),
    )
    changed = select(f.c.id).join_from(s, f, f.c.slug == s.c.slug).where(differs)
    if not prune:
        return changed
    pruned = select(f.c.id).where(~exists().where(s.c.slug == f.c.slug))
    return changed.union(pruned)


def _changed_events(prune: bool) -> Select[Any] | CompoundSelect[Any]:
    """The ids of the stored events that a staged event changes in date or link (with
    `prune`, also those no staged event restates)."""
    e, s = EVENTS, STAGED_EVENTS
    target = EVENTS.alias("target")
    linked = select(target.c.slug).where(target.c.id == e.c.same_as_id).scalar_subquery()
    differs = or_(e.c.date.is_distinct_from(s.c.date), linked.is_distinct_from(s.c.same_as))
    changed = select(e.c.id).join_from(s, e, e.c.slug == s.c.slug).where(differs)
    if not prune:
        return changed
    pruned = select(e.c.id).where(~exists().where(s.c.slug == e.c.slug))
    return changed.union(pruned)


def _staged_targets() -> Select[Any]:
    """The ids of the stored events that staged events name as the same happening."""
    s = STAGED_EVENTS
    return select(EVENTS.c.id).join_from(s, EVENTS, EVENTS.c.slug == s.c.same_as)
