from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tests.serve.conftest import CASE, Client, audit_actions

CASE_PAGES = ["", "/evidence", "/triage", "/triage/results", "/records", "/identifiers", "/subjects", "/graph",
              "/graph.json", "/attribution", "/referrals", "/summary", "/audit", "/report.html", "/triage?run=1",
              "/jobs/1", "/subjects/S-000001", "/referrals/OP-1-PH-v1/download"]
CASE_API = ["", "/members", "/evidence", "/records", "/identifiers", "/subjects", "/subjects/S-000001", "/graph",
            "/triage", "/triage/runs/1", "/jobs", "/jobs/1", "/attribution", "/referrals", "/referrals/OP-1-PH-v1",
            "/audit", "/summary", "/report"]
CASE_PAGE_POSTS = ["/jobs", "/subjects/S-000001/decisions", "/attribution", "/referrals", "/artifacts/1/reveal"]
CASE_API_POSTS = {"/jobs": {"kind": "triage"}, "/subjects/S-000001/decisions": {"kind": "confirm"},
                  "/attribution": None, "/referrals": None}


def test_a_non_member_gets_404_on_every_case_page_and_the_attempt_is_audited(
        make_client: Callable[..., Client], ws: Workspace) -> None:
    outsider = make_client("out")
    missing = outsider.get("/cases/NO-SUCH-CASE")
    assert missing.status_code == 404
    for sub in CASE_PAGES:
        r = outsider.get(f"/cases/{CASE}{sub}")
        assert r.status_code == 404, sub
        assert f"no case &#39;{CASE}&#39;" in r.text  # the same answer as for a case that does not exist
    assert outsider.post(f"/cases/{CASE}/members", {"name": "out"}).status_code == 404
    for sub in CASE_PAGE_POSTS:
        assert outsider.post(f"/cases/{CASE}{sub}", {"kind": "confirm"}).status_code == 404, sub
    denied = [a for a in audit_actions(ws, "out") if a[1] == "access.refused" and a[3] != "/cases/NO-SUCH-CASE"]
    assert len(denied) >= len(CASE_PAGES) and all(a[2] == CASE for a in denied)
    assert CASE not in outsider.get("/cases").text


def test_a_non_member_gets_404_on_every_case_api_endpoint(api: Callable[[str], TestClient]) -> None:
    outsider = api("out")
    for sub in CASE_API:
        r = outsider.get(f"/api/v1/cases/{CASE}{sub}")
        assert r.status_code == 404, sub
        assert r.json() == {"detail": f"no case '{CASE}'"}
    for sub, body in CASE_API_POSTS.items():
        r = outsider.post(f"/api/v1/cases/{CASE}{sub}", json=body)
        assert r.status_code == 404 and r.json() == {"detail": f"no case '{CASE}'"}, sub
    assert outsider.get("/api/v1/cases").json() == []


def test_members_see_every_case_page(make_client: Callable[..., Client]) -> None:
    member = make_client("ana")
    for sub in CASE_PAGES[:-4]:
        assert member.get(f"/cases/{CASE}{sub}").status_code == 200, sub


def test_every_read_of_case_data_is_audited(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                            ws: Workspace) -> None:
    make_client("ana").get(f"/cases/{CASE}/evidence")
    api("lia").get(f"/api/v1/cases/{CASE}/records")
    entries = audit_actions(ws)
    assert ("ana", "case.read", CASE, f"/cases/{CASE}/evidence") in entries
    assert ("lia", "case.read", CASE, f"/api/v1/cases/{CASE}/records") in entries
    with ws.session() as s:   # the page's read is folded into its one entry, with what it showed
        view = s.scalars(select(AuditEvent).where(AuditEvent.actor == "ana", AuditEvent.action == "case.read")).one()
        assert [r["action"] for r in json.loads(view.details)["shown"]] == ["evidence.list"]


def test_one_audit_entry_per_page_view(make_client: Callable[..., Client], ws: Workspace) -> None:
    """Each page writes one entry, however many of the library's reads it makes (it was 2-5)."""
    member = make_client("ana")
    for sub in [*CASE_PAGES[:-4], "/subjects?q=a&sort=country", "/identifiers?shared=1", "/records?kind=chats",
                "/money", "/audit?action=case.read", "/link/review"]:
        before = len(audit_actions(ws, folded=False))
        assert member.get(f"/cases/{CASE}{sub}").status_code == 200, sub
        added = audit_actions(ws, folded=False)[before:]
        assert [a[1] for a in added] == ["case.read"], (sub, added)


def test_create_case_needs_csrf_and_makes_the_creator_a_member(make_client: Callable[..., Client],
                                                               api: Callable[[str], TestClient]) -> None:
    eve = make_client("eve")
    assert eve.post("/cases", {"ref": "OP-2", "title": "two"}, csrf=False).status_code == 403
    assert eve.post("/cases", {"ref": "OP-2", "title": "two", "csrf_token": "forged"}).status_code == 403
    assert api("eve").get("/api/v1/cases/OP-2").status_code == 404  # nothing was created
    r = eve.post("/cases", {"ref": "OP-2", "title": "two"})
    assert r.status_code == 303 and r.headers["location"] == "/cases/OP-2"
    assert "OP-2" in eve.get("/cases").text
    assert make_client("ana").get("/cases/OP-2").status_code == 404
    assert eve.post("/cases", {"ref": "OP-2"}).status_code == 409
    assert eve.post("/cases", {"ref": "bad ref!"}).status_code == 400


def test_create_case_over_the_api(api: Callable[[str], TestClient]) -> None:
    r = api("eve").post("/api/v1/cases", json={"ref": "OP-3", "title": "three"})
    assert r.status_code == 201 and r.json()["ref"] == "OP-3"
    assert [m["name"] for m in api("eve").get("/api/v1/cases/OP-3/members").json()] == ["eve"]
    assert api("ana").post("/api/v1/cases", json={"ref": "OP-4"}).status_code == 403


