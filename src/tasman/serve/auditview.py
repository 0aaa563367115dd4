"""Reading the audit log for people: a page of entries, itself written to the log as it is read."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.core import audit
from tasman.core.models import AuditEvent
from tasman.serve.schemas import AuditOut


def read_log(session: Session, actor: str, case_ref: str | None, before: int | None = None,
             limit: int = 100) -> list[AuditOut]:
    q = select(AuditEvent).order_by(AuditEvent.seq.desc()).limit(max(1, min(limit, 500)))
    if case_ref is not None:
        q = q.where(AuditEvent.case_ref == case_ref)
    if before is not None:
        q = q.where(AuditEvent.seq < before)
    rows = [AuditOut(seq=e.seq, ts=e.ts, actor=e.actor, action=e.action, case=e.case_ref, target=e.target,
                     details=json.loads(e.details)) for e in session.scalars(q)]
    audit.record(session, actor, "audit.read", case_ref=case_ref, count=len(rows))
    return rows
