"""Background jobs of a case (``tasman.serve.jobkinds``: custody check, triage, extraction,
linking, money analysis): started from the page that shows their results or from the API, and
watched while they run.

A job's row polls itself with htmx every second; the answer that finds it finished carries the
``jobFinished`` event, on which a page reloads the section that shows the job's results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from tasman.core.errors import PermissionDeniedError, TasmanError
from tasman.serve import jobs
from tasman.serve.deps import CaseCtx, api_case, error_status, page_case
from tasman.serve.models import Job
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, IdPath, see_other
from tasman.serve.schemas import JobIn, JobOut, ValidationProblem
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["jobs"])
FINISHED_EVENT = "jobFinished"
# The case pages that start jobs (``JobKind.page``), rendered again with the reason when a
# start form's job cannot be started; each page's module adds itself.
PAGE_VIEWS: dict[str, Callable[[Request, CaseCtx], Response]] = {}


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
    return {"jobs": rows, "kinds": {k.name for k in mine if ctx.viewer.can(k.perm)}, "job_error": ctx.job_error}


def start(ctx: CaseCtx, kind: str, params: object) -> Job:
    spec = jobs.KINDS.get(kind)
    if spec is not None:
        ctx.viewer.need(spec.perm)
    return jobs.enqueue(ctx.session, ctx.viewer.name, kind, ctx.ref, params)


@router.post("/cases/{ref}/jobs")
async def start_job_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    """A start form of a case page; back to that page, where the job's row shows its progress, or
    the page again with the reason the job was not started beside its form (400: bad parameters,
    404: nothing to work on yet)."""
    form = await request.form()
    kind = str(form.get("kind", ""))[:40]
    spec = jobs.KINDS.get(kind)
    if spec is None:
        start(ctx, kind, {})        # an unknown kind: 400
        raise AssertionError("unreachable")
    try:
        job = start(ctx, kind, spec.form(form))
    except PermissionDeniedError:
        raise
    except TasmanError as exc:
        view = PAGE_VIEWS.get(spec.page)
        if view is None:
            raise
        ctx.job_error = str(exc)
        response = view(request, ctx)
        response.status_code = 400 if isinstance(exc, jobs.ParamsError) else error_status(exc)
        return response
    page = jobs.KINDS[job.kind].page
    return see_other(f"/cases/{ctx.ref}" + (f"/{page}" if page else ""))


@router.get("/cases/{ref}/jobs/{job_id}")
def job_fragment(request: Request, job_id: IdPath, ctx: CaseCtx = Depends(page_case)) -> Response:
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


@api.post("/cases/{ref}/jobs", response_model=JobOut, status_code=202,
          responses={**WRITE_ERRORS, 422: {"model": ValidationProblem,
                                           "description": "Parameters the kind does not take or accept"}})
def start_job(body: JobIn, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    """Queue a job and poll it for progress: ``custody`` re-hashes the evidence, ``triage`` runs
    the case's evidence against the hash lists (``params`` chooses which, and how many processes),
    ``extract`` finds identifiers in the evidence and the records (``region``, ``workers``),
    ``link`` resolves the records into subjects (``threshold``), ``money`` analyses the transfers.
    Parameters the kind does not take or accept answer 422 with one line saying which."""
    return job_out(start(ctx, body.kind, body.params))


@api.get("/cases/{ref}/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: IdPath, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    return job_out(jobs.get_job(ctx.session, ctx.case.id, job_id))
