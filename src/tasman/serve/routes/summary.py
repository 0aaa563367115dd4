"""The operation summary: subjects per country (bar chart by Chart.js, world map as server SVG).

STAGE-API: packages sent, acknowledged, arrests and children safeguarded per country join this
page when the refer stage lands (``tasman.refer.outcomes.operation_summary``).
"""

from __future__ import annotations

import pycountry
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Case
from tasman.link.models import Subject
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import CountryCount, SummaryOut
from tasman.serve.stageapi import available
from tasman.serve.web import render
from tasman.serve.worldmap import HEIGHT, WIDTH, map_shapes

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["summary"])


def country_name(code: str) -> str:
    c = pycountry.countries.get(alpha_2=code)
    return c.name if c is not None else code


def summary(s: Session, case: Case) -> SummaryOut:
    total = int(s.scalar(select(func.count()).where(Subject.case_id == case.id)) or 0)
    rows = s.execute(select(Subject.country, func.count()).where(Subject.case_id == case.id,
                                                                 Subject.country.is_not(None))
                     .group_by(Subject.country).order_by(func.count().desc(), Subject.country))
    countries = [CountryCount(country=c, name=country_name(c), subjects=int(n)) for c, n in rows if c]
    return SummaryOut(subjects=total, attributed=sum(c.subjects for c in countries), countries=countries,
                      packages_available=available("tasman.refer", "build_packages"))


@router.get("/cases/{ref}/summary")
def summary_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    data = summary(ctx.session, ctx.case)
    shapes = map_shapes({c.country: c.subjects for c in data.countries})
    chart = {"labels": [c.country for c in data.countries], "values": [c.subjects for c in data.countries]}
    return render(request, "summary.html", ctx.viewer, case=ctx.case, tab="summary", data=data, shapes=shapes,
                  chart=chart, width=WIDTH, height=HEIGHT)


@api.get("/cases/{ref}/summary", response_model=SummaryOut, responses=ERRORS)
def get_summary(ctx: CaseCtx = Depends(api_case)) -> SummaryOut:
    return summary(ctx.session, ctx.case)
