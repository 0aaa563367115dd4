"""Triage of a case: what was inventoried, match results, and background jobs with live progress.

The run itself is a job (``tasman.serve.jobkinds``) calling the triage library; the page polls
the job's row with htmx every second until it is finished.
STAGE-API: match counts per category and the match list read the triage stage's results once it
lands (``tasman.triage.report``); until then the page shows the inventory and the jobs.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tasman.core.models import Artifact, Case
from tasman.serve import jobs
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.models import Job
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import JobIn, JobOut, TriageOut
from tasman.serve.stageapi import available
from tasman.serve.thumbs import reviewable
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["triage"])


def job_out(job: Job) -> JobOut:
    j = jobs.view(job)
    return JobOut(id=j.id, kind=j.kind, status=j.status, done=j.done, total=j.total, message=j.message,
                  result=j.result, created_by=j.created_by, created_at=j.created_at.isoformat())


def inventory(s: Session, case: Case) -> tuple[int, int, dict[str, int]]:
    total = int(s.scalar(select(func.count()).where(Artifact.case_id == case.id)) or 0)
    deleted = int(s.scalar(select(func.count()).where(Artifact.case_id == case.id, Artifact.deleted)) or 0)
    by_type = {str(m or "unknown"): int(n) for m, n in s.execute(
        select(Artifact.mime, func.count()).where(Artifact.case_id == case.id).group_by(Artifact.mime)
        .order_by(func.count().desc()).limit(12))}
    return total, deleted, by_type


def matches_available() -> bool:
    return available("tasman.triage.report", "case_matches")


@router.get("/cases/{ref}/triage")
def triage_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    total, deleted, by_type = inventory(ctx.session, ctx.case)
    review = [a for a in ctx.session.scalars(select(Artifact).where(Artifact.case_id == ctx.case.id)
                                            .order_by(Artifact.id).limit(2000)) if reviewable(a)][:200]
    kinds = [k for k in jobs.KINDS.values() if ctx.viewer.can(k.perm)]
    job_rows = [jobs.view(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)]
    return render(request, "triage.html", ctx.viewer, case=ctx.case, tab="triage", total=total, deleted=deleted,
                  by_type=by_type, review=review, jobs=job_rows, kinds=kinds,
                  matches_available=matches_available(), triage_installed="triage" in jobs.KINDS)


@router.post("/cases/{ref}/jobs")
def start_job_page(kind: str = Form(max_length=40), ctx: CaseCtx = Depends(page_case)) -> Response:
    _start(ctx, kind, {})
    return see_other(f"/cases/{ctx.ref}/triage")


@router.get("/cases/{ref}/jobs/{job_id}")
def job_fragment(request: Request, job_id: int, ctx: CaseCtx = Depends(page_case)) -> Response:
    """One job's row; while it runs the row asks for itself again every second (htmx)."""
    job = jobs.get_job(ctx.session, ctx.case.id, job_id)
    return render(request, "_job.html", ctx.viewer, case=ctx.case, job=jobs.view(job))


def _start(ctx: CaseCtx, kind: str, params: dict[str, object]) -> Job:
    spec = jobs.KINDS.get(kind)
    if spec is not None:
        ctx.viewer.need(spec.perm)
    return jobs.enqueue(ctx.session, ctx.viewer.name, kind, ctx.ref, params)


@api.get("/cases/{ref}/triage", response_model=TriageOut, responses=ERRORS)
def triage_summary(ctx: CaseCtx = Depends(api_case)) -> TriageOut:
    total, deleted, by_type = inventory(ctx.session, ctx.case)
    return TriageOut(artifacts=total, deleted=deleted, by_type=by_type, matches_available=matches_available(),
                     jobs=[job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)])


@api.get("/cases/{ref}/jobs", response_model=list[JobOut], responses=ERRORS)
def list_jobs(ctx: CaseCtx = Depends(api_case)) -> list[JobOut]:
    return [job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)]


@api.post("/cases/{ref}/jobs", response_model=JobOut, status_code=202, responses=WRITE_ERRORS)
def start_job(body: JobIn, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    """Queue a job (``custody``, and ``triage`` once the triage stage is installed); poll it for progress."""
    return job_out(_start(ctx, body.kind, body.params))


@api.get("/cases/{ref}/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: int, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    return job_out(jobs.get_job(ctx.session, ctx.case.id, job_id))
