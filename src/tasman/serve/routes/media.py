"""The review gate for perceptual matches (pictures, and videos matched by vPDQ): a click (POST,
CSRF-checked, audited) issues a one-time grant; the grant fetches one small, heavily blurred PNG
made on the server (of a video: one frame, the first of the matched part).
There is no API for it: a partner system never receives pictures. Off unless the server was
started with ``--blurred-previews``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from tasman.accounts.roles import Perm
from tasman.core import audit
from tasman.core.errors import PermissionDeniedError
from tasman.core.models import Artifact
from tasman.evidence.store import get_artifact
from tasman.serve.deps import CaseCtx, page_case, state
from tasman.serve.routes.common import IdPath
from tasman.serve.thumbs import artifact_bytes, blurred_thumbnail, blurred_video_thumbnail
from tasman.serve.web import render
from tasman.triage.results import has_review_match, preview_second

router = APIRouter(include_in_schema=False)


def _artifact(request: Request, ctx: CaseCtx, artifact_id: int) -> Artifact:
    if not state(request).settings.blurred_previews:
        raise PermissionDeniedError("blurred previews are off on this server (tasman serve --blurred-previews)")
    ctx.viewer.need(Perm.REVIEW_THUMBNAIL)
    art = get_artifact(ctx.session, ctx.case, artifact_id)
    # awaiting review, or decided already (an examiner who changes a decision may look again)
    if not has_review_match(ctx.session, ctx.case.id, art.id):
        raise PermissionDeniedError("only perceptual matches (never exact ones) have a preview")
    return art


@router.post("/cases/{ref}/artifacts/{artifact_id}/reveal")
def reveal(request: Request, artifact_id: IdPath, ctx: CaseCtx = Depends(page_case)) -> Response:
    art = _artifact(request, ctx, artifact_id)
    audit.record(ctx.session, ctx.viewer.name, "media.preview.reveal", case_ref=ctx.ref, target=art.path,
                 artifact_id=art.id, sha1=art.sha1)
    st = state(request)
    grant = st.grants.issue(ctx.viewer.user.id, art.id, st.settings.thumbnail_grant_seconds)
    return render(request, "_preview.html", ctx.viewer, case=ctx.case, artifact=art, grant=grant)


@router.get("/cases/{ref}/artifacts/{artifact_id}/preview.png")
def preview(request: Request, artifact_id: IdPath, grant: str = Query(max_length=64),
            ctx: CaseCtx = Depends(page_case)) -> Response:
    art = _artifact(request, ctx, artifact_id)
    st = state(request)
    st.grants.redeem(grant, ctx.viewer.user.id, art.id)
    second = preview_second(ctx.session, ctx.case.id, art.id)
    png = (blurred_thumbnail(artifact_bytes(st.ws, ctx.session, art)) if second is None
           else blurred_video_thumbnail(st.ws, ctx.session, art, second))
    audit.record(ctx.session, ctx.viewer.name, "media.preview.view", case_ref=ctx.ref, target=art.path,
                 artifact_id=art.id, **({} if second is None else {"video_second": second}))
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store, private"})
