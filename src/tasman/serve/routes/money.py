"""The money-trail page: the latest money analysis of a case as it was stored (beneficiaries and
senders with their scores and every reason, the chart of amounts over time, the timeline), each
party linked to the subjects it belongs to. The analysis (``tasman money analyse``) is started
here as a job (``tasman.serve.jobkinds``); the read goes through ``tasman.money.run.latest_report``
(audited, folded into the page view's one entry).
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from markupsafe import Markup

from tasman.money.run import latest_report
from tasman.money.svg import amounts_chart
from tasman.serve.deps import CaseCtx, page_case
from tasman.serve.routes.jobs import PAGE_VIEWS, page_jobs
from tasman.serve.staleness import stale_notices
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
Role = Literal["beneficiaries", "senders", "alerted"]


@router.get("/cases/{ref}/money")
def money_page(request: Request, show: Role = Query("alerted"), ctx: CaseCtx = Depends(page_case)) -> Response:
    """``show``: the alerted parties of both roles first (default), or every listed beneficiary or sender."""
    doc = latest_report(ctx.session, ctx.ref, ctx.viewer.name)
    # the chart is our own SVG, its labels escaped by amounts_chart
    chart = Markup(amounts_chart(doc.chart, width=900, height=300)) if doc is not None else None
    return render(request, "money.html", ctx.viewer, case=ctx.case, tab="money", doc=doc, chart=chart, show=show,
                  stale=stale_notices(ctx.session, ctx.case, "money"), **page_jobs(ctx, "money"))


PAGE_VIEWS["money"] = lambda request, ctx: money_page(request, "alerted", ctx)
