"""Reading a case's records back a page at a time (the web app's records page and API)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Record


@dataclass(frozen=True)
class RecordSlice:
    """One page of records: how many match in all, and the page's rows in record order."""

    total: int
    rows: list[Record]


def record_slice(session: Session, case_id: int, kind: str | None, offset: int, limit: int,
                 ids: Sequence[int] | None = None) -> RecordSlice:
    """The case's records (of one ``kind``; of these ``ids`` only), ``limit`` from ``offset``."""
    q = select(Record).where(Record.case_id == case_id)
    if ids is not None:
        q = q.where(Record.id.in_(ids))
    if kind:
        q = q.where(Record.kind == kind)
    total = int(session.scalar(select(func.count()).select_from(q.subquery())) or 0)
    return RecordSlice(total, list(session.scalars(q.order_by(Record.id).offset(offset).limit(limit))))
