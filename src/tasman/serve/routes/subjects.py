"""Subjects: resolved persons with their records, why each link was made, and the analyst's
confirm / split / merge.

STAGE-API: the lists read the link tables directly; decisions call
``tasman.link.decisions.decide`` (the function ``tasman link`` decisions use), answered 501
until the link stage lands.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tasman.core.errors import NotFoundError
from tasman.core.models import Case, Record
from tasman.link.models import Decision, RecordLink, Subject, SubjectRecord
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.roles import Perm
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.routes.records import record_out
from tasman.serve.schemas import DecisionIn, LinkOut, SubjectDetail, SubjectOut
from tasman.serve.stageapi import available, stage_function
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["subjects"])


def subjects(s: Session, case: Case, limit: int = 1000) -> list[SubjectOut]:
    q = (select(Subject, func.count(SubjectRecord.id)).outerjoin(SubjectRecord, SubjectRecord.subject_id == Subject.id)
         .where(Subject.case_id == case.id).group_by(Subject.id).order_by(Subject.ref).limit(limit))
    return [SubjectOut(ref=sub.ref, name=sub.name, status=sub.status, country=sub.country,
                       confidence=sub.confidence, records=int(n)) for sub, n in s.execute(q)]


def subject_detail(s: Session, case: Case, sref: str) -> SubjectDetail:
    sub = s.scalar(select(Subject).where(Subject.case_id == case.id, Subject.ref == sref))
    if sub is None:
        raise NotFoundError(f"no subject {sref!r} in case {case.ref!r}")
    members = list(s.scalars(select(Record).join(SubjectRecord, SubjectRecord.record_id == Record.id)
                             .where(SubjectRecord.subject_id == sub.id).order_by(Record.id)))
    ids = [r.id for r in members]
    links = list(s.scalars(select(RecordLink).where(or_(RecordLink.record_a.in_(ids), RecordLink.record_b.in_(ids)))
                           .order_by(RecordLink.match_weight.desc()).limit(2000))) if ids else []
    return SubjectDetail(
        ref=sub.ref, name=sub.name, status=sub.status, country=sub.country, confidence=sub.confidence,
        records=len(members), members=[record_out(r) for r in members],
        links=[LinkOut(record_a=lk.record_a, record_b=lk.record_b, rule=lk.rule, match_weight=lk.match_weight,
                       probability=lk.probability, explanation=lk.explanation) for lk in links])


def decide(ctx: CaseCtx, sref: str, body: DecisionIn) -> None:
    ctx.viewer.need(Perm.DECIDE_SUBJECTS)
    subject_detail(ctx.session, ctx.case, sref)  # 404 before anything else
    fn = stage_function("tasman.link.decisions", "decide", "link")
    fn(ctx.session, ctx.viewer.name, ctx.ref, sref, kind=body.kind, record_ids=body.record_ids,
       other_subject=body.other_subject, note=body.note)


@router.get("/cases/{ref}/subjects")
def subjects_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    return render(request, "subjects.html", ctx.viewer, case=ctx.case, tab="subjects",
                  subjects=subjects(ctx.session, ctx.case))


@router.get("/cases/{ref}/subjects/{sref}")
def subject_page(request: Request, sref: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    detail = subject_detail(ctx.session, ctx.case, sref)
    decisions = list(ctx.session.scalars(select(Decision).where(Decision.case_id == ctx.case.id)
                                         .order_by(Decision.id.desc()).limit(50)))
    ids = {r.id for r in detail.members}
    decisions = [d for d in decisions if ids & set(d.record_ids or []) or ids & set(d.other_record_ids or [])]
    return render(request, "subject.html", ctx.viewer, case=ctx.case, tab="subjects", subject=detail,
                  decisions=decisions, decisions_ready=available("tasman.link.decisions", "decide"))


@router.post("/cases/{ref}/subjects/{sref}/decisions")
async def decide_page(request: Request, sref: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    form = await request.form()
    ids = [int(v) for v in form.getlist("record_ids") if isinstance(v, str) and v.isdigit()]
    other = form.get("other_subject")
    body = DecisionIn(kind=str(form.get("kind", "")), record_ids=ids, note=str(form.get("note", ""))[:2000],
                      other_subject=other if isinstance(other, str) and other else None)
    decide(ctx, sref, body)
    return see_other(f"/cases/{ctx.ref}/subjects/{sref}")


@api.get("/cases/{ref}/subjects", response_model=list[SubjectOut], responses=ERRORS)
def list_subjects(ctx: CaseCtx = Depends(api_case)) -> list[SubjectOut]:
    return subjects(ctx.session, ctx.case)


@api.get("/cases/{ref}/subjects/{sref}", response_model=SubjectDetail, responses=ERRORS)
def get_subject(sref: str, ctx: CaseCtx = Depends(api_case)) -> SubjectDetail:
    """A subject with its records and the explanation of every link that joined them."""
    return subject_detail(ctx.session, ctx.case, sref)


@api.post("/cases/{ref}/subjects/{sref}/decisions", status_code=204,
          responses={**WRITE_ERRORS, 501: {"description": "The link stage is not installed"}})
def post_decision(sref: str, body: DecisionIn, ctx: CaseCtx = Depends(api_case)) -> Response:
    """Confirm a subject, split records off it, or merge another subject into it."""
    decide(ctx, sref, body)
    return Response(status_code=204)


