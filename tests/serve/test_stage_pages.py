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

from tasman.accounts import store as accounts
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.refer import agencies, keys, render
from tasman.refer.outcomes import report_outcome
from tasman.refer.service import import_package
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


def _shared_phone(ws: Workspace) -> None:
    """One phone number seen in a record of S-000001 and one of S-000003: what ties them."""
    from sqlalchemy import select

    from tasman.core.models import Case, Record

    with ws.session() as s:
        c = s.scalars(select(Case).where(Case.ref == OP)).one()
        for sid in ("17", "20"):
            rec = s.scalars(select(Record).where(Record.case_id == c.id, Record.source_id == sid)).one()
            factory.observation(s, c, "phone", "+639170000000", record=rec, country="PH")
        factory.namesake_beneficiary(s, c, "S-000009", 1)   # the sender's phone, in a transfer to S-000009


def test_identifiers_by_distinct_value_shared_first(make_client: Callable[..., Client], operation: object,
                                                   ws: Workspace) -> None:
    _shared_phone(ws)
    ana = make_client("ana")
    page = ana.get(f"/cases/{OP}/identifiers").text
    table = page.split('id="identifiers"', 1)[1].split("</table>", 1)[0]
    rows = table.split("<tr")[2:]
    assert "+639170000000" in rows[0] and "2 subjects" in rows[0]       # the shared value first
    assert f'href="/cases/{OP}/subjects/S-000001"' in rows[0] and f'href="/cases/{OP}/subjects/S-000003"' in rows[0]
    assert table.count("ana.reyes@example.ph") == 1                      # one row per value, seen twice
    records = re.search(rf'href="(/cases/{OP}/records\?ids=[0-9,]+)">2 records', rows[0])
    assert records is not None
    listed = ana.get(records.group(1)).text
    assert listed.count('<tr id="record-') == 2 and "Ana Reyes" in listed and "Max Muster" in listed
    only_shared = ana.get(f"/cases/{OP}/identifiers?shared=1").text
    assert "+639170000000" in only_shared and "ana.reyes@example.ph" not in only_shared.split('id="identifiers"')[1]
    sightings = ana.get(f"/cases/{OP}/identifiers?view=sightings&q=ana.reyes").text
    assert "msgstore.db" in sightings and "IMG_0001.jpg" in sightings
    assert ana.get(f"/cases/{OP}/records?ids=1,x").status_code == 400
    sender = ana.get(f"/cases/{OP}/identifiers?q=%2B447700900121").text.split('id="identifiers"', 1)[1]
    assert "1 record" in sender and "S-000009" not in sender      # not the beneficiary's: the other side's


def test_records_read_as_a_table_with_chips(make_client: Callable[..., Client], operation: object) -> None:
    page = make_client("ana").get(f"/cases/{OP}/records").text
    table = page.split('id="records"', 1)[1].split("</table>", 1)[0]
    assert "{'" not in table and "&#39;" not in table                     # no Python dict reprs
    assert '<span class="chip" title="email">ana.reyes@example.ph</span>' in table
    assert "<summary>more</summary>" in table and "free text the importer kept" in table   # the rest folded
    assert "2024-03-01 22:10:00" in table


def test_subjects_sort_filter_and_search(make_client: Callable[..., Client], operation: object,
                                         ws: Workspace) -> None:
    from sqlalchemy import select

    from tasman.link.models import Subject

    with ws.session() as s:   # what linking stores beside a subject
        s.scalars(select(Subject).where(Subject.ref == "S-000003")).one().identifiers = {"emails": ["max@example.de"]}
    ana = make_client("ana")

    def refs(query: str) -> list[str]:
        listed = ana.get(f"/cases/{OP}/subjects?{query}").text.split('id="subjects"', 1)[1].split("</table>")[0]
        return re.findall(r">(S-\d{6})</a>", listed)

    assert refs("") == ["S-000002", "S-000001", "S-000003", "S-000004"]          # most records first
    assert refs("sort=name") == ["S-000001", "S-000002", "S-000003", "S-000004"]
    assert refs("sort=country")[-1] == "S-000004"                                # no country last
    assert refs("q=VRIES") == ["S-000002"]                               # any case, in the name
    assert refs("q=max%40example") == ["S-000003"]                       # in an identifier
    assert refs("q=nobody-at-all") == []
    assert ana.get(f"/cases/{OP}/subjects?sort=evil").status_code == 400


def test_pages_say_when_they_are_older_than_the_run_they_depend_on(
        make_client: Callable[..., Client], operation: object, ws: Workspace) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from tasman.core.models import Case
    from tasman.core.timeutil import utcnow
    from tasman.link.models import LinkRun

    lia = make_client("lia")
    lia.post(f"/cases/{OP}/attribution")
    assert lia.post(f"/cases/{OP}/referrals", {"tlp": "amber"}).status_code == 200
    assert 'class="notice stale"' not in lia.get(f"/cases/{OP}/attribution").text
    with ws.session() as s:   # a linking run that finished after both
        c = s.scalars(select(Case).where(Case.ref == OP)).one()
        later = utcnow() + timedelta(minutes=5)
        s.add(LinkRun(case_id=c.id, started_at=later, finished_at=later, threshold=0.9, actor="ana"))
    page = lia.get(f"/cases/{OP}/attribution").text
    assert "Attribution is from before the last linking run" in page
    notice = page.split('class="notice stale"', 1)[1].split("</div>", 1)[0]
    assert f'action="/cases/{OP}/attribution"' in notice and "Run attribution again" in notice
    assert "Run attribution again</button>" not in make_client("aud").get(f"/cases/{OP}/attribution").text
    assert "from before the last linking run" in lia.get(f"/cases/{OP}/referrals").text
    assert "from before the last linking run" in lia.get(f"/cases/{OP}/summary").text
