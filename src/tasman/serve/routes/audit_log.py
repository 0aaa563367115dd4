"""The audit log: a case's entries for its members, the whole chain (and its check, with the
check of its signed anchors) for auditors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.core import anchor, audit
from tasman.serve.auditview import read_log
from tasman.serve.deps import DB, CaseCtx, Viewer, api_case, api_user, csrf_protect, page_case, state
from tasman.serve.roles import Perm
from tasman.serve.routes.common import API, ERRORS, MAX_ID, Limit
from tasman.serve.schemas import AuditOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["audit"])
Before = Annotated[int | None, Query(ge=0, le=MAX_ID, description="entries before this sequence number")]


@router.get("/cases/{ref}/audit")
def case_audit_page(request: Request, before: Before = None, ctx: CaseCtx = Depends(page_case)) -> Response:
    rows = read_log(ctx.session, ctx.viewer.name, ctx.ref, before)
    return render(request, "audit.html", ctx.viewer, case=ctx.case, tab="audit", rows=rows, report=None)


@router.get("/audit")
def audit_page(request: Request, before: Before = None, viewer: Viewer = Depends(csrf_protect),
               s: Session = DB) -> Response:
    viewer.need(Perm.READ_AUDIT)
    report = audit.verify(s)
    key, why = anchor.workspace_key(state(request).ws.signer)
    anchors = anchor.verify_anchors(s, key=key)
    if why:
        anchors.warnings.insert(0, why)
    rows = read_log(s, viewer.name, None, before)
    return render(request, "audit.html", viewer, case=None, rows=rows, report=report, anchors=anchors,
                  signed=key is not None)


@api.get("/cases/{ref}/audit", response_model=list[AuditOut], responses=ERRORS)
def case_audit(before: Before = None, limit: Limit = 100,
               ctx: CaseCtx = Depends(api_case)) -> list[AuditOut]:
    """The case's audit entries, newest first (reading them is itself audited)."""
    return read_log(ctx.session, ctx.viewer.name, ctx.ref, before, limit)


@api.get("/audit", response_model=list[AuditOut], responses=ERRORS)
def all_audit(before: Before = None, limit: Limit = 100,
              viewer: Viewer = Depends(api_user), s: Session = DB) -> list[AuditOut]:
    """Every audit entry, newest first: admins and auditors."""
    viewer.need(Perm.READ_AUDIT)
    return read_log(s, viewer.name, None, before, limit)
