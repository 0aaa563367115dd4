"""Deeply nested JSON at every entry point that reads JSON from outside: a hash list (VICS), a
records file (chats, tips; from the command line and uploaded), an API body, a .json file in
the evidence. Each answers at once with one line, a 4xx or a warning naming the limit, and
stores nothing partial; before ``tasman.core.safejson`` these cost gigabytes or ended in an
internal error."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tasman.accounts import store as accounts
from tasman.core.errors import ExitCode
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.extract.models import Observation
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings
from tests.serve.conftest import CASE, FAST_HASHER, _populate

MD5 = "9e107d9d372bb6826bd81d3542a419d6"
QUICK = 10.0        # seconds: a refusal is a scan of the bytes, never a parse of them


def nested(levels: int, inner: str = "") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.fixture
def w(run_cli: Callable[..., object], tmp_path: Path) -> list[object]:
    d = tmp_path / "ws"
    assert run_cli("init", d).exit_code == 0  # type: ignore[attr-defined]
    assert run_cli("-w", d, "case", "create", "C1").exit_code == 0  # type: ignore[attr-defined]
    return ["-w", d]


def _records(root: Path) -> int:
    ws = Workspace.open(root)
    try:
        with ws.session() as s:
            return int(s.scalar(select(func.count()).select_from(Record)) or 0)
    finally:
        ws.close()


@pytest.mark.parametrize("levels", [40_000, 200_000])
def test_vics_nested_arrays_are_refused_on_one_line_and_the_old_list_kept(
        run_cli, w: list[object], tmp_path: Path, levels: int) -> None:  # type: ignore[no-untyped-def]
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"@odata.context": "x", "value": [{"Media": [{"MD5": MD5, "Category": 1}]}]}))
    assert run_cli(*w, "hashset", "import", good, "--name", "vic").exit_code == 0
    bomb = tmp_path / "bomb.json"
    bomb.write_text('{"@odata.context": "x", "value": ' + nested(levels) + "}")
    started = time.monotonic()
    r = run_cli(*w, "hashset", "import", bomb, "--name", "vic", "--format", "vics")
    assert time.monotonic() - started < QUICK
    assert r.exit_code == ExitCode.BAD_INPUT
    assert r.stderr.count("\n") == 1 and "more than 64 levels deep by line 1" in r.stderr
    listed = json.loads(run_cli(*w, "hashset", "list", "--json").stdout)
    assert [(h["name"], h["entries"]) for h in listed] == [("vic", 1)]


def test_a_deep_tips_document_is_refused_whole(run_cli, w: list[object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tips = tmp_path / "tips.json"
    tips.write_text('{"tips": [{"report_id": "T-1", "person_or_user_reported": {"screen_name": "k9"}}, '
                    + nested(100_000) + "]}")
    started = time.monotonic()
    r = run_cli(*w, "records", "import", tips, "--case", "C1", "--kind", "tips")
    assert time.monotonic() - started < QUICK
    assert r.exit_code == ExitCode.BAD_INPUT
    assert r.stderr.count("\n") == 1 and "nested 100002 levels deep, over the limit of 64" in r.stderr
    assert _records(Path(str(w[1]))) == 0


def test_a_deep_chat_line_is_skipped_and_the_rest_imported(run_cli, w: list[object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chats = tmp_path / "chats.jsonl"
    good = {"session": "S-1", "platform": "kik", "counterpart": "amber_k",
            "messages": [{"t": "2024-03-01T10:00:00Z", "from": "amber_k", "text": "hello"}]}
    chats.write_text('{"session": "S-0", "counterpart": "x", "messages": ' + nested(100_000) + "}\n"
                     + json.dumps(good) + "\n")
    r = run_cli(*w, "records", "import", chats, "--case", "C1", "--kind", "chats", "--json")
    assert r.exit_code == ExitCode.BAD_INPUT            # rows were skipped: said so, not hidden
    assert "line 1: JSON nested 100001 levels deep, over the limit of 64" in r.stdout + r.stderr
    assert _records(Path(str(w[1]))) == 1


def test_a_deep_json_file_in_the_evidence_is_a_warning_on_that_file(
        run_cli, w: list[object], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "deep.json").write_text(nested(200_000, '"anna.b@example.org"'))
    (folder / "note.txt").write_text("write to kim.c@example.net\n")
    assert run_cli(*w, "evidence", "add", "C1", folder).exit_code == 0
    r = run_cli(*w, "extract", "--case", "C1", "--workers", "1", "--no-records", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert any("deep.json" in str(x) and "over the limit of 64" in str(x) for x in out["warnings"]), out["warnings"]
    ws = Workspace.open(Path(str(w[1])))
    try:
        with ws.session() as s:
            values = set(s.scalars(select(Observation.value)))
    finally:
        ws.close()
    assert {"anna.b@example.org", "kim.c@example.net"} <= values      # the deep file is still read as text


# ---- the web app --------------------------------------------------------------------------------


@pytest.fixture
def client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Workspace, TestClient, dict[str, str]]]:
    monkeypatch.setattr(accounts, "_hasher", FAST_HASHER)
    ws = Workspace.init(tmp_path / "web", actor="tester")
    tokens = _populate(ws)
    with TestClient(create_app(ws, ServeSettings(start_worker=False))) as c:
        yield ws, c, tokens
    ws.close()


def _auth(tokens: dict[str, str], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[name]}"}


@pytest.mark.parametrize("levels", [70, 900, 200_000])
def test_a_deep_api_body_is_422_on_one_line(client: tuple[Workspace, TestClient, dict[str, str]],
                                            levels: int) -> None:
    _ws, c, tokens = client
    body = '{"ref": "OP-9", "title": ' + nested(levels) + "}"
    for headers in (_auth(tokens, "ada"), {}):      # refused before authentication: nothing parsed it
        r = c.post("/api/v1/cases", content=body, headers={**headers, "content-type": "application/json"})
        assert r.status_code == 422
        assert r.json() == {"detail": f"JSON nested {levels + 1} levels deep, over the limit of 64"}
    r = c.post("/api/v1/cases", content=body, headers=_auth(tokens, "ada"))     # no content type: JSON too
    assert r.status_code == 422
    cases = c.get("/api/v1/cases", headers=_auth(tokens, "ada")).json()
    assert [x["ref"] for x in cases] == [CASE]


def test_a_large_api_body_is_413_and_a_normal_one_still_works(
        client: tuple[Workspace, TestClient, dict[str, str]]) -> None:
    _ws, c, tokens = client
    big = json.dumps({"ref": "OP-9", "title": "x" * (3 << 20)})
    r = c.post("/api/v1/cases", content=big, headers={**_auth(tokens, "ada"), "content-type": "application/json"})
    assert r.status_code == 413 and "at most 2097152 bytes" in r.json()["detail"]
    r = c.post("/api/v1/cases", json={"ref": "OP-9", "title": "nine"}, headers=_auth(tokens, "ada"))
    assert r.status_code == 201, r.text


def test_an_uploaded_deep_tips_file_is_422_with_the_reason_and_nothing_kept(
        client: tuple[Workspace, TestClient, dict[str, str]]) -> None:
    ws, c, tokens = client
    data = ('{"tips": [' + nested(50_000) + "]}").encode()
    r = c.post(f"/api/v1/cases/{CASE}/records", files={"file": ("tips.json", data)}, data={"kind": "tips"},
               headers=_auth(tokens, "ana"))
    assert r.status_code == 422
    assert "tips.json: JSON nested 50002 levels deep, over the limit of 64" in r.json()["detail"]
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Record)) == 0
    kept = ws.root / "uploads" / "records"
    assert not kept.exists() or not [p for p in kept.rglob("*") if p.is_file()]
