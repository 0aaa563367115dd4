"""Triage of a case: the runs and what they found (counts per category, matched files by path and
hash, unreadable files; never a picture), and background jobs with live progress.

A run started here is a job (``tasman.serve.jobkinds``) calling ``tasman.triage.run.run_triage``;
its row polls itself with htmx every second, and when it finishes the results section reloads
(the ``jobFinished`` event). The results are read by ``tasman.triage.results``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.evidence.store import list_evidence
from tasman.serve import jobs
from tasman.serve.deps import CaseCtx, api_case, page_case, state
from tasman.serve.models import Job
from tasman.serve.roles import Perm
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.schemas import JobIn, JobOut, TriageOut, TriageRunOut
from tasman.serve.web import render
from tasman.triage.hashsets.store import list_hashsets
from tasman.triage.report import TriageReport
from tasman.triage.results import RunInfo, inventory, list_runs, review_items, run_report

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["triage"])
PAGE_MATCHES = 500          # rows on the page; matches.csv and the API hold them all
FINISHED_EVENT = "jobFinished"


def job_out(job: Job) -> JobOut:
    j = jobs.view(job)
    return JobOut(id=j.id, kind=j.kind, status=j.status, done=j.done, total=j.total, message=j.message,
                  result=j.result, created_by=j.created_by, created_at=j.created_at.isoformat())


def run_out(r: RunInfo) -> TriageRunOut:
    return TriageRunOut(**r.as_dict())


def results(ctx: CaseCtx, run_id: int | None) -> dict[str, Any]:
    """What the results section shows: the run's report, and its perceptual matches awaiting a look."""
    report = run_report(ctx.session, ctx.viewer.name, ctx.ref, run_id)
    review = review_items(ctx.session, report.run_id) if report is not None else []
    return {"report": report, "review": review, "page_matches": PAGE_MATCHES, "pinned": run_id}


def _start_form(s: Session, ctx: CaseCtx) -> dict[str, Any]:
    if not ctx.viewer.can(Perm.RUN_TRIAGE):
        return {"evidence": [], "hashsets": []}
    return {"evidence": list_evidence(s, ctx.viewer.name, ctx.ref), "hashsets": list_hashsets(s, ctx.viewer.name)}


@router.get("/cases/{ref}/triage")
def triage_page(request: Request, run: int | None = Query(None, ge=1), ctx: CaseCtx = Depends(page_case)) -> Response:
    kinds = [k for k in jobs.KINDS.values() if ctx.viewer.can(k.perm)]
    job_rows = [jobs.view(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)]
    return render(request, "triage.html", ctx.viewer, case=ctx.case, tab="triage",
                  inventory=inventory(ctx.session, ctx.case.id), runs=list_runs(ctx.session, ctx.viewer.name, ctx.ref),
                  jobs=job_rows, kinds={k.name for k in kinds}, start=_start_form(ctx.session, ctx),
                  previews=state(request).settings.blurred_previews, **results(ctx, run))


@router.get("/cases/{ref}/triage/results")
def results_fragment(request: Request, run: int | None = Query(None, ge=1),
                     ctx: CaseCtx = Depends(page_case)) -> Response:
    """The results section alone, for htmx to swap in when a run finishes."""
    return render(request, "_triage_results.html", ctx.viewer, case=ctx.case,
                  previews=state(request).settings.blurred_previews, **results(ctx, run))


@router.post("/cases/{ref}/jobs")
async def start_job_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    form = await request.form()
    kind = str(form.get("kind", ""))[:40]
    params: dict[str, Any] = {}
    if kind == "triage":    # the boxes ticked; none ticked is refused rather than read as "all"
        params = {"evidence": [int(v) for v in form.getlist("evidence") if isinstance(v, str) and v.isdigit()],
                  "hashsets": [v for v in form.getlist("hashsets") if isinstance(v, str) and v]}
    _start(ctx, kind, params)
    return see_other(f"/cases/{ctx.ref}/triage")


@router.get("/cases/{ref}/jobs/{job_id}")
def job_fragment(request: Request, job_id: int, ctx: CaseCtx = Depends(page_case)) -> Response:
    """One job's row; while it runs the row asks for itself again every second (htmx). The answer
    that finds it finished tells the page (HX-Trigger) to reload its results."""
    job = jobs.view(jobs.get_job(ctx.session, ctx.case.id, job_id))
    response = render(request, "_job.html", ctx.viewer, case=ctx.case, job=job)
    if job.status in ("done", "failed"):
        response.headers["HX-Trigger"] = FINISHED_EVENT
    return response


def _start(ctx: CaseCtx, kind: str, params: dict[str, Any]) -> Job:
    spec = jobs.KINDS.get(kind)
    if spec is not None:
        ctx.viewer.need(spec.perm)
    return jobs.enqueue(ctx.session, ctx.viewer.name, kind, ctx.ref, params)


@api.get("/cases/{ref}/triage", response_model=TriageOut, responses=ERRORS)
def triage_summary(ctx: CaseCtx = Depends(api_case)) -> TriageOut:
    """Files inventoried, the triage runs (newest first) and the jobs; the latest finished run's id."""
    inv = inventory(ctx.session, ctx.case.id)
    runs = list_runs(ctx.session, ctx.viewer.name, ctx.ref)
    latest = next((r.id for r in runs if r.status == "finished"), None)
    return TriageOut(artifacts=inv.files, deleted=inv.deleted, by_type=inv.by_type, runs=[run_out(r) for r in runs],
                     latest_report=latest, jobs=[job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)])


@api.get("/cases/{ref}/triage/runs/{run_id}", response_model=TriageReport, responses=ERRORS)
def triage_run(run_id: int, ctx: CaseCtx = Depends(api_case)) -> TriageReport:
    """A finished run's report: counts per category, matched files (paths, hashes, lists; never a
    picture), unreadable files and the run's figures: the document report.json holds."""
    report = run_report(ctx.session, ctx.viewer.name, ctx.ref, run_id)
    assert report is not None  # a named run is found or raises
    return report


@api.get("/cases/{ref}/jobs", response_model=list[JobOut], responses=ERRORS)
def list_jobs(ctx: CaseCtx = Depends(api_case)) -> list[JobOut]:
    return [job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)]


@api.post("/cases/{ref}/jobs", response_model=JobOut, status_code=202, responses=WRITE_ERRORS)
def start_job(body: JobIn, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    """Queue a job and poll it for progress: ``custody`` re-hashes the evidence, ``triage`` runs
    the case's evidence against the hash lists (``params`` chooses which, and how many processes)."""
    return job_out(_start(ctx, body.kind, body.params.model_dump(exclude_defaults=True)))


@api.get("/cases/{ref}/jobs/{job_id}", response_model=JobOut, responses=ERRORS)
def get_job(job_id: int, ctx: CaseCtx = Depends(api_case)) -> JobOut:
    return job_out(jobs.get_job(ctx.session, ctx.case.id, job_id))
