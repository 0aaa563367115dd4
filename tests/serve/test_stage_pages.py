"""Pages over the stages that have landed: subjects, link graph, attribution, referral packages,
outcomes and the operation summary, on a small made-up operation (tests.attribute.factory)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.refer import agencies, keys, render
from tasman.refer.outcomes import report_outcome
from tasman.refer.service import import_package
from tasman.serve import accounts
from tests.attribute import factory
from tests.serve.conftest import Client, audit_actions

OP = "OP-2"
PARTNERS = {"PH": "Partner unit PH", "NL": "Partner unit NL", "DE": "Partner unit DE"}


@pytest.fixture
def operation(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[Path, keys.LocalKeys]]:
    """Four made-up subjects in three countries; our keys; one partner agency per country."""
    monkeypatch.setattr(render, "WITH_PDF", False)
    keys.generate(ws.root, "Hotline Unit", ["GB"], "unit@example.invalid")
    partners = {}
    with ws.session() as s:
        factory.operation(s, OP)
        for name in ("ada", "ana", "lia", "aud", "eve"):
            accounts.add_member(s, "setup", OP, name)
        for cc, name in PARTNERS.items():
            root = tmp_path / f"partner-{cc}"
            root.mkdir()
            theirs = keys.generate(root, name, [cc], f"{cc.lower()}@example.invalid")
            agencies.add_agency(s, "setup", name, [cc], theirs.age_recipient, theirs.public_key, theirs.contact)
            partners[cc] = (root, theirs)
    return partners


def test_subjects_and_graph(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                            operation: object) -> None:
    ana = make_client("ana")
    page = ana.get(f"/cases/{OP}/subjects").text
    assert "S-000001" in page and "Ana Reyes" in page
    detail = ana.get(f"/cases/{OP}/subjects/S-000002").text
    assert "jdv@example.nl" in detail and "Split ticked records off" in detail
    graph = ana.get(f"/cases/{OP}/graph.json", params={"whole": 1}).json()
    # nothing extracted or linked yet: the subjects alone; the city found in Ana's record is a place,
    # counted and not drawn, and the unrelated record is counted as in no subject
    assert {n["kind"] for n in graph["nodes"]} == {"subject"} and graph["edges"] == []
    assert graph["stats"]["subjects"] == 4 and graph["stats"]["places_left_out"] == 1
    assert graph["stats"]["records_outside"] == 1
    one = api("ana").get(f"/api/v1/cases/{OP}/graph", params={"subject": "S-000001", "hops": 1}).json()
    assert [n["label"] for n in one["nodes"]] == ["S-000001 Ana Reyes"] and one["focus"] == "s:S-000001"
    assert api("ana").get(f"/api/v1/cases/{OP}/subjects/S-000002").json()["records"] == 2


def test_attribution_runs_from_the_page_and_shows_its_reasons(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], operation: object,
        ws: Workspace) -> None:
    lia = make_client("lia")
    assert "No attribution yet" in lia.get(f"/cases/{OP}/attribution").text
    assert api("lia").get(f"/api/v1/cases/{OP}/attribution").status_code == 404
    assert make_client("aud").post(f"/cases/{OP}/attribution").status_code == 403
    assert lia.post(f"/cases/{OP}/attribution").status_code == 303
    page = lia.get(f"/cases/{OP}/attribution").text
    assert "conflict" in page and "+639171234567" in page and "a private address carries no weight" in page
    result = api("lia").get(f"/api/v1/cases/{OP}/attribution").json()
    by_ref = {s["subject"]: s for s in result["subjects"]}
    assert by_ref["S-000001"]["country"] == "PH" and by_ref["S-000002"]["country"] == "NL"
    assert by_ref["S-000001"]["ranked"][0]["reasons"]
    assert ("lia", "attribute.run", OP, f"run {result['run']}") in audit_actions(ws, "lia")


def test_build_download_and_outcomes(make_client: Callable[..., Client], api: Callable[[str], TestClient],
                                     operation: dict[str, tuple[Path, keys.LocalKeys]], ws: Workspace,
                                     tmp_path: Path) -> None:
    lia = make_client("lia")
    lia.post(f"/cases/{OP}/attribution")
    assert make_client("ana").post(f"/cases/{OP}/referrals", {"tlp": "amber"}).status_code == 403
    built = lia.post(f"/cases/{OP}/referrals", {"tlp": "amber"})
    assert built.status_code == 200 and "package(s) built" in built.text
    ids = sorted(set(re.findall(rf"{OP}-[A-Z]{{2}}-v1", built.text)))
    assert ids == [f"{OP}-DE-v1", f"{OP}-NL-v1", f"{OP}-PH-v1"]
    listing = api("lia").get(f"/api/v1/cases/{OP}/referrals").json()
    sha = {p["package_id"]: p["file_sha256"] for p in listing["packages"]}
    got = lia.get(f"/cases/{OP}/referrals/{OP}-PH-v1/download")
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == sha[f"{OP}-PH-v1"]
    assert api("lia").get(f"/api/v1/cases/{OP}/referrals/{OP}-NL-v1").status_code == 200
    assert make_client("ana").get(f"/cases/{OP}/referrals/{OP}-PH-v1/download").status_code == 403
    assert api("out").get(f"/api/v1/cases/{OP}/referrals/{OP}-PH-v1").status_code == 404
    assert ("lia", "package.download", OP, f"{OP}-PH-v1") in audit_actions(ws, "lia")

    # the Philippine partner opens its package in its own workspace and reports back
    root, theirs = operation["PH"]
    partner = Workspace.init(root / "ws", actor="ph-officer")
    try:
        with partner.session() as s:
            create_case(s, partner.actor, "PH-1")
            import_package(s, partner.actor, "PH-1", ws.root / "out" / "referrals" / OP / f"{OP}-PH-v1.tasman",
                           theirs.age_identity, allow_unknown_sender=True)
            signed = report_outcome(s, partner.actor, "PH-1", f"{OP}-PH-v1", [
                {"subject_ref": "S-000001", "status": "arrested", "date": date(2024, 5, 2)},
                {"subject_ref": "S-000001", "status": "children_safeguarded", "date": date(2024, 5, 2),
                 "children_safeguarded": 2}], theirs)
    finally:
        partner.close()
    doc = json.dumps(signed.model_dump(mode="json")).encode()
    r = lia.http.post(f"/cases/{OP}/outcomes", data={"csrf_token": lia.csrf},
                      files={"file": ("outcome.json", doc, "application/json")})
    assert r.status_code == 200 and "imported: 2 item(s)" in r.text
    replay = api("lia").post(f"/api/v1/cases/{OP}/outcomes", files={"file": ("outcome.json", doc, "application/json")})
    assert replay.status_code in (400, 409)  # a replayed report is refused
    summary = api("lia").get(f"/api/v1/cases/{OP}/summary").json()
    ph = next(c for c in summary["countries"] if c["country"] == "PH")
    assert (ph["packages"], ph["arrested"], ph["children_safeguarded"]) == (1, 1, 2)
    assert summary["children_safeguarded"] == 2
    referrals = lia.get(f"/cases/{OP}/referrals").text
    assert "<th class=\"num\">Money-trail parties</th>" in referrals  # the summary's last column too
    outcomes = referrals[referrals.index("Outcomes reported back"):]
    rows = re.findall(r"<tr(?: class=\"total\")?><td>.*?</tr>", outcomes)
    assert len(rows) == 4 and all(r.count('<td class="num">') == 10 for r in rows)  # DE, NL, PH, total
    page = lia.get(f"/cases/{OP}/summary").text
    assert 'id="per-country-data"' in page and "Philippines: " in page  # chart data and the map tooltip
    # the case report, as `tasman report` writes it: the outcome is in it, no media, the read audited
    assert 'id="case-report"' in page
    got = lia.get(f"/cases/{OP}/report.html")
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert '<h2 id="referrals">Referrals and outcomes</h2>' in got.text and "<img" not in got.text
    doc = api("aud").get(f"/api/v1/cases/{OP}/report").json()
    ph_row = next(r for r in doc["referrals"]["rows"] if r["country"] == "PH")
    assert (ph_row["arrested"], ph_row["children_safeguarded"]) == (1, 2)
    assert [a[1] for a in audit_actions(ws, "lia")].count("report.read") == 1
    assert [a[1] for a in audit_actions(ws, "aud")].count("report.read") == 1


def test_confirm_split_and_merge_from_the_page_and_the_api(
        make_client: Callable[..., Client], api: Callable[[str], TestClient], operation: object,
        ws: Workspace) -> None:
    ana = make_client("ana")
    page = ana.get(f"/cases/{OP}/subjects/S-000002").text
    keys = re.findall(r'name="records" value="([^"]+)"', page)
    assert len(keys) == 2
    url = f"/cases/{OP}/subjects/S-000002/decisions"
    assert ana.post(url, {"kind": "split", "records": keys[1]}, csrf=False).status_code == 403
    assert make_client("lia").post(url, {"kind": "split", "records": keys[1]}).status_code == 403
    assert make_client("aud").post(url, {"kind": "split", "records": keys[1]}).status_code == 403
    assert make_client("out").post(url, {"kind": "split", "records": keys[1]}).status_code == 404
    assert ana.post(url, {"kind": "split"}).status_code == 400                    # nothing ticked
    assert ana.post(url, {"kind": "split", "records": keys}).status_code == 400   # every record
    assert ana.post(url, {"kind": "nonsense"}).status_code == 400
    r = ana.post(url, {"kind": "split", "records": keys[1], "note": "different people"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{OP}/subjects/S-000002"
    after = ana.get(f"/cases/{OP}/subjects/S-000002").text
    assert re.findall(r'name="records" value="([^"]+)"', after) == keys[:1]
    new_ref = re.search(r"split <a[^>]*>S-000002</a>, <a[^>]*>(S-\d+)</a> — different people", after)
    assert new_ref is not None
    moved = api("ana").get(f"/api/v1/cases/{OP}/subjects/{new_ref.group(1)}").json()
    assert [m["key"] for m in moved["members"]] == keys[1:] and moved["status"] == "confirmed"

    client = api("ana")
    base = f"/api/v1/cases/{OP}/subjects"
    confirmed = client.post(f"{base}/S-000001/decisions", json={"kind": "confirm", "note": "checked by hand"})
    assert confirmed.status_code == 201 and confirmed.json() == {"kind": "confirm", "subjects": ["S-000001"]}
    assert client.get(f"{base}/S-000001").json()["status"] == "confirmed"
    assert client.post(f"{base}/S-000003/decisions", json={"kind": "merge"}).status_code == 400
    assert client.post(f"{base}/S-000003/decisions", json={"kind": "merge", "subjects": ["S-999999"]}).status_code \
        == 404
    assert client.post(f"{base}/S-999999/decisions", json={"kind": "confirm"}).status_code == 404
    assert api("lia").post(f"{base}/S-000003/decisions", json={"kind": "confirm"}).status_code == 403
    assert api("out").post(f"{base}/S-000003/decisions", json={"kind": "confirm"}).status_code == 404
    merged = client.post(f"{base}/S-000003/decisions", json={"kind": "merge", "subjects": ["S-000004"]})
    assert merged.status_code == 201 and merged.json()["subjects"] == ["S-000003", "S-000004"]
    listed = {s["ref"]: s for s in client.get(base).json()}
    assert listed["S-000003"]["records"] == 2 and "S-000004" not in listed  # retired
    actions = [(a[1], a[3]) for a in audit_actions(ws, "ana")]
    assert ("subject.split", f"S-000002,{new_ref.group(1)}") in actions
    assert ("subject.confirm", "S-000001") in actions and ("subject.merge", "S-000003,S-000004") in actions
