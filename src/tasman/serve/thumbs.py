"""The one way a picture from evidence reaches a screen: small, heavily blurred, made on the
server, for a role that may review perceptual matches, after an explicit and audited click, and
only where the operator turned the review gate on (``tasman serve --blurred-previews``).

The picture is shrunk to at most 16 pixels a side (all detail is gone there) and then blown up
to a small thumbnail with a Gaussian blur, enough to compare layout and colours with a listed
item, never enough to see content. A grant from the click is good for one request, one user,
one artifact, and a minute.
"""

from __future__ import annotations

import io
import secrets
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter
from sqlalchemy.orm import Session

from tasman.core.errors import InputError, NotFoundError, PermissionDeniedError
from tasman.core.models import Artifact, Evidence
from tasman.core.workspace import Workspace
from tasman.triage.readers import read_member

DETAIL_PIXELS = 16
THUMB_PIXELS = 96
MAX_SOURCE_BYTES = 64 * 1024 * 1024
MAX_SOURCE_PIXELS = 80_000_000


def blurred_thumbnail(data: bytes) -> bytes:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                if img.width * img.height > MAX_SOURCE_PIXELS:
                    raise InputError("picture too large to preview")
                img.draft("RGB", (256, 256))
                small = img.convert("RGB")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise InputError(f"cannot make a preview: {exc}") from None
    small.thumbnail((DETAIL_PIXELS, DETAIL_PIXELS), Image.Resampling.BOX)
    w, h = small.size
    scale = THUMB_PIXELS / max(w, h)
    out = small.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BILINEAR)
    out = out.filter(ImageFilter.GaussianBlur(THUMB_PIXELS / 16))
    buf = io.BytesIO()
    out.save(buf, "PNG")
    return buf.getvalue()


def artifact_bytes(ws: Workspace, session: Session, artifact: Artifact) -> bytes:
    """The artifact's bytes, read-only, through the triage readers (its ``!/`` path opens only the
    containers it names); the evidence's verified copy is read where there is one."""
    ev = session.get(Evidence, artifact.evidence_id)
    if ev is None:
        raise NotFoundError(f"no evidence for artifact {artifact.id}")
    return read_member(Path(ev.stored_copy or ev.path), artifact.path, max_bytes=MAX_SOURCE_BYTES,
                       temp_dir=ws.root / "tmp" / "preview")


@dataclass(frozen=True)
class Grant:
    user_id: int
    artifact_id: int
    expires: float


class Grants:
    def __init__(self) -> None:
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    def issue(self, user_id: int, artifact_id: int, seconds: float) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            now = time.monotonic()
            self._grants = {k: g for k, g in self._grants.items() if g.expires > now}
            self._grants[token] = Grant(user_id, artifact_id, now + seconds)
        return token

    def redeem(self, token: str, user_id: int, artifact_id: int) -> None:
        with self._lock:
            grant = self._grants.pop(token, None)
        if grant is None or grant.expires < time.monotonic() or (grant.user_id, grant.artifact_id) != (
                user_id, artifact_id):
            raise PermissionDeniedError("this preview needs a fresh click on 'show blurred preview'")
