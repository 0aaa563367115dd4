"""The review gate: a blurred thumbnail of a perceptual match found by a real triage run (a
picture's, or one frame of a video matched by vPDQ), for examiners, after an audited click, on a
server that turned the gate on. Pictures and videos here are procedurally drawn abstract shapes
(tasman.synth.images, tasman.synth.video)."""

from __future__ import annotations

import html
import io
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.serve import thumbs
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings
from tasman.serve.thumbs import THUMB_PIXELS, blurred_thumbnail
from tasman.synth.images import draw_picture
from tasman.synth.triage_set import jpeg
from tests.serve.conftest import CASE, Client, audit_actions
from tests.serve.triage_data import (
    LIST_NAME,
    VIDEO_FPS,
    VIDEO_LIST,
    SmallSet,
    VideoSet,
    import_list,
    import_video_list,
    make_small_set,
    make_video_set,
    triaged_ids,
)


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """HTTP behaviour only: run on SQLite (the storage tests run on both backends)."""
    root, _tokens = request.getfixturevalue("_serve_sqlite_template")
    shutil.copyfile(root / "test.db", tmp_path / "test.db")
    return f"sqlite:///{tmp_path / 'test.db'}"

def edge_energy(img: Image.Image) -> float:
    a = np.asarray(img.convert("L"), dtype=np.float32)
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


def test_thumbnail_is_small_and_heavily_blurred() -> None:
    src = draw_picture(3, (800, 600))
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=90)
    thumb = Image.open(io.BytesIO(blurred_thumbnail(buf.getvalue())))
    assert max(thumb.size) == THUMB_PIXELS and thumb.format == "PNG"
    plain = src.resize(thumb.size, Image.Resampling.LANCZOS)
    assert edge_energy(thumb) < 0.35 * edge_energy(plain)


@pytest.fixture
def settings() -> ServeSettings:
    """The review gate is off unless the operator turns it on; these tests turn it on."""
    return ServeSettings(start_worker=False, blurred_previews=True)


def _triaged(ws: Workspace, tmp_path: Path) -> tuple[SmallSet, int, int]:
    """A small drawn folder: one exact and one perceptual match (inside a zip)."""
    small = make_small_set(tmp_path)
    import_list(ws, small)
    ids = triaged_ids(ws, CASE, small.folder, LIST_NAME)
    return small, ids[small.perceptual], ids[small.exact]


