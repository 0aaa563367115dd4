"""Referral packages (build, download, status) and the outcomes reported back: the pages over
``tasman refer`` / ``tasman package list`` / ``tasman outcome import`` / ``tasman summary``.

Packages built here are written to ``WORKSPACE/out/referrals/CASE/``; a download serves the
signed, encrypted package file (never media) after checking its SHA-256 against the record.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from tasman.accounts.roles import Perm
from tasman.core import audit
from tasman.core.errors import InputError, IntegrityError, NotFoundError
from tasman.refer import keys
from tasman.refer.document import TLPS
from tasman.refer.models import ReferralPackage
from tasman.refer.outcomes import MAX_OUTCOME_BYTES, import_outcome
from tasman.refer.service import get_package, list_packages, refer_case
from tasman.refer.summary import build_summary
from tasman.serve.deps import CaseCtx, api_case, page_case, state
from tasman.serve.routes.common import API, ERRORS, WRITE_ERRORS
from tasman.serve.staleness import stale_notices
from tasman.serve.web import render

router = APIRouter(include_in_schema=False)
api = APIRouter(prefix=API, tags=["referrals"])


def out_dir(ctx: CaseCtx, request: Request) -> Path:
    return state(request).ws.out_dir("referrals", ctx.ref)


def package_out(p: ReferralPackage) -> dict[str, Any]:
    return {"package_id": p.package_id, "country": p.country, "version": p.version, "agency": p.agency,
            "tlp": p.tlp, "subjects": len(p.subjects), "file_sha256": p.file_sha256,
            "created_at": p.created_at.isoformat(), "created_by": p.created_by}


def overview(ctx: CaseCtx) -> dict[str, Any]:
    packages = [package_out(p) for p in list_packages(ctx.session, ctx.viewer.name, ctx.ref)]
    summary = build_summary(ctx.session, ctx.viewer.name, ctx.ref)
    return {"packages": packages, "summary": summary.model_dump(mode="json")}


def build(ctx: CaseCtx, request: Request, tlp: str) -> dict[str, Any]:
    ctx.viewer.need(Perm.REFER)
    local = keys.load(state(request).ws.root)
    result = refer_case(ctx.session, ctx.viewer.name, ctx.ref, out_dir(ctx, request), local, tlp)
    return {"built": result.built, "unchanged": result.unchanged, "skipped": result.skipped,
            "unattributed": result.unattributed}


def package_file(ctx: CaseCtx, request: Request, package_id: str) -> tuple[ReferralPackage, Path]:
    ctx.viewer.need(Perm.REFER)
    pkg = get_package(ctx.session, ctx.case, package_id)
    path = out_dir(ctx, request) / Path(pkg.file_name).name
    if not path.is_file():
        raise NotFoundError(f"{pkg.file_name} is not in {path.parent} (built by the CLI into another folder?)")
    if hashlib.sha256(path.read_bytes()).hexdigest() != pkg.file_sha256:
        raise IntegrityError(f"{path.name} no longer matches the SHA-256 recorded when it was built")
    audit.record(ctx.session, ctx.viewer.name, "package.download", case_ref=ctx.ref, target=package_id,
                 sha256=pkg.file_sha256, channel=ctx.viewer.channel)
    return pkg, path


async def receive_outcome(ctx: CaseCtx, upload: UploadFile) -> dict[str, Any]:
    """A signed outcome document from a recipient agency: verified, replays refused, then recorded."""
    ctx.viewer.need(Perm.REFER)
    data = await upload.read(MAX_OUTCOME_BYTES + 1)
    if len(data) > MAX_OUTCOME_BYTES:
        raise InputError(f"the outcome file is too big (at most {MAX_OUTCOME_BYTES} bytes)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "outcome.json"   # the upload's own name is never used to write
        path.write_bytes(data)
        return import_outcome(ctx.session, ctx.viewer.name, ctx.ref, path)


@router.get("/cases/{ref}/referrals")
def referrals_page(request: Request, ctx: CaseCtx = Depends(page_case)) -> Response:
    data = overview(ctx)
    has_keys = (state(request).ws.root / keys.KEYS_DIR / keys.SIGNING_FILE).exists()
    return render(request, "referrals.html", ctx.viewer, case=ctx.case, tab="referrals",
                  stale=stale_notices(ctx.session, ctx.case, "referrals"), data=data,
                  tlps=TLPS, has_keys=has_keys)


@router.post("/cases/{ref}/referrals")
def build_page(request: Request, tlp: str = Form("amber", max_length=16),
               ctx: CaseCtx = Depends(page_case)) -> Response:
    result = build(ctx, request, tlp)
    data = overview(ctx)
    return render(request, "referrals.html", ctx.viewer, case=ctx.case, tab="referrals",
                  stale=stale_notices(ctx.session, ctx.case, "referrals"), data=data, tlps=TLPS,
                  has_keys=True, result=result)


@router.get("/cases/{ref}/referrals/{package_id}/download")
def download_page(request: Request, package_id: str, ctx: CaseCtx = Depends(page_case)) -> Response:
    _pkg, path = package_file(ctx, request, package_id)
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)


@router.post("/cases/{ref}/outcomes")
async def outcome_page(request: Request, file: UploadFile = File(), ctx: CaseCtx = Depends(page_case)) -> Response:
    st = state(request)
    st.limiter.hit("upload-user", ctx.viewer.name, st.settings.uploads_per_user)
    result = await receive_outcome(ctx, file)
    return render(request, "referrals.html", ctx.viewer, case=ctx.case, tab="referrals",
                  stale=stale_notices(ctx.session, ctx.case, "referrals"), data=overview(ctx),
                  tlps=TLPS, has_keys=True, outcome=result)


@api.get("/cases/{ref}/referrals", response_model=dict[str, Any], responses=ERRORS)
def get_referrals(ctx: CaseCtx = Depends(api_case)) -> dict[str, Any]:
    """Packages (every version) and the per-country summary of what came back."""
    return overview(ctx)


@api.post("/cases/{ref}/referrals", response_model=dict[str, Any], status_code=201, responses=WRITE_ERRORS)
def build_referrals(request: Request, tlp: str = "amber", ctx: CaseCtx = Depends(api_case)) -> dict[str, Any]:
    """Build one signed, encrypted package per country whose subjects changed since its last version."""
    return build(ctx, request, tlp)


@api.get("/cases/{ref}/referrals/{package_id}", responses={**ERRORS, 200: {
    "content": {"application/octet-stream": {}}, "description": "The signed, encrypted package file"}})
def download(request: Request, package_id: str, ctx: CaseCtx = Depends(api_case)) -> Response:
    _pkg, path = package_file(ctx, request, package_id)
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)


@api.post("/cases/{ref}/outcomes", response_model=dict[str, Any], status_code=201, responses=WRITE_ERRORS)
async def post_outcome(request: Request, file: UploadFile = File(), ctx: CaseCtx = Depends(api_case)) -> dict[str, Any]:
    """Import a signed outcome report received from a recipient agency."""
    st = state(request)
    st.limiter.hit("upload-user", ctx.viewer.name, st.settings.uploads_per_user)
    return await receive_outcome(ctx, file)
