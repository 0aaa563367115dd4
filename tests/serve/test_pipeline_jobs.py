"""Extraction, linking and money analysis run as jobs from their pages and from the API, over
records files uploaded into the case (tasman.synth.corpus) and a folder of neutral messages with
made-up identifiers (tasman.synth.identifiers) recorded as evidence: each runs the library
function its CLI command calls, as the user who started it, and its results appear on its page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence
from tasman.serve import jobkinds, jobs
from tasman.serve.models import Job
from tasman.synth.corpus import Corpus
from tasman.synth.identifiers import make_corpus as make_messages
from tests.serve.conftest import CASE, Client, audit_actions, queued_job
from tests.serve.records_data import file_of, small_corpus, upload

JOBS = f"/api/v1/cases/{CASE}/jobs"
ORDERS, TIPS, TRANSFERS = "storefront_orders.csv", "tips.json", "transfers.csv"


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return small_corpus(tmp_path / "records")


def _import(api: Callable[[str], TestClient], corpus: Corpus, *sources: str) -> dict[str, list[dict[str, str]]]:
    """Upload the files as the analyst; returns each CSV's rows."""
    rows = {}
    for source in sources:
        kind, data = file_of(corpus, source)
        assert upload(api("ana"), source, data, kind).status_code == 201, source
        if source.endswith(".csv"):
            rows[source] = list(csv.DictReader(io.StringIO(data.decode())))
    return rows


def _finished(api: Callable[[str], TestClient], ws: Workspace, job_id: int) -> dict[str, Any]:
    assert jobs.run_pending(ws) >= 1
    job: dict[str, Any] = api("aud").get(f"{JOBS}/{job_id}").json()
    assert job["status"] == "done", job["message"]
    return job


def _last_job(ws: Workspace) -> Job:
    with ws.session() as s:
        job = s.scalars(select(Job).order_by(Job.id.desc())).first()
        assert job is not None
        s.expunge(job)
        return job


def _values(api: Callable[[str], TestClient], type_: str) -> set[str]:
    page = api("aud").get(f"/api/v1/cases/{CASE}/identifiers", params={"type": type_, "limit": 500}).json()
    return {o["value"] for o in page["items"]}


def test_extraction_over_the_api(api: Callable[[str], TestClient], ws: Workspace, corpus: Corpus,
                                 tmp_path: Path) -> None:
    nothing = api("eve").post(JOBS, json={"kind": "extract"})
    assert nothing.status_code == 404 and "nothing to extract" in nothing.json()["detail"]
    orders = _import(api, corpus, ORDERS)[ORDERS]
    seized = tmp_path / "seized"
    seized.mkdir()
    messages = make_messages(20, seed=5)
    for i, doc in enumerate(messages):
        (seized / f"message-{i:02d}.txt").write_text(doc.text + "\n", encoding="utf-8")
    with ws.session() as s:
        add_evidence(s, "setup", CASE, seized)
    for params, why in (({"region": "Atlantis"}, "unknown region 'Atlantis': use an ISO 3166 code such as GB"),
                        ({"threshold": 0.5}, "unknown extraction parameter 'threshold': use region, workers"),
                        ({"evidence": [1]}, "unknown extraction parameter 'evidence': use region, workers"),
                        ({"workers": 65}, "workers must be a number from 0 to 64"),
                        ({"workers": True}, "workers must be a number from 0 to 64")):
        refused = api("eve").post(JOBS, json={"kind": "extract", "params": params})
        assert (refused.status_code, refused.json()) == (422, {"detail": why}), params
    started = api("eve").post(JOBS, json={"kind": "extract", "params": {"region": "gb", "workers": 0}})
    assert started.status_code == 202 and started.json()["status"] == "queued"
    assert _last_job(ws).params == {"region": "GB", "workers": 0}
    done = _finished(api, ws, started.json()["id"])
    result = done["result"]
    assert result["records"] == len(orders) and result["files"] == len(messages) and result["added"] > 0
    assert done["outcome"].startswith(f"extraction run {result['run_id']}: {result['added']} new identifiers")
    emails = _values(api, "email")
    in_messages = {value for doc in messages for kind, value in doc.truth if kind == "email"}
    assert in_messages and in_messages <= emails                    # from the evidence files
    assert {r["email"] for r in orders if r["email"]} <= emails     # from the uploaded order list
    assert ("eve", "extract.run", CASE, f"run {result['run_id']}") in audit_actions(ws, "eve")


