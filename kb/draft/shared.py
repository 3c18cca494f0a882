"""Records of the shared kinds a draft creates when the knowledge base lacks them: parties and
metrics (people are built with their roles in kb.draft.records)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb.draft.record import DraftRecord

if TYPE_CHECKING:
    from kb.draft.linking import Linked


def party_records(linked: Linked) -> list[DraftRecord]:
    """A record for each party the draft creates, saying which record needs it."""
    records = []
    for party in linked.new_parties:
        fields: dict[str, Any] = {"slug": party.slug, "name": party.name, "kind": party.kind}
        if party.aliases:
            fields["aliases"] = list(party.aliases)
        fields["status"] = "draft"
        record = DraftRecord("party", fields)
        record.notes.append(
            f"new {party.kind}: no known party has this name; a record of this draft needs it"
        )
        records.append(record)
    return records


def metric_records(linked: Linked) -> list[DraftRecord]:
    """A record for each metric the draft creates, saying which figure first measures it."""
    records = []
    for metric in linked.new_metrics:
        fields: dict[str, Any] = {"slug": metric.slug, "name": metric.name, "kind": metric.kind}
        if metric.unit is not None:
            fields["unit"] = metric.unit
        fields["status"] = "draft"
        record = DraftRecord("metric", fields)
        record.notes.append(
            f"new metric, first measured by “{metric.evidence}”; say what is measured of the "
            "subject, and add the wordings of other sources as aliases"
        )
        records.append(record)
    return records
