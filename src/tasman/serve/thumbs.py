"""The one way a picture from evidence reaches a screen: small, heavily blurred, made on the
server, for a role that may review perceptual matches, after an explicit and audited click, and
only where the operator turned the review gate on (``tasman serve --blurred-previews``).

The picture is shrunk to at most 16 pixels a side (all detail is gone there) and then blown up
to a small thumbnail with a Gaussian blur, enough to compare layout and colours with a listed
item, never enough to see content. A grant from the click is good for one request, one user,
one artifact, and a minute.

A video's preview is one frame, the first of the matched part (``triage.results.preview_second``):
FFmpeg decodes it from a temporary copy in the workspace's tmp folder (removed straight after) and
scales it down to at most 16 pixels a side itself, so the full frame never reaches Python; that
tiny picture then goes through the same blur and enlargement as a picture's.
"""

from __future__ import annotations

import io
import os
import secrets
import shutil
import subprocess
import tempfile
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
MAX_VIDEO_BYTES = 256 * 1024 * 1024
FFMPEG_SECONDS = 30.0
# the containers a video may come in (Tasman's video suffixes and types); FFmpeg refuses anything
# else, e.g. a playlist pointing at other files
VIDEO_FORMATS = "mov,mp4,matroska,webm,avi,asf,mpeg,mpegts,flv,rm,ogg"


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


def artifact_bytes(ws: Workspace, session: Session, artifact: Artifact, max_bytes: int = MAX_SOURCE_BYTES) -> bytes:
    """The artifact's bytes, read-only, through the triage readers (its ``!/`` path opens only the
    containers it names); the evidence's verified copy is read where there is one. A file over
    ``max_bytes`` is refused, not read."""
    ev = session.get(Evidence, artifact.evidence_id)
    if ev is None:
        raise NotFoundError(f"no evidence for artifact {artifact.id}")
    return read_member(Path(ev.stored_copy or ev.path), artifact.path, max_bytes=max_bytes,
                       temp_dir=_tmp(ws))


def _tmp(ws: Workspace) -> Path:
    return ws.root / "tmp" / "preview"


def _ffmpeg_frame(ffmpeg: str, path: Path, second: float, timeout: float) -> bytes:
    """One frame at ``second`` (the first one after it), scaled inside FFmpeg to at most
    ``DETAIL_PIXELS`` a side, as PNG bytes; empty when the video ends before ``second``."""
    side = f"max(1,round({DETAIL_PIXELS}*%s/max(iw,ih)))"
    cmd = [ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file",
           "-format_whitelist", VIDEO_FORMATS, "-ss", f"{second:.3f}", "-i", str(path),
           "-map", "0:v:0", "-an", "-sn", "-dn", "-frames:v", "1",
           "-vf", f"scale=w='{side % 'iw'}':h='{side % 'ih'}'", "-f", "image2pipe", "-c:v", "png", "-"]
    try:
        proc = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(f"cannot make a preview of the video: FFmpeg took longer than {timeout:g} s") from None
    except OSError as exc:
        raise InputError(f"cannot make a preview of the video: cannot run ffmpeg ({exc.strerror or exc})") from None
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        why = lines[-1].split(": ", 1)[-1].strip() if lines else f"ffmpeg exit status {proc.returncode}"
        if any("not on whitelist" in line for line in lines):
            why = "not in a video container (" + VIDEO_FORMATS.replace(",", ", ") + ")"
        raise InputError(f"cannot make a preview of the video: {why[:200]}")
    return proc.stdout


def video_frame(ws: Workspace, session: Session, artifact: Artifact, second: float,
                timeout: float | None = None) -> bytes:
    """The video's frame at ``second`` (or its first frame, when the video is shorter), no more
    than ``DETAIL_PIXELS`` a side, as PNG bytes; FFmpeg gets ``timeout`` seconds (``FFMPEG_SECONDS``)."""
    timeout = FFMPEG_SECONDS if timeout is None else timeout
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise InputError("cannot make a preview of the video: 'ffmpeg' is not installed "
                         "(Debian package ffmpeg; run scripts/setup.sh)")
    data = artifact_bytes(ws, session, artifact, MAX_VIDEO_BYTES)
    tmp = _tmp(ws)
    tmp.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="video-", dir=tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        del data
        frame = _ffmpeg_frame(ffmpeg, Path(name), second, timeout)
        if not frame and second > 0:
            frame = _ffmpeg_frame(ffmpeg, Path(name), 0.0, timeout)
    finally:
        Path(name).unlink(missing_ok=True)
    if not frame:
        raise InputError("cannot make a preview of the video: no frame could be decoded")
    return frame


def blurred_video_thumbnail(ws: Workspace, session: Session, artifact: Artifact, second: float) -> bytes:
    """A video's preview: its frame at ``second``, shrunk by FFmpeg, then blurred like a picture."""
    return blurred_thumbnail(video_frame(ws, session, artifact, second))


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
