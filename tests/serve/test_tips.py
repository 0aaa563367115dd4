from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import Limit, ServeSettings
from tasman.synth.images import draw_picture
from tasman.tips import intake as tips
from tasman.tips import match as tipmatch
from tasman.tips.models import Tip, TipFile
from tasman.triage.hashsets.store import import_hashset
from tasman.triage.match import pdq_hash
from tests.serve.conftest import CASE, Client, audit_actions


def picture_bytes(seed: int = 7) -> bytes:
    buf = io.BytesIO()
    draw_picture(seed, (320, 240)).save(buf, "PNG")
    return buf.getvalue()


def report(c: Client, files: list[tuple[str, bytes, str]] | None = None, **fields: str):  # type: ignore[no-untyped-def]
    page = c.get("/report")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token is not None
    data = {"what": "An account offered to swap pictures of children in a public group.",
            "url": "https://forum.example/t/123", "platform": "ExampleChat", "username": "user_4711",
            "seen_when": "yesterday evening", "form_token": token.group(1), **fields}
    upload = [("files", f) for f in files or []]
    return c.http.post("/report", data=data, files=upload or None)


def stored_tips(ws: Workspace) -> list[Tip]:
    with ws.session() as s:
        return list(s.scalars(select(Tip)))


def test_public_report_with_files_gets_a_reference_and_stores_them_encrypted(
        make_client: Callable[..., Client], ws: Workspace) -> None:
    pic = picture_bytes()
    note = b"chat log excerpt: user_4711 wrote hello\n"
    r = report(make_client(), [("a.png", pic, "image/png"), ("note.txt", note, "text/plain")],
               contact="witness@example.org")
    assert r.status_code == 200
    ref = re.search(r'id="reference">(TIP-\d{8}-[A-Z0-9]{8})<', r.text)
    assert ref is not None
    assert "a.png" not in r.text and "user_4711" not in r.text  # nothing sent is shown back
    with ws.session() as s:
        tip = s.scalar(select(Tip).where(Tip.ref == ref.group(1)))
        assert tip is not None and tip.contact_sealed.startswith("fernet:")
        assert "witness" not in tip.contact_sealed
        assert tips.TipVault(ws.root).unseal(tip.contact_sealed) == "witness@example.org"
        assert tip.match_status == "pending"  # no matcher installed in this build
        assert len(tip.source_digest) == 64 and "testclient" not in tip.source_digest
        files = list(s.scalars(select(TipFile).where(TipFile.tip_id == tip.id).order_by(TipFile.id)))
    assert [f.mime for f in files] == ["image/png", "text/plain"]
    assert files[0].sha256 == hashlib.sha256(pic).hexdigest() and files[0].md5 == hashlib.md5(pic).hexdigest()
    assert files[0].pdq is not None and len(files[0].pdq) == 64 and files[0].pdq_quality is not None
    assert files[1].pdq is None
    folder = ws.root / "serve" / "tips"
    for f in files:
        blob = (folder / f.blob).read_bytes()
        assert pic not in blob and note not in blob and not blob.startswith(b"\x89PNG")
        assert oct((folder / f.blob).stat().st_mode & 0o777) == "0o600"
    assert oct((ws.root / "serve" / "tips.key").stat().st_mode & 0o777) == "0o600"
    assert tips.TipVault(ws.root).get(files[0].blob) == pic
    assert ("public", "tip.receive", None, ref.group(1)) in audit_actions(ws)


