"""Meta ThreatExchange through python-threatexchange's ``fb_threatexchange`` exchange, against a
local fake of the Graph API's ``/{privacy_group}/threat_updates`` (cursored pages, ``paging.next``)
and its reactions: pages stored with their cursor, a re-fetch from ``start_time``, a fetch failing
half-way keeps its complete pages, a malformed update is named, reactions go back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from tasman.core.errors import InputError
from tasman.core.workspace import Workspace
from tasman.triage.hashsets.exchange import exchange_cursor, fetch_exchange
from tasman.triage.hashsets.models import HashSet, HashSetEntry
from tasman.triage.hashsets.opinions import report_opinion
from tests.triage.hashsets.fakes import Answer, FakeServer, Request, redirect

GRAPH = "https://graph.facebook.com"
GROUP = "1012345"
MY_APP, OTHER_APP = "2222222222", "1111111111"
TOKEN = f"{MY_APP}|" + "a" * 24
PDQ = [f"{i:02x}" * 32 for i in range(1, 9)]
MD5 = [f"{i:032x}" for i in range(1, 5)]


def update(uid: int, indicator: str, kind: str = "HASH_PDQ", ts: int = 1_700_000_000, status: str = "MALICIOUS",
           reactions: list[dict[str, str]] | None = None, delete: bool = False, **drop: bool) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "id": str(uid), "indicator": indicator, "type": kind, "last_updated": ts, "should_delete": delete,
        "descriptors": {"data": [{"id": str(900 + uid), "owner": {"id": OTHER_APP}, "status": status,
                                  "tags": ["shared"], "reactions": reactions or []}]}}
    for key in drop:
        rec.pop(key)
    return rec


class FakeThreatExchange:
    """``pages[(start_time, after)]`` at ``/vNN/{GROUP}/threat_updates/``; reactions recorded."""

    def __init__(self) -> None:
        self.pages: dict[tuple[str, str], Any] = {}
        self.http = FakeServer(self.respond)

    def respond(self, req: Request) -> Answer:
        if req.method == "POST":
            return 200, json.dumps({"success": True}).encode(), "application/json"
        if not req.path.endswith(f"/{GROUP}/threat_updates/") or req.query.get("access_token") != TOKEN:
            return 400, json.dumps({"error": {"message": "bad request"}}).encode(), "application/json"
        body = self.pages.get((req.query.get("start_time", ""), req.query.get("after", "")))
        if body is None:
            return 404, b"{}", "application/json"
        return 200, body if isinstance(body, bytes) else json.dumps(body).encode(), "application/json"

    def page(self, records: list[dict[str, Any]], after: str | None, start: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {"data": records}
        if after:
            out["paging"] = {"next": f"{GRAPH}/v26.0/{GROUP}/threat_updates/?access_token={TOKEN}&after={after}"
                                     + (f"&start_time={start}" if start else "")}
        return out


@pytest.fixture
def te(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeThreatExchange]:
    fake = FakeThreatExchange()
    redirect(monkeypatch, GRAPH, fake.http.url)
    monkeypatch.setenv("TX_ACCESS_TOKEN", TOKEN)
    monkeypatch.setenv("HOME", str(tmp_path))
    yield fake
    fake.http.close()


def entries(ws: Workspace, name: str) -> dict[str, tuple[str | None, str | None]]:
    with ws.session() as s:
        hs = s.scalars(select(HashSet).where(HashSet.name == name)).one()
        return {str(e.ref): (e.pdq, e.md5) for e in s.scalars(
            select(HashSetEntry).where(HashSetEntry.hashset_id == hs.id))}


def test_pages_cursor_and_refetch(ws: Workspace, te: FakeThreatExchange) -> None:
    te.pages[("", "")] = te.page([update(1, PDQ[0]), update(2, MD5[0], "HASH_VIDEO_MD5", ts=1_700_000_050)], "p2")
    te.pages[("", "p2")] = te.page([update(3, PDQ[1], ts=1_700_000_100),
                                    update(4, PDQ[2], status="NON_MALICIOUS"),
                                    update(5, "https://example.org/", "URI")], None)
    r = fetch_exchange(ws, "te", api="fb_threatexchange", settings={"privacy_group": GROUP})
    assert (r.pages, r.added, r.complete) == (2, 3, True)
    assert r.skipped == 2 and any("false positive" in w for w in r.warnings)
    assert any("not a hash Tasman matches" in w for w in r.warnings)
    assert entries(ws, "te") == {f"HASH_PDQ:{PDQ[0]}": (PDQ[0], None), f"HASH_VIDEO_MD5:{MD5[0]}": (None, MD5[0]),
                                 f"HASH_PDQ:{PDQ[1]}": (PDQ[1], None)}
    with ws.session() as s:
        e = s.scalars(select(HashSetEntry).where(HashSetEntry.ref == f"HASH_PDQ:{PDQ[0]}")).one()
        assert e.extra["descriptors"] == [901] and e.extra["tags"] == ["shared"]
        cursor = exchange_cursor(s, "te")
        assert cursor is not None and cursor.checkpoint is not None
        assert cursor.checkpoint["update_time"] == 1_700_000_100
    # the next fetch asks from the cursor's time: one deletion, one new
    te.pages[("1700000100", "")] = te.page([update(1, PDQ[0], ts=1_700_000_200, delete=True),
                                            update(6, PDQ[3], ts=1_700_000_210)], None)
    again = fetch_exchange(ws, "te")
    assert (again.added, again.removed, again.entries) == (1, 1, 3)
    assert f"HASH_PDQ:{PDQ[0]}" not in entries(ws, "te")


def test_half_way_failure_and_a_malformed_update(ws: Workspace, te: FakeThreatExchange) -> None:
    te.pages[("", "")] = te.page([update(1, PDQ[0], ts=1_700_000_010)], "p2")
    te.pages[("", "p2")] = b"{not json"
    with pytest.raises(InputError, match=r"stopped after 1 complete page.*JSONDecodeError"):
        fetch_exchange(ws, "te", api="fb_threatexchange", settings={"privacy_group": GROUP})
    assert list(entries(ws, "te")) == [f"HASH_PDQ:{PDQ[0]}"]
    with ws.session() as s:
        cursor = exchange_cursor(s, "te")
        assert cursor is not None and cursor.checkpoint is not None
        assert cursor.checkpoint["update_time"] == 1_700_000_010 and cursor.last_error
    te.pages[("1700000010", "")] = te.page([update(7, PDQ[4], ts=1_700_000_020),
                                            update(8, PDQ[5], last_updated=True)], None)
    with pytest.raises(InputError) as err:
        fetch_exchange(ws, "te")
    text = str(err.value)
    assert "KeyError: last_updated" in text and PDQ[5] in text          # the update it failed on
    te.pages[("1700000010", "")] = te.page([update(7, PDQ[4], ts=1_700_000_020)], None)
    r = fetch_exchange(ws, "te")
    assert r.complete and set(entries(ws, "te")) == {f"HASH_PDQ:{PDQ[0]}", f"HASH_PDQ:{PDQ[4]}"}


def test_reactions_go_back_and_read_back_as_opinions(ws: Workspace, te: FakeThreatExchange) -> None:
    te.pages[("", "")] = te.page([update(1, PDQ[0]), update(2, PDQ[1])], None)
    fetch_exchange(ws, "te", api="fb_threatexchange", settings={"privacy_group": GROUP})
    op = report_opinion(ws, "te", "pdq", PDQ[0], positive=True)
    report_opinion(ws, "te", "pdq", PDQ[1].upper(), positive=False)
    posts = [q for q in te.http.requests if q.method == "POST"]
    assert [(q.path, q.query["reactions"]) for q in posts] == [("/v26.0/901/", "HELPFUL"),
                                                               ("/v26.0/902/", "DISAGREE_WITH_TAGS")]
    assert all(q.query["access_token"] == TOKEN for q in posts) and op.sent == ["HELPFUL on descriptor 901"]
    # ThreatExchange reports the reactions back; the library reads them as this app's opinions
    te.pages[("1700000000", "")] = te.page([
        update(2, PDQ[1], ts=1_700_000_300, status="UNKNOWN", reactions=[{"key": "DISAGREE_WITH_TAGS",
                                                                           "value": MY_APP}])], None)
    r = fetch_exchange(ws, "te")
    assert f"HASH_PDQ:{PDQ[1]}" not in entries(ws, "te") and any("false positive" in w for w in r.warnings)


def test_an_invalid_hash_on_the_exchange_is_a_warning_not_an_entry(ws: Workspace, te: FakeThreatExchange) -> None:
    """python-threatexchange's ThreatExchange conversion does not validate the indicator (its NCMEC
    one does): a PDQ that is not 64 hex digits, or an MD5 that is not 32, is skipped with a warning
    naming it, so that it never reaches (and breaks) the PDQ index every lookup is built from."""
    from tasman.triage.hashsets.lookup import lookup_signal

    te.pages[("", "")] = te.page([update(1, "zz" * 32), update(2, "abcd"), update(3, PDQ[0]),
                                  update(4, "not-an-md5", "HASH_VIDEO_MD5")], None)
    r = fetch_exchange(ws, "te", api="fb_threatexchange", settings={"privacy_group": GROUP})
    assert set(entries(ws, "te")) == {f"HASH_PDQ:{PDQ[0]}"}
    assert r.skipped == 3 and sum("zz" * 32 in w or "abcd" in w or "not-an-md5" in w for w in r.warnings) == 3
    with ws.session() as s:
        assert [m.bank for m in lookup_signal(s, "ana", "pdq", PDQ[0])] == ["te"]


def test_exchange_text_in_warnings_cannot_drive_the_terminal(ws: Workspace, te: FakeThreatExchange) -> None:
    """An exchange's record carrying terminal escapes (a window title, a screen clear) is named in
    the warning with those characters escaped, never written raw to the investigator's terminal."""
    evil = "\x1b]0;owned\x07\x1b[2J" + "ab" * 4
    te.pages[("", "")] = te.page([update(1, evil), update(2, PDQ[0])], None)
    r = fetch_exchange(ws, "te", api="fb_threatexchange", settings={"privacy_group": GROUP})
    assert r.skipped == 1 and r.warnings
    assert all(w.isprintable() for w in r.warnings) and any("\\x1b]0;owned" in w for w in r.warnings)
