"""The HMA-compatible lookup API (``/m/raw_lookup``, ``/m/lookup`` by hash, by uploaded file and
by URL, and the same under ``/api/v1/hma``): HMA's response shapes, PDQ within distance 31 and
exact video MD5, known-good lists left out, a read-scoped token required, rate-limited, URLs
fetched only from listed hosts, every lookup audited, the routes schemathesis-tested."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import select

from tasman.accounts import store as accounts
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import Limit, ServeSettings
from tasman.synth.images import draw_picture
from tasman.tips.hashing import pdq_of
from tasman.triage.hashsets.exchange import fetch_exchange
from tasman.triage.hashsets.models import HashSetEntry
from tasman.triage.hashsets.store import import_hashset
from tests.serve.conftest import PASSWORD
from tests.triage.hashsets.fakes import Answer, FakeServer, Request

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
FAR = "0" * 64
MD5 = "d41d8cd98f00b204e9800998ecf8427e"
GOOD_MD5 = "0123456789abcdef0123456789abcdef"


def near(hex64: str, bits: int) -> str:
    value = int(hex64, 16)
    for b in range(bits):
        value ^= 1 << (b * 7)
    return f"{value:064x}"


@pytest.fixture
def banks(ws: Workspace, tmp_path: Path) -> dict[str, int]:
    signals = tmp_path / "bank.txt"
    signals.write_text(f"pdq {PDQ}\nvideo_md5 {MD5}\n")
    fetch_exchange(ws, "BANK_A", api="local_file", settings={"filename": str(signals)})
    good = tmp_path / "good.txt"
    good.write_text(f"{GOOD_MD5}\n{MD5}\n")
    with ws.session() as s:
        import_hashset(s, "t", good, "nsrl-ish", fmt="plain", known_good=True)
        fed = s.scalars(select(HashSetEntry).where(HashSetEntry.ref.is_not(None)))
        return {e.pdq or e.md5 or "": e.id for e in fed}


def test_raw_lookup_and_lookup_in_hmas_shapes(app: FastAPI, tokens: dict[str, str], banks: dict[str, int],
                                              ws: Workspace) -> None:
    c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
    r = c.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ})
    assert r.status_code == 200 and r.json() == {"matches": [banks[PDQ]]}
    r = c.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": near(PDQ, 5), "include_distance": "true"})
    assert r.json() == {"matches": [{"content_id": banks[PDQ], "distance": "5"}]}
    assert c.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": FAR}).json() == {"matches": []}
    assert c.get("/m/lookup", params={"signal_type": "pdq", "signal": near(PDQ, 30)}).json() == ["BANK_A"]
    assert c.get("/m/lookup", params={"signal_type": "pdq", "signal": near(PDQ, 32)}).json() == []
    # the known-good list holds the MD5 too, but is no bank
    assert c.get("/m/lookup", params={"signal_type": "video_md5", "signal": MD5.upper()}).json() == ["BANK_A"]
    assert c.get("/m/lookup", params={"signal_type": "video_md5", "signal": GOOD_MD5}).json() == []
    r = c.get("/api/v1/hma/m/raw_lookup", params={"signal_type": "video_md5", "signal": MD5})
    assert r.json() == {"matches": [banks[MD5]]}
    with ws.session() as s:
        lookups = s.scalars(select(AuditEvent).where(AuditEvent.action == "hashset.lookup")).all()
        assert len(lookups) == 8 and {e.actor for e in lookups} == {"eve"}
        assert json.loads(lookups[0].details)["banks"] == ["BANK_A"]


def test_index_status_counts_the_banks_hashes(app: FastAPI, tokens: dict[str, str], banks: dict[str, int]) -> None:
    c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
    r = c.get("/m/index/status")
    assert r.status_code == 200
    body = r.json()
    assert {k: (v["present"], v["size"]) for k, v in body.items()} == {"pdq": (True, 1), "video_md5": (True, 1)}
    assert body["pdq"]["built_to"] > 1_600_000_000            # the bank's last change, epoch seconds
    assert list(c.get("/api/v1/hma/m/index/status", params={"signal_type": "pdq"}).json()) == ["pdq"]
    assert c.get("/m/index/status", params={"signal_type": "tmk"}).status_code == 400
    assert TestClient(app).get("/m/index/status").status_code == 401


def test_bad_input_and_access_answer_json(app: FastAPI, tokens: dict[str, str], banks: dict[str, int],
                                          ws: Workspace) -> None:
    c = TestClient(app)
    r = c.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": PDQ})
    assert r.status_code == 401 and "API token" in r.json()["detail"]
    c.headers["Authorization"] = f"Bearer {tokens['ana']}"
    r = c.get("/m/raw_lookup", params={"signal_type": "pdq", "signal": "xyz"})
    assert r.status_code == 400 and "invalid pdq signal" in r.json()["detail"]
    r = c.get("/m/lookup", params={"signal_type": "tmk", "signal": PDQ})
    assert r.status_code == 400 and "no such signal type" in r.json()["detail"]
    with ws.session() as s:
        write_only = accounts.issue_token(s, "setup", "ana", scopes={"write"}, password=PASSWORD).token
    r = c.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ},
              headers={"Authorization": f"Bearer {write_only}"})
    assert r.status_code == 403 and "read" in r.json()["detail"]


def test_lookups_are_rate_limited_per_user(ws: Workspace, tokens: dict[str, str], banks: dict[str, int]) -> None:
    app = create_app(ws, ServeSettings(start_worker=False, lookups_per_user=Limit(2, 60)))
    c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
    ok = [c.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ}).status_code for _ in range(2)]
    r = c.get("/api/v1/hma/m/lookup", params={"signal_type": "pdq", "signal": PDQ})
    assert ok == [200, 200] and r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    other = c.get("/m/lookup", params={"signal_type": "pdq", "signal": PDQ},
                  headers={"Authorization": f"Bearer {tokens['ana']}"})
    assert other.status_code == 200


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    draw_picture(seed, (320, 240)).save(buf, "JPEG", quality=92)
    return buf.getvalue()


@pytest.fixture
def media_bank(ws: Workspace, tmp_path: Path) -> dict[str, str]:
    """A bank holding the PDQ of a drawn picture and the MD5 of a (stand-in) video file."""
    picture, clip = _jpeg(7), b"\x00\x00\x00\x18ftypmp42 benign stand-in video bytes"
    pdq = pdq_of(picture)
    assert pdq is not None
    signals = tmp_path / "media.txt"
    signals.write_text(f"pdq {pdq[0][0]}\nvideo_md5 {hashlib.md5(clip).hexdigest()}\n")
    fetch_exchange(ws, "MEDIA", api="local_file", settings={"filename": str(signals)})
    return {"picture": picture.hex(), "clip": clip.hex()}


def test_post_lookup_hashes_the_upload_as_hma_does(app: FastAPI, tokens: dict[str, str], ws: Workspace,
                                                   media_bank: dict[str, str]) -> None:
    picture, clip = bytes.fromhex(media_bank["picture"]), bytes.fromhex(media_bank["clip"])
    c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
    r = c.post("/m/lookup", files={"photo": ("a.jpg", picture, "image/jpeg")})
    assert r.status_code == 200 and r.json() == {"pdq": ["MEDIA"]}
    r = c.post("/api/v1/hma/m/lookup", files={"video": ("a.mp4", clip, "video/mp4")})
    assert r.json() == {"video_md5": ["MEDIA"]}
    assert c.post("/m/lookup", files={"photo": ("b.jpg", _jpeg(99), "image/jpeg")}).json() == {"pdq": []}
    for files, detail in ((None, "Missing multipart"), ({"audio": ("a", b"x", "audio/ogg")}, "no such content_type"),
                          ({"photo": ("a", b"not a picture", "image/jpeg")}, "could not be decoded"),
                          ([("photo", ("a.jpg", picture, "image/jpeg")), ("video", ("v", clip, "video/mp4"))],
                           "Only one file")):
        r = c.post("/m/lookup", files=files, data=None if files else {"x": "1"})
        assert r.status_code == 400 and detail in r.json()["detail"], (files and list(files), r.text)
    r = c.post("/m/lookup", params={"types": "video_md5"}, files={"photo": ("a.jpg", picture, "image/jpeg")})
    assert r.status_code == 400 and "video_md5" in r.json()["detail"]
    # a read-scoped token suffices (a lookup changes nothing); the upload is audited, not kept
    with ws.session() as s:
        read_only = accounts.issue_token(s, "setup", "ana", scopes={"read"}, password=PASSWORD).token
        vias = [json.loads(e.details).get("via") for e in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "hashset.lookup"))]
    assert vias == ["upload:photo", "upload:video", "upload:photo"]
    r = c.post("/m/lookup", files={"photo": ("a.jpg", picture, "image/jpeg")},
               headers={"Authorization": f"Bearer {read_only}"})
    assert r.status_code == 200
    small = create_app(ws, ServeSettings(start_worker=False, max_lookup_bytes=1000))
    r = TestClient(small, headers={"Authorization": f"Bearer {tokens['eve']}"}).post(
        "/m/lookup", files={"photo": ("a.jpg", picture, "image/jpeg")})
    assert r.status_code == 400 and "larger than 1000 bytes" in r.json()["detail"]


def test_url_lookup_only_from_listed_hosts(ws: Workspace, tokens: dict[str, str],
                                           media_bank: dict[str, str]) -> None:
    served = {"/p.jpg": (bytes.fromhex(media_bank["picture"]), "image/jpeg"),
              "/v.bin": (bytes.fromhex(media_bank["clip"]), "application/octet-stream"),
              "/moved": (b"", "text/plain")}

    def respond(req: Request) -> Answer:
        body, ctype = served.get(req.path, (b"", "text/plain"))
        return (302 if req.path == "/moved" else 200 if body else 404), body, ctype

    media = FakeServer(respond)
    try:
        app = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=(media.url.split("://")[1],)))
        c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
        r = c.get("/m/lookup", params={"url": f"{media.url}/p.jpg"})
        assert r.status_code == 200 and r.json() == {"pdq": ["MEDIA"]}
        r = c.get("/api/v1/hma/m/lookup", params={"url": f"{media.url}/v.bin", "content_type": "video"})
        assert r.json() == {"video_md5": ["MEDIA"]}
        for params, detail in (({"url": f"{media.url}/v.bin"}, "give content_type"),
                               ({"url": f"{media.url}/moved"}, "HTTP 302"),
                               ({"url": f"{media.url}/none"}, "HTTP 404"),
                               ({"url": "file:///etc/passwd"}, "http or https"),
                               ({"url": "http://localhost:1/p.jpg"}, "not one this server fetches from"),
                               ({"signal_type": "pdq"}, "are required")):
            r = c.get("/m/lookup", params=params)
            assert r.status_code == 400 and detail in r.json()["detail"], (params, r.text)
        assert [q.path for q in media.requests] == ["/p.jpg", "/v.bin", "/v.bin", "/moved", "/none"]
        off = TestClient(create_app(ws, ServeSettings(start_worker=False)),
                         headers={"Authorization": f"Bearer {tokens['eve']}"})
        r = off.get("/m/lookup", params={"url": f"{media.url}/p.jpg"})
        assert r.status_code == 400 and "hma_url_hosts" in r.json()["detail"] and len(media.requests) == 5
    finally:
        media.close()


def test_hma_routes_match_their_schema(app: FastAPI, tokens: dict[str, str], banks: dict[str, int]) -> None:
    """schemathesis over the /api/v1/hma operations (as tests/serve/test_api_schema.py does for
    the whole API), a few more examples each: no input answers 5xx or leaves the schema."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    operations = [r.ok() for r in schema.get_all_operations() if r.ok().path.startswith("/api/v1/hma/")]
    assert sorted((o.method.upper(), o.path) for o in operations) == [
        ("GET", "/api/v1/hma/m/index/status"), ("GET", "/api/v1/hma/m/lookup"), ("GET", "/api/v1/hma/m/raw_lookup"),
        ("POST", "/api/v1/hma/m/lookup")]
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: Any) -> None:
            excluded = [positive_data_acceptance]   # hashes and media are beyond the schema's types
            case.call_and_validate(headers={"Authorization": f"Bearer {tokens['ada']}"}, excluded_checks=excluded)

        check()


