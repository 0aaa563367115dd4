"""Fixtures for the web app: a workspace with users of every role, and signed-in clients."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from tasman.accounts import store as accounts
from tasman.core.db import normalise_url
from tasman.core.workspace import Workspace
from tasman.serve.app import create_app
from tasman.serve.models import Job
from tasman.serve.settings import ServeSettings
from tests.conftest import BACKENDS, PG_ENV

PASSWORD = "correct horse battery staple"
USERS = {"ada": "admin", "eve": "examiner", "ana": "analyst", "lia": "liaison", "aud": "auditor", "out": "analyst"}
CASE = "OP-1"
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keeps each phase's report on the test item, so the browser fixture knows to take a screenshot."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(autouse=True)
def _fast_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2 parameters in tests only (the real ones cost ~100 ms a hash by design)."""
    monkeypatch.setattr(accounts, "_hasher", FAST_HASHER)


@pytest.fixture
def settings() -> ServeSettings:
    return ServeSettings(start_worker=False)


def _populate(ws: Workspace) -> dict[str, str]:
    """Users of every role; all but 'out' are members of OP-1. Returns their API tokens."""
    out = {}
    with ws.session() as s:
        from tasman.evidence.cases import create_case

        create_case(s, "setup", CASE, "Test case")
        for name, role in USERS.items():
            accounts.create_user(s, "setup", name, role, PASSWORD)
            if name != "out":
                accounts.add_member(s, "setup", CASE, name)
            out[name] = accounts.issue_token(s, "setup", name, scopes=accounts.SCOPES, password=PASSWORD).token
    return out


def _template(root: Path, url: str) -> dict[str, str]:
    real = accounts._hasher
    accounts._hasher = FAST_HASHER
    try:
        w = Workspace.init(root / "ws", db_url=url, actor="tester")
        tokens = _populate(w)
        w.close()
    finally:
        accounts._hasher = real
    return tokens


@pytest.fixture(scope="session")
def _serve_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """One migrated and populated SQLite workspace, copied for each test (migrating costs ~1 s)."""
    root = tmp_path_factory.mktemp("serve-template")
    return root, _template(root, f"sqlite:///{root / 'test.db'}")


@pytest.fixture(scope="session")
def _serve_pg_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str], str]]:
    """The same on PostgreSQL: a template database each test's database is cloned from."""
    admin = create_engine(normalise_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")
    name = f"tasman_tpl_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    root = tmp_path_factory.mktemp("serve-pg-template")
    base = normalise_url(os.environ[PG_ENV]).rsplit("/", 1)[0]
    try:
        yield root, _template(root, f"{base}/{name}"), name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Overrides the root ``db_url``: a copy of the populated template database on each backend."""
    if request.param == "sqlite":
        root, _tokens = request.getfixturevalue("_serve_sqlite_template")
        for suffix in ("", "-wal", "-shm"):
            if (root / f"test.db{suffix}").exists():
                shutil.copyfile(root / f"test.db{suffix}", tmp_path / f"test.db{suffix}")
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not os.environ.get(PG_ENV):
        pytest.skip(f"{PG_ENV} not set")
    _root, _tokens, template = request.getfixturevalue("_serve_pg_template")
    admin = create_engine(normalise_url(os.environ[PG_ENV]), isolation_level="AUTOCOMMIT")
    name = f"tasman_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield f"{normalise_url(os.environ[PG_ENV]).rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def populated(db_url: str, tmp_path: Path,
              request: pytest.FixtureRequest) -> Iterator[tuple[Workspace, dict[str, str]]]:
    if db_url.startswith("sqlite"):
        root, tokens = request.getfixturevalue("_serve_sqlite_template")
    else:
        root, tokens, _template_name = request.getfixturevalue("_serve_pg_template")
    shutil.copytree(root / "ws", tmp_path / "ws")
    w = Workspace.open(tmp_path / "ws", db_url=db_url, actor="tester")
    yield w, tokens
    w.close()


@pytest.fixture
def ws(populated: tuple[Workspace, dict[str, str]]) -> Workspace:
    """Overrides the root ``ws``: a workspace that already holds the users and case OP-1."""
    return populated[0]


@pytest.fixture
def tokens(populated: tuple[Workspace, dict[str, str]]) -> dict[str, str]:
    return populated[1]


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


def token_clients(app: FastAPI, tokens: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    """API clients of ``app`` by user name, each sending that user's token; closed afterwards."""
    clients: list[TestClient] = []

    def make(user: str) -> TestClient:
        c = TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {tokens[user]}"})
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def api(app: FastAPI, tokens: dict[str, str]) -> Iterator[Callable[[str], TestClient]]:
    yield from token_clients(app, tokens)


def queued_job(ws: Workspace, actor: str, kind: str, params: dict[str, Any]) -> Job:
    """A job queued as ``actor`` and detached from its session, to run a job kind directly."""
    from tasman.serve import jobs

    with ws.session() as s:
        job = jobs.enqueue(s, actor, kind, CASE, params)
        s.flush()
        s.expunge(job)
    return job


def audit_actions(ws: Workspace, actor: str | None = None,
                  folded: bool = True) -> list[tuple[str, str, str | None, str]]:
    """(actor, action, case, target) of every entry; with ``folded``, each read a page view folded
    into its one entry (its ``shown``) follows that entry, as if it were one of its own."""
    import json

    from sqlalchemy import select

    from tasman.core.models import AuditEvent

    with ws.session() as s:
        q = select(AuditEvent).order_by(AuditEvent.seq)
        if actor:
            q = q.where(AuditEvent.actor == actor)
        out = []
        for e in s.scalars(q):
            out.append((e.actor, e.action, e.case_ref, e.target))
            if folded:
                out += [(e.actor, str(x["action"]), e.case_ref, str(x.get("target", "")))
                        for x in json.loads(e.details).get("shown", [])]
        return out
