"""Evidence of a case: the list with hashes, and recording evidence found under the server's
evidence folder (``tasman serve --evidence-root``); files are never uploaded through a browser."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from tasman.accounts.roles import Perm
from tasman.core.errors import InputError, PermissionDeniedError
from tasman.core.models import Evidence
from tasman.evidence import store
from tasman.serve.deps import CaseCtx, api_case, page_case, state
from tasman.serve.routes.common import API, ERRORS, see_other
from tasman.serve.schemas import EvidenceOut
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["evidence"])


def evidence_out(e: Evidence) -> EvidenceOut:
    return EvidenceOut(id=e.id, name=e.name, kind=e.kind, sha256=e.sha256, size=e.size, files=e.file_count,
                       custodian=e.custodian, acquired_at=e.acquired_at.isoformat(), added_by=e.added_by)


def under_root(root: Path | None, relative: str) -> Path:
    """The path ``relative`` inside the evidence root, refusing anything that climbs out of it."""
    if root is None:
        raise PermissionDeniedError("this server has no evidence folder (tasman serve --evidence-root): "
                                    "record evidence with 'tasman evidence add'")
    base = root.resolve()
    target = (base / relative.lstrip("/")).resolve()
    if target != base and base not in target.parents:
        raise InputError(f"{relative!r} is outside the evidence folder")
    return target


@router.get("/cases/{ref}/evidence")
def evidence_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    items = store.list_evidence(ctx.session, ctx.viewer.name, ctx.ref)
    root = state(request).settings.evidence_root
    return render(request, "evidence.html", ctx.viewer, case=ctx.case, tab="evidence", items=items,
                  evidence_root=root)


@router.post("/cases/{ref}/evidence")
def add_evidence_page(request: Request, path: str = Form(max_length=1000), custodian: str = Form("", max_length=200),
                      note: str = Form("", max_length=2000), ctx: CaseCtx = Depends(page_case)) -> Response:
    ctx.viewer.need(Perm.ADD_EVIDENCE)
    target = under_root(state(request).settings.evidence_root, path)
    store.add_evidence(ctx.session, ctx.viewer.name, ctx.ref, target, custodian=custodian, note=note)
    return see_other(f"/cases/{ctx.ref}/evidence")


@api.get("/cases/{ref}/evidence", response_model=list[EvidenceOut], responses=ERRORS)
def list_evidence(ctx: CaseCtx = Depends(api_case)) -> list[EvidenceOut]:
    return [evidence_out(e) for e in store.list_evidence(ctx.session, ctx.viewer.name, ctx.ref)]