def test_url_lookup_host_check_parses_as_the_fetch_does(ws: Workspace, tokens: dict[str, str],
                                                        media_bank: dict[str, str]) -> None:
    """A URL that Python's urlsplit and requests (urllib3) read as different hosts is refused:
    ``http://evil\\@allowed/`` is host ``allowed`` to urlsplit but ``evil`` to urllib3."""
    media = FakeServer(lambda req: (200, bytes.fromhex(media_bank["picture"]), "image/jpeg"))
    try:
        app = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=("allowed.invalid",)))
        c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
        netloc = media.url.split("://", 1)[1]
        for url in (f"http://{netloc}\\@allowed.invalid/p.jpg", f"http://{netloc}\\\\@allowed.invalid/p.jpg",
                    f"http://{netloc}@allowed.invalid/p.jpg"):
            r = c.get("/m/lookup", params={"url": url})
            assert r.status_code == 400, (url, r.text)
        assert media.requests == []
        # an internationalised host name is the same host to both (urllib3 writes it as xn--...):
        # fetched (and, here, not found), not refused
        idn = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=("bücher.invalid",)))
        r = TestClient(idn, headers={"Authorization": f"Bearer {tokens['eve']}"}).get(
            "/m/lookup", params={"url": "http://bücher.invalid/p.jpg"})
        assert r.status_code == 400 and "could not fetch it" in r.json()["detail"], r.text
    finally:
        media.close()


