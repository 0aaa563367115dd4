"""Imported records of a case (orders, chats, tips, transfers), paged.

Records files are imported from the CLI (``tasman records import``); the page lists what is
stored, tips imported from the queue included.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Case, Record
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, paging
from tasman.serve.schemas import RecordOut, RecordPage
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["records"])


def record_out(r: Record) -> RecordOut:
    return RecordOut(id=r.id, kind=r.kind, source=r.source, source_id=r.source_id, fields=r.fields)


def record_page(s: Session, case: Case, kind: str | None, offset: int, limit: int) -> RecordPage:
    offset, limit = paging(offset, limit)
    q = select(Record).where(Record.case_id == case.id)
    if kind:
        q = q.where(Record.kind == kind)
    total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = s.scalars(q.order_by(Record.id).offset(offset).limit(limit))
    return RecordPage(total=total, offset=offset, limit=limit, items=[record_out(r) for r in rows])


@router.get("/cases/{ref}/records")
def records_page(request: Request, kind: str | None = Query(None, max_length=32), offset: int = 0,
                 ctx: CaseCtx = Depends(page_case)) -> Response:
    page = record_page(ctx.session, ctx.case, kind, offset, 100)
    return render(request, "records.html", ctx.viewer, case=ctx.case, tab="records", page=page, kind=kind)


@api.get("/cases/{ref}/records", response_model=RecordPage, responses=ERRORS)
def list_records(kind: str | None = Query(None, max_length=32), offset: int = Query(0, ge=0, le=10**9),
                 limit: int = Query(100, ge=1, le=500), ctx: CaseCtx = Depends(api_case)) -> RecordPage:
    return record_page(ctx.session, ctx.case, kind, offset, limit)
