"""Storing imported records: idempotent by (case, source, source_id).

Bulk statements rather than one ORM object per row: an order list of a million rows must fit
in memory and in minutes, and the whole import still commits or rolls back as one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.fields import KINDS
from tasman.core.models import Record
from tasman.core.timeutil import utcnow
from tasman.evidence.cases import get_case

CHUNK = 5000


@dataclass
class ImportSummary:
    source: str
    kind: str
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)  # "source#row: reason"

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged


def store_records(
    session: Session,
    actor: str,
    case_ref: str,
    kind: str,
    source: str,
    rows: Iterable[tuple[str, dict[str, Any]]],
    warnings: Iterable[str] = (),
) -> ImportSummary:
    """Insert or update ``(source_id, fields)`` rows of one source; re-importing the same rows
    changes nothing."""
    if kind not in KINDS:
        raise InputError(f"unknown record kind {kind!r}: use one of {', '.join(KINDS)}")
    case = get_case(session, case_ref)
    existing: dict[str, tuple[int, str, Any]] = {
        sid: (rid, k, f) for rid, sid, k, f in session.execute(
            select(Record.id, Record.source_id, Record.kind, Record.fields)
            .where(Record.case_id == case.id, Record.source == source))}
    summary = ImportSummary(source=source, kind=kind, warnings=list(warnings))
    new: dict[str, dict[str, Any]] = {}
    changed: dict[str, dict[str, Any]] = {}
    seen: set[str] = set()
    now = utcnow()
    for source_id, fields in rows:
        if source_id in seen:  # the last row with an id wins, as a re-import would make it
            summary.warnings.append(f"{source}#{source_id}: record id given more than once; the last one is kept")
            new.pop(source_id, None)
            changed.pop(source_id, None)
        seen.add(source_id)
        old = existing.get(source_id)
        if old is None:
            new[source_id] = {"case_id": case.id, "kind": kind, "source": source, "source_id": source_id,
                              "fields": fields, "imported_at": now}
        elif old[2] != fields or old[1] != kind:
            changed[source_id] = {"id": old[0], "fields": fields, "kind": kind}
    summary.added = len(new)
    summary.updated = len(changed)
    summary.unchanged = len(seen) - summary.added - summary.updated
    adds, updates = list(new.values()), list(changed.values())
    for i in range(0, len(adds), CHUNK):
        session.execute(insert(Record), adds[i:i + CHUNK])
    for i in range(0, len(updates), CHUNK):
        session.execute(update(Record), updates[i:i + CHUNK])
    session.flush()
    audit.record(session, actor, "records.import", case_ref=case_ref, target=source, kind=kind,
                 added=summary.added, updated=summary.updated, unchanged=summary.unchanged,
                 warnings=len(summary.warnings))
    return summary
