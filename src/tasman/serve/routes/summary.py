"""The operation summary: subjects per country, packages sent and what came back (arrests,
children safeguarded), as a bar chart (Chart.js) and a world map (server-drawn SVG)."""

from __future__ import annotations

import pycountry
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.attribute.views import subject_countries
from tasman.core import audit
from tasman.refer.summary import build_summary
from tasman.report import CaseReport, build_case_report, render_html
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS
from tasman.serve.schemas import CountryCount, SummaryOut
from tasman.serve.staleness import stale_notices
from tasman.serve.web import render
from tasman.serve.worldmap import HEIGHT, WIDTH, map_shapes

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["summary"])


def country_name(code: str) -> str:
    c = pycountry.countries.get(alpha_2=code)
    return c.name if c is not None else code


def summary(ctx: CaseCtx) -> SummaryOut:
    attributed = subject_countries(ctx.session, ctx.case.id)
    total, subjects = attributed.total, attributed.by_country
    referred = {r.country: r for r in build_summary(ctx.session, ctx.viewer.name, ctx.ref).rows}
    countries = [CountryCount(country=cc, name=country_name(cc), subjects=subjects.get(cc, 0),
                              referred=r.subjects if r else 0, packages=r.packages if r else 0,
                              acknowledged=r.acknowledged if r else 0, arrested=r.arrested if r else 0,
                              children_safeguarded=r.children_safeguarded if r else 0)
                 for cc in set(subjects) | set(referred) for r in [referred.get(cc)]]
    countries.sort(key=lambda c: (-c.subjects, c.country))
    return SummaryOut(subjects=total, attributed=sum(subjects.values()), countries=countries,
                      packages=sum(c.packages for c in countries), arrested=sum(c.arrested for c in countries),
                      children_safeguarded=sum(c.children_safeguarded for c in countries))


@router.get("/cases/{ref}/summary")
def summary_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    data = summary(ctx)
    shapes = map_shapes({c.country: c.subjects for c in data.countries},
                        {c.country: c for c in data.countries})
    chart = {"labels": [c.country for c in data.countries],
             "series": [{"label": "subjects", "values": [c.subjects for c in data.countries]},
                        {"label": "arrested", "values": [c.arrested for c in data.countries]},
                        {"label": "children safeguarded", "values": [c.children_safeguarded for c in data.countries]}]}
    return render(request, "summary.html", ctx.viewer, case=ctx.case, tab="summary",
                  stale=stale_notices(ctx.session, ctx.case, "summary"), data=data, shapes=shapes,
                  chart=chart, width=WIDTH, height=HEIGHT)


@api.get("/cases/{ref}/summary", response_model=SummaryOut, responses=ERRORS)
def get_summary(ctx: CaseCtx = Depends(api_case)) -> SummaryOut:
    """Per country: subjects attributed and referred, packages, acknowledgements, arrests, children safeguarded."""
    return summary(ctx)


def case_report(ctx: CaseCtx) -> CaseReport:
    """The case report as ``tasman report`` writes it (each stage's read audited), never media."""
    doc = build_case_report(ctx.session, ctx.viewer.name, ctx.ref)
    audit.record(ctx.session, ctx.viewer.name, "report.read", case_ref=ctx.ref, channel=ctx.viewer.channel)
    return doc


@router.get("/cases/{ref}/report.html")
def case_report_download(ctx: CaseCtx = Depends(page_case)) -> Response:
    """The case report as a file to keep (its inline styles are not for this site's pages)."""
    return Response(render_html(case_report(ctx)), media_type="text/html; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{ctx.ref}-report.html"'})


@api.get("/cases/{ref}/report", response_model=CaseReport, responses=ERRORS)
def get_case_report(ctx: CaseCtx = Depends(api_case)) -> CaseReport:
    """The case report document: evidence, triage counts, identifiers, subjects and attribution,
    referrals and outcomes, the latest money analysis, the audit chain's state."""
    return case_report(ctx)
