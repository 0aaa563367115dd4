from __future__ import annotations

import shutil
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.settings import Backoff, Limit, ServeSettings
from tests.serve.conftest import Client, audit_actions


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """HTTP behaviour only: run on SQLite (the storage tests run on both backends)."""
    root, _tokens = request.getfixturevalue("_serve_sqlite_template")
    shutil.copyfile(root / "test.db", tmp_path / "test.db")
    return f"sqlite:///{tmp_path / 'test.db'}"

def test_pages_need_a_session(make_client: Callable[..., Client]) -> None:
    c = make_client()
    r = c.get("/cases/OP-1/evidence")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=%2Fcases%2FOP-1%2Fevidence"


def test_login_sets_a_hardened_session_cookie_and_is_audited(make_client: Callable[..., Client],
                                                             ws: Workspace) -> None:
    c = make_client()
    r = c.login("eve")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert "secure" not in cookie  # plain http in tests; see the next test
    assert c.get("/cases").status_code == 200
    assert ("eve", "user.login", None, "") in audit_actions(ws, "eve")


def test_secure_flag_when_asked(ws: Workspace, tokens: dict[str, str]) -> None:
    app = create_app(ws, ServeSettings(start_worker=False, secure_cookies=True))
    c = Client(app)
    r = c.login("eve")
    assert "secure" in r.headers["set-cookie"].lower()


def test_wrong_password_is_refused_and_audited(make_client: Callable[..., Client], ws: Workspace) -> None:
    c = make_client()
    r = c.login("eve", "not the password at all")
    assert r.status_code == 401
    assert "Wrong user name or password" in r.text
    assert "tasman_session" not in r.headers.get("set-cookie", "")
    assert ("anonymous", "user.login.failed", None, "eve") in audit_actions(ws)
    assert make_client().login("nobody-at-all").status_code == 401


def test_login_form_needs_its_token(make_client: Callable[..., Client]) -> None:
    c = make_client()
    r = c.http.post("/login", data={"name": "eve", "password": "correct horse battery staple"})
    assert r.status_code == 403


def test_next_is_never_an_open_redirect(make_client: Callable[..., Client]) -> None:
    c = make_client()
    page = c.get("/login?next=//evil.example/x")
    assert "evil" not in page.text
    import re

    token = re.search(r'name="form_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = c.http.post("/login", data={"name": "eve", "password": "correct horse battery staple", "form_token": token,
                                    "next": "https://evil.example/"})
    assert r.headers["location"] == "/cases"


def test_logout_needs_csrf_and_ends_the_session(make_client: Callable[..., Client]) -> None:
    c = make_client("eve")
    assert c.post("/logout", csrf=False).status_code == 403
    assert c.post("/logout").status_code == 303
    assert c.get("/cases").status_code == 303


def test_login_rate_limits(ws: Workspace, tokens: dict[str, str]) -> None:
    app = create_app(ws, ServeSettings(start_worker=False, login_per_address=Limit(4, 60),
                                       login_backoff=Backoff(free=2, first=30)))
    c = Client(app)
    assert c.login("eve", "wrong password 1").status_code == 401
    assert c.login("eve", "wrong password 2").status_code == 401
    blocked = c.login("eve")  # right password, but this address waits for a while before trying eve again
    assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
    assert c.login("ana").status_code == 303  # 4th attempt from this address
    assert c.login("ana").status_code == 429  # 5th: the address is over its limit


def test_security_headers_everywhere(make_client: Callable[..., Client], api: Callable[[str], TestClient]) -> None:
    c = make_client("eve")
    for r in (c.get("/cases"), c.get("/login"), c.get("/report"), c.get("/static/tasman.css"),
              c.get("/cases/NOPE"), api("eve").get("/api/v1/cases"), c.get("/api/v1/cases")):
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


class InlineFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, style elements and attributes, handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {k for k, _ in attrs}
        if tag == "style":
            self.found.append("<style>")
        if tag == "script":
            kinds = dict(attrs)
            self._script_inline = "src" not in names and kinds.get("type") != "application/json"
        self.found += [f"{tag} {k}=" for k in names if k == "style" or k.startswith("on")]

    def handle_data(self, data: str) -> None:
        if self._script_inline and data.strip():
            self.found.append("inline script")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script_inline = False


def test_pages_have_no_inline_script_or_style(make_client: Callable[..., Client]) -> None:
    c = make_client("ada")
    for url in ("/cases", "/cases/OP-1", "/cases/OP-1/triage", "/cases/OP-1/summary", "/cases/OP-1/graph",
                "/report", "/admin/users", "/tips", "/audit", "/cases/OP-1/subjects", "/cases/OP-1/audit"):
        finder = InlineFinder()
        finder.feed(c.get(url).text)
        assert finder.found == [], url


def test_api_needs_a_valid_token(app: object, api: Callable[[str], TestClient]) -> None:
    c = TestClient(app)  # type: ignore[arg-type]
    r = c.get("/api/v1/cases")
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert c.get("/api/v1/cases", headers={"Authorization": "Bearer tsm_forged"}).status_code == 401
    assert api("eve").get("/api/v1/me").json()["role"] == "examiner"


def test_session_cookie_does_not_authenticate_the_api(make_client: Callable[..., Client]) -> None:
    c = make_client("eve")
    assert c.get("/api/v1/cases").status_code == 401


def test_disabled_user_loses_sessions_and_tokens(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                                 ws: Workspace) -> None:
    from tasman.accounts import store as accounts

    c = make_client("eve")
    token_client = api("eve")
    with ws.session() as s:
        accounts.set_active(s, "ada", "eve", False)
    assert c.get("/cases").status_code == 303
    assert token_client.get("/api/v1/me").status_code == 401
    assert make_client().login("eve").status_code == 401


@pytest.mark.parametrize("role_user,allowed", [("ada", 200), ("aud", 200), ("ana", 403), ("eve", 403)])
def test_global_audit_log_is_for_admins_and_auditors(make_client: Callable[..., Client], role_user: str,
                                                     allowed: int) -> None:
    assert make_client(role_user).get("/audit").status_code == allowed


def test_every_form_carries_a_filled_csrf_token(make_client: Callable[..., Client]) -> None:
    """Macros imported into templates need the page context; an empty token would fail every form."""
    c = make_client("ada")
    for url in ("/cases", "/cases/OP-1", "/cases/OP-1/triage", "/admin/users", "/account", "/cases/OP-1/attribution",
                "/cases/OP-1/referrals"):
        html = c.get(url).text
        assert 'name="csrf_token" value=""' not in html, url
        assert html.count('name="csrf_token" value="') >= 2, url  # the page's form and the sign-out form
