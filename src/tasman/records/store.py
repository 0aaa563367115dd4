"""Storing imported records: idempotent by (case, source, source_id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.errors import InputError
from tasman.core.models import Record
from tasman.evidence.cases import get_case
from tasman.records.fields import KINDS


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
    existing = {r.source_id: r for r in session.scalars(
        select(Record).where(Record.case_id == case.id, Record.source == source))}
    summary = ImportSummary(source=source, kind=kind, warnings=list(warnings))
    for source_id, fields in rows:
        old = existing.get(source_id)
        if old is None:
            rec = Record(case_id=case.id, kind=kind, source=source, source_id=source_id, fields=fields)
            session.add(rec)
            existing[source_id] = rec
            summary.added += 1
        elif old.fields != fields or old.kind != kind:
            old.fields, old.kind = fields, kind
            summary.updated += 1
        else:
            summary.unchanged += 1
    session.flush()
    audit.record(session, actor, "records.import", case_ref=case_ref, target=source, kind=kind,
                 added=summary.added, updated=summary.updated, unchanged=summary.unchanged,
                 warnings=len(summary.warnings))
    return summary
