"""The review gate: a blurred thumbnail of a perceptual match, for examiners, after an audited click.
Pictures here are procedurally drawn abstract shapes (tasman.synth.images)."""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tasman.core.models import Artifact
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence
from tasman.serve.thumbs import THUMB_PIXELS, blurred_thumbnail
from tasman.synth.images import draw_picture
from tests.serve.conftest import CASE, Client, audit_actions


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


def _setup(ws: Workspace, tmp_path: Path) -> tuple[int, int]:
    folder = tmp_path / "uploads"
    folder.mkdir()
    draw_picture(5, (640, 480)).save(folder / "a.jpg", "JPEG", quality=90)
    draw_picture(6, (640, 480)).save(folder / "b.jpg", "JPEG", quality=90)
    with ws.session() as s:
        ev = add_evidence(s, "setup", CASE, folder).evidence
        perceptual = Artifact(case_id=ev.case_id, evidence_id=ev.id, path="uploads/a.jpg", mime="image/jpeg",
                              meta={"matches": [{"match_type": "perceptual", "hashset": "test-list", "distance": 12}]})
        exact = Artifact(case_id=ev.case_id, evidence_id=ev.id, path="uploads/b.jpg", mime="image/jpeg",
                         meta={"matches": [{"match_type": "exact", "hashset": "test-list", "distance": 0}]})
        s.add_all([perceptual, exact])
        s.flush()
        return perceptual.id, exact.id


def test_examiner_sees_a_blurred_preview_after_an_audited_click(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    pid, _ = _setup(ws, tmp_path)
    eve = make_client("eve")
    page = eve.get(f"/cases/{CASE}/triage").text
    assert "uploads/a.jpg" in page and "uploads/b.jpg" not in page  # exact matches need no look
    assert "<img" not in page  # nothing is shown before the click
    assert eve.get(f"/cases/{CASE}/artifacts/{pid}/preview.png?grant=guess").status_code == 403
    assert eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal", csrf=False).status_code == 403
    fragment = eve.post(f"/cases/{CASE}/artifacts/{pid}/reveal").text
    src = re.search(r'src="([^"]+)"', fragment)
    assert src is not None
    r = eve.get(src.group(1).replace("&amp;", "&"))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert "no-store" in r.headers["cache-control"]
    assert max(Image.open(io.BytesIO(r.content)).size) <= THUMB_PIXELS
    assert eve.get(src.group(1)).status_code == 403  # a grant is good for one view
    actions = [(a[1], a[3]) for a in audit_actions(ws, "eve")]
    assert ("media.preview.reveal", "uploads/a.jpg") in actions and ("media.preview.view", "uploads/a.jpg") in actions


def test_preview_is_refused_to_other_roles_and_for_exact_matches(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    pid, eid = _setup(ws, tmp_path)
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
