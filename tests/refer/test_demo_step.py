from __future__ import annotations

from pathlib import Path

import pytest

from tasman.core.workspace import Workspace
from tasman.refer import render
from tasman.refer.demo import referral_demo
from tests.attribute import factory as f


def test_demo_step_skips_without_subjects(tmp_path: Path) -> None:
    w = Workspace.init(tmp_path / "w", actor="demo")
    with w.session() as s:
        f.case(s, "DEMO-1")
    assert "skipped" in referral_demo(w, "DEMO-1", tmp_path / "p")[0]  # no subjects, no money analysis
    w.close()


def test_demo_step_refers_and_round_trips_an_outcome(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render, "WITH_PDF", False)
    w = Workspace.init(tmp_path / "w", actor="demo")
    with w.session() as s:
        f.operation(s, "DEMO-1")
    steps = referral_demo(w, "DEMO-1", tmp_path / "partners")
    w.close()
    assert steps[0].startswith("attributed 3 of 4 subjects")
    assert "built 3 signed, encrypted packages" in steps[1]
    assert "agency DE verified, opened and imported DEMO-1-DE-v1 (1 subjects, 0 money-trail parties)" in steps[2]
    assert "3 packages, 1 acknowledged, 1 arrested" in steps[3]
    assert (tmp_path / "w" / "out" / "summary.html").exists()
