"""Background jobs of a case (``tasman.serve.jobkinds``: custody check, triage, extraction,
linking, money analysis): started from the page that shows their results or from the API, and
watched while they run.

A job's row polls itself with htmx every second; the answer that finds it finished carries the
``jobFinished`` event, on which a page reloads the section that shows the job's results.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.serve import jobs
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.models import Job
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import JobIn, JobOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["jobs"])
FINISHED_EVENT = "jobFinished"


def job_out(job: Job) -> JobOut:
    j = jobs.view(job)
    return JobOut(id=j.id, kind=j.kind, status=j.status, done=j.done, total=j.total, message=j.message,
                  result=j.result, outcome=j.outcome, created_by=j.created_by, created_at=j.created_at.isoformat())


def page_jobs(ctx: CaseCtx, page: str) -> dict[str, Any]:
    """What a page's jobs section shows: the kinds it starts that the viewer may start, and their
    latest jobs (the triage page lists every job of the case)."""
    mine = [k for k in jobs.KINDS.values() if k.page == page]
    shown = None if page == "triage" else {k.name for k in mine}
    rows = [jobs.view(j) for j in jobs.case_jobs(ctx.session, ctx.case.id, kinds=shown)]
    return {"jobs": rows, "kinds": {k.name for k in mine if ctx.viewer.can(k.perm)}}


def start(ctx: CaseCtx, kind: str, params: dict[str, Any]) -> Job:
    spec = jobs.KINDS.get(kind)
    if spec is not None:
        ctx.viewer.need(spec.perm)
    return jobs.enqueue(ctx.session, ctx.viewer.name, kind, ctx.ref, params)


@router.post("/cases/{ref}/jobs")
async def start_job_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    """A start form of a case page; back to that page, where the job's row shows its progress."""
    form = await request.form()
    kind = str(form.get("kind", ""))[:40]
    spec = jobs.KINDS.get(kind)
    job = start(ctx, kind, spec.form(form) if spec else {})     # an unknown kind: 400
    page = jobs.KINDS[job.kind].page
    return see_other(f"/cases/{ctx.ref}" + (f"/{page}" if page else ""))


@router.get("/cases/{ref}/jobs/{job_id}")
def job_fragment(request: Request, job_id: int, ctx: CaseCtx = Depends(page_case)) -> Response:
    """One job's row; while it runs the row asks for itself again every second (htmx). The answer
    that finds it finished tells the page (HX-Trigger) to reload its results."""
    job = jobs.view(jobs.get_job(ctx.session, ctx.case.id, job_id))
    response = render(request, "_job.html", ctx.viewer, case=ctx.case, job=job)
    if job.status in ("done", "failed"):
        response.headers["HX-Trigger"] = FINISHED_EVENT
    return response


@api.get("/cases/{ref}/jobs", response_model=list[JobOut], responses=ERRORS)
def list_jobs(ctx: CaseCtx = Depends(api_case)) -> list[JobOut]:
    return [job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)]


@api.post("/cases/{ref}/jobs", response_model=JobOut, status_code=202, responses=WRITE_ERRORS)
def start_job(body: JobIn, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    """Queue a job and poll it for progress: ``custody`` re-hashes the evidence, ``triage`` runs
    the case's evidence against the hash lists (``params`` chooses which, and how many processes),
    ``extract`` finds identifiers in the evidence and the records (``region``, ``workers``),
    ``link`` resolves the records into subjects (``threshold``), ``money`` analyses the transfers."""
    return job_out(start(ctx, body.kind, body.params.model_dump(exclude_defaults=True)))


@api.get("/cases/{ref}/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: int, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    return job_out(jobs.get_job(ctx.session, ctx.case.id, job_id))
