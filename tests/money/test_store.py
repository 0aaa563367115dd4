"""The stored path: import, chats and subjects in the database, analyse, files, referral (both backends)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from tasman.core.models import AuditEvent
from tasman.core.workspace import Workspace
from tasman.money.importer import import_transactions
from tasman.money.outputs import BENEFICIARY_COLUMNS, SENDER_COLUMNS, TIMELINE_COLUMNS
from tasman.money.referral import parties_by_country
from tasman.money.run import analyse_case

from .helpers import store_case


def test_import_analyse_outputs_and_referral(ws: Workspace, tmp_path: Path) -> None:
    store_case(ws, tmp_path)
    out = tmp_path / "money"
    with ws.session() as s:
        summary = analyse_case(s, "t", "C1", out_dir=out)
    top = summary.top_beneficiaries[0]
    assert top.name == "Maria Lintam" and top.alerted and top.subject_payers == 2
    assert {"paid_by_several_subjects", "timed_with_chats", "several_unrelated_senders"} <= set(top.indicator_names)
    with (out / "beneficiaries.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == BENEFICIARY_COLUMNS and rows[0]["name"] == "Maria Lintam" and rows[0]["alerted"] == "yes"
    assert "paid_by_several_subjects (+3)" in rows[0]["reasons"]
    with (out / "senders.csv").open() as fh:
        assert tuple(next(csv.reader(fh))) == SENDER_COLUMNS
    with (out / "timeline.csv").open() as fh:
        events = list(csv.DictReader(fh))
    assert tuple(events[0]) == TIMELINE_COLUMNS and {"transfer", "chat"} <= {e["kind"] for e in events}
    assert any(e["who"] == "S-000001" and e["minutes_to_chat"] == "0" for e in events)
    html = (out / "money.html").read_text()
    assert "<svg" in html and "<polyline" in html and "Maria Lintam" in html
    for banned in ("<img", "<video", "<script", "<iframe", "src=", "@import"):
        assert banned not in html
    doc = json.loads((out / "money.json").read_text())
    assert doc["beneficiaries"][0]["reasons"] and doc["chart"][0]["points"]

    with ws.session() as s:
        by_country = parties_by_country(s, "C1", actor="refer")
    assert [p.name for p in by_country["PH"]] == ["Maria Lintam"]
    for country, parties in by_country.items():
        assert all(p.country == country and p.alerted for p in parties)
    senders = [p for ps in by_country.values() for p in ps if p.role == "sender"]
    assert len(senders) == 4 and all("pays_alerted_beneficiary" in p.indicator_names for p in senders)
    assert all("+1201" not in r.why for p in by_country["PH"] for r in p.reasons)  # no other party's identifiers
    with ws.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
        everyone = parties_by_country(s, "C1", alerted_only=False)
    assert "money.analyse" in actions and actions[-1] == "money.referral.read"
    assert sum(map(len, everyone.values())) > sum(map(len, by_country.values()))


def test_rerun_is_a_new_run_and_referral_reads_the_latest(ws: Workspace, tmp_path: Path) -> None:
    store_case(ws, tmp_path)
    from tasman.money.config import MoneyConfig

    with ws.session() as s:
        first = analyse_case(s, "t", "C1", out_dir=tmp_path / "a")
    with ws.session() as s:
        second = analyse_case(s, "t", "C1", MoneyConfig(threshold=100), out_dir=tmp_path / "b")
    assert second.run_id == first.run_id + 1
    with ws.session() as s:
        assert parties_by_country(s, "C1") == {}
    with ws.session() as s:
        again = import_transactions(s, "t", "C1", tmp_path / "str.xml", "goaml")
    assert again.added == 0 and again.unchanged > 0


def test_a_failed_analysis_leaves_no_run_and_the_previous_files(ws: Workspace, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The files are staged and take their places only once the run is stored."""
    from tasman.money import run as money_run
    from tasman.money.models import MoneyRun

    store_case(ws, tmp_path)
    out = tmp_path / "money"
    first = money_run.analyse_workspace(ws, "C1", out_dir=out)
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(files) == set(money_run.FILES.values())
    assert json.loads(files["money.json"])["run_id"] == first.run_id

    def broken(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(money_run.audit, "record", broken)     # the last write of the store fails
    with pytest.raises(OSError, match="disk full"):
        money_run.analyse_workspace(ws, "C1", out_dir=out)
    with ws.session() as s:
        assert [(r.id, r.status) for r in s.scalars(select(MoneyRun))] == [(first.run_id, "finished")]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files      # no staging folder left either
