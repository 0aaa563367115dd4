"""A triage run survives a hashing worker that dies on one file: that file's errors row says how
the worker died, the file is still inventoried (its cryptographic hashes), and the rest is hashed."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.synth.triage_set import jpeg
from tasman.triage import run as triage_run
from tasman.triage.models import TriageError
from tasman.triage.pipeline import Engine, HashPool
from tasman.triage.run import TriageOptions, run_triage
from tests.triage.hashing.test_pipeline import crashing_batch


def test_a_worker_dying_on_one_file_is_an_errors_row(ws: Workspace, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    for i in range(12):
        (folder / ("boom.jpg" if i == 5 else f"f{i}.jpg")).write_bytes(jpeg(i, (64, 48)))

    def engine(_engine: str = "local", workers: int | None = None, _address: str | None = None,
               _shared_storage: bool = False) -> Engine:
        return HashPool(2, crashing_batch)                         # the workers are handed the test's decoder

    monkeypatch.setattr(triage_run, "make_engine", engine)
    with ws.session() as s:
        create_case(s, ws.actor, "T-1")
    r = run_triage(ws, "T-1", [folder], TriageOptions(workers=2), out_dir=tmp_path / "out")
    assert r.status == "finished"
    with ws.session() as s:
        errors = [(e.path, e.reason) for e in s.scalars(select(TriageError).where(TriageError.run_id == r.run_id))]
    assert errors == [("ev/boom.jpg", "worker died (signal 9) hashing this file (a decoder crash?); "
                                      "cryptographic hashes only")]
    with open(r.outputs["files_csv"], newline="", encoding="utf-8") as fh:
        files = {f["path"]: f for f in csv.DictReader(fh)}
    assert len(files) == 12 and files["ev/boom.jpg"]["sha256"]              # still inventoried
    assert all(f["pdq"] for p, f in files.items() if p != "ev/boom.jpg")