def test_examiner_sees_a_blurred_preview_after_an_audited_click(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    small, pid, _ = _triaged(ws, tmp_path)
    eve = make_client("eve")
    page = eve.get(f"/cases/{CASE}/triage").text
    review = page.split('id="review"', 1)[1].split("</table>", 1)[0]
    assert small.perceptual in review and small.exact not in review  # exact matches need no look
    assert "<img" not in page  # nothing is shown before the click
    assert eve.get(f"/cases/{CASE}/artifacts/{pid}/preview.png?grant=guess").status_code == 403
    assert eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal", csrf=False).status_code == 403
    fragment = eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal").text
    src = re.search(r'src="([^"]+)"', fragment)
    assert src is not None
    r = eve.get(src.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert "no-store" in r.headers["cache-control"]
    thumb = Image.open(io.BytesIO(r.content))
    assert max(thumb.size) <= THUMB_PIXELS
    # made from the real bytes inside the zip: its colours are those of the drawn picture, blurred
    source = Image.open(io.BytesIO(jpeg(13))).convert("RGB").resize(thumb.size, Image.Resampling.BOX)
    diff = np.abs(np.asarray(thumb.convert("RGB"), dtype=np.float32) - np.asarray(source, dtype=np.float32))
    assert diff.mean() < 25  # (another drawn picture differs by 60 to 85)
    assert eve.get(src.group(1)).status_code == 403  # a grant is good for one view
    actions = [(a[1], a[3]) for a in audit_actions(ws, "eve")]
    assert ("media.preview.reveal", small.perceptual) in actions and ("media.preview.view", small.perceptual) in actions
    # decided, it leaves the list awaiting review, yet an examiner changing the decision may look again
    assert eve.post(f"/cases/{CASE}/triage/review", {"artifact_id": pid, "decision": "confirmed"}).status_code == 303
    assert small.perceptual not in eve.get(f"/cases/{CASE}/triage").text.split('id="review"', 1)[-1].split(
        "</table>", 1)[0]
    assert eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal").status_code == 200


def test_preview_is_refused_to_other_roles_and_for_exact_matches(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    _small, pid, eid = _triaged(ws, tmp_path)
    for user in ("ana", "ada", "aud", "lia"):
        c = make_client(user)
        assert c.post(f"/cases/{CASE}/artifacts/{pid}/reveal").status_code == 403, user
        assert "Show blurred preview" not in c.get(f"/cases/{CASE}/triage").text
    eve = make_client("eve")
    assert eve.post(f"/cases/{CASE}/artifacts/{eid}/reveal").status_code == 403
    assert make_client("out").post(f"/cases/{CASE}/artifacts/{pid}/reveal").status_code == 404
    grant = re.search(r"grant=([^\"&]+)", eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal").text)
    assert grant is not None
    # a grant belongs to the examiner who clicked, not to anyone holding the link
    eve2 = make_client("ada")
    assert eve2.get(f"/cases/{CASE}/artifacts/{pid}/preview.png?grant={grant.group(1)}").status_code == 403


@pytest.mark.parametrize("kind", ["picture", "video"])
def test_the_review_gate_is_off_by_default(ws: Workspace, tokens: dict[str, str], tmp_path: Path,
                                           kind: str) -> None:
    _set, pid, _ = _triaged(ws, tmp_path) if kind == "picture" else _triaged_videos(ws, tmp_path)
    eve = Client(create_app(ws, ServeSettings(start_worker=False)))
    with eve.http:
        assert eve.login("eve").status_code == 303
        page = eve.get(f"/cases/{CASE}/triage").text
        assert "Perceptual matches awaiting review" in page and "Show blurred preview" not in page
        assert eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal").status_code == 403
        assert eve.get(f"/cases/{CASE}/artifacts/{pid}/preview.png?grant=x").status_code == 403
    assert not [a for a in audit_actions(ws, "eve") if a[1].startswith("media.preview")]


def _triaged_videos(ws: Workspace, tmp_path: Path) -> tuple[VideoSet, int, int]:
    """Drawn videos: one exact match and one vPDQ match (inside a zip)."""
    videos = make_video_set(tmp_path)
    import_video_list(ws, videos)
    ids = triaged_ids(ws, CASE, videos.folder, VIDEO_LIST)
    return videos, ids[videos.matched], ids[videos.exact]


def _frame(seed: int, second: float) -> Image.Image:
    """The frame at ``second`` of a clip ``tasman.synth.video.make_video`` drew from ``seed`` (a
    picture twice the frame's width panning by)."""
    w, h = 160, 120
    canvas = draw_picture(seed, (w * 2, h))
    n = 8 * VIDEO_FPS
    x = int(round(second * VIDEO_FPS) * w / (n - 1))
    return canvas.crop((x, 0, x + w, h))


def _mean_diff(a: Image.Image, b: Image.Image) -> float:
    b = b.convert("RGB").resize(a.size, Image.Resampling.BOX)
    return float(np.abs(np.asarray(a.convert("RGB"), dtype=np.float32) - np.asarray(b, dtype=np.float32)).mean())


def test_a_video_match_awaits_review_with_a_blurred_frame_of_its_matched_part(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    videos, vid, eid = _triaged_videos(ws, tmp_path)
    eve = make_client("eve")
    page = eve.get(f"/cases/{CASE}/triage").text
    review = page.split('id="review"', 1)[1].split("</table>", 1)[0]
    assert videos.matched in review and "video" in review and videos.exact not in review
    assert "<img" not in page and "<video" not in page  # nothing is shown before the click
    assert eve.get(f"/cases/{CASE}/artifacts/{vid}/preview.png?grant=guess").status_code == 403
    assert eve.post(f"/cases/{CASE}/artifacts/{eid}/reveal").status_code == 403  # exact: no look needed
    src = re.search(r'src="([^"]+)"', eve.post(f"/cases/{CASE}/artifacts/{vid}/reveal").text)
    assert src is not None
    r = eve.get(src.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png", r.text
    assert "no-store" in r.headers["cache-control"]
    thumb = Image.open(io.BytesIO(r.content))
    assert thumb.format == "PNG" and max(thumb.size) == THUMB_PIXELS and thumb.size[0] > thumb.size[1]
    # the first frame of the matched part (1 s in: the listed clip's first frame), not the unlisted
    # second before it, and blurred: far fewer edges than the frame itself at that size
    frame = _frame(videos.listed_seed, 0.0)
    assert _mean_diff(thumb, frame) < 25
    assert _mean_diff(thumb, _frame(videos.prefix_seed, 0.0)) > _mean_diff(thumb, frame) + 15
    assert edge_energy(thumb) < 0.35 * edge_energy(frame.resize(thumb.size, Image.Resampling.LANCZOS))
    assert eve.get(src.group(1).replace("&amp;", "&")).status_code == 403  # one view a grant
    assert not list((ws.root / "tmp" / "preview").glob("video-*"))      # the spilled copy is gone
    with ws.session() as s:
        views = [(e.action, e.target, e.details) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.actor == "eve", AuditEvent.action.like("media.preview.%")))]
    assert [(a, t) for a, t, _ in views] == [("media.preview.reveal", videos.matched),
                                             ("media.preview.view", videos.matched)]
    assert json.loads(views[1][2])["video_second"] == 1.0


def test_a_video_that_cannot_be_decoded_gets_one_line(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _videos, vid, _ = _triaged_videos(ws, tmp_path)
    eve = make_client("eve")

    def preview() -> tuple[int, str]:
        src = re.search(r'src="([^"]+)"', eve.post(f"/cases/{CASE}/artifacts/{vid}/reveal").text)
        assert src is not None
        r = eve.get(src.group(1).replace("&amp;", "&"))
        return r.status_code, html.unescape(r.text)

    monkeypatch.setattr(thumbs.shutil, "which", lambda name: None)
    status, text = preview()
    assert status == 400 and "'ffmpeg' is not installed" in text and "Traceback" not in text
    monkeypatch.undo()
    monkeypatch.setattr(thumbs, "artifact_bytes", lambda *a, **k: b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000)
    status, text = preview()
    assert status == 400 and "cannot make a preview of the video: " in text and "Traceback" not in text
    monkeypatch.undo()
    monkeypatch.setattr(thumbs, "FFMPEG_SECONDS", 0.001)
    status, text = preview()
    assert status == 400 and "FFmpeg took longer than" in text
    assert not list((ws.root / "tmp" / "preview").glob("video-*"))
    assert not [a for a in audit_actions(ws, "eve") if a[1] == "media.preview.view"]   # nothing was shown
