"""Subjects: resolved persons with their records, why each link was made, and the analyst's
confirm / split / merge, with the probable links waiting for review (``routes.link_review``).
Reads go through ``tasman.link.views`` and decisions through ``tasman.link.decisions``: the
functions ``tasman subject show|confirm|split|merge`` call. A link run (``tasman link``) is
started here as a job (``tasman.serve.jobkinds``).
"""

from __future__ import annotations

import re
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from tasman.accounts.roles import Perm
from tasman.core.errors import InputError
from tasman.link import decisions
from tasman.link.views import SubjectSummary, list_subjects, show_subject
from tasman.serve.deps import CaseCtx, api_case, page_case
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, Offset, paging, see_other
from tasman.serve.routes.jobs import PAGE_VIEWS, page_jobs
from tasman.serve.routes.link_review import probable_section
from tasman.serve.schemas import DecisionIn, DecisionOut, LinkOut, PartyOut, StatedOut, SubjectDetail, SubjectOut
from tasman.serve.staleness import stale_notices
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["subjects"])


def subject_out(s: SubjectSummary) -> SubjectOut:
    return SubjectOut(**s.as_dict())


def subject_detail(ctx: CaseCtx, sref: str) -> SubjectDetail:
    d = show_subject(ctx.session, ctx.viewer.name, ctx.ref, sref)
    return SubjectDetail(**d.summary.as_dict(), members=[PartyOut(**m) for m in d.members],
                         links=[LinkOut(**lk) for lk in d.links], stated=[StatedOut(**st) for st in d.stated])


def decide(ctx: CaseCtx, sref: str, body: DecisionIn) -> DecisionOut:
    """One analyst decision, recorded and audited by the link stage; later link runs keep it."""
    ctx.viewer.need(Perm.DECIDE_SUBJECTS)
    s, actor = ctx.session, ctx.viewer.name
    decisions.get_subject(s, ctx.case.id, sref)     # an unknown subject is a 404 whatever the decision
    if body.kind == "confirm":
        refs = [decisions.confirm(s, actor, ctx.ref, sref, body.note).ref]
    elif body.kind == "split":
        kept, new = decisions.split(s, actor, ctx.ref, sref, list(body.records), body.note)
        refs = [kept.ref, new.ref]
    else:
        others = [r for r in body.subjects if r != sref]
        decisions.merge(s, actor, ctx.ref, [sref, *others], body.note)
        refs = [sref, *others]
    return DecisionOut(kind=body.kind, subjects=refs)


SORTS = {"records": lambda s: (-s.records, s.ref), "ref": lambda s: s.ref, "name": lambda s: (s.name.casefold(), s.ref),
         "country": lambda s: (s.country or "~", s.ref), "confidence": lambda s: (-(s.confidence or -1.0), s.ref),
         "status": lambda s: (s.status, s.ref)}
Sort = Literal["records", "ref", "name", "country", "confidence", "status"]
PAGE_ROWS = 100


def filter_subjects(subjects: list[SubjectSummary], q: str = "", country: str = "", status: str = "",
                    sort: str = "records") -> list[SubjectSummary]:
    """The subjects list as the page shows it: ``q`` found (any case) in the reference, the name or
    any identifier; ``country`` and ``status`` exact (``country`` "-": none); sorted by ``sort``."""
    needle = q.strip().casefold()

    def hit(s: SubjectSummary) -> bool:
        if (country and (s.country or "-") != country) or (status and s.status != status):
            return False
        return not needle or any(needle in v.casefold() for v in
                                 (s.ref, s.name, *(x for vs in s.identifiers.values() for x in vs)))

    return sorted(filter(hit, subjects), key=SORTS.get(sort, SORTS["records"]))


@router.get("/cases/{ref}/subjects")
def subjects_page(request: Request, q: str = Query("", max_length=200), country: str = Query("", max_length=2),
                  status: str = Query("", max_length=16), sort: Sort = "records", offset: Offset = 0,
                  ctx: CaseCtx = Depends(page_case)) -> Response:
    every = list_subjects(ctx.session, ctx.viewer.name, ctx.ref)
    shown = filter_subjects(every, q, country, status, sort)
    offset, limit = paging(offset, PAGE_ROWS)
    return render(request, "subjects.html", ctx.viewer, case=ctx.case, tab="subjects",
                  stale=stale_notices(ctx.session, ctx.case, "subjects"), subjects=shown[offset:offset + limit],
                  total=len(every), page={"total": len(shown), "offset": offset, "limit": limit},
                  countries=sorted({s.country or "-" for s in every}), statuses=sorted({s.status for s in every}),
                  q=q, country=country, status=status, sort=sort, **page_jobs(ctx, "subjects"))


PAGE_VIEWS["subjects"] = lambda request, ctx: subjects_page(request, "", "", "", "records", 0, ctx)


@router.get("/cases/{ref}/subjects/{sref}")
def subject_page(request: Request, sref: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    detail = subject_detail(ctx, sref)
    mine = [d for d in decisions.list_decisions(ctx.session, ctx.case.id) if sref in (d.subject_refs or [])]
    return render(request, "subject.html", ctx.viewer, case=ctx.case, tab="subjects", subject=detail,
                  decisions=mine[::-1][:50], **probable_section(ctx, sref))


@router.post("/cases/{ref}/subjects/{sref}/decisions")
async def decide_page(request: Request, sref: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    form = await request.form()
    records = [v for v in form.getlist("records") if isinstance(v, str) and v]
    merge_with = str(form.get("subjects", ""))
    try:
        body = DecisionIn(kind=str(form.get("kind", "")), records=records, note=str(form.get("note", ""))[:2000],
                          subjects=[r for r in re.split(r"[\s,;]+", merge_with) if r][:1000])
    except ValidationError:
        raise InputError("choose confirm, split or merge") from None
    out = decide(ctx, sref, body)
    return see_other(f"/cases/{ctx.ref}/subjects/{out.subjects[0]}")


@api.get("/cases/{ref}/subjects", response_model=list[SubjectOut], responses=ERRORS)
def get_subjects(ctx: CaseCtx = Depends(api_case)) -> list[SubjectOut]:
    """The case's subjects (retired ones left out), largest first."""
    return [subject_out(s) for s in list_subjects(ctx.session, ctx.viewer.name, ctx.ref)]


@api.get("/cases/{ref}/subjects/{sref}", response_model=SubjectDetail, responses=ERRORS)
def get_subject(sref: str, ctx: CaseCtx = Depends(api_case)) -> SubjectDetail:
    """A subject with its records, the explanation of every link that joined them, and what the
    person said about themselves in chats and quoted tips (each fact with its record, its message
    or field, and the pattern that read it)."""
    return subject_detail(ctx, sref)


@api.post("/cases/{ref}/subjects/{sref}/decisions", response_model=DecisionOut, status_code=201,
          responses=WRITE_ERRORS)
def post_decision(sref: str, body: DecisionIn, ctx: CaseCtx = Depends(api_case)) -> DecisionOut:
    """Confirm the subject, split the named records off it into a new subject, or merge other
    subjects into it. Later link runs keep every decision."""
    return decide(ctx, sref, body)