@pytest.mark.parametrize("user,status", [("ada", 303), ("eve", 403), ("ana", 403), ("aud", 403)])
def test_only_admins_manage_members(make_client: Callable[..., Client], user: str, status: int) -> None:
    assert make_client(user).post(f"/cases/{CASE}/members", {"name": "out"}).status_code == status


def test_adding_a_member_opens_the_case_to_them(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                                ws: Workspace) -> None:
    outsider = api("out")
    assert outsider.get(f"/api/v1/cases/{CASE}").status_code == 404
    assert api("ada").post(f"/api/v1/cases/{CASE}/members", json={"name": "out"}).status_code == 201
    assert outsider.get(f"/api/v1/cases/{CASE}").status_code == 200
    assert api("ada").delete(f"/api/v1/cases/{CASE}/members/out").status_code == 204
    assert outsider.get(f"/api/v1/cases/{CASE}").status_code == 404
    assert ("ada", "case.member.add", CASE, "out") in audit_actions(ws, "ada")


def test_auditor_reads_but_changes_nothing(make_client: Callable[..., Client],
                                           api: Callable[[str], TestClient]) -> None:
    aud = make_client("aud")
    assert aud.get(f"/cases/{CASE}/audit").status_code == 200
    assert aud.post("/cases", {"ref": "OP-9"}).status_code == 403
    assert aud.post(f"/cases/{CASE}/jobs", {"kind": "custody"}).status_code == 403
    assert api("aud").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody"}).status_code == 403
    assert api("aud").get(f"/api/v1/cases/{CASE}/audit").status_code == 200


def test_admin_creates_users_and_tokens_in_the_web_app(make_client: Callable[..., Client],
                                                       api: Callable[[str], TestClient]) -> None:
    ada = make_client("ada")
    assert ada.post("/admin/users", {"name": "partner", "role": "analyst", "password": "", "system": "true"}
                    ).status_code == 303
    page = ada.post("/admin/users/partner/token", {"scopes": "read"})
    import re

    token = re.search(r'class="token">(tsm_[^<]+)<', page.text)
    assert token is not None
    c = api("ada")
    assert c.get("/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"}).json()["system"] is True
    assert make_client("ana").get("/admin/users").status_code == 403
    assert api("ana").get("/api/v1/users").status_code == 403
    assert {u["name"] for u in c.get("/api/v1/users").json()} >= {"ada", "partner"}


def test_users_page_least_privilege_and_no_empty_password(make_client: Callable[..., Client],
                                                          api: Callable[[str], TestClient], ws: Workspace) -> None:
    """The role is chosen, never defaulted to admin; an empty password is refused, not turned into
    a system account (it was, silently)."""
    ada = make_client("ada")
    form = ada.get("/admin/users").text.split('id="new-user-form"', 1)[1].split("</form>", 1)[0]
    assert '<option value="" disabled selected>choose a role</option>' in form
    assert form.index(">auditor<") < form.index(">analyst<") < form.index(">admin<")
    assert "<option selected>" not in form
    empty = ada.post("/admin/users", {"name": "bob", "role": "analyst", "password": ""})
    assert empty.status_code == 400 and "a person needs a password" in empty.text
    no_role = ada.post("/admin/users", {"name": "bob", "password": "long enough password"})
    assert no_role.status_code == 400 and "choose a role" in no_role.text
    both = ada.post("/admin/users", {"name": "bob", "role": "analyst", "password": "long enough password",
                                     "system": "true"})
    assert both.status_code == 400
    assert api("ada").post("/api/v1/users", json={"name": "bob", "role": "analyst", "password": ""}
                           ).status_code == 422
    assert "bob" not in {u["name"] for u in api("ada").get("/api/v1/users").json()}
    assert ada.post("/admin/users", {"name": "bob", "role": "auditor", "password": "long enough password"}
                    ).status_code == 303
    bob = next(u for u in api("ada").get("/api/v1/users").json() if u["name"] == "bob")
    assert (bob["role"], bob["system"]) == ("auditor", False)


def test_audit_pages_filter_by_who_what_case_and_day(make_client: Callable[..., Client],
                                                     api: Callable[[str], TestClient]) -> None:
    from datetime import UTC, datetime, timedelta

    make_client("ana").get(f"/cases/{CASE}/evidence")
    aud = make_client("aud")

    def actions(url: str) -> list[tuple[str, str]]:
        table = aud.get(url).text.split('id="audit-log"', 1)[1].split("</table>", 1)[0]
        return re.findall(r"<td>([a-z]+)</td><td class=\"nowrap\">([a-z.]+)</td>", table)

    mine = actions(f"/cases/{CASE}/audit?actor=ana&action=case.")
    assert mine and {a for a, _ in mine} == {"ana"} and all(x.startswith("case.") for _, x in mine)
    assert actions(f"/cases/{CASE}/audit?action=case.read") and all(
        x == "case.read" for _, x in actions(f"/cases/{CASE}/audit?action=case.read"))
    now = datetime.now(UTC).date()            # the log's days are UTC days
    yesterday = (now - timedelta(days=1)).isoformat()
    assert actions(f"/audit?case={CASE}&until={yesterday}") == []
    today = actions(f"/audit?case={CASE}&since={now.isoformat()}&actor=ana")
    assert ("ana", "case.read") in today
    assert aud.get("/audit?since=not-a-day").status_code == 400
    got = api("aud").get("/api/v1/audit", params={"actor": "ana", "action": "case.read"}).json()
    assert got and {(e["actor"], e["action"]) for e in got} == {("ana", "case.read")}
