from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tasman.core.errors import InputError
from tasman.core.workspace import Workspace
from tasman.evidence import add_evidence
from tasman.evidence.store import CustodyResult
from tasman.serve import jobs
from tasman.serve.models import Job
from tests.evidence.test_ewf import _e01, _forge
from tests.serve.conftest import CASE, Client, audit_actions


def _evidence(ws: Workspace, tmp_path: Path) -> None:
    folder = tmp_path / "uploads"
    folder.mkdir()
    for i in range(3):
        (folder / f"f{i}.txt").write_bytes(b"neutral text %d\n" % i * 1000)
    with ws.session() as s:
        add_evidence(s, "setup", CASE, folder)


def test_a_job_started_from_the_page_reports_progress_until_done(
        make_client: Callable[..., Client], ws: Workspace, tmp_path: Path) -> None:
    _evidence(ws, tmp_path)
    eve = make_client("eve")
    assert eve.post(f"/cases/{CASE}/jobs", {"kind": "custody"}).status_code == 303
    page = eve.get(f"/cases/{CASE}/triage").text
    with ws.session() as s:
        job_id = s.scalars(select(Job.id)).one()
    row = eve.get(f"/cases/{CASE}/jobs/{job_id}").text
    assert 'hx-trigger="every 1s"' in row and "queued" in row and 'hx-trigger="every 1s"' in page
    assert jobs.run_pending(ws) == 1
    row = eve.get(f"/cases/{CASE}/jobs/{job_id}").text
    assert "hx-get" not in row  # a finished job stops polling
    assert "done" in row and "100%" in row
    with ws.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.result == {"results": {"1": "ok"}, "changed_or_missing": 0,
                                                  "summary": "1 items checked, 0 changed or missing",
                                                  "page": "evidence"}
    actions = [a[1] for a in audit_actions(ws, "eve")]
    assert "job.enqueue" in actions and "evidence.verify" in actions and "job.done" in actions


def test_the_custody_job_reports_an_e01_whose_acquisition_hashes_disagree(ws: Workspace, tmp_path: Path) -> None:
    if shutil.which("ewfacquire") is None:
        pytest.skip("ewf-tools not installed")
    bad, _ = _e01(tmp_path, "bad")
    _forge(bad, md5=b"\x44" * 16, sha1=None)
    with ws.session() as s:
        add_evidence(s, "setup", CASE, bad)
        job_id = jobs.enqueue(s, "eve", "custody", CASE, {}).id
    jobs.run_pending(ws)
    with ws.session() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.result == {"results": {"1": "acquisition hashes disagree"},
                                                  "changed_or_missing": 1,
                                                  "summary": "1 items checked, 1 changed or missing",
                                                  "page": "evidence"}


def test_jobs_over_the_api(api: Callable[[str], TestClient], ws: Workspace) -> None:
    r = api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody"})
    assert r.status_code == 202 and r.json()["status"] == "queued"
    assert api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "nope"}).status_code == 400
    refused = api("eve").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody", "params": {"workers": 2}})
    assert (refused.status_code, refused.json()) == (422, {"detail": "unknown custody check parameter 'workers': "
                                                                     "it takes none"})
    assert api("ana").post(f"/api/v1/cases/{CASE}/jobs", json={"kind": "custody"}).status_code == 403
    jobs.run_pending(ws)
    done = api("ana").get(f"/api/v1/cases/{CASE}/jobs/{r.json()['id']}").json()
    assert done["status"] == "done" and done["total"] == 0


def test_a_failing_job_is_marked_failed_with_one_line(ws: Workspace, tokens: dict[str, str]) -> None:
    def broken(_ws: Workspace, _job: Job, _p: Any) -> CustodyResult:
        raise InputError("the hash list 'x' does not exist")

    jobs.register(jobs.JobKind("broken", "broken", jobs.Perm.RUN_TRIAGE, broken))
    try:
        with ws.session() as s:
            job_id = jobs.enqueue(s, "eve", "broken", CASE, {}).id
        jobs.run_pending(ws)
        with ws.session() as s:
            job = s.get(Job, job_id)
            assert job is not None and job.status == "failed" and job.message == "the hash list 'x' does not exist"
    finally:
        jobs.KINDS.pop("broken")


def test_the_worker_thread_runs_queued_jobs(ws: Workspace, tokens: dict[str, str], tmp_path: Path) -> None:
    _evidence(ws, tmp_path)
    worker = jobs.Worker(ws, poll=0.05)
    worker.start()
    try:
        with ws.session() as s:
            job_id = jobs.enqueue(s, "eve", "custody", CASE, {}).id
        deadline = time.monotonic() + 20
        status = "queued"
        while time.monotonic() < deadline and status in ("queued", "running"):
            time.sleep(0.05)
            with ws.session() as s:
                status = s.get(Job, job_id).status  # type: ignore[union-attr]
        assert status == "done"
    finally:
        worker.stop()


def test_interrupted_jobs_are_queued_again(ws: Workspace, tokens: dict[str, str]) -> None:
    with ws.session() as s:
        job = jobs.enqueue(s, "eve", "custody", CASE, {})
        job.status = "running"
    assert jobs.requeue_interrupted(ws) == 1
    with ws.session() as s:
        assert s.get(Job, job.id).status == "queued"  # type: ignore[union-attr]
