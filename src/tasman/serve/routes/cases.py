"""Cases: the list a user may see, creating one, its overview and its members."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.roles import Perm
from tasman.core import audit
from tasman.core.models import Case
from tasman.money.run import latest_run
from tasman.serve.deps import DB, CaseCtx, Viewer, api_case, api_user, csrf_protect, page_case
from tasman.serve.overview import case_counts
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS, see_other
from tasman.serve.routes.jobs import PAGE_VIEWS, page_jobs
from tasman.serve.schemas import CaseIn, CaseOut, MemberIn, MemberOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["cases"])


def case_out(c: Case) -> CaseOut:
    return CaseOut(ref=c.ref, title=c.title, created_at=c.created_at.isoformat(), created_by=c.created_by)


def _visible_cases(s: Session, viewer: Viewer) -> list[Case]:
    cases = accounts.member_cases(s, viewer.user)
    audit.record(s, viewer.name, "case.list", count=len(cases), channel=viewer.channel)
    return cases


@router.get("/cases")
def cases_page(request: Request, viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    return render(request, "cases.html", viewer, cases=_visible_cases(s, viewer))


@router.post("/cases")
def create_case_page(ref: str = Form(max_length=64), title: str = Form(default="", max_length=300),
                     viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.CREATE_CASE)
    accounts.open_case(s, viewer.user, ref.strip(), title.strip())
    return see_other(f"/cases/{ref.strip()}")


@router.get("/cases/{ref}")
def case_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    members = accounts.case_members(ctx.session, ctx.case)
    return render(request, "case.html", ctx.viewer, case=ctx.case, tab="overview",
                  counts=case_counts(ctx.session, ctx.case), members=members,
                  money_run=latest_run(ctx.session, ctx.case.id), **page_jobs(ctx, ""))


PAGE_VIEWS[""] = case_page


@router.post("/cases/{ref}/members")
def add_member_page(name: str = Form(max_length=120), ctx: CaseCtx = Depends(page_case)) -> Response:
    ctx.viewer.need(Perm.MANAGE_MEMBERS)
    accounts.add_member(ctx.session, ctx.viewer.name, ctx.ref, name.strip())
    return see_other(f"/cases/{ctx.ref}")


@router.post("/cases/{ref}/members/{name}/remove")
def remove_member_page(name: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    ctx.viewer.need(Perm.MANAGE_MEMBERS)
    accounts.remove_member(ctx.session, ctx.viewer.name, ctx.ref, name)
    return see_other(f"/cases/{ctx.ref}")


@api.get("/cases", response_model=list[CaseOut], responses=ERRORS)
def list_cases(viewer: Viewer = Depends(api_user), s: Session = DB) -> list[CaseOut]:
    """The cases the token's user is a member of."""
    return [case_out(c) for c in _visible_cases(s, viewer)]


@api.post("/cases", response_model=CaseOut, status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def create_case(body: CaseIn, viewer: Viewer = Depends(api_user), s: Session = DB) -> CaseOut:
    """Create a case; its creator becomes its first member."""
    viewer.need(Perm.CREATE_CASE)
    return case_out(accounts.open_case(s, viewer.user, body.ref, body.title))


@api.get("/cases/{ref}", response_model=dict[str, int | str], responses=ERRORS)
def get_case(ctx: CaseCtx = Depends(api_case)) -> dict[str, int | str]:
    """The case's reference, title and how much each stage holds."""
    return {"ref": ctx.ref, "title": ctx.case.title, **case_counts(ctx.session, ctx.case)}


@api.get("/cases/{ref}/members", response_model=list[MemberOut], responses=ERRORS)
def list_members(ctx: CaseCtx = Depends(api_case)) -> list[MemberOut]:
    return [MemberOut(name=u.name, role=u.role) for u in accounts.case_members(ctx.session, ctx.case)]


@api.post("/cases/{ref}/members", response_model=MemberOut, status_code=201, responses=WRITE_ERRORS)
def add_member(body: MemberIn, ctx: CaseCtx = Depends(api_case)) -> MemberOut:
    ctx.viewer.need(Perm.MANAGE_MEMBERS)
    accounts.add_member(ctx.session, ctx.viewer.name, ctx.ref, body.name)
    user = accounts.get_user(ctx.session, body.name)
    return MemberOut(name=user.name, role=user.role)


@api.delete("/cases/{ref}/members/{name}", status_code=204, responses=WRITE_ERRORS)
def remove_member(name: str, ctx: CaseCtx = Depends(api_case)) -> Response:
    ctx.viewer.need(Perm.MANAGE_MEMBERS)
    accounts.remove_member(ctx.session, ctx.viewer.name, ctx.ref, name)
    return Response(status_code=204)
