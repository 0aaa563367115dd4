"""The audit log: a case's entries for its members, the whole chain (and its check, with the
check of its signed anchors) for auditors; both filtered by who, what, which case and when."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from tasman.accounts.roles import Perm
from tasman.core import anchor, audit
from tasman.core.audit import AuditFilter, known_values, read_log
from tasman.core.errors import InputError
from tasman.serve.deps import DB, CaseCtx, Viewer, api_case, api_user, csrf_protect, page_case, state
from tasman.serve.routes.common import API, ERRORS, MAX_ID, Limit
from tasman.serve.schemas import AuditOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["audit"])
Before = Annotated[int | None, Query(ge=0, le=MAX_ID, description="entries before this sequence number")]


Text = Annotated[str, Query(max_length=120)]
Day = Annotated[str, Query(max_length=10, description="a UTC day, YYYY-MM-DD (empty: no limit)")]


def _day(name: str, raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if raw.strip() else None
    except ValueError:
        raise InputError(f"{name}: a day as YYYY-MM-DD, not {raw!r}") from None


def audit_filter(actor: Text = "", action: Text = "", case: Text = "", since: Day = "",
                 until: Day = "") -> AuditFilter:
    """The filters of the audit pages and API: who, what (``case.`` for every case action), which
    case (the whole log only), and the days from/to (a form sends the empty ones too)."""
    return AuditFilter(actor=actor.strip(), action=action.strip(), case=case.strip(), since=_day("since", since),
                       until=_day("until", until))


def api_filter(actor: Text = "", action: Text = "", case: Text = "",
               since: Annotated[date | None, Query(description="from this UTC day")] = None,
               until: Annotated[date | None, Query(description="to this UTC day, included")] = None) -> AuditFilter:
    """The same filters for the API, whose days are typed (a bad one is a 422)."""
    return AuditFilter(actor=actor.strip(), action=action.strip(), case=case.strip(), since=since, until=until)


Filter = Depends(audit_filter)
ApiFilter = Depends(api_filter)


def _query(f: AuditFilter) -> str:
    return urlencode(f.used())


@router.get("/cases/{ref}/audit")
def case_audit_page(request: Request, before: Before = None, f: AuditFilter = Filter,
                    ctx: CaseCtx = Depends(page_case)) -> Response:
    rows = read_log(ctx.session, ctx.viewer.name, ctx.ref, before, where=f)
    actors, actions = known_values(ctx.session, ctx.ref)
    return render(request, "audit.html", ctx.viewer, case=ctx.case, tab="audit", rows=rows, report=None, f=f,
                  actors=actors, actions=actions, query=_query(f))


@router.get("/audit")
def audit_page(request: Request, before: Before = None, f: AuditFilter = Filter,
               viewer: Viewer = Depends(csrf_protect), s: Session = DB) -> Response:
    viewer.need(Perm.READ_AUDIT)
    report = audit.verify(s)
    key, why = anchor.workspace_key(state(request).ws.signer)
    anchors = anchor.verify_anchors(s, key=key)
    if why:
        anchors.warnings.insert(0, why)
    rows = read_log(s, viewer.name, None, before, where=f)
    actors, actions = known_values(s, None)
    return render(request, "audit.html", viewer, case=None, rows=rows, report=report, anchors=anchors,
                  signed=key is not None, f=f, actors=actors, actions=actions, query=_query(f))


@api.get("/cases/{ref}/audit", response_model=list[AuditOut], responses=ERRORS)
def case_audit(before: Before = None, limit: Limit = 100, f: AuditFilter = ApiFilter,
               ctx: CaseCtx = Depends(api_case)) -> list[AuditOut]:
    """The case's audit entries, newest first (reading them is itself audited)."""
    return [AuditOut(**asdict(e)) for e in read_log(ctx.session, ctx.viewer.name, ctx.ref, before, limit, where=f)]


@api.get("/audit", response_model=list[AuditOut], responses=ERRORS)
def all_audit(before: Before = None, limit: Limit = 100, f: AuditFilter = ApiFilter,
              viewer: Viewer = Depends(api_user), s: Session = DB) -> list[AuditOut]:
    """Every audit entry, newest first: admins and auditors."""
    viewer.need(Perm.READ_AUDIT)
    return [AuditOut(**asdict(e)) for e in read_log(s, viewer.name, None, before, limit, where=f)]
