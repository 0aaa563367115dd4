"""The case report's money section: the latest analysis as it was analysed, with a chart per
beneficiary (drawn by the money stage's SVG code), scores, reasons and the timeline. Never media."""

from __future__ import annotations

import json
import re
from pathlib import Path

from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.money.config import MoneyConfig
from tasman.money.run import analyse_case
from tasman.report import CaseReport, write_case_report
from tests.money.helpers import store_case


def test_the_report_has_a_money_section_from_the_latest_run(ws: Workspace, tmp_path: Path) -> None:
    store_case(ws, tmp_path)
    with ws.session() as s:
        analyse_case(s, "t", "C1", MoneyConfig(threshold=100), out_dir=tmp_path / "first")  # nobody alerts
    with ws.session() as s:
        summary = analyse_case(s, "t", "C1", out_dir=tmp_path / "money")
    out = tmp_path / "report.html"
    with ws.session() as s:
        doc = write_case_report(s, "t", "C1", out)
    assert doc.money is not None and doc.money.run_id == summary.run_id
    html = out.read_text()
    section = html[html.index('<section id="money">'):html.index("</section>")]
    # one chart of the top beneficiaries together, then one per charted beneficiary
    assert section.count("<svg") == 1 + len(doc.money.chart) and len(doc.money.chart) >= 2
    assert section.count("<polyline") >= 2
    top = doc.money.beneficiaries[0]
    assert top.name == "Maria Lintam" and top.alerted
    assert re.search(r"#1 Maria Lintam \(PH\): score [\d.]+ <span class=\"alert\">alert</span>", section)
    for reason in top.reasons:
        assert reason.indicator in section
    assert "paid_by_several_subjects" in section and "chat session" in section and "S-000001" in section
    for banned in ("<img", "<video", "<script", "<iframe", "src=", "@import"):
        assert banned not in html
    stored = json.loads(out.with_suffix(".json").read_text())
    assert CaseReport.model_validate(stored) == doc
    assert [e["kind"] for e in stored["money"]["timeline"]].count("transfer") == top.transfers
    with ws.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert actions[-2:] == ["money.report.read", "report.write"]


def test_a_case_without_money_analysis_has_no_money_section(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, "t", "C2")
    with ws.session() as s:
        doc = write_case_report(s, "t", "C2", tmp_path / "r.html")
    assert doc.money is None and 'id="money"' not in (tmp_path / "r.html").read_text()


def test_the_report_command_writes_html_and_json_and_refuses_an_unknown_case(  # type: ignore[no-untyped-def]
        run_cli, tmp_path: Path) -> None:
    w = tmp_path / "ws"
    assert run_cli("init", w).exit_code == 0
    assert run_cli("-w", w, "case", "create", "C1").exit_code == 0
    res = run_cli("-w", w, "--json", "report", "--case", "C1")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    html = Path(data["html"])
    assert html == w / "out" / "C1" / "report.html" and html.exists() and Path(data["json"]).exists()
    assert data["subjects"] == 0 and data["audit_ok"] is True
    assert 'id="triage"' not in html.read_text() and 'href="#triage"' not in html.read_text()  # no run, no section
    res = run_cli("-w", w, "report", "--case", "NOPE")
    assert res.exit_code == 3 and "no case 'NOPE'" in res.stderr and "Traceback" not in res.output
    assert not (w / "out" / "NOPE").exists()


def test_the_triage_section_counts_the_examiners_current_decisions(ws: Workspace, tmp_path: Path) -> None:
    from tasman.triage.review import record_decision
    from tests.serve.triage_data import LIST_NAME, import_list, make_small_set, triaged_ids

    with ws.session() as s:
        create_case(s, "t", "C3")
    small = make_small_set(tmp_path)
    import_list(ws, small)
    ids = triaged_ids(ws, "C3", small.folder, LIST_NAME)
    with ws.session() as s:
        doc = write_case_report(s, "t", "C3", tmp_path / "before.html")
    assert doc.triage is not None and (doc.triage.confirmed, doc.triage.declined) == (0, 0)
    assert "reviewed by an examiner" not in (tmp_path / "before.html").read_text()
    with ws.session() as s:
        record_decision(s, "eve", "C3", ids[small.perceptual], "declined")
        record_decision(s, "eve", "C3", ids[small.perceptual], "confirmed")  # the latest counts
        doc = write_case_report(s, "t", "C3", tmp_path / "after.html")
    assert doc.triage is not None and (doc.triage.confirmed, doc.triage.declined) == (1, 0)
    assert "1 confirmed, 0 declined" in (tmp_path / "after.html").read_text()
