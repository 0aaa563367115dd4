"""Identifiers extracted in a case (emails, phones, handles, IPs, payment references, places).
Extraction (``tasman extract``) is started here as a job (``tasman.serve.jobkinds``).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.core.models import Case
from tasman.extract.views import observation_slice
from tasman.link import values
from tasman.link.values import ValuePage
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
    found = observation_slice(s, case.id, type_, value, offset, limit)
    items = [ObservationOut(id=o.id, type=o.type, value=o.value, country=o.country, path=o.path, offset=o.offset,
                            context=o.context, extractor=o.extractor) for o in found.rows]
    return ObservationPage(total=found.total, offset=offset, limit=limit, counts=found.counts, items=items)


PAGE_ROWS = 50


def value_page(s: Session, case: Case, type_: str | None, value: str | None, shared: bool, offset: int,
               limit: int) -> ValuePage:
    """The case's identifiers by distinct value (``tasman.link.values``), a page of them."""
    offset, limit = paging(offset, limit)
    return values.value_page(s, case.id, type_, value, shared, offset, limit)


@router.get("/cases/{ref}/identifiers")
def identifiers_page(request: Request, type: str | None = Query(None, max_length=16),
                     q: str | None = Query(None, max_length=200), shared: bool = False,
                     view: Literal["values", "sightings"] = "values", offset: Offset = 0,
                     ctx: CaseCtx = Depends(page_case)) -> Response:
    """By distinct value (default: each linked to the subjects and records holding it, shared values
    first; ``shared``: only those held by two subjects or more), or every sighting with its context."""
    if view == "sightings":
        page: ObservationPage | ValuePage = observation_page(ctx.session, ctx.case, type or None, q or None, offset,
                                                             PAGE_ROWS)
    else:
        page = value_page(ctx.session, ctx.case, type or None, q or None, shared, offset, PAGE_ROWS)
    return render(request, "identifiers.html", ctx.viewer, case=ctx.case, tab="identifiers", page=page,
                  type=type or "", q=q or "", shared=shared, view=view, **page_jobs(ctx, "identifiers"))


PAGE_VIEWS["identifiers"] = lambda request, ctx: identifiers_page(request, None, None, False, "values", 0, ctx)


@api.get("/cases/{ref}/identifiers", response_model=ObservationPage, responses=ERRORS)
def list_identifiers(type: str | None = Query(None, max_length=16), q: str | None = Query(None, max_length=200),
                     offset: Offset = 0, limit: Limit = 100,
                     ctx: CaseCtx = Depends(api_case)) -> ObservationPage:
    return observation_page(ctx.session, ctx.case, type, q, offset, limit)
