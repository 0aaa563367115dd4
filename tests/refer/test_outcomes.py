from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tasman.core.errors import InputError, IntegrityError
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.refer import agencies, keys
from tasman.refer.outcomes import import_outcome, report_outcome
from tasman.refer.service import import_package
from tasman.refer.summary import build_summary, chart_svg, to_csv, to_html
from tests.refer.conftest import Sent


def _recipient(sent: Sent, cc: str, tmp_path: Path) -> tuple[Workspace, keys.LocalKeys]:
    root, theirs = sent.partners[cc]
    w = Workspace.init(root / "ws", actor=f"{cc.lower()}-officer")
    with w.session() as s:
        create_case(s, w.actor, f"{cc}-1")
        import_package(s, w.actor, f"{cc}-1", sent.package(cc), theirs.age_identity, allow_unknown_sender=True)
    return w, theirs


def _report(w: Workspace, theirs: keys.LocalKeys, cc: str, out: Path, *items: dict[str, object]) -> Path:
    with w.session() as s:
        signed = report_outcome(s, w.actor, f"{cc}-1", f"OP-1-{cc}-v1", list(items), theirs)
    out.write_text(json.dumps(signed.model_dump(mode="json")))
    return out


def test_round_trip_replays_and_summary(sent: Sent, tmp_path: Path) -> None:
    w, theirs = _recipient(sent, "PH", tmp_path)
    try:
        day = date(2024, 5, 2)
        first = _report(w, theirs, "PH", tmp_path / "o1.json",
                        {"subject_ref": "S-000001", "status": "acknowledged", "date": day})
        second = _report(w, theirs, "PH", tmp_path / "o2.json",
                         {"subject_ref": "S-000001", "status": "arrested", "date": day, "note": "search warrant"},
                         {"subject_ref": "S-000001", "status": "children_safeguarded", "date": day,
                          "children_safeguarded": 2})
        with pytest.raises(InputError, match="not in package"):
            _report(w, theirs, "PH", tmp_path / "x.json", {"subject_ref": "S-000002", "status": "arrested",
                                                           "date": day})
    finally:
        w.close()
    with sent.ws.session() as s:
        got = import_outcome(s, sent.ws.actor, "OP-1", first)
        assert got["agency"].startswith("PNP") and got["sequence"] == 1
        import_outcome(s, sent.ws.actor, "OP-1", second)
    with pytest.raises(IntegrityError, match="replay refused: outcome report"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", second)          # the same report again
    with pytest.raises(IntegrityError, match="replay refused"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", first)           # an old one
    with sent.ws.session() as s:
        summary = build_summary(s, sent.ws.actor, "OP-1")
    ph = next(r for r in summary.rows if r.country == "PH")
    assert (ph.packages, ph.subjects, ph.acknowledged, ph.arrested, ph.children_safeguarded) == (1, 1, 1, 1, 2)
    assert summary.total.packages == 3 and summary.total.subjects == 3 and summary.total.arrested == 1
    assert "PH,PNP" in to_csv(summary) and to_csv(summary).splitlines()[-1].startswith("ALL,")
    html = to_html(summary)
    assert "<svg" in html and "<script" not in html and "http" not in html.replace('xmlns="http://www.w3.org', "")
    assert chart_svg(summary).count("<rect") >= 3 * 4


def test_old_sequence_with_a_fresh_nonce_is_refused(sent: Sent, tmp_path: Path) -> None:
    w, theirs = _recipient(sent, "PH", tmp_path)
    try:
        item = {"subject_ref": "S-000001", "status": "acknowledged", "date": date(2024, 5, 2)}
        one = _report(w, theirs, "PH", tmp_path / "o1.json", item)
        two = _report(w, theirs, "PH", tmp_path / "o2.json", item)
    finally:
        w.close()
    with sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", two)
    with pytest.raises(IntegrityError, match=r"sequence 1 .* is not after the last imported"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", one)


def test_tampered_unknown_or_misdirected_reports_are_refused(sent: Sent, tmp_path: Path) -> None:
    w, theirs = _recipient(sent, "PH", tmp_path)
    try:
        good = _report(w, theirs, "PH", tmp_path / "o.json",
                       {"subject_ref": "S-000001", "status": "arrested", "date": date(2024, 5, 2)})
    finally:
        w.close()
    data = json.loads(good.read_text())
    data["report"]["items"][0]["status"] = "convicted"
    tampered = tmp_path / "t.json"
    tampered.write_text(json.dumps(data))
    with pytest.raises(IntegrityError, match="signature does not match"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", tampered)
    with sent.ws.session() as s:  # the PH agency's entry now holds another key
        (tmp_path / "k").mkdir()
        other = keys.generate(tmp_path / "k", "x", [], "")
        agencies.add_agency(s, sent.ws.actor, "PNP Women and Children Protection Center", ["PH"],
                            other.age_recipient, other.public_key, replace=True)
    with pytest.raises(IntegrityError, match="not in the agency directory"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", good)
    with sent.ws.session() as s:  # a directory entry for that key, but not the agency the package went to
        agencies.add_agency(s, sent.ws.actor, "Someone Else", ["TH"], theirs.age_recipient, theirs.public_key)
    with pytest.raises(IntegrityError, match="went to"), sent.ws.session() as s:
        import_outcome(s, sent.ws.actor, "OP-1", good)


def test_an_outcome_dated_in_the_future_is_refused(sent: Sent, tmp_path: Path) -> None:
    w, theirs = _recipient(sent, "PH", tmp_path)
    try:
        with pytest.raises(InputError, match="2999-01-01 is in the future"):
            _report(w, theirs, "PH", tmp_path / "o.json",
                    {"subject_ref": "S-000001", "status": "arrested", "date": date(2999, 1, 1)})
        assert not (tmp_path / "o.json").exists()
    finally:
        w.close()
