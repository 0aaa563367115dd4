from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tasman import demo
from tasman.core.errors import InputError
from tasman.demo import run_demo
from tasman.report import CaseReport


def test_demo_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    first = run_demo(out)
    assert first.report.exists()
    html = first.report.read_text()
    assert "backup.zip" in html and "Audit chain intact" in html
    assert '<section id="money">' in html and html.count("<svg") >= 2 and "Money trails" in html
    assert first.triage_report is not None and "card.img!/DCIM/_MG_0002.JPG" in first.triage_report.read_text()
    assert first.money is not None and "<svg" in first.money.read_text()
    assert any("money-trail parties each in its own country's package" in step for step in first.steps)
    # every stage has its section, and its figures agree with what the stages wrote themselves
    doc = CaseReport.model_validate_json(first.report.with_suffix(".json").read_text())
    assert first.triage_report is not None and doc.triage is not None
    with (first.triage_report.parent / "matches.csv").open(newline="") as f:
        matched = {row["path"] for row in csv.DictReader(f)}
    assert doc.triage.matched_files == len(matched) > 0
    assert sum(c.files for c in doc.triage.categories) >= doc.triage.matched_files
    assert {i.type for i in doc.identifiers} >= {"email", "phone"}
    assert doc.subjects is not None and doc.subjects.total >= len(doc.subjects.top) > 0
    assert doc.subjects.attributed == sum(doc.subjects.by_country.values()) > 0
    assert doc.referrals is not None and doc.referrals.total.packages == len(doc.referrals.rows) > 0
    for heading in ('<h2 id="triage">Triage</h2>', '<h2 id="identifiers">Identifiers</h2>',
                    '<h2 id="subjects">Subjects and attribution</h2>',
                    '<h2 id="referrals">Referrals and outcomes</h2>'):
        assert heading in html
    assert json.loads(first.report.with_suffix(".json").read_text())["case_ref"] == doc.case_ref
    # a listed picture carries a sender's address in its EXIF: its hit sits on the money timeline by file time
    assert doc.money is not None
    hits = [e for e in doc.money.timeline if e.kind == "triage"]
    assert hits and hits[0].ref == "uploads/Pictures/img_0002.jpg" and "file time" in hits[0].summary
    assert "uploads/Pictures/img_0002.jpg" in html


def test_a_rerun_replaces_an_earlier_demo_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a second run does first, without running the whole demo again (a minute of the suite):
    it empties the earlier demo's folder, marks it again, and only then generates anything."""
    out = tmp_path / "demo"
    (out / "workspace" / "out").mkdir(parents=True)
    (out / "workspace" / "out" / "report.html").write_text("an earlier run's report", encoding="utf-8")
    (out / demo.MARKER).write_text("made by tasman demo; safe to delete\n", encoding="utf-8")
    seen: list[list[Path]] = []

    def stop_here(folder: Path, **_kw: object) -> None:
        seen.append(sorted(out.rglob("*")))
        raise RuntimeError("stopped after the folder was prepared")

    monkeypatch.setattr(demo, "make_corpus", stop_here)
    with pytest.raises(RuntimeError, match="stopped after"):
        run_demo(out)
    assert seen == [[out / demo.MARKER]]          # the earlier run's files are gone, the marker is back


def test_demo_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(InputError):
        run_demo(tmp_path)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
