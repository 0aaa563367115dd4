from __future__ import annotations

from pathlib import Path

import pytest

from tasman.core.errors import InputError
from tasman.demo import run_demo


def test_demo_runs_and_reruns(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = run_demo(out)
    assert first.report.exists()
    html = first.report.read_text()
    assert "backup.zip" in html and "Audit chain intact" in html
    assert '<section id="money">' in html and html.count("<svg") >= 2 and "Money trails" in html
    assert first.triage_report is not None and "card.img!/DCIM/_MG_0002.JPG" in first.triage_report.read_text()
    assert first.money is not None and "<svg" in first.money.read_text()
    assert any("money-trail parties each in its own country's package" in step for step in first.steps)
    second = run_demo(out)  # re-running replaces an earlier demo folder
    assert second.report.exists()


def test_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(InputError):
        run_demo(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
