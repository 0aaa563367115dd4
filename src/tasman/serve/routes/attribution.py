"""Attribution: each subject's country and confidence, and the reasons behind it.

STAGE-API: country and confidence come from the ``subjects`` table; the ranked countries with
their reasons come from ``tasman.attribute`` (``subject_reasons``) once the attribute stage lands.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.serve.deps import CaseCtx, page_case
from tasman.serve.routes.subjects import subjects
from tasman.serve.stageapi import available, stage_function
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)


@router.get("/cases/{ref}/attribution")
def attribution_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    rows = subjects(ctx.session, ctx.case)
    reasons: dict[str, object] = {}
    if available("tasman.attribute", "subject_reasons"):
        reasons = stage_function("tasman.attribute", "subject_reasons", "attribute")(ctx.session, ctx.case.id)
    return render(request, "attribution.html", ctx.viewer, case=ctx.case, tab="attribution", subjects=rows,
                  reasons=reasons, stage_ready=bool(reasons) or available("tasman.attribute", "subject_reasons"))
