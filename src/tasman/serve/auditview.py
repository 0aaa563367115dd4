"""Reading the audit log for people: a page of entries, filtered by who, what, which case and
when, itself written to the log as it is read (one ``audit.read`` entry with the filters used)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.models import AuditEvent
from tasman.serve.schemas import AuditOut


@dataclass(frozen=True)
class AuditFilter:
    """``actor`` and ``case`` exact; ``action`` exact or a prefix ending in a dot (``case.``);
    ``since``/``until``: whole UTC days, both included."""

    actor: str = ""
    action: str = ""
    case: str = ""
    since: date | None = None
    until: date | None = None

    def used(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items() if v}


def read_log(session: Session, actor: str, case_ref: str | None, before: int | None = None,
             limit: int = 100, where: AuditFilter | None = None) -> list[AuditOut]:
    """Entries newest first: the case's (``case_ref``) or the whole chain's, ``where`` narrowing them."""
    f = where or AuditFilter()
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(max(1, min(limit, 500)))
    if case_ref is not None:
        q = q.where(AuditEvent.case_ref == case_ref)
    elif f.case:
        q = q.where(AuditEvent.case_ref == f.case)
    if before is not None:
        q = q.where(AuditEvent.seq < before)
    if f.actor:
        q = q.where(AuditEvent.actor == f.actor)
    if f.action:
        q = q.where(AuditEvent.action.startswith(f.action, autoescape=True) if f.action.endswith(".")
                    else AuditEvent.action == f.action)
    if f.since:   # ts is ISO 8601 text in UTC: day strings compare in order
        q = q.where(AuditEvent.ts >= f.since.isoformat())
    if f.until:
        q = q.where(AuditEvent.ts < (f.until + timedelta(days=1)).isoformat())
    rows = [AuditOut(seq=e.seq, ts=e.ts, actor=e.actor, action=e.action, case=e.case_ref, target=e.target,
                     details=json.loads(e.details)) for e in session.scalars(q)]
    filters: dict[str, Any] = {"filters": f.used()} if f.used() else {}
    audit.record(session, actor, "audit.read", case_ref=case_ref, count=len(rows), **filters)
    return rows


def known_values(session: Session, case_ref: str | None) -> tuple[list[str], list[str]]:
    """The actors and actions the log holds (of one case, or all), for the filter's lists."""
    base = select(AuditEvent.actor, AuditEvent.action).distinct()
    if case_ref is not None:
        base = base.where(AuditEvent.case_ref == case_ref)
    pairs = session.execute(base).all()
    return sorted({str(a) for a, _ in pairs}), sorted({str(b) for _, b in pairs})
