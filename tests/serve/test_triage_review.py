"""An examiner confirms or declines a perceptual match awaiting review, from the triage page (an
htmx form) or the API; the decision is stored and audited and the match moves to the decided ones.
Pictures are procedurally drawn shapes (tests.serve.triage_data)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.workspace import Workspace
from tasman.triage.models import TriageReview
from tests.serve.conftest import CASE, Client, audit_actions
from tests.serve.triage_data import LIST_NAME, SmallSet, import_list, make_small_set, triaged_ids


def _triaged(ws: Workspace, tmp_path: Path) -> tuple[SmallSet, dict[str, int]]:
    """A real triage run of a small drawn folder: one exact and one perceptual match."""
    small = make_small_set(tmp_path)
    import_list(ws, small)
    return small, triaged_ids(ws, CASE, small.folder, LIST_NAME)


def _table(page: str, element_id: str) -> str:
    if f'id="{element_id}"' not in page:
        return ""
    return page.split(f'id="{element_id}"', 1)[1].split("</table>", 1)[0]


def test_examiner_confirms_from_the_page_and_the_row_moves(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    small, ids = _triaged(ws, tmp_path)
    pid = ids[small.perceptual]
    eve = make_client("eve")
    page = eve.get(f"/cases/{CASE}/triage").text
    assert small.perceptual in _table(page, "review") and _table(page, "decided") == ""
    assert 'name="decision" value="confirmed"' in _table(page, "review")
    assert eve.post(f"/cases/{CASE}/triage/review", {"artifact_id": pid, "decision": "confirmed"},
                    csrf=False).status_code == 403
    fragment = eve.post(f"/cases/{CASE}/triage/review",
                        {"artifact_id": pid, "decision": "confirmed", "note": "near copy"},
                        headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.startswith("<section id=\"triage-results\"")
    assert small.perceptual not in _table(fragment.text, "review")
    decided = _table(fragment.text, "decided")
    assert small.perceptual in decided and "confirmed" in decided and "eve" in decided and "near copy" in decided
    assert "<img" not in fragment.text
    # without htmx the form redirects to the page, which shows the same
    again = eve.post(f"/cases/{CASE}/triage/review", {"artifact_id": pid, "decision": "declined"})
    assert again.status_code == 303 and again.headers["location"] == f"/cases/{CASE}/triage"
    decided = _table(eve.get(f"/cases/{CASE}/triage").text, "decided")
    assert "declined" in decided and "confirmed</span>" not in decided     # the latest decision wins
    with ws.session() as s:
        assert [r.decision for r in s.scalars(select(TriageReview).order_by(TriageReview.id))] == [
            "confirmed", "declined"]
    assert [(a[1], a[3]) for a in audit_actions(ws, "eve") if a[1] == "triage.review"] == [
        ("triage.review", small.perceptual), ("triage.review", small.perceptual)]


def test_other_roles_and_matches_not_for_review_are_refused(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    small, ids = _triaged(ws, tmp_path)
    pid = ids[small.perceptual]
    for user in ("ada", "ana", "lia", "aud"):
        c = make_client(user)
        assert 'name="decision"' not in c.get(f"/cases/{CASE}/triage").text, user
        assert c.post(f"/cases/{CASE}/triage/review", {"artifact_id": pid, "decision": "confirmed"}).status_code \
            == 403, user
        r = api(user).post(f"/api/v1/cases/{CASE}/triage/review", json={"artifact_id": pid, "decision": "confirmed"})
        assert r.status_code == 403, user
    assert api("out").post(f"/api/v1/cases/{CASE}/triage/review",
                           json={"artifact_id": pid, "decision": "confirmed"}).status_code == 404  # not a member
    for path in (small.exact, small.plain):
        r = api("eve").post(f"/api/v1/cases/{CASE}/triage/review",
                            json={"artifact_id": ids[path], "decision": "declined"})
        assert r.status_code == 400 and "no perceptual match awaiting review" in r.json()["detail"], path
    assert api("eve").post(f"/api/v1/cases/{CASE}/triage/review",
                           json={"artifact_id": pid, "decision": "maybe"}).status_code == 422
    eve = make_client("eve")
    assert eve.post(f"/cases/{CASE}/triage/review", {"artifact_id": pid, "decision": "maybe"}).status_code == 400
    with ws.session() as s:
        assert s.scalar(select(TriageReview.id)) is None


def test_api_records_and_lists_decisions(
        api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    small, ids = _triaged(ws, tmp_path)
    pid = ids[small.perceptual]
    assert api("aud").get(f"/api/v1/cases/{CASE}/triage/review").json() == []
    first = api("eve").post(f"/api/v1/cases/{CASE}/triage/review",
                            json={"artifact_id": pid, "decision": "declined", "note": "different scene"})
    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("artifact_id", "path", "decision", "note", "decided_by")} == {
        "artifact_id": pid, "path": small.perceptual, "decision": "declined", "note": "different scene",
        "decided_by": "eve"}
    assert api("eve").post(f"/api/v1/cases/{CASE}/triage/review",
                           json={"artifact_id": pid, "decision": "confirmed"}).status_code == 201
    current = api("aud").get(f"/api/v1/cases/{CASE}/triage/review").json()
    assert [(d["artifact_id"], d["decision"]) for d in current] == [(pid, "confirmed")]
    history = api("aud").get(f"/api/v1/cases/{CASE}/triage/review?history=true").json()
    assert [d["decision"] for d in history] == ["confirmed", "declined"]
    assert "triage.review.read" in [a[1] for a in audit_actions(ws, "aud")]
