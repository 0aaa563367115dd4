"""Behind a reverse proxy, one client cannot spend everyone's quota: rate limits key on the client
the trusted proxy names (``X-Forwarded-For``, right-most untrusted hop), never on the proxy, and
never on what an untrusted peer claims; a post with a bad form token counts for nobody; the
reporter's address never reaches uvicorn's access log."""

from __future__ import annotations

import logging
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import yaml
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.cli.main import cli
from tasman.core.errors import InputError
from tasman.core.workspace import Workspace
from tasman.serve import accesslog
from tasman.serve.app import create_app
from tasman.serve.proxies import parse_networks, real_client
from tasman.serve.settings import Limit, ServeSettings
from tasman.tips import intake as tips
from tasman.tips.models import Tip
from tests.serve.conftest import PASSWORD

PROXY = ("10.0.0.2", 41000)          # the TLS proxy in front of Tasman, as the TCP peer
TRUSTED = parse_networks(["10.0.0.0/24", "fd00::/8"])
ALICE, BOB = "203.0.113.5", "203.0.113.6"


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """HTTP behaviour only: SQLite is enough."""
    root, _tokens = request.getfixturevalue("_serve_sqlite_template")
    shutil.copyfile(root / "test.db", tmp_path / "test.db")
    return f"sqlite:///{tmp_path / 'test.db'}"


def make_app(ws: Workspace, **limits: Any) -> FastAPI:
    return create_app(ws, ServeSettings(start_worker=False, trusted_proxies=TRUSTED, **limits))


@pytest.fixture
def clients() -> Iterator[list[TestClient]]:
    made: list[TestClient] = []
    yield made
    for c in made:
        c.close()


def client(made: list[TestClient], app: FastAPI, peer: tuple[str, int] = PROXY,
           forwarded: str | None = None) -> TestClient:
    """A browser reaching the app through ``peer``; ``forwarded``: the X-Forwarded-For it arrives with."""
    headers = {"X-Forwarded-For": forwarded} if forwarded is not None else {}
    c = TestClient(app, base_url="http://testserver", client=peer, headers=headers, follow_redirects=False)
    made.append(c)
    return c


def form_token(c: TestClient, page: str) -> str:
    m = re.search(r'name="form_token" value="([^"]+)"', c.get(page).text)
    assert m is not None
    return m.group(1)


def report(c: TestClient, token: str | None = None, **headers: str) -> int:
    data = {"what": "A public group shares contact lists of children.", "username": "user_4711",
            "form_token": token if token is not None else form_token(c, "/report")}
    return c.post("/report", data=data, headers=headers or None).status_code


def login(c: TestClient, name: str, password: str, token: str | None = None) -> int:
    data = {"name": name, "password": password,
            "form_token": token if token is not None else form_token(c, "/login")}
    return c.post("/login", data=data).status_code


def stored(ws: Workspace) -> list[Tip]:
    with ws.session() as s:
        return list(s.scalars(select(Tip).order_by(Tip.id)))


# ---- the algorithm ----------------------------------------------------------------------------

@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("10.0.0.2", [ALICE], ALICE),                                   # one trusted proxy
    ("10.0.0.2", [f"1.2.3.4, {ALICE}"], ALICE),                     # a forged left part is never read
    ("10.0.0.2", [f"{ALICE}, 10.0.0.9"], ALICE),                    # two trusted proxies in a row
    ("10.0.0.2", ["1.2.3.4", f"{ALICE}, 10.0.0.9"], ALICE),         # several header lines, in order
    ("10.0.0.2", ["fd00::1, 2001:db8::7"], "2001:db8::7"),         # IPv6
    ("10.0.0.2", ["::ffff:203.0.113.5"], ALICE),                    # an IPv4-mapped address is the IPv4 one
    ("10.0.0.2", [], "10.0.0.2"),                                   # no header: the proxy itself
    ("10.0.0.2", ["10.0.0.7, 10.0.0.9"], "10.0.0.7"),               # all trusted: the farthest one
    ("10.0.0.2", [f"{ALICE}, not-an-address"], "10.0.0.2"),        # garbage stops at the last trusted hop
    ("198.51.100.7", [ALICE], "198.51.100.7"),                      # an untrusted peer's header is ignored
    ("testclient", [ALICE], "testclient"),                          # a peer that is no address: as it is
])
def test_real_client(peer: str, header: list[str], expected: str) -> None:
    assert real_client(peer, header, TRUSTED) == expected


