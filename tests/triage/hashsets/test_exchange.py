"""Hash lists fetched from hash exchanges through python-threatexchange's clients, against a
local fake of the StopNCII API (a real HTTP server on 127.0.0.1) and a signal file: pages stored
with their cursor, a re-fetch takes only what changed, a malformed record or response is named,
and a fetch that fails half-way keeps every complete page and its cursor."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from tasman.core.errors import ExitCode, InputError, NotFoundError
from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.exchange import exchange_cursor, fetch_exchange
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.opinions import FEEDBACK_KEY, report_opinion

PDQ = [f"{i:02x}" * 32 for i in range(1, 8)]
MD5 = [f"{i:032x}" for i in range(1, 4)]


def rec(value: str, kind: str = "ImagePDQ", ts: int = 50, **extra: Any) -> dict[str, Any]:
    return {"lastModtimestamp": ts, "signalType": kind, "hashValue": value, "hashStatus": "Active",
            "caseNumbers": {}, "CSPFeedbacks": [], **extra}


def page(records: list[dict[str, Any]], next_ts: int, token: str | None) -> dict[str, Any]:
    return {"count": len(records), "nextPageToken": token, "nextSetTimestamp": next_ts,
            "hasMoreRecords": token is not None, "hashRecords": records}


class FakeStopNCII:
    """Serves ``pages[(startTimestamp, nextPageToken)]`` at /v1/FetchHashes, as StopNCII does."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], Any] = {}
        self.calls: list[dict[str, str]] = []
        self.headers: list[dict[str, str]] = []
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.posts.append((urlparse(self.path).path, dict(self.headers), body))
                data = b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                fake.calls.append(q)
                fake.headers.append(dict(self.headers))
                body = fake.pages.get((q.get("startTimestamp", ""), q.get("nextPageToken", "")))
                if url.path != "/v1/FetchHashes" or body is None:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stopncii(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeStopNCII]:
    fake = FakeStopNCII()
    monkeypatch.setenv("TX_STOPNCII_KEYS", f"fetch-key,subscription-key,{fake.url}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setenv("HOME", str(tmp_path))
    yield fake
    fake.close()


def entries(ws: Workspace, name: str) -> dict[str, tuple[str | None, str | None, int | None]]:
    with ws.session() as s:
        hs = s.scalars(select(HashSet).where(HashSet.name == name)).one()
        return {e.ref: (e.pdq, e.md5, e.category) for e in s.scalars(
            select(HashSetEntry).where(HashSetEntry.hashset_id == hs.id))}


def test_pages_are_stored_with_their_cursor_and_a_refetch_takes_what_changed(
        ws: Workspace, stopncii: FakeStopNCII) -> None:
    stopncii.pages[("10", "")] = page([rec(PDQ[0]), rec(PDQ[1])], 100, "p2")
    stopncii.pages[("10", "p2")] = page([rec(MD5[0], "VideoMD5"), rec("https://example.org/x", "URL")], 120, None)
    r = fetch_exchange(ws, "ncii", api="stop_ncii", category="1")
    assert (r.pages, r.added, r.updated, r.removed, r.complete) == (2, 3, 0, 0, True)
    assert r.skipped == 1 and "not a hash Tasman matches" in r.warnings[0]
    assert entries(ws, "ncii") == {f"pdq:{PDQ[0]}": (PDQ[0], None, 1), f"pdq:{PDQ[1]}": (PDQ[1], None, 1),
                                   f"video_md5:{MD5[0]}": (None, MD5[0], 1)}
    assert stopncii.headers[0]["x-functions-key"] == "fetch-key"
    with ws.session() as s:
        cursor = exchange_cursor(s, "ncii")
        assert cursor is not None and cursor.checkpoint is not None
        assert cursor.checkpoint["update_time"] == 120 and cursor.pages == 2
        pages = s.scalars(select(AuditEvent).where(AuditEvent.action == "hashset.fetch_page")).all()
        assert [json.loads(p.details)["page"] for p in pages] == [1, 2]
    # the next fetch starts at the cursor: one hash changed (now with a feedback), one is new
    blocked = [{"feedbackValue": "Blocked", "tags": ["reviewed"], "source": "csp-a"}]
    stopncii.pages[("120", "")] = page([rec(PDQ[1], CSPFeedbacks=blocked), rec(PDQ[2])], 130, None)
    again = fetch_exchange(ws, "ncii")
    assert (again.pages, again.added, again.updated, again.entries) == (1, 1, 1, 4)
    assert stopncii.calls[-1]["startTimestamp"] == "120"
    with ws.session() as s:
        e = s.scalars(select(HashSetEntry).where(HashSetEntry.ref == f"pdq:{PDQ[1]}")).one()
        assert e.extra == {"exchange": "stop_ncii", "opinion": "POSITIVE_CLASS", "tags": ["reviewed"]}


def test_a_fetch_failing_half_way_keeps_its_complete_pages_and_cursor(
        ws: Workspace, stopncii: FakeStopNCII) -> None:
    stopncii.pages[("10", "")] = page([rec(PDQ[0])], 100, "p2")
    broken = page([rec(PDQ[1])], 110, None)
    del broken["nextSetTimestamp"]
    stopncii.pages[("10", "p2")] = broken
    with pytest.raises(InputError, match=r"stopped after 1 complete page.*nextSetTimestamp"):
        fetch_exchange(ws, "ncii", api="stop_ncii")
    assert list(entries(ws, "ncii")) == [f"pdq:{PDQ[0]}"]
    with ws.session() as s:
        cursor = exchange_cursor(s, "ncii")
        assert cursor is not None and cursor.checkpoint is not None and cursor.checkpoint["update_time"] == 100
        assert "nextSetTimestamp" in cursor.last_error
    stopncii.pages[("100", "")] = page([rec(PDQ[1])], 110, None)      # the exchange answers again
    r = fetch_exchange(ws, "ncii")
    assert r.complete and r.added == 1 and set(entries(ws, "ncii")) == {f"pdq:{PDQ[0]}", f"pdq:{PDQ[1]}"}
    with ws.session() as s:
        cursor = exchange_cursor(s, "ncii")
        assert cursor is not None and cursor.last_error == "" and cursor.checkpoint["update_time"] == 110


def test_a_withdrawn_hash_leaves_the_list_and_an_unknown_type_is_named(ws: Workspace, stopncii: FakeStopNCII) -> None:
    stopncii.pages[("10", "")] = page([rec(PDQ[0]), rec(PDQ[1]), rec("ab" * 32, "VideoTMK")], 100, None)
    r = fetch_exchange(ws, "ncii", api="stop_ncii")
    assert r.added == 2 and r.skipped == 1 and any("VideoTMK" in w and "ab" * 32 in w for w in r.warnings)
    # the person behind PDQ[1] withdrew it at StopNCII (python-threatexchange 1.2.17 kept it listed)
    stopncii.pages[("100", "")] = page([rec(PDQ[1], hashStatus="Withdrawn")], 110, None)
    again = fetch_exchange(ws, "ncii")
    assert (again.removed, again.entries) == (1, 1) and list(entries(ws, "ncii")) == [f"pdq:{PDQ[0]}"]


def test_malformed_records_and_responses_are_named(ws: Workspace, stopncii: FakeStopNCII) -> None:
    stopncii.pages[("10", "")] = page([rec(PDQ[0]), rec(PDQ[3], "NotAType"), rec("zz" * 32)], 100, None)
    r = fetch_exchange(ws, "ncii", api="stop_ncii")
    assert r.added == 1 and r.skipped == 2
    assert any("NotAType" in w for w in r.warnings) and any("z" * 64 in w for w in r.warnings)
    stopncii.pages[("100", "")] = b"<html>not json</html>"
    with pytest.raises(InputError, match="stopped after 0 complete page"):
        fetch_exchange(ws, "ncii")
    assert list(entries(ws, "ncii")) == [f"pdq:{PDQ[0]}"]


def test_missing_credentials_and_unknown_lists(ws: Workspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TX_STOPNCII_KEYS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(InputError, match="no usable credentials for the stop_ncii exchange"):
        fetch_exchange(ws, "ncii", api="stop_ncii")
    with pytest.raises(NotFoundError, match="give --exchange"):
        fetch_exchange(ws, "never")
    with pytest.raises(InputError, match="unknown exchange"):
        fetch_exchange(ws, "x", api="carrier-pigeon")


def test_a_signal_file_and_opinions(ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "signals.txt"
    f.write_text(f"pdq {PDQ[4]}\nvideo_md5 {MD5[1]}\nraw_text hello")     # no newline at the end
    r = fetch_exchange(ws, "file-list", api="local_file", settings={"filename": str(f)})
    assert r.added == 2 and r.skipped == 1 and r.complete
    before = f.read_text()
    with pytest.raises(InputError, match="takes no false-positive opinion"):
        report_opinion(ws, "file-list", "pdq", PDQ[4], positive=False)
    assert f.read_text() == before
    # python-threatexchange 1.2.17's own local_file write fails (mode "wta"); Tasman's fixed copy
    # appends the line as the library means to, on a line of its own
    op = report_opinion(ws, "file-list", "pdq", PDQ[5], positive=True)
    assert op.category == "POSITIVE_CLASS" and f.read_text() == before + f"\npdq {PDQ[5]}\n"
    with pytest.raises(InputError, match="pdq"):
        report_opinion(ws, "file-list", "pdq", "not-hex", positive=True)
    again = fetch_exchange(ws, "file-list")
    assert again.entries == 3 and again.added == 1 and again.updated == 2


def test_stopncii_feedback_needs_its_own_key_and_goes_back(ws: Workspace, stopncii: FakeStopNCII,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    stopncii.pages[("10", "")] = page([rec(PDQ[0]), rec(MD5[0], "VideoMD5")], 100, None)
    fetch_exchange(ws, "ncii", api="stop_ncii")
    monkeypatch.delenv(FEEDBACK_KEY, raising=False)
    with pytest.raises(InputError, match=FEEDBACK_KEY):
        report_opinion(ws, "ncii", "pdq", PDQ[0], positive=False)
    assert stopncii.posts == []
    monkeypatch.setenv(FEEDBACK_KEY, "feedback-key")
    report_opinion(ws, "ncii", "pdq", PDQ[0], positive=False)
    report_opinion(ws, "ncii", "video_md5", MD5[0], positive=True)
    assert [(p[0], p[1]["x-functions-key"], p[1]["Ocp-Apim-Subscription-Key"]) for p in stopncii.posts] == [
        ("/v1/SubmitFeedback", "feedback-key", "subscription-key")] * 2
    assert [p[2]["hashFeedbacks"][0]["feedbackValue"] for p in stopncii.posts] == ["NotBlocked", "Blocked"]
    assert stopncii.posts[0][2]["hashFeedbacks"][0]["hashValue"] == PDQ[0]
    with pytest.raises(InputError, match="not on list"):
        report_opinion(ws, "ncii", "pdq", PDQ[6], positive=True)


def test_cli_fetch_and_a_failure_exit_5(run_cli, migrated_db_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
                                        stopncii: FakeStopNCII) -> None:
    w = ["-w", tmp_path / "ws"]
    assert run_cli("--db", migrated_db_url, "init", tmp_path / "ws").exit_code == 0
    stopncii.pages[("10", "")] = page([rec(PDQ[0])], 100, None)
    r = run_cli(*w, "--json", "hashset", "fetch", "ncii", "--exchange", "stop_ncii", "--category", "2")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["entries"] == 1
    r = run_cli(*w, "hashset", "fetch", "ncii")
    assert r.exit_code == ExitCode.BAD_INPUT and len(r.stderr.strip().splitlines()) == 1
    assert "HTTPError" in r.stderr and "Traceback" not in r.output
    r = run_cli(*w, "--json", "hashset", "list")
    assert [(h["name"], h["format"], h["entries"]) for h in json.loads(r.stdout)] == [("ncii", "exchange:stop_ncii", 1)]
