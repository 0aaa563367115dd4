"""Pages stay responsive while a link or money job runs: the jobs compute without holding a write
transaction and store their result in one short final transaction, so on SQLite (one writer at a
time) and PostgreSQL a page that reads (and audits the read) and a page that writes (an analyst's
decision) answer at once instead of waiting for the job; and a job that fails while storing leaves
nothing of its run behind.

Each job is held in the middle of its work (link: while it scores record pairs; money: while it
writes its transfer graph) until the test has made its requests, so the test does not depend on
how fast this machine computes a big case."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tasman.core.workspace import Workspace
from tasman.link.models import LinkRun, Subject, SubjectRecord
from tasman.money import run as money_run
from tasman.money.models import MoneyRun
from tasman.serve import jobs
from tasman.synth.corpus import Corpus
from tests.serve.conftest import CASE, Client, queued_job
from tests.serve.records_data import file_of, small_corpus, upload

JOBS = f"/api/v1/cases/{CASE}/jobs"
# A request that waits for the job's write lock waits for the whole job (and on SQLite up to the
# 30 s busy timeout); one that does not answers in milliseconds. Generous for a slow, busy machine.
PROMPT = 5.0


@pytest.fixture
def corpus(tmp_path: Path) -> Corpus:
    return small_corpus(tmp_path / "records")


def _import(api: Callable[[str], TestClient], corpus: Corpus) -> None:
    for source in ("storefront_orders.csv", "tips.json", "transfers.csv"):
        kind, data = file_of(corpus, source)
        assert upload(api("ana"), source, data, kind).status_code == 201, source


def _count(ws: Workspace, model: type[Any]) -> int:
    with ws.session() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _members(ws: Workspace) -> set[tuple[str, int, str]]:
    with ws.session() as s:
        return {(ref, rid, role) for ref, rid, role in s.execute(
            select(Subject.ref, SubjectRecord.record_id, SubjectRecord.role)
            .join(Subject, Subject.id == SubjectRecord.subject_id))}


class Held:
    """A job held at one point of its work until released (and released at the latest on exit)."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def hold(self) -> None:
        if not self.release.is_set():
            self.reached.set()
            assert self.release.wait(60), "the test never released the job"


@contextmanager
def running(ws: Workspace, held: Held) -> Iterator[list[int]]:
    """Runs the queued jobs in a thread (as the server's worker does) until ``held`` is reached."""
    ran: list[int] = []
    worker = threading.Thread(target=lambda: ran.append(jobs.run_pending(ws)), name="test-jobs", daemon=True)
    worker.start()
    try:
        assert held.reached.wait(60), "the job never reached the point where the test holds it"
        yield ran
    finally:
        held.release.set()
        worker.join(60)
        assert not worker.is_alive()


def timed(held: Held, call: Callable[[], httpx.Response]) -> tuple[float, httpx.Response]:
    """The request's answer and how long it took; one still waiting after PROMPT seconds is let
    through by releasing the job (so a failing test ends quickly) and reported as slow."""
    with ThreadPoolExecutor(1) as pool:
        t0 = time.monotonic()
        future = pool.submit(call)
        try:
            response = future.result(timeout=PROMPT)
        except FutureTimeout:
            held.release.set()
            response = future.result(timeout=120)
        return time.monotonic() - t0, response


