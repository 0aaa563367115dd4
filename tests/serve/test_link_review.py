"""Probable links on the web: the case's review page and a subject's "Probable links" section
(accept / reject with htmx, CSRF, analysts only), and ``/api/v1/cases/{ref}/link/review``; reads
audited, a pair a later run replaced refused with nothing changed. Records are neutral synthetic
names (tests.link.test_review)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tasman.core.workspace import Workspace
from tasman.link.models import Decision, Subject, SubjectRecord
from tasman.link.run import run_link
from tasman.records.importing import import_file
from tests.link.test_review import SETTINGS, write_people
from tests.serve.conftest import CASE, Client, audit_actions


def _linked(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        import_file(s, "setup", CASE, write_people(tmp_path), "customers")
    with ws.session() as s:
        run_link(s, "setup", CASE, settings=SETTINGS)


def _section(page: str) -> str:
    return page.split('id="probable-links"', 1)[1].split("</section>", 1)[0]


def test_analyst_accepts_from_a_subject_page_and_rejects_on_the_review_page(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    _linked(ws, tmp_path)
    queue = api("ana").get(f"/api/v1/cases/{CASE}/link/review").json()
    assert [p["party_a"] for p in queue] == ["people.csv#1", "people.csv#3", "people.csv#5"]
    first, second = queue[0], queue[1]
    assert first["changes_country"] and first["explanation"]["fields"]["name"]["bayes_factor"] > 1
    ana = make_client("ana")
    page = ana.get(f"/cases/{CASE}/subjects/{first['subject_a']}").text
    section = _section(page)
    assert f'id="pair-{first["pair"]}"' in section and f'id="pair-{second["pair"]}"' not in section  # its own
    assert 'name="verdict" value="accept"' in section and 'name="csrf_token"' in section
    assert ana.post(f"/cases/{CASE}/link/review", {"pair": first["pair"], "verdict": "accept"},
                    csrf=False).status_code == 403
    fragment = ana.post(f"/cases/{CASE}/link/review",
                        {"pair": first["pair"], "verdict": "accept", "note": "same", "subject": first["subject_a"]},
                        headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and fragment.text.startswith('<section id="probable-links">'), fragment.text
    assert f"Pair {first['pair']}: the same person; merged into" in fragment.text
    assert f'id="pair-{first["pair"]}"' not in fragment.text
    with ws.session() as s:
        merged = {ref for (ref,) in s.execute(select(Subject.ref).join(SubjectRecord).where(
            SubjectRecord.record_id.in_([first["record_a"], first["record_b"]])))}
    assert len(merged) == 1
    review_page = ana.get(f"/cases/{CASE}/link/review").text
    assert f'id="pair-{second["pair"]}"' in _section(review_page) and f'id="pair-{first["pair"]}"' not in review_page
    r = ana.post(f"/cases/{CASE}/link/review", {"pair": second["pair"], "verdict": "reject"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{CASE}/link/review"
    assert f'id="pair-{second["pair"]}"' not in ana.get(f"/cases/{CASE}/link/review").text
    actions = [a[1] for a in audit_actions(ws, "ana")]
    assert {"link.review.list", "link.review.accept", "link.review.reject", "subject.merge", "subject.apart"} \
        <= set(actions)
    assert "Probable links waiting for review" in ana.get(f"/cases/{CASE}/subjects").text


def test_roles_api_and_a_stale_pair(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                    ws: Workspace, tmp_path: Path) -> None:
    _linked(ws, tmp_path)
    pair = api("ana").get(f"/api/v1/cases/{CASE}/link/review", params={"limit": 1}).json()[0]["pair"]
    for user in ("eve", "lia", "aud"):
        page = make_client(user).get(f"/cases/{CASE}/link/review").text
        assert pair in page and 'name="verdict"' not in page, user
        r = api(user).post(f"/api/v1/cases/{CASE}/link/review", json={"pair": pair, "verdict": "accept"})
        assert r.status_code == 403, user
    assert api("out").get(f"/api/v1/cases/{CASE}/link/review").status_code == 404  # not a member
    assert api("ana").post(f"/api/v1/cases/{CASE}/link/review",
                           json={"pair": pair, "verdict": "maybe"}).status_code == 422
    assert api("ana").post(f"/api/v1/cases/{CASE}/link/review",
                           json={"pair": "12", "verdict": "accept"}).status_code == 422
    r = api("ana").post(f"/api/v1/cases/{CASE}/link/review", json={"pair": pair, "verdict": "reject"})
    assert r.status_code == 201 and r.json()["verdict"] == "different"
    r = api("ana").post(f"/api/v1/cases/{CASE}/link/review", json={"pair": pair, "verdict": "accept"})
    assert r.status_code == 409 and "already reviewed" in r.json()["detail"]
    with ws.session() as s:
        run_link(s, "setup", CASE, settings=SETTINGS)
        decided = s.scalar(select(func.count()).select_from(Decision))
    stale = api("ana").get(f"/api/v1/cases/{CASE}/link/review").json()[0]["pair"]
    assert stale.split("-")[0] != pair.split("-")[0]  # the re-run's pairs are named by the new run
    r = api("ana").post(f"/api/v1/cases/{CASE}/link/review", json={"pair": pair, "verdict": "accept"})
    assert r.status_code == 404 and "a later run replaced the queue" in r.json()["detail"]
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == decided


def test_a_stale_pair_posted_from_a_page_says_so_and_changes_nothing(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    _linked(ws, tmp_path)
    old = api("ana").get(f"/api/v1/cases/{CASE}/link/review").json()[0]
    with ws.session() as s:
        run_link(s, "setup", CASE, settings=SETTINGS)  # a re-run: the queue is the new run's
    with ws.session() as s:
        decided = s.scalar(select(func.count()).select_from(Decision))
        subjects = {r: sid for r, sid in s.execute(select(SubjectRecord.record_id, SubjectRecord.subject_id))}
    ana = make_client("ana")
    for headers in ({}, {"HX-Request": "true"}):
        r = ana.post(f"/cases/{CASE}/link/review", {"pair": old["pair"], "verdict": "accept",
                                                    "subject": old["subject_a"]}, headers=headers)
        assert r.status_code == 404 and "a later run replaced the queue" in r.text, r.text
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == decided
        assert {r: sid for r, sid in s.execute(select(SubjectRecord.record_id, SubjectRecord.subject_id))} == subjects
