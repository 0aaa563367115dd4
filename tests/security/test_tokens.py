"""API tokens: issued only by their owner (a partner system's by an admin), limited to their
scopes on top of the role, refused once expired or revoked, ended by a password change (with
every other browser session), stored only as digests."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tasman.accounts import store as accounts
from tasman.accounts.models import ApiToken
from tasman.cli.main import cli
from tasman.core.errors import InputError, PermissionDeniedError
from tasman.core.timeutil import utcnow
from tasman.core.workspace import Workspace
from tests.serve.conftest import CASE, PASSWORD, Client, audit_actions

ME = "/api/v1/me"
REVIEW = f"/api/v1/cases/{CASE}/triage/review"


def issue(ws: Workspace, name: str, scopes: tuple[str, ...] = ("read",), days: int = 90) -> tuple[int, str]:
    with ws.session() as s:
        issued = accounts.issue_token(s, name, name, "test", scopes=scopes, days=days, password=PASSWORD)
        return issued.record.id, issued.token


def bearer(app: FastAPI, token: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", headers={"Authorization": f"Bearer {token}"})


def cli_run(ws: Workspace, *args: str, stdin: str = "") -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["-w", str(ws.root), "--db", ws.db_url, *args], input=stdin)
    return r.exit_code, r.output


def eve_tokens(ws: Workspace) -> int:
    with ws.session() as s:
        return len(accounts.list_tokens(s, "eve"))


def test_an_admin_cannot_mint_a_token_for_someone_else(ws: Workspace, make_client: Callable[..., Client],
                                                        api: Callable[[str], TestClient]) -> None:
    before = eve_tokens(ws)
    ada = make_client("ada")
    assert ada.post("/admin/users/eve/token", {"scopes": ["read", "write"]}).status_code == 403
    assert "/admin/users/eve/token" not in ada.get("/admin/users").text      # no button for a person
    with ws.session() as s, pytest.raises(PermissionDeniedError, match="issued only by eve"):
        accounts.issue_token(s, "ada", "eve", scopes=("read",), issuer=accounts.get_user(s, "ada"))
    with ws.session() as s, pytest.raises(PermissionDeniedError):
        accounts.issue_token(s, "ada", "eve", scopes=("read",), password="not eve's password")
    with ws.session() as s, pytest.raises(PermissionDeniedError):          # neither issuer nor password
        accounts.issue_token(s, "operator", "eve")
    code, out = cli_run(ws, "user", "token", "eve", "--password-stdin", stdin="a wrong password here\n")
    assert code == 8 and "issued only by eve" in out
    assert eve_tokens(ws) == before
    # the owner does it: signed in, or with the password
    page = make_client("eve").post("/account/tokens", {"scopes": ["read"], "label": "laptop", "days": "30"})
    assert page.status_code == 200 and re.search(r'class="token">tsm_', page.text)
    code, out = cli_run(ws, "user", "token", "eve", "--password-stdin", "--scope", "read", "--json",
                        stdin=PASSWORD + "\n")
    assert code == 0 and json.loads(out)["scopes"] == ["read"]
    assert eve_tokens(ws) == before + 2
    # a partner system's tokens come from an admin, never with the review scope
    assert api("ada").post("/api/v1/users", json={"name": "feed", "role": "examiner", "system": True}).status_code \
        == 201
    assert ada.post("/admin/users/feed/token", {"scopes": ["read"]}).status_code == 200
    assert ada.post("/admin/users/feed/token", {"scopes": ["read", "review"]}).status_code == 400
    assert make_client("ana").post("/admin/users/feed/token", {"scopes": ["read"]}).status_code == 403


def test_scopes_are_enforced_on_top_of_the_role(ws: Workspace, app: FastAPI) -> None:
    _, read = issue(ws, "eve", ("read",))
    _, write = issue(ws, "eve", ("read", "write"))
    _, review = issue(ws, "eve", ("review",))
    with bearer(app, read) as c:
        assert c.get(f"/api/v1/cases/{CASE}").status_code == 200
        r = c.post("/api/v1/cases", json={"ref": "OP-NEW"})
        assert r.status_code == 403 and "'write' scope" in r.json()["detail"]
        assert c.post(REVIEW, json={"artifact_id": 1, "decision": "confirmed"}).status_code == 403
    with bearer(app, write) as c:
        assert c.post("/api/v1/cases", json={"ref": "OP-NEW"}).status_code == 201
        r = c.post(REVIEW, json={"artifact_id": 1, "decision": "confirmed"})
        assert r.status_code == 403 and "'review' scope" in r.json()["detail"]
    with bearer(app, review) as c:
        assert c.get(ME).status_code == 403                                # no read
        r = c.post(REVIEW, json={"artifact_id": 1, "decision": "confirmed"})
        assert r.status_code == 404 and "artifact" in r.json()["detail"]   # let through, to find no artifact 1
    with ws.session() as s:
        with pytest.raises(InputError, match="unknown token scope"):
            accounts.issue_token(s, "eve", "eve", scopes=("admin",), password=PASSWORD)
        with pytest.raises(InputError, match="at least one scope"):
            accounts.issue_token(s, "eve", "eve", scopes=(), password=PASSWORD)
    assert "x-token-scope" in json.dumps(app.openapi()["paths"]["/api/v1/cases/{ref}/triage/review"]["post"])


def test_an_expired_token_is_refused(ws: Workspace, app: FastAPI) -> None:
    tid, raw = issue(ws, "eve", days=1)
    with bearer(app, raw) as c:
        assert c.get(ME).status_code == 200
        with ws.session() as s:
            tok = s.get(ApiToken, tid)
            assert tok is not None and tok.expires_at - utcnow() < timedelta(days=1, minutes=1)
            tok.expires_at = utcnow() - timedelta(seconds=1)
        assert c.get(ME).status_code == 401
    with ws.session() as s:
        assert accounts.token_status(accounts.list_tokens(s, "eve")[0]) == "expired"
        for days in (0, 366):
            with pytest.raises(InputError, match="1 to 365 days"):
                accounts.issue_token(s, "eve", "eve", days=days, password=PASSWORD)
        default = accounts.issue_token(s, "eve", "eve", password=PASSWORD).record
        assert timedelta(days=89) < default.expires_at - utcnow() <= timedelta(days=90)
    code, out = cli_run(ws, "user", "token", "eve", "--expires-in", "400", "--password-stdin", stdin=PASSWORD + "\n")
    assert code == 2 and "400" in out


def test_a_revoked_token_is_refused(ws: Workspace, app: FastAPI, make_client: Callable[..., Client],
                                    api: Callable[[str], TestClient]) -> None:
    mine, raw = issue(ws, "eve")
    other, other_raw = issue(ws, "ana", ("read", "write"))
    with bearer(app, raw) as eve_read:
        assert eve_read.get("/api/v1/me/tokens").json()[0]["id"] == mine
        assert raw not in eve_read.get("/api/v1/me/tokens").text
        assert eve_read.delete(f"/api/v1/me/tokens/{mine}").status_code == 403     # read scope cannot revoke
    _, eve_write = issue(ws, "eve", ("read", "write"))
    with bearer(app, eve_write) as c:
        assert c.delete(f"/api/v1/me/tokens/{other}").status_code == 404          # another's: as if absent
        assert c.delete(f"/api/v1/me/tokens/{mine}").status_code == 204
    with bearer(app, raw) as c:
        assert c.get(ME).status_code == 401
    with bearer(app, other_raw) as c:
        assert c.get(ME).status_code == 200
        assert api("ada").delete(f"/api/v1/tokens/{other}").status_code == 204    # an admin revokes any
        assert c.get(ME).status_code == 401
    assert api("eve").delete(f"/api/v1/tokens/{other}").status_code == 403
    # the account page and the CLI
    third, third_raw = issue(ws, "eve")
    eve = make_client("eve")
    assert eve.post(f"/account/tokens/{third}/revoke").status_code == 303
    with bearer(app, third_raw) as c:
        assert c.get(ME).status_code == 401
    fourth, fourth_raw = issue(ws, "eve")
    code, out = cli_run(ws, "user", "tokens", "eve", "--json")
    assert code == 0 and {t["id"]: t["status"] for t in json.loads(out)}[third] == "revoked"
    assert fourth_raw not in out
    assert cli_run(ws, "user", "revoke-token", str(fourth))[0] == 0
    with bearer(app, fourth_raw) as c:
        assert c.get(ME).status_code == 401
    assert cli_run(ws, "user", "revoke-token", "999999")[0] == 3
    revokes = [a for a in audit_actions(ws) if a[1] == "user.token.revoke"]
    assert len(revokes) == 4


def test_a_password_change_ends_tokens_and_other_sessions(ws: Workspace, app: FastAPI,
                                                          make_client: Callable[..., Client]) -> None:
    _, raw = issue(ws, "eve", ("read", "write"))
    here, elsewhere = make_client("eve"), make_client("eve")
    wrong = here.post("/account/password", {"current": "not the password", "new": "a brand new passphrase"})
    assert wrong.status_code == 403 and elsewhere.get("/cases").status_code == 200
    with bearer(app, raw) as c:
        assert c.get(ME).status_code == 200
        changed = here.post("/account/password", {"current": PASSWORD, "new": "a brand new passphrase"})
        assert changed.status_code == 200 and "Password changed" in changed.text
        assert c.get(ME).status_code == 401                            # every token ended
    assert here.get("/cases").status_code == 200                       # this session stays
    assert elsewhere.get("/cases").status_code == 303                  # the other one ended
    assert make_client().login("eve", "a brand new passphrase").status_code == 303
    # an operator's reset (the CLI) ends them all too
    _, raw2 = issue_with(ws, "eve", "a brand new passphrase")
    code, _out = cli_run(ws, "user", "password", "eve", "--password-stdin", stdin="yet another passphrase\n")
    assert code == 0
    with bearer(app, raw2) as c:
        assert c.get(ME).status_code == 401
    assert here.get("/cases").status_code == 303


def issue_with(ws: Workspace, name: str, password: str) -> tuple[int, str]:
    with ws.session() as s:
        issued = accounts.issue_token(s, name, name, password=password)
        return issued.record.id, issued.token


def test_tokens_are_stored_as_digests_only(ws: Workspace) -> None:
    _, raw = issue(ws, "eve")
    with ws.session() as s:
        rows = list(s.scalars(select(ApiToken)))
        stored = json.dumps([[t.token_hash, t.prefix, t.label, t.scopes] for t in rows])
    assert raw not in stored and raw[10:30] not in stored
    assert accounts.digest(raw) in stored


def test_tokens_issued_before_the_upgrade_lose_review_and_get_an_expiry(tmp_path: Path) -> None:
    """Migration 0702_serve_tokens: an older token keeps read and write for 90 days."""
    from alembic import command
    from sqlalchemy import text

    from tasman.core.db import _alembic_config, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(_alembic_config(engine), "0700_serve")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (name, role, system, active, created_at, created_by) "
                          "VALUES ('eve', 'examiner', 0, 1, '2024-01-01 00:00:00', 'setup')"))
        conn.execute(text("INSERT INTO api_tokens (user_id, label, prefix, token_hash, created_at, revoked) "
                          "VALUES (1, '', 'tsm_abcdef', :h, '2024-01-01 00:00:00', 0)"), {"h": "0" * 64})
    assert migrate(engine)
    with Session(engine) as s:
        tok = s.scalars(select(ApiToken)).one()
        assert tok.scope_set == {"read", "write"}
        assert timedelta(days=89) < tok.expires_at - utcnow() <= timedelta(days=90)
    engine.dispose()
