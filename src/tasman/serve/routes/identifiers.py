"""Identifiers extracted in a case (emails, phones, handles, IPs, payment references, places).
Extraction (``tasman extract``) is started here as a job (``tasman.serve.jobkinds``).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Case
from tasman.extract.models import Observation
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, Limit, Offset, paging
from tasman.serve.routes.jobs import PAGE_VIEWS, page_jobs
from tasman.serve.schemas import ObservationOut, ObservationPage
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["identifiers"])


def observation_page(s: Session, case: Case, type_: str | None, value: str | None, offset: int,
                     limit: int) -> ObservationPage:
    offset, limit = paging(offset, limit)
    counts = {t: int(n) for t, n in s.execute(select(Observation.type, func.count())
                                              .where(Observation.case_id == case.id).group_by(Observation.type))}
    q = select(Observation).where(Observation.case_id == case.id)
    if type_:
        q = q.where(Observation.type == type_)
    if value:
        q = q.where(Observation.value.contains(value, autoescape=True))
    total = int(s.scalar(select(func.count()).select_from(q.subquery())) or 0)
    rows = s.scalars(q.order_by(Observation.type, Observation.value, Observation.id).offset(offset).limit(limit))
    items = [ObservationOut(id=o.id, type=o.type, value=o.value, country=o.country, path=o.path, offset=o.offset,
                            context=o.context, extractor=o.extractor) for o in rows]
    return ObservationPage(total=total, offset=offset, limit=limit, counts=counts, items=items)


@router.get("/cases/{ref}/identifiers")
def identifiers_page(request: Request, type: str | None = Query(None, max_length=16),
                     q: str | None = Query(None, max_length=200), offset: Offset = 0,
                     ctx: CaseCtx = Depends(page_case)) -> Response:
    page = observation_page(ctx.session, ctx.case, type or None, q or None, offset, 100)
    return render(request, "identifiers.html", ctx.viewer, case=ctx.case, tab="identifiers", page=page,
                  type=type or "", q=q or "", **page_jobs(ctx, "identifiers"))


PAGE_VIEWS["identifiers"] = lambda request, ctx: identifiers_page(request, None, None, 0, ctx)


@api.get("/cases/{ref}/identifiers", response_model=ObservationPage, responses=ERRORS)
def list_identifiers(type: str | None = Query(None, max_length=16), q: str | None = Query(None, max_length=200),
                     offset: Offset = 0, limit: Limit = 100,
                     ctx: CaseCtx = Depends(api_case)) -> ObservationPage:
    return observation_page(ctx.session, ctx.case, type, q, offset, limit)