def test_no_trusted_proxy_means_the_header_is_never_read() -> None:
    assert real_client("10.0.0.2", [ALICE], ()) == "10.0.0.2"


def test_bad_proxy_settings_are_refused_with_one_line() -> None:
    assert [str(n) for n in parse_networks(["10.1.2.3", "10.0.0.0/8", "::1"])] == \
        ["10.1.2.3/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(InputError, match=r"'10\.0\.0\.300' is not an address or network"):
        parse_networks(["10.0.0.300"])
    with pytest.raises(InputError, match="is not an address or network"):
        parse_networks([8080])


# ---- the public form --------------------------------------------------------------------------

def test_one_reporter_behind_the_proxy_does_not_block_the_others(ws: Workspace, tokens: dict[str, str],
                                                                clients: list[TestClient]) -> None:
    app = make_app(ws, reports_per_address=Limit(2, 3600))
    alice, bob = client(clients, app, forwarded=ALICE), client(clients, app, forwarded=BOB)
    assert [report(alice) for _ in range(3)] == [200, 200, 429]
    assert report(alice, **{"X-Forwarded-For": f"198.51.100.{9}, {ALICE}"}) == 429  # a forged left part
    assert report(bob) == 200
    assert len(stored(ws)) == 3
    # the reporter's address digest is of the client, not of the proxy
    digests = [t.source_digest for t in stored(ws)]
    key = create_app(ws, ServeSettings(start_worker=False)).state.tasman.app_key
    assert digests == [tips.source_digest(key, ALICE)] * 2 + [tips.source_digest(key, BOB)]


def test_an_untrusted_peer_cannot_choose_its_key(ws: Workspace, tokens: dict[str, str],
                                                 clients: list[TestClient]) -> None:
    app = make_app(ws, reports_per_address=Limit(2, 3600))
    direct = client(clients, app, peer=("198.51.100.7", 5000))
    codes = [report(direct, **{"X-Forwarded-For": f"192.0.2.{i}"}) for i in range(1, 5)]
    assert codes == [200, 200, 429, 429]
    assert report(client(clients, app, forwarded=ALICE)) == 200  # the proxy's clients are apart


def test_posts_with_a_bad_form_token_spend_no_quota(ws: Workspace, tokens: dict[str, str],
                                                    clients: list[TestClient]) -> None:
    app = make_app(ws, reports_per_address=Limit(2, 3600), login_per_address=Limit(2, 600))
    alice = client(clients, app, forwarded=ALICE)
    assert [report(alice, token="forged") for _ in range(5)] == [400] * 5
    assert [login(alice, "ana", "wrong password", token="forged") for _ in range(5)] == [403] * 5
    assert [report(alice) for _ in range(2)] == [200, 200]
    assert login(alice, "ana", PASSWORD) == 303
    assert len(stored(ws)) == 2


# ---- sign-in ------------------------------------------------------------------------------------

def test_one_guesser_behind_the_proxy_does_not_lock_out_the_staff(ws: Workspace, tokens: dict[str, str],
                                                                  clients: list[TestClient]) -> None:
    app = make_app(ws, login_per_address=Limit(3, 600))
    guesser, staff = client(clients, app, forwarded=ALICE), client(clients, app, forwarded=BOB)
    assert [login(guesser, f"user{i}", "guess guess guess") for i in range(4)] == [401, 401, 401, 429]
    assert login(staff, "ana", PASSWORD) == 303
    forger = client(clients, app, peer=("198.51.100.7", 5000))
    assert [login(forger, f"u{i}", "guess guess guess", **{}) for i in range(3)] == [401] * 3
    forged = client(clients, app, peer=("198.51.100.7", 5001), forwarded=BOB)
    assert login(forged, "ana", PASSWORD) == 429  # its own peer's quota, whatever it claims


# ---- the command line and tasman.yaml ---------------------------------------------------------

def test_serve_takes_trusted_proxies_and_access_log_from_options_and_tasman_yaml(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: FastAPI, **kw: Any) -> None:
        seen["settings"], seen["kw"] = app.state.tasman.settings, kw

    monkeypatch.setattr(uvicorn, "run", fake_run)
    config = yaml.safe_load((ws.root / "tasman.yaml").read_text())
    config["serve"] = {"trusted_proxies": ["10.0.0.0/24"], "access_log": True}
    (ws.root / "tasman.yaml").write_text(yaml.safe_dump(config))
    args = ["-w", str(ws.root), "--db", ws.db_url, "serve", "--port", str(_free_port())]
    r = CliRunner().invoke(cli, [*args, "--trusted-proxy", "fd00::1", "--no-access-log"])
    assert r.exit_code == 0, r.output
    assert [str(n) for n in seen["settings"].trusted_proxies] == ["10.0.0.0/24", "fd00::1/128"]
    assert seen["kw"]["access_log"] is False and seen["kw"]["proxy_headers"] is False
    r = CliRunner().invoke(cli, [*args, "--trusted-proxy", "10.0.0.0/33"])
    assert r.exit_code == 5 and "Traceback" not in r.output
    assert r.output.strip().splitlines()[-1].startswith("tasman: error: --trusted-proxy: '10.0.0.0/33'")
    config["serve"] = {"trusted_proxy": ["10.0.0.1"]}
    (ws.root / "tasman.yaml").write_text(yaml.safe_dump(config))
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 5 and "unknown serve setting(s) trusted_proxy" in r.output


def test_serve_help_names_the_options() -> None:
    out = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert "--trusted-proxy" in out and "--no-access-log" in out


# ---- the access log -----------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_uvicorn_access_log_never_holds_the_reporters_address(ws: Workspace, tokens: dict[str, str]) -> None:
    import uvicorn
    from uvicorn.logging import AccessFormatter

    port = _free_port()
    config = uvicorn.Config(create_app(ws, ServeSettings(start_worker=False)), host="127.0.0.1", port=port,
                            log_level="info", lifespan="off")  # uvicorn's own logging config, access log on
    captured = Captured()
    logging.getLogger(accesslog.ACCESS_LOGGER).addHandler(captured)
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not srv.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert srv.started
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            page = http.get("/report")
            m = re.search(r'name="form_token" value="([^"]+)"', page.text)
            assert m is not None
            assert http.get("/static/tasman.css").status_code == 200  # what the page loads, as a browser does
            sent = http.post("/report", data={"what": "seen in a forum", "form_token": m.group(1)})
            assert sent.status_code == 200 and "TIP-" in sent.text
            assert http.get("/login").status_code == 200
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
        logging.getLogger(accesslog.ACCESS_LOGGER).removeHandler(captured)
    formatter = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False)
    lines = [formatter.format(r) for r in captured.records]
    report_lines = [line for line in lines if "/report" in line or "/static/" in line]
    assert len(report_lines) == 3, lines
    assert all(line.startswith('- - "') and "127.0.0.1" not in line for line in report_lines), report_lines
    assert not any(re.search(r":\d{2,5} ", line) for line in report_lines)
    # other pages are logged as uvicorn logs them, so the filter is what removes the address
    assert any(line.startswith("127.0.0.1:") and "/login" in line for line in lines), lines


def test_the_filter_scrubs_only_public_paths() -> None:
    f = accesslog.ReporterAddressFilter()

    def rec(path: str) -> logging.LogRecord:
        return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
                                 ("192.0.2.1:5555", "POST", path, "1.1", 200), None)

    for path in ("/report", "/report?x=1", "/report/", "/static/tasman.css", "/favicon.ico"):
        r = rec(path)
        assert f.filter(r) and r.getMessage().startswith("- ") and "192.0.2.1" not in r.getMessage()
    for path in ("/reporting", "/login", "/cases/OP-1"):
        r = rec(path)
        assert f.filter(r) and "192.0.2.1:5555" in r.getMessage()
