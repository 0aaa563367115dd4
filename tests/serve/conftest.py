"""Fixtures for the web app: a workspace with users of every role, and signed-in clients."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx2 as httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.serve import accounts
from tasman.serve.app import create_app
from tasman.serve.settings import ServeSettings

PASSWORD = "correct horse battery staple"
USERS = {"ada": "admin", "eve": "examiner", "ana": "analyst", "lia": "liaison", "aud": "auditor", "out": "analyst"}
CASE = "OP-1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keeps each phase's report on the test item, so the browser fixture knows to take a screenshot."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in tests only (the real ones cost ~100 ms a hash by design)."""
    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def settings() -> ServeSettings:
    return ServeSettings(start_worker=False)


@pytest.fixture
def tokens(ws: Workspace) -> dict[str, str]:
    """Users of every role; all but 'out' are members of OP-1. Returns their API tokens."""
    out = {}
    with ws.session() as s:
        from tasman.evidence.cases import create_case

        create_case(s, "setup", CASE, "Test case")
        for name, role in USERS.items():
            accounts.create_user(s, "setup", name, role, PASSWORD)
            if name != "out":
                accounts.add_member(s, "setup", CASE, name)
            out[name] = accounts.issue_token(s, "setup", name).token
    return out


@pytest.fixture
def app(ws: Workspace, settings: ServeSettings, tokens: dict[str, str]) -> FastAPI:
    return create_app(ws, settings)


class Client:
    """A TestClient that remembers the page's CSRF token and adds it to every form it posts."""

    def __init__(self, app: FastAPI) -> None:
        self.http = TestClient(app, base_url="http://testserver", follow_redirects=False)
        self.csrf = ""

    def login(self, name: str, password: str = PASSWORD) -> httpx.Response:
        page = self.http.get("/login")
        token = re.search(r'name="form_token" value="([^"]+)"', page.text)
        assert token is not None
        r = self.http.post("/login", data={"name": name, "password": password, "form_token": token.group(1)})
        if r.status_code == 303:
            self.refresh_csrf()
        return r

    def refresh_csrf(self) -> None:
        m = re.search(r'name="csrf_token" value="([^"]+)"', self.http.get("/cases").text)
        assert m is not None
        self.csrf = m.group(1)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, **kw)

    def post(self, url: str, data: dict[str, Any] | None = None, csrf: bool = True, **kw: Any) -> httpx.Response:
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.http.post(url, data=data, **kw)


@pytest.fixture
def make_client(app: FastAPI) -> Iterator[Callable[..., Client]]:
    made: list[Client] = []

    def make(user: str | None = None) -> Client:
        c = Client(app)
        c.http.__enter__()
        made.append(c)
        if user:
            assert c.login(user).status_code == 303
        return c

    yield make
    for c in made:
        c.http.__exit__(None, None, None)


@pytest.fixture
def api(app: FastAPI, tokens: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    clients: list[TestClient] = []

    def make(user: str) -> TestClient:
        c = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {tokens[user]}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


def audit_actions(ws: Workspace, actor: str | None = None) -> list[tuple[str, str, str | None, str]]:
    from sqlalchemy import select

    from tasman.core.models import AuditEvent

    with ws.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        if actor:
            q = q.where(AuditEvent.actor == actor)
        return [(e.actor, e.action, e.case_ref, e.target) for e in s.scalars(q)]
