"""``tasman export identifiers``: observations of a case as CSV (type,value,path,offset,context,extractor)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from tasman.core import audit, csvsafe
from tasman.core.errors import InputError
from tasman.evidence.cases import get_case
from tasman.extract.models import Observation

COLUMNS = ("type", "value", "path", "offset", "context", "extractor")


def export_identifiers(session: Session, actor: str, case_ref: str, out: Path,
                       types: tuple[str, ...] = ()) -> int:
    """Write the CSV; ``offset`` is the byte offset, else the message id. Returns the row count."""
    case = get_case(session, case_ref)
    q = select(Observation).where(Observation.case_id == case.id).order_by(Observation.type, Observation.value,
                                                                          Observation.id)
    if types:
        q = q.where(Observation.type.in_(types))
    try:
        fh = out.open("w", newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from exc
    n = 0
    with fh:
        w = csvsafe.writer(fh)
        w.writerow(COLUMNS)
        for o in session.scalars(q.execution_options(yield_per=5000)):
            where = str(o.offset) if o.offset is not None else (o.message_id or "")
            w.writerow((o.type, o.value, o.path, where, o.context, o.extractor))
            n += 1
    audit.record(session, actor, "export.identifiers", case_ref=case_ref, target=str(out), rows=n,
                 types=list(types))
    return n


def type_counts(session: Session, case_id: int) -> list[tuple[str, int, int]]:
    """Per identifier type: (type, sightings, distinct values), most sightings first."""
    rows = session.execute(select(Observation.type, func.count(), func.count(distinct(Observation.value)))
                           .where(Observation.case_id == case_id).group_by(Observation.type)).all()
    return sorted(((str(t), int(n), int(d)) for t, n, d in rows), key=lambda r: (-r[1], r[0]))