def test_pages_answer_while_a_link_job_runs(api: Callable[[str], TestClient], make_client: Callable[..., Client],
                                            ws: Workspace, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(api, corpus)
    queued_job(ws, "ana", "link", {})
    assert jobs.run_pending(ws) == 1
    subjects = api("aud").get(f"/api/v1/cases/{CASE}/subjects").json()
    assert subjects
    before = _members(ws)
    held = Held()
    writer = jobs._progress_writer

    def holding_writer(job_id: int) -> jobs.Progress:
        write = writer(job_id)

        def progress(done: int, total: int | None, message: str) -> None:
            write(done, total, message)
            if "scoring record pairs" in message:
                held.hold()

        return progress

    monkeypatch.setattr(jobs, "_progress_writer", holding_writer)
    job = queued_job(ws, "ana", "link", {})
    ana = make_client("ana")
    with running(ws, held):
        read_s, page = timed(held, lambda: ana.get(f"/cases/{CASE}/subjects"))
        api_s, listed = timed(held, lambda: api("aud").get(f"/api/v1/cases/{CASE}/subjects"))
        write_s, decided = timed(held, lambda: api("ana").post(
            f"/api/v1/cases/{CASE}/subjects/{subjects[0]['ref']}/decisions", json={"kind": "confirm"}))
        progress_s, row = timed(held, lambda: ana.get(f"/cases/{CASE}/jobs/{job.id}"))
        mid_run = (_count(ws, LinkRun), _members(ws))
    assert (page.status_code, listed.status_code, decided.status_code, row.status_code) == (200, 200, 201, 200)
    assert max(read_s, api_s, write_s, progress_s) < PROMPT, (
        f"pages waited for the link job: subjects page {read_s:.1f} s, subjects API {api_s:.1f} s, "
        f"decision {write_s:.1f} s, job row {progress_s:.1f} s")
    assert "scoring record pairs" in row.text
    assert mid_run == (1, before)          # nothing of the running job is visible before it ends
    done = api("aud").get(f"{JOBS}/{job.id}").json()
    assert done["status"] == "done", done["message"]
    with ws.session() as s:
        latest = s.scalars(select(LinkRun).order_by(LinkRun.id.desc())).first()
        assert latest is not None and latest.id == done["result"]["run_id"]
        # the decision recorded while the job computed is one the stored run replayed
        assert latest.stats["decisions"]["decisions"] == 1
        assert s.scalar(select(Subject.status).where(Subject.ref == subjects[0]["ref"])) == "confirmed"


def test_pages_answer_while_a_money_job_runs(api: Callable[[str], TestClient], make_client: Callable[..., Client],
                                             ws: Workspace, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    _import(api, corpus)
    queued_job(ws, "ana", "link", {})
    assert jobs.run_pending(ws) == 1
    subjects = api("aud").get(f"/api/v1/cases/{CASE}/subjects").json()
    held = Held()
    write_graph = money_run.write_graph

    def holding_write_graph(*args: Any) -> None:
        held.hold()
        write_graph(*args)

    monkeypatch.setattr(money_run, "write_graph", holding_write_graph)
    job = queued_job(ws, "ana", "money", {})
    ana = make_client("ana")
    with running(ws, held):
        read_s, page = timed(held, lambda: ana.get(f"/cases/{CASE}"))
        write_s, decided = timed(held, lambda: api("ana").post(
            f"/api/v1/cases/{CASE}/subjects/{subjects[0]['ref']}/decisions", json={"kind": "confirm"}))
        runs_mid_run = _count(ws, MoneyRun)
    assert (page.status_code, decided.status_code) == (200, 201)
    assert max(read_s, write_s) < PROMPT, (
        f"pages waited for the money job: case page {read_s:.1f} s, decision {write_s:.1f} s")
    assert "No money analysis yet" in page.text and runs_mid_run == 0
    done = api("aud").get(f"{JOBS}/{job.id}").json()
    assert done["status"] == "done", done["message"]
    assert _count(ws, MoneyRun) == 1
    assert (ws.root / "out" / CASE / "money" / "transfers.graphml").is_file()


def test_a_link_job_that_fails_while_storing_leaves_nothing(api: Callable[[str], TestClient], ws: Workspace,
                                                            corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    from tasman.link import run as link_run

    _import(api, corpus)
    queued_job(ws, "ana", "link", {})
    assert jobs.run_pending(ws) == 1
    before = (_count(ws, LinkRun), _members(ws))
    store = link_run.store_resolution

    def store_then_fail(*args: Any, **kwargs: Any) -> Any:
        store(*args, **kwargs)                  # every subject, member and link written...
        raise OSError("disk full")              # ...and then the run fails

    monkeypatch.setattr(link_run, "store_resolution", store_then_fail)
    job = queued_job(ws, "ana", "link", {"threshold": 0.5})
    assert jobs.run_pending(ws) == 1
    failed = api("aud").get(f"{JOBS}/{job.id}").json()
    assert failed["status"] == "failed" and "disk full" in failed["message"]
    assert (_count(ws, LinkRun), _members(ws)) == before
