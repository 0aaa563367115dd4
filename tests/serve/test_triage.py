"""Triage from the web app and the API: a real run over a small drawn folder against a test hash
list, started as a job, and its stored results (counts per category, matches, errors) read back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence
from tasman.serve import jobkinds, jobs
from tasman.serve.models import Job
from tests.serve.conftest import CASE, Client, audit_actions, queued_job
from tests.serve.triage_data import LIST_NAME, SmallSet, import_list, make_small_set


@pytest.fixture
def small(ws: Workspace, tmp_path: Path) -> tuple[SmallSet, int]:
    """The folder recorded as evidence of the case and its hash list imported; the evidence id."""
    s = make_small_set(tmp_path)
    import_list(ws, s)
    with ws.session() as session:
        return s, add_evidence(session, "setup", CASE, s.folder).evidence.id


def _section(page: str, element_id: str) -> str:
    return page.split(f'id="{element_id}"', 1)[1].split("</table>", 1)[0]


def test_a_triage_started_from_the_page_runs_and_its_results_show(
        make_client: Callable[..., Client], ws: Workspace, small: tuple[SmallSet, int]) -> None:
    data, evidence_id = small
    eve = make_client("eve")
    form = eve.get(f"/cases/{CASE}/triage").text
    assert data.folder.name in form and LIST_NAME in form and "No triage run has finished" in form
    for ticked, why in (({"hashsets": [LIST_NAME]}, "choose at least one evidence item"),
                        ({"evidence": [str(evidence_id)]}, "choose at least one hash list")):
        refused = eve.post(f"/cases/{CASE}/jobs", {"kind": "triage", **ticked})
        assert refused.status_code == 400 and 'id="start-triage"' in refused.text, ticked
        assert f'id="job-error">The job was not started: {why}</div>' in refused.text
    r = eve.post(f"/cases/{CASE}/jobs", {"kind": "triage", "evidence": [str(evidence_id)], "hashsets": [LIST_NAME]})
    assert r.status_code == 303
    with ws.session() as s:
        job = s.scalars(select(Job)).one()
        assert job.params == {"evidence": [evidence_id], "hashsets": [LIST_NAME], "workers": None}
        job_id = job.id
    assert jobs.run_pending(ws) == 1
    row = eve.get(f"/cases/{CASE}/jobs/{job_id}")
    assert row.headers.get("hx-trigger") == "jobFinished"  # the page reloads its results
    assert "done" in row.text and "2 matched" in row.text and "hx-get" not in row.text

    page = eve.get(f"/cases/{CASE}/triage").text
    assert "<img" not in page
    assert 'id="matched-files"><b>2</b>' in page
    categories = _section(page, "categories")
    assert "1 child abuse material" in categories and "2 exploitive / age-difficult" in categories
    matches = _section(page, "matches")
    assert data.exact in matches and data.perceptual in matches and data.plain not in matches
    fragment = eve.get(f"/cases/{CASE}/triage/results").text
    assert fragment.startswith('<section id="triage-results"') and "2 exploitive" in fragment
    actions = [a[1] for a in audit_actions(ws, "eve")]
    assert {"job.enqueue", "triage.start", "triage.finish", "job.done", "triage.report.read"} <= set(actions)


def test_triage_over_the_api(api: Callable[[str], TestClient], ws: Workspace, tmp_path: Path) -> None:
    none_yet = api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "triage"})
    assert none_yet.status_code == 404 and "no evidence" in none_yet.json()["detail"]
    data = make_small_set(tmp_path)
    import_list(ws, data)
    with ws.session() as s:
        add_evidence(s, "setup", CASE, data.folder)
    for body, status in (({"evidence": [999]}, 404), ({"hashsets": ["nope"]}, 404), ({"bogus": 1}, 422),
                         ({"workers": -1}, 422)):
        assert api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "triage", "params": body}).status_code \
            == status, body
    for user in ("aud", "ana", "lia"):
        assert api(user).post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "triage"}).status_code == 403, user
    started = api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "triage", "params": {"workers": 0}})
    assert started.status_code == 202
    jobs.run_pending(ws)
    done = api("ana").get(f"/api/v1/cases/{CASE}/jobs/{started.json()['id']}").json()
    assert done["status"] == "done" and done["result"]["matched_files"] == 2
    run_id = done["result"]["run_id"]
    summary = api("aud").get(f"/api/v1/cases/{CASE}/triage").json()
    assert summary["latest_report"] == run_id and summary["runs"][0]["status"] == "finished"
    assert summary["runs"][0]["counts"]["files"] == summary["artifacts"] == 6  # 5 files, 1 inside the zip
    report = api("aud").get(f"/api/v1/cases/{CASE}/triage/runs/{run_id}").json()
    assert report["matches_total"] == 2 and report["errors_total"] == 0
    assert {(c["category"], c["files"]) for c in report["categories"]} == {(1, 1), (2, 1)}
    by_path = {m["path"]: m for m in report["matches"]}
    assert by_path[data.exact]["match_type"] == "exact"
    assert by_path[data.perceptual]["match_type"] == "perceptual" and by_path[data.perceptual]["distance"] > 0
    assert api("aud").get(f"/api/v1/cases/{CASE}/triage/runs/{run_id + 1}").status_code == 404


def test_a_running_triage_reports_files_done_and_matches_so_far(
        ws: Workspace, small: tuple[SmallSet, int]) -> None:
    job = queued_job(ws, "eve", "triage", {"workers": 0})
    seen: list[tuple[int, int | None, str]] = []
    result = jobkinds.triage(ws, job, lambda done, total, message: seen.append((done, total, message)))
    live = seen[:-1]
    assert [d for d, _, _ in live] == sorted(d for d, _, _ in live) and live[-1][0] == result.counts["files"] == 6
    assert all("matched" in m for _, _, m in live)
    # the total: "at least" the folder's listing (no bar total) while the walk goes on, then exact
    # (5 files listed in the folder, the zip's member found when the walk reads it)
    assert live[0][1] is None and f"{live[0][0]} of at least " in live[0][2]
    assert all((t is None and f"{d} of at least " in m) or (t == 6 and f"{d} of 6 files" in m) for d, t, m in live)
    assert live[-1][1] == 6 and live[-1][2].startswith("6 of 6 files")
    assert seen[-1] == (6, 6, f"triage run {result.run_id} finished: 6 files, 2 matched, 0 unreadable")
