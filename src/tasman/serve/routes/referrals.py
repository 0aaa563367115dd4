"""Referral packages (build, download, status) and the outcomes reported back.

STAGE-API: this page is a skeleton until the refer stage lands (``tasman.refer``: packages,
``build_packages``, outcomes); then it lists packages per country, builds them as a job, serves
the signed, encrypted files for download and shows outcomes.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.serve.deps import CaseCtx, page_case
from tasman.serve.roles import Perm
from tasman.serve.stageapi import available
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)


@router.get("/cases/{ref}/referrals")
def referrals_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "referrals.html", ctx.viewer, case=ctx.case, tab="referrals",
                  stage_ready=available("tasman.refer", "build_packages"), may_refer=ctx.viewer.can(Perm.REFER))
