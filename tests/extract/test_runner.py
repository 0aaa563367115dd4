from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.core.models import Artifact, AuditEvent, Evidence
from tasman.core.workspace import Workspace
from tasman.evidence.cases import create_case
from tasman.evidence.store import add_evidence
from tasman.extract import runner
from tasman.extract.files import Task, TaskResult, run_tasks
from tasman.extract.models import ExtractRun, Observation
from tasman.extract.runner import extract_case
from tasman.records.store import store_records
from tests.extract.helpers import jpeg_with_exif, make_sqlite


def _evidence(root: Path) -> Path:
    folder = root / "phone_dump"
    (folder / "chats").mkdir(parents=True)
    (folder / "notes.txt").write_text("mail anna.b@example.org, call +44 7911 123456\n", encoding="utf-8")
    (folder / "chats" / "ops.jsonl").write_text(json.dumps({"session": "s1", "platform": "kik", "counterpart":
                                                 "kiki.22", "messages": [{"t": "2024-03-01T10:00:00Z",
                                                 "from": "kiki.22", "text": "skype: live:anna_1990"}]}) + "\n")
    make_sqlite(folder / "History")
    (folder / "img.jpg").write_bytes(jpeg_with_exif())
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "bad.sqlite").write_bytes(b"SQLite format 3\x00" + b"\x01" * 4000)
    return folder


def _setup(ws: Workspace, tmp_path: Path) -> Path:
    folder = _evidence(tmp_path / "ev")
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        add_evidence(s, ws.actor, "C1", folder)
    return folder


def test_extract_case_stores_and_is_idempotent(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws, tmp_path)
    with ws.session() as s:
        store_records(s, ws.actor, "C1", "customers", "orders.csv", [
            ("1", {"name": "A B", "phone": "07400 123456", "country": "United Kingdom", "email": "A.B@Example.org",
                   "note": "paid via paypal: pay.me@example.net"}),
        ])
    first = extract_case(ws, "C1", workers=1)
    assert first.added > 10 and first.files == 6 and first.records == 1
    paths = {p for p, _ in first.warnings}
    assert any(p.endswith("deep.json") for p in paths) and any(p.endswith("bad.sqlite") for p in paths)
    second = extract_case(ws, "C1", workers=1)
    assert second.added == 0 and second.duplicates == first.added
    with ws.session() as s:
        obs = list(s.scalars(select(Observation)))
        assert len(obs) == first.added
        got = {(o.type, o.value, o.path) for o in obs}
        assert ("email", "anna.b@example.org", "phone_dump/notes.txt") in got
        assert ("phone", "+447400123456", "orders.csv#1") in got  # national number, the record's own country
        assert ("handle", "skype:live:anna_1990", "phone_dump/chats/ops.jsonl") in got
        assert ("paypal", "pay.me@example.net", "orders.csv#1") in got
        assert any(t == "gps" for t, _, _ in got) and any(t == "camera" for t, _, _ in got)
        notes = next(o for o in obs if o.path == "phone_dump/notes.txt" and o.type == "email")
        assert notes.offset == 5 and notes.evidence_id is not None and notes.record_id is None
        rec = next(o for o in obs if o.path == "orders.csv#1" and o.type == "phone")
        assert rec.record_id is not None and rec.country == "GB"
        runs = list(s.scalars(select(ExtractRun).order_by(ExtractRun.id)))
        assert [r.status for r in runs] == ["done", "done"] and runs[0].errors
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.action.like("extract.%")))]
        assert actions.count("extract.run") == 2


def test_only_inventoried_files_when_triage_ran(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws, tmp_path)
    with ws.session() as s:
        ev = s.scalar(select(Evidence))
        assert ev is not None
        s.add(Artifact(case_id=ev.case_id, evidence_id=ev.id, path="phone_dump/notes.txt", size=10))
    summary = extract_case(ws, "C1", workers=1, records=False)
    assert summary.files == 1
    with ws.session() as s:
        arts = set(s.scalars(select(Observation.artifact_id)))
        assert len(arts) == 1 and None not in arts


def test_workers_in_processes(ws: Workspace, tmp_path: Path) -> None:
    _setup(ws, tmp_path)
    summary = extract_case(ws, "C1", workers=2, records=False)
    assert summary.files == 6 and summary.added > 5
    with ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == summary.added


def crashing_tasks(tasks: list[Task]) -> list[TaskResult]:
    """In a worker: a reader that dies on one hostile file, as a C decoder's crash would."""
    if any(t.path.endswith("boom.txt") for t in tasks):
        os.kill(os.getpid(), signal.SIGKILL)
    return run_tasks(tasks)


def test_a_worker_dying_on_one_file_costs_only_that_file(ws: Workspace, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _setup(ws, tmp_path)
    (folder / "boom.txt").write_text("mail kill.me@example.org\n", encoding="utf-8")
    monkeypatch.setattr(runner, "run_tasks", crashing_tasks)       # what the workers are handed (by name)
    summary = extract_case(ws, "C1", workers=2, records=False)
    assert summary.status == "done" and summary.files == 7 and summary.skipped >= 1
    assert ("phone_dump/boom.txt", "worker died (signal 9) reading this file: skipped") in summary.warnings
    with ws.session() as s:
        got = {(o.type, o.value, o.path) for o in s.scalars(select(Observation))}
        run = s.scalar(select(ExtractRun))
        assert run is not None and run.status == "done"
        assert {"path": "phone_dump/boom.txt", "message": "worker died (signal 9) reading this file: skipped"} \
            in run.errors
    assert ("email", "anna.b@example.org", "phone_dump/notes.txt") in got       # the other files all read
    assert not any(p == "phone_dump/boom.txt" for _, _, p in got)


def test_cli_extract_and_export(ws: Workspace, tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    _setup(ws, tmp_path)
    w = str(ws.root)
    r = run_cli("-w", w, "--db", ws.db_url, "extract", "--case", "C1", "--workers", "1", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["added"] > 5 and data["warnings"]
    out = tmp_path / "ids.csv"
    r = run_cli("-w", w, "--db", ws.db_url, "export", "identifiers", "--case", "C1", "--out", out)
    assert r.exit_code == 0, r.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["type", "value", "path", "offset", "context", "extractor"]
    assert ["email", "anna.b@example.org", "phone_dump/notes.txt", "5"] in [r[:4] for r in rows]
    r = run_cli("-w", w, "--db", ws.db_url, "extract", "--case", "NOPE")
    assert r.exit_code == 3
    r = run_cli("-w", w, "--db", ws.db_url, "extract", "--case", "C1", "--region", "Atlantis")
    assert r.exit_code == 5


def test_large_text_files_split_into_ranges_find_everything_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tasman.extract import files

    monkeypatch.setattr(files, "RANGE", 30_000)
    p = tmp_path / "big.log"
    line = b"entry %06d from user%06d@example.org at 10.1.%d.%d\n"
    with p.open("wb") as fh:
        for i in range(4_000):
            fh.write(line % (i, i, i % 250, i % 200 + 1))
    tasks = files.split_text_file(p, "big.log", None, None)
    assert tasks is not None and len(tasks) > 5
    got = [s for t in tasks for s in files.run_task(t).sightings]
    emails = [s for s in got if s.found.type.value == "email"]
    assert len(emails) == 4_000 and len({s.offset for s in emails}) == 4_000
    data = p.read_bytes()
    assert all(data[s.offset:s.offset + 21] == s.found.raw[:21].encode() for s in emails[:: 97])