def test_extraction_from_the_identifiers_page(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                              ws: Workspace, corpus: Corpus) -> None:
    orders = _import(api, corpus, ORDERS)[ORDERS]
    eve = make_client("eve")
    page = eve.get(f"/cases/{CASE}/identifiers").text
    assert "Run extraction" in page and "No identifiers yet" in page
    r = eve.post(f"/cases/{CASE}/jobs", {"kind": "extract", "region": "United Kingdom"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{CASE}/identifiers"
    job = _last_job(ws)
    assert job.kind == "extract" and job.params == {"region": "GB", "workers": None}
    page = eve.get(f"/cases/{CASE}/identifiers").text
    assert f'id="job-{job.id}"' in page and 'hx-trigger="every 1s"' in page
    assert 'hx-trigger="jobFinished from:body" hx-select="#identifiers-list"' in page
    assert jobs.run_pending(ws) == 1
    row = eve.get(f"/cases/{CASE}/jobs/{job.id}")
    assert row.headers.get("hx-trigger") == "jobFinished" and "hx-get" not in row.text
    assert "done" in row.text and f'<a href="/cases/{CASE}/identifiers">extraction run' in row.text
    listed = eve.get(f"/cases/{CASE}/identifiers?type=email").text.split('id="identifiers-list"', 1)[1]
    assert all(r["email"] in listed for r in orders if r["email"])
    assert "Run extraction" not in make_client("aud").get(f"/cases/{CASE}/identifiers").text
    refused = eve.post(f"/cases/{CASE}/jobs", {"kind": "extract", "region": "Atlantis"})
    assert refused.status_code == 400 and 'id="start-extract"' in refused.text    # the page again, its form
    assert ('id="job-error">The job was not started: unknown region &#39;Atlantis&#39;: use an ISO 3166 code '
            'such as GB</div>') in refused.text
    assert 'id="job-error"' not in eve.get(f"/cases/{CASE}/identifiers").text


def test_a_running_extraction_reports_what_it_has_read(api: Callable[[str], TestClient], ws: Workspace,
                                                       corpus: Corpus) -> None:
    orders = _import(api, corpus, ORDERS)[ORDERS]
    job = queued_job(ws, "eve", "extract", {"workers": 0})
    seen: list[tuple[int, int | None, str]] = []
    result = jobkinds.extract(ws, job, lambda done, total, message: seen.append((done, total, message)))
    assert seen and seen[-1][0] == len(orders) == result.records
    assert f"{len(orders)} records read, {result.added} new identifiers" in seen[-1][2]


def test_linking_over_the_api(api: Callable[[str], TestClient], ws: Workspace, corpus: Corpus) -> None:
    nothing = api("ana").post(JOBS, json={"kind": "link"})
    assert nothing.status_code == 404 and "no records to link" in nothing.json()["detail"]
    _import(api, corpus, ORDERS, TIPS, TRANSFERS)
    for params, why in (({"threshold": 1.5}, "threshold must be a probability between 0 and 1 (exclusive)"),
                        ({"threshold": "high"}, "threshold must be a probability between 0 and 1 (exclusive)"),
                        ({"region": "GB"}, "unknown link parameter 'region': use threshold"),
                        ({"workers": 2}, "unknown link parameter 'workers': use threshold")):
        refused = api("ana").post(JOBS, json={"kind": "link", "params": params})
        assert (refused.status_code, refused.json()) == (422, {"detail": why}), params
    started = api("ana").post(JOBS, json={"kind": "link", "params": {"threshold": 0.97}})
    assert started.status_code == 202 and _last_job(ws).params == {"threshold": 0.97}
    first = _finished(api, ws, started.json()["id"])["result"]
    subjects = api("aud").get(f"/api/v1/cases/{CASE}/subjects").json()
    assert first["threshold"] == 0.97 and first["subjects"] == len(subjects) > 0
    assert first["stored"]["new_refs"] == len(subjects)
    assert sum(s["records"] for s in subjects) == first["parties"]
    assert ("ana", "link.run", CASE, f"run {first['run_id']}") in audit_actions(ws, "ana")
    again = api("ana").post(JOBS, json={"kind": "link"})
    second = _finished(api, ws, again.json()["id"])
    run = second["result"]["run_id"]
    assert second["result"]["threshold"] == 0.95 and second["outcome"].startswith(f"link run {run}:")


def test_a_running_link_names_its_stage(api: Callable[[str], TestClient], ws: Workspace, corpus: Corpus) -> None:
    _import(api, corpus, ORDERS)
    job = queued_job(ws, "ana", "link", {})
    seen: list[tuple[int, int | None, str]] = []
    jobkinds.link(ws, job, lambda done, total, message: seen.append((done, total, message)))
    assert seen[0] == (0, 6, "linking: reading and normalising the records")
    assert seen[-1] == (5, 6, "linking: storing the subjects")
    assert [d for d, _t, _m in seen] == sorted(d for d, _t, _m in seen)


def test_linking_from_the_subjects_page(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                        ws: Workspace, corpus: Corpus) -> None:
    _import(api, corpus, ORDERS, TRANSFERS)
    ana = make_client("ana")
    page = ana.get(f"/cases/{CASE}/subjects").text
    assert "Run linking" in page and "No subjects yet" in page
    r = ana.post(f"/cases/{CASE}/jobs", {"kind": "link"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{CASE}/subjects"
    job = _last_job(ws)
    assert jobs.run_pending(ws) == 1
    row = ana.get(f"/cases/{CASE}/jobs/{job.id}").text
    assert f'<a href="/cases/{CASE}/subjects">link run' in row
    page = ana.get(f"/cases/{CASE}/subjects").text
    listed = page.split('id="subjects-list"', 1)[1]
    subjects = api("aud").get(f"/api/v1/cases/{CASE}/subjects").json()
    assert subjects and all(f">{s['ref']}</a>" in listed for s in subjects)
    assert "Run linking" not in make_client("eve").get(f"/cases/{CASE}/subjects").text


def test_money_analysis_from_the_case_page_and_the_api(make_client: Callable[..., Client],
                                                       api: Callable[[str], TestClient], ws: Workspace,
                                                       corpus: Corpus) -> None:
    _import(api, corpus, ORDERS)
    none = api("ana").post(JOBS, json={"kind": "money"})
    assert none.status_code == 404 and "no transactions records" in none.json()["detail"]
    on_page = make_client("ana").post(f"/cases/{CASE}/jobs", {"kind": "money"})
    assert on_page.status_code == 404 and "Run money analysis" in on_page.text
    assert f'id="job-error">The job was not started: case {CASE} has no transactions records yet' in on_page.text
    transfers = _import(api, corpus, TRANSFERS)[TRANSFERS]
    refused = api("ana").post(JOBS, json={"kind": "money", "params": {"workers": 1}})
    assert (refused.status_code, refused.json()) == (422, {"detail": "unknown money analysis parameter 'workers': "
                                                                     "it takes none"})
    ana = make_client("ana")
    page = ana.get(f"/cases/{CASE}/money").text
    assert "Run money analysis" in page and "No money analysis yet" in page
    assert "No money analysis yet" in ana.get(f"/cases/{CASE}").text
    r = ana.post(f"/cases/{CASE}/jobs", {"kind": "money"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{CASE}/money"
    done = _finished(api, ws, _last_job(ws).id)
    result = done["result"]
    assert result["stats"]["transfers"] == len(transfers)
    assert done["outcome"].startswith(f"money run {result['run_id']}")
    page = ana.get(f"/cases/{CASE}").text
    latest = page.split('id="money-latest"', 1)[1].split("</div>", 1)[0]
    assert f"run {result['run_id']}" in latest and f"<b>{len(transfers)}</b> transfers" in latest
    money = ana.get(f"/cases/{CASE}/money").text   # the money page: the stored run, parties linked to subjects
    assert f"<b>{len(transfers)}</b> transfers" in money and "<svg" in money and 'id="beneficiaries"' in money
    assert (ws.root / "out" / CASE / "money" / "money.html").is_file()
    assert ("ana", "money.analyse") in {a[:2] for a in audit_actions(ws, "ana")}
    again = api("ana").post(JOBS, json={"kind": "money"})
    assert _finished(api, ws, again.json()["id"])["result"]["run_id"] == result["run_id"] + 1


@pytest.mark.parametrize(("kind", "allowed"), [("extract", {"eve", "ana", "ada"}), ("link", {"ana", "ada"}),
                                               ("money", {"ana", "ada"})])
def test_who_may_start_each_job(kind: str, allowed: set[str], api: Callable[[str], TestClient],
                                make_client: Callable[..., Client], ws: Workspace, corpus: Corpus) -> None:
    _import(api, corpus, ORDERS, TRANSFERS)
    for user in ("ada", "eve", "ana", "lia", "aud"):
        status = api(user).post(JOBS, json={"kind": kind}).status_code
        assert status == (202 if user in allowed else 403), user
    assert make_client("aud").post(f"/cases/{CASE}/jobs", {"kind": kind}).status_code == 403
    assert api("out").post(JOBS, json={"kind": kind}).status_code == 404
    assert make_client("out").post(f"/cases/{CASE}/jobs", {"kind": kind}).status_code == 404
    with ws.session() as s:
        assert [j.created_by for j in s.scalars(select(Job).order_by(Job.id))] == [
            u for u in ("ada", "eve", "ana") if u in allowed]