def test_url_and_upload_lookups_count_before_any_work(ws: Workspace, tokens: dict[str, str],
                                                      media_bank: dict[str, str]) -> None:
    """The rate limit counts a URL or upload lookup before the download and the hashing: media
    that cannot be hashed still counts, and a client over its limit makes the server fetch nothing."""
    media = FakeServer(lambda req: (200, b"not a picture", "image/jpeg"))
    try:
        app = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=(media.url.split("://")[1],),
                                           lookups_per_user=Limit(2, 60)))
        c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
        codes = [c.get("/m/lookup", params={"url": f"{media.url}/x.jpg"}).status_code for _ in range(4)]
        assert codes == [400, 400, 429, 429] and len(media.requests) == 2
        ana = TestClient(app, headers={"Authorization": f"Bearer {tokens['ana']}"})
        codes = [ana.post("/m/lookup", files={"photo": ("a.jpg", b"not a picture", "image/jpeg")}).status_code
                 for _ in range(3)]
        assert codes == [400, 400, 429]
    finally:
        media.close()


def test_url_download_has_a_deadline_however_slowly_the_host_drips(
        ws: Workspace, tokens: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A host that sends a byte at a time, each well within the read timeout, cannot hold a
    lookup for longer than the download's deadline (requests' timeout is per read only)."""
    import socket
    import threading
    import time

    from tasman.serve.routes import hma

    monkeypatch.setattr(hma, "URL_DEADLINE", 1.0)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(4096)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n")
            for _ in range(80):                     # at most 8 s, one byte every 0.1 s
                if stop.is_set():
                    return
                try:
                    conn.sendall(b"x")
                except OSError:
                    return
                time.sleep(0.1)

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    try:
        port = listener.getsockname()[1]
        app = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=(f"127.0.0.1:{port}",)))
        c = TestClient(app, headers={"Authorization": f"Bearer {tokens['eve']}"})
        r = c.get("/m/lookup", params={"url": f"http://127.0.0.1:{port}/slow.jpg"})
        assert r.status_code == 400 and "took longer than" in r.json()["detail"], r.text
    finally:
        stop.set()
        server.join(10)
        listener.close()


def test_url_lookup_port_must_be_listed_too(ws: Workspace, tokens: dict[str, str],
                                            media_bank: dict[str, str]) -> None:
    """A listed host is listed at its default port: another port of it (an admin service, a
    database) is refused unless listed as ``host:port``, so the lookup is no port scanner."""
    media = FakeServer(lambda req: (200, bytes.fromhex(media_bank["picture"]), "image/jpeg"))
    try:
        port = int(media.url.rsplit(":", 1)[1].split("/")[0])
        bare = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=("127.0.0.1",)))
        r = TestClient(bare, headers={"Authorization": f"Bearer {tokens['eve']}"}).get(
            "/m/lookup", params={"url": f"http://127.0.0.1:{port}/p.jpg"})
        assert r.status_code == 400 and "port" in r.json()["detail"] and media.requests == []
        listed = create_app(ws, ServeSettings(start_worker=False, hma_url_hosts=(f"127.0.0.1:{port}",)))
        r = TestClient(listed, headers={"Authorization": f"Bearer {tokens['eve']}"}).get(
            "/m/lookup", params={"url": f"http://127.0.0.1:{port}/p.jpg"})
        assert r.status_code == 200 and r.json() == {"pdq": ["MEDIA"]}
    finally:
        media.close()
