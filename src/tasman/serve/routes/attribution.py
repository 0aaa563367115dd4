"""Attribution: each subject's ranked countries with the reasons, conflicts shown, and what carried
no weight; running it (``tasman attribute --case``) from the page or the API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.accounts.roles import Perm
from tasman.attribute.service import attribute_case, show
from tasman.core.errors import NotFoundError
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.staleness import stale_notices
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["attribution"])


def latest(ctx: CaseCtx) -> dict[str, Any] | None:
    try:
        return show(ctx.session, ctx.viewer.name, ctx.ref)
    except NotFoundError:
        return None  # no run yet


def run(ctx: CaseCtx) -> dict[str, Any]:
    ctx.viewer.need(Perm.ATTRIBUTE)
    s = attribute_case(ctx.session, ctx.viewer.name, ctx.ref)
    return {"run": s.run_id, "subjects": s.subjects, "attributed": s.attributed, "conflicts": s.conflicts,
            "by_country": s.by_country}


@router.get("/cases/{ref}/attribution")
def attribution_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "attribution.html", ctx.viewer, case=ctx.case, tab="attribution",
                  stale=stale_notices(ctx.session, ctx.case, "attribution"), result=latest(ctx))


@router.post("/cases/{ref}/attribution")
def run_page(ctx: CaseCtx = Depends(page_case)) -> Response:
    run(ctx)
    return see_other(f"/cases/{ctx.ref}/attribution")


@api.get("/cases/{ref}/attribution", response_model=dict[str, Any], responses=ERRORS)
def get_attribution(ctx: CaseCtx = Depends(api_case)) -> dict[str, Any]:
    """The latest run: per subject the ranked countries, each with its reasons; conflicts and ignored findings."""
    result = latest(ctx)
    if result is None:
        raise NotFoundError(f"case {ctx.ref!r} has no attribution yet")
    return result


@api.post("/cases/{ref}/attribution", response_model=dict[str, Any], status_code=201, responses=WRITE_ERRORS)
def run_attribution(ctx: CaseCtx = Depends(api_case)) -> dict[str, Any]:
    """Attribute every subject of the case (a new run; earlier runs are kept)."""
    return run(ctx)
