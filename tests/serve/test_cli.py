from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from tasman.accounts import store as accounts
from tasman.cli.main import cli
from tasman.core.workspace import Workspace
from tasman.tips import intake as tips
from tasman.tips.vault import TipVault


def run(ws: Workspace, *args: str, stdin: str | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(cli, ["-w", str(ws.root), "--db", ws.db_url, *args], input=stdin,
                           catch_exceptions=False)
    return r.exit_code, r.output


def test_user_commands(ws: Workspace) -> None:
    code, out = run(ws, "user", "add", "zoe", "--role", "liaison", "--password-stdin",
                    stdin="a long enough password\n")
    assert code == 0 and "Created user zoe" in out
    assert run(ws, "user", "add", "zoe", "--role", "liaison", "--password-stdin", stdin="another long one!\n")[0] == 4
    assert run(ws, "user", "add", "short", "--role", "analyst", "--password-stdin", stdin="short\n")[0] == 5
    assert run(ws, "user", "add", "bad", "--role", "king", "--system")[0] == 2
    code, out = run(ws, "user", "add", "partner-x", "--role", "analyst", "--system", "--json")
    assert code == 0 and json.loads(out)["system"] is True
    code, out = run(ws, "user", "token", "partner-x", "--label", "hotline feed", "--json")
    token = json.loads(out)["token"]
    assert code == 0 and token.startswith("tsm_")
    with ws.session() as s:
        user = accounts.user_for_token(s, token)
        assert user is not None and user.name == "partner-x"
        assert token not in json.dumps([t.token_hash for t in s.query(accounts.ApiToken)])
    assert run(ws, "user", "member", "zoe", "OP-1")[0] == 0
    with ws.session() as s:
        assert [c.ref for c in accounts.member_cases(s, accounts.get_user(s, "zoe"))] == ["OP-1"]
    assert run(ws, "user", "member", "zoe", "NOPE")[0] == 3
    code, out = run(ws, "user", "list", "--json")
    assert {"name": "zoe", "role": "liaison", "system": False, "active": True} in json.loads(out)
    assert json.loads(run(ws, "user", "member", "zoe", "OP-1", "--remove", "--json")[1]) == \
        {"name": "zoe", "case": "OP-1", "member": False}
    # an unknown account is said first, whatever the password (exit 3, not 5 for a short one)
    code, out = run(ws, "user", "password", "nobody", "--password-stdin", stdin="short\n")
    assert code == 3 and "no user 'nobody'" in out
    assert run(ws, "user", "password", "zoe", "--password-stdin", stdin="short\n")[0] == 5
    code, out = run(ws, "user", "password", "zoe", "--password-stdin", "--json", stdin="a new long password\n")
    assert code == 0 and json.loads(out) == {"name": "zoe", "password_changed": True}
    with ws.session() as s:
        assert accounts.authenticate(s, "zoe", "a new long password") is not None
    assert run(ws, "user", "disable", "zoe")[1] == "Disabled zoe\n"
    with ws.session() as s:
        assert accounts.authenticate(s, "zoe", "a long enough password") is None


def test_tip_commands(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        ref = tips.submit_tip(s, TipVault(ws.root), tips.TipInput(what="seen in a forum", username="u1"), []).ref
    code, out = run(ws, "tip", "list", "--json")
    assert code == 0 and [t["ref"] for t in json.loads(out)] == [ref]
    assert json.loads(run(ws, "tip", "import", ref, "--case", "OP-1", "--json")[1]) == {"ref": ref, "case": "OP-1"}
    assert json.loads(run(ws, "tip", "list", "--status", "imported", "--json")[1])[0]["status"] == "imported"
    assert run(ws, "tip", "rematch")[1].startswith("Matched 0")
    assert json.loads(run(ws, "--json", "tip", "rematch")[1]) == {"matched": 0}


def test_serve_help() -> None:
    r = CliRunner().invoke(cli, ["serve", "--help"])
    assert r.exit_code == 0 and "--host" in r.output and "--port" in r.output and "--blurred-previews" in r.output