def test_report_refuses_bad_files_and_stores_nothing(make_client: Callable[..., Client], ws: Workspace,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    c = make_client()
    r = report(c, [("x.exe", b"\x7fELF\x02\x01\x01" + b"\0" * 200, "application/octet-stream")])
    assert r.status_code == 400 and "type we do not accept" in r.text
    assert "user_4711" in r.text  # the form keeps what the person typed
    monkeypatch.setattr(tips, "MAX_FILE_BYTES", 1000)
    r = report(c, [("a.png", picture_bytes(), "image/png")])
    assert r.status_code == 400 and "too big" in r.text
    r = report(c, what="   ")
    assert r.status_code == 400
    assert stored_tips(ws) == []
    assert list((ws.root / "serve" / "tips").iterdir()) == []


def test_report_without_files_and_honeypot(make_client: Callable[..., Client], ws: Workspace) -> None:
    c = make_client()
    assert report(c).status_code == 200
    assert [t.match_status for t in stored_tips(ws)] == ["none"]
    bot = report(c, website="http://spam.example")
    assert bot.status_code == 200 and "TIP-" in bot.text  # the bot is told it worked
    assert len(stored_tips(ws)) == 1


def test_report_needs_the_form_token(make_client: Callable[..., Client], ws: Workspace) -> None:
    c = make_client()
    r = c.http.post("/report", data={"what": "something"})
    assert r.status_code == 400 and stored_tips(ws) == []


def test_report_rate_limit_per_address(ws: Workspace, tokens: dict[str, str]) -> None:
    c = Client(create_app(ws, ServeSettings(start_worker=False, reports_per_address=Limit(2, 3600))))
    assert report(c).status_code == 200
    assert report(c).status_code == 200
    r = report(c)
    assert r.status_code == 429 and "retry-after" in r.headers
    assert len(stored_tips(ws)) == 2


def test_oversized_request_is_refused_before_it_is_read(ws: Workspace, tokens: dict[str, str]) -> None:
    c = Client(create_app(ws, ServeSettings(start_worker=False, max_body_bytes=50_000)))
    r = report(c, [("big.txt", b"a" * 100_000, "text/plain")])
    assert r.status_code == 413
    assert stored_tips(ws) == []


def test_analysts_triage_tips_and_import_them_without_the_reporter(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace) -> None:
    report(make_client(), [("a.png", picture_bytes(), "image/png")], contact="witness@example.org")
    (tip,) = stored_tips(ws)
    ana = make_client("ana")
    queue = ana.get("/tips")
    assert queue.status_code == 200 and tip.ref in queue.text
    page = ana.get(f"/tips/{tip.ref}")
    assert page.status_code == 200 and "<img" not in page.text and "image/png" in page.text
    assert make_client("eve").get("/tips").status_code == 403
    assert ana.post(f"/tips/{tip.ref}/import", {"case": "NOPE"}).status_code == 404
    assert ana.post(f"/tips/{tip.ref}/import", {"case": CASE}).status_code == 303
    with ws.session() as s:
        rec = s.scalar(select(Record).where(Record.kind == "tips"))
        assert rec is not None and rec.source_id == tip.ref
        assert rec.fields["username"] == "user_4711" and rec.fields["platform"] == "ExampleChat"
        assert "witness@example.org" not in str(rec.fields)
        assert len(rec.fields["files"]) == 1 and "pdq" in rec.fields["files"][0]
    assert api("ana").get(f"/api/v1/tips/{tip.ref}").json()["status"] == "imported"
    assert api("ana").get(f"/api/v1/cases/{CASE}/records?kind=tips").json()["total"] == 1
    assert ("ana", "tip.import", CASE, tip.ref) in audit_actions(ws, "ana")


def test_api_tip_intake_and_queue(api: Callable[[str], TestClient], ws: Workspace) -> None:
    r = api("lia").post("/api/v1/tips", json={"what": "platform report", "username": "abc"})
    assert r.status_code == 201 and r.json()["ref"].startswith("TIP-")
    ref = r.json()["ref"]
    assert api("lia").get("/api/v1/tips").status_code == 403
    assert [t["ref"] for t in api("ana").get("/api/v1/tips").json()] == [ref]
    assert api("out").post(f"/api/v1/tips/{ref}/import", json={"case": CASE}).status_code == 404
    assert api("ana").post(f"/api/v1/tips/{ref}/dismiss").json()["status"] == "dismissed"


def import_list(ws: Workspace, tmp_path: Path, sha256: list[str], pdq: list[str]) -> None:
    """A test hash list ('known' = listed here): CSV with sha256 and pdq columns, category 1."""
    rows = ["sha256,pdq,category"] + [f"{h},,1" for h in sha256] + [f",{p},1" for p in pdq]
    path = tmp_path / "list.csv"
    path.write_text("\n".join(rows) + "\n")
    with ws.session() as s:
        import_hashset(s, "setup", path, "test-list")


def test_files_are_matched_on_arrival_against_the_hash_lists(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    listed, rotated_source, other = picture_bytes(11), draw_picture(14, (320, 240)), picture_bytes(12)
    pdq, _quality = pdq_hash(rotated_source)
    import_list(ws, tmp_path, [hashlib.sha256(listed).hexdigest()], [pdq])
    buf = io.BytesIO()
    rotated_source.rotate(90, expand=True).save(buf, "PNG")  # a rotated copy of a listed picture
    report(make_client(), [("a.png", listed, "image/png")])
    report(make_client(), [("b.png", other, "image/png")])
    report(make_client(), [("c.png", buf.getvalue(), "image/png")])
    statuses = [t.match_status for t in sorted(stored_tips(ws), key=lambda t: t.id)]
    assert statuses == ["matched", "clear", "matched"]
    with ws.session() as s:
        files = list(s.scalars(select(TipFile).order_by(TipFile.id)))
    assert files[0].matches[0]["match_type"] == "exact" and files[0].matches[0]["hashset"] == "test-list"
    assert files[0].matches[0]["category"] == 1
    assert files[2].matches[0]["match_type"] == "perceptual"


def test_pending_tips_are_matched_once_a_list_is_imported(make_client: Callable[..., Client], ws: Workspace,
                                                          tmp_path: Path) -> None:
    pic = picture_bytes(13)
    report(make_client(), [("a.png", pic, "image/png")])
    assert stored_tips(ws)[0].match_status == "pending"  # no hash list yet
    with ws.session() as s:
        assert tipmatch.rematch_pending(s, "ana") == 0
    import_list(ws, tmp_path, [hashlib.sha256(pic).hexdigest()], [])
    with ws.session() as s:
        assert tipmatch.rematch_pending(s, "ana") == 1
    assert stored_tips(ws)[0].match_status == "matched"
