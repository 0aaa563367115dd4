"""Triage of a case: the runs and what they found (counts per category, matched files by path and
hash, unreadable files; never a picture), and the case's background jobs with live progress.

A run started here is a job (``tasman.serve.jobkinds``, started through ``routes/jobs.py``)
calling ``tasman.triage.run.run_triage``; its row polls itself with htmx every second, and when it
finishes the results section reloads (the ``jobFinished`` event). The results are read by
``tasman.triage.results``. An examiner confirms or declines a perceptual match awaiting review
(``tasman.triage.review``); the results section is swapped in again with the match moved to the
decided ones.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts.roles import Perm
from tasman.evidence.store import list_evidence
from tasman.serve import jobs
from tasman.serve.deps import TOKEN_SCOPE, CaseCtx, api_case, page_case, state
from tasman.serve.routes.common import API, ERRORS, MAX_ID, WRITE_ERRORS, IdPath, OptionalId, see_other
from tasman.serve.routes.jobs import PAGE_VIEWS, job_out, page_jobs
from tasman.serve.schemas import TriageOut, TriageReviewIn, TriageReviewOut, TriageRunOut
from tasman.serve.web import render
from tasman.triage.hashsets.store import list_hashsets
from tasman.triage.report import TriageReport
from tasman.triage.results import RunInfo, inventory, list_runs, review_queue, run_report
from tasman.triage.review import Decision, list_decisions, record_decision

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["triage"])
PAGE_MATCHES = 500          # rows on the page; matches.csv and the API hold them all


def run_out(r: RunInfo) -> TriageRunOut:
    return TriageRunOut(**r.as_dict())


def results(ctx: CaseCtx, run_id: int | None) -> dict[str, Any]:
    """What the results section shows: the run's report, and its perceptual matches awaiting a look."""
    report = run_report(ctx.session, ctx.viewer.name, ctx.ref, run_id)
    review, decided = review_queue(ctx.session, report.run_id) if report is not None else ([], [])
    return {"report": report, "review": review, "decided": decided, "page_matches": PAGE_MATCHES, "pinned": run_id}


def review_out(d: Decision) -> TriageReviewOut:
    return TriageReviewOut(**d.as_dict())


def _start_form(s: Session, ctx: CaseCtx) -> dict[str, Any]:
    if not ctx.viewer.can(Perm.RUN_TRIAGE):
        return {"evidence": [], "hashsets": []}
    return {"evidence": list_evidence(s, ctx.viewer.name, ctx.ref), "hashsets": list_hashsets(s, ctx.viewer.name)}


@router.get("/cases/{ref}/triage")
def triage_page(request: Request, run: OptionalId = None, ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "triage.html", ctx.viewer, case=ctx.case, tab="triage",
                  inventory=inventory(ctx.session, ctx.case.id), runs=list_runs(ctx.session, ctx.viewer.name, ctx.ref),
                  start=_start_form(ctx.session, ctx), previews=state(request).settings.blurred_previews,
                  **page_jobs(ctx, "triage"), **results(ctx, run))


PAGE_VIEWS["triage"] = lambda request, ctx: triage_page(request, None, ctx)


@router.get("/cases/{ref}/triage/results")
def results_fragment(request: Request, run: OptionalId = None,
                     ctx: CaseCtx = Depends(page_case)) -> Response:
    """The results section alone, for htmx to swap in when a run finishes."""
    return render(request, "_triage_results.html", ctx.viewer, case=ctx.case,
                  previews=state(request).settings.blurred_previews, **results(ctx, run))


@router.post("/cases/{ref}/triage/review")
def review_page(request: Request, artifact_id: int = Form(ge=1, le=MAX_ID), decision: str = Form(max_length=16),
                note: str = Form("", max_length=2000), run: int | None = Form(None, ge=1, le=MAX_ID),
                ctx: CaseCtx = Depends(page_case)) -> Response:
    """Confirm or decline one match awaiting review; htmx swaps the results section in again."""
    ctx.viewer.need(Perm.REVIEW_THUMBNAIL)
    record_decision(ctx.session, ctx.viewer.name, ctx.ref, artifact_id, decision, note)
    if request.headers.get("hx-request") != "true":
        return see_other(f"/cases/{ctx.ref}/triage" + (f"?run={run}" if run else ""))
    return render(request, "_triage_results.html", ctx.viewer, case=ctx.case,
                  previews=state(request).settings.blurred_previews, **results(ctx, run))


@api.get("/cases/{ref}/triage/review", response_model=list[TriageReviewOut], responses=ERRORS)
def get_reviews(history: bool = Query(False), ctx: CaseCtx = Depends(api_case)) -> list[TriageReviewOut]:
    """Examiners' decisions on perceptual matches: the current one per artifact, most recent first
    (every decision ever recorded with ``history=true``)."""
    return [review_out(d) for d in list_decisions(ctx.session, ctx.viewer.name, ctx.ref, history)]


@api.post("/cases/{ref}/triage/review", response_model=TriageReviewOut, status_code=201, responses=WRITE_ERRORS,
          openapi_extra={TOKEN_SCOPE: "review"})
def post_review(body: TriageReviewIn, ctx: CaseCtx = Depends(api_case)) -> TriageReviewOut:
    """Confirm or decline a perceptual match awaiting review (examiners only, with a token that has
    the ``review`` scope, which only the examiner issues for themself). A later decision on
    the same artifact replaces it as the current one; the earlier ones stay as history."""
    ctx.viewer.need(Perm.REVIEW_THUMBNAIL)
    return review_out(record_decision(ctx.session, ctx.viewer.name, ctx.ref, body.artifact_id, body.decision,
                                      body.note))


@api.get("/cases/{ref}/triage", response_model=TriageOut, responses=ERRORS)
def triage_summary(ctx: CaseCtx = Depends(api_case)) -> TriageOut:
    """Files inventoried, the triage runs (newest first) and the jobs; the latest finished run's id."""
    inv = inventory(ctx.session, ctx.case.id)
    runs = list_runs(ctx.session, ctx.viewer.name, ctx.ref)
    latest = next((r.id for r in runs if r.status == "finished"), None)
    return TriageOut(artifacts=inv.files, deleted=inv.deleted, by_type=inv.by_type, runs=[run_out(r) for r in runs],
                     latest_report=latest, jobs=[job_out(j) for j in jobs.case_jobs(ctx.session, ctx.case.id)])


@api.get("/cases/{ref}/triage/runs/{run_id}", response_model=TriageReport, responses=ERRORS)
def triage_run(run_id: IdPath, ctx: CaseCtx = Depends(api_case)) -> TriageReport:
    """A finished run's report: counts per category, matched files (paths, hashes, lists; never a
    picture), unreadable files and the run's figures: the document report.json holds."""
    report = run_report(ctx.session, ctx.viewer.name, ctx.ref, run_id)
    assert report is not None  # a named run is found or raises
    return report
