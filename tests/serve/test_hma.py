"""The HMA-compatible lookup API (``/m/raw_lookup``, ``/m/lookup``, and the same under
``/api/v1/hma``): HMA's response shapes, PDQ within distance 31 and exact video MD5, known-good
lists left out, a read-scoped token required, rate-limited, every lookup audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.accounts import store as accounts
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import Limit, ServeSettings
from tasman.triage.hashsets.exchange import fetch_exchange
from tasman.triage.hashsets.models import HashSetEntry
from tasman.triage.hashsets.store import import_hashset
from tests.serve.conftest import PASSWORD

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
