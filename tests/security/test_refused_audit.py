"""A refused request on a case (403 or 404: not a member, no such case, a role or token scope
that does not allow it) writes exactly one ``access.refused`` entry with actor, path, method and
reason, and tells the requester no more than before."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tests.serve.conftest import CASE, Client


def entries(ws: Workspace) -> list[AuditEvent]:
    with ws.session() as s:
        rows = list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))
        s.expunge_all()
        return rows


def new_entries(ws: Workspace, before: int) -> list[tuple[str, str, str | None, str, dict[str, object]]]:
    return [(e.actor, e.action, e.case_ref, e.target, json.loads(e.details)) for e in entries(ws)[before:]]


def test_a_non_member_is_refused_once_and_told_nothing(ws: Workspace, make_client: Callable[..., Client],
                                                      api: Callable[[str], TestClient]) -> None:
    out = make_client("out")
    n = len(entries(ws))
    page = out.get(f"/cases/{CASE}/evidence")
    missing = out.get("/cases/NO-SUCH/evidence")
    assert page.status_code == missing.status_code == 404
    assert page.text.replace(CASE, "X") == missing.text.replace("NO-SUCH", "X")     # the same answer
    r = api("out").get(f"/api/v1/cases/{CASE}/records")
    assert r.status_code == 404 and r.json() == {"detail": f"no case '{CASE}'"}
    got = new_entries(ws, n)
    assert [(a, act, ref, target) for a, act, ref, target, _ in got] == [
        ("out", "access.refused", CASE, f"/cases/{CASE}/evidence"),
        ("out", "access.refused", None, "/cases/NO-SUCH/evidence"),
        ("out", "access.refused", CASE, f"/api/v1/cases/{CASE}/records")]
    assert [(d["reason"], d["method"], d["status"], d["channel"]) for *_, d in got] == [
        ("not a member", "GET", 404, "web"), ("no such case", "GET", 404, "web"), ("not a member", "GET", 404, "api")]


def test_a_wrong_role_is_refused_once(ws: Workspace, make_client: Callable[..., Client],
                                      api: Callable[[str], TestClient]) -> None:
    aud = make_client("aud")
    n = len(entries(ws))
    assert aud.post(f"/cases/{CASE}/jobs", {"kind": "custody"}).status_code == 403
    assert api("aud").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody"}).status_code == 403
    got = new_entries(ws, n)
    # one entry each: the request's own case.request entry went with its rolled-back transaction
    assert [(a, act, ref) for a, act, ref, *_ in got] == [("aud", "access.refused", CASE)] * 2
    assert all("role (auditor)" in str(d["reason"]) and d["method"] == "POST" for *_, d in got)


def test_a_members_not_found_and_a_tokens_missing_scope_are_audited(ws: Workspace, app: object,
                                                                     api: Callable[[str], TestClient]) -> None:
    from tasman.accounts import store as accounts
    from tests.serve.conftest import PASSWORD

    n = len(entries(ws))
    assert api("eve").get(f"/api/v1/cases/{CASE}/jobs/999").status_code == 404
    with ws.session() as s:
        raw = accounts.issue_token(s, "eve", "eve", scopes=("read",), password=PASSWORD).token
    with TestClient(app, headers={"Authorization": f"Bearer {raw}"}) as c:  # type: ignore[arg-type]
        assert c.post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody"}).status_code == 403
    got = [g for g in new_entries(ws, n) if g[1] == "access.refused"]
    assert [(a, ref, t) for a, _, ref, t, _ in got] == [("eve", CASE, f"/api/v1/cases/{CASE}/jobs/999"),
                                                        ("eve", CASE, f"/api/v1/cases/{CASE}/jobs")]
    assert "'write' scope" in str(got[1][4]["reason"])


def test_outside_cases_nothing_is_added(ws: Workspace, make_client: Callable[..., Client]) -> None:
    n = len(entries(ws))
    assert make_client("ana").get("/admin/users").status_code == 403
    assert make_client().get(f"/cases/{CASE}").status_code == 303      # not signed in: nobody to name
    assert [g for g in new_entries(ws, n) if g[1] == "access.refused"] == []
