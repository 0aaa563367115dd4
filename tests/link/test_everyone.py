"""No suspect left behind: every imported record (each side of a transfer) is in exactly one
subject, a subject of one when nothing links it; those are counted with why, attributed from
what they have, and a screen name on a site Tasman does not know is still compared."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tasman.attribute.service import attribute_case
from tasman.core.models import Record
from tasman.core.workspace import Workspace
from tasman.evidence import create_case
from tasman.link.models import LinkRun, ProbableLink, Subject
from tasman.link.normalise import parties
from tasman.link.run import link_case
from tasman.link.views import export_subjects
from tasman.records.importing import import_file

from .conftest import HAS_SCANNER


def _write(tmp: Path) -> dict[str, tuple[str, Path]]:
    customers = tmp / "orders.csv"
    customers.write_text(
        "order_id,customer,email,city,country,ip_address\n"
        "O1,Marta Kowalska,m.kowalska@o2.pl,Gdansk,Poland,\n"
        "O2,Jonas Berg,jonas.berg@example.org,Uppsala,Sweden,\n"
        "O3,,,,,81.2.69.142\n",  # only an IP: nothing to link on
        encoding="utf-8")
    chats = tmp / "chats.jsonl"
    sessions = [
        {"session": "C1", "platform": "Czat.pl", "counterpart": "mart_kowal77", "country": "PL",
         "messages": [{"from": "mart_kowal77", "text": "hi"}]},                       # a site Tasman does not know
        {"session": "C2", "platform": "", "counterpart": "quietfox", "messages": []},  # no platform at all
        {"session": "C3", "platform": "www.Czat.pl", "counterpart": "@Mart_Kowal77", "messages": []},
    ]
    chats.write_text("\n".join(json.dumps(s) for s in sessions) + "\n", encoding="utf-8")
    tips = tmp / "tips.json"
    tips.write_text(json.dumps({"tips": [
        {"report_id": "T1", "person_or_user_reported": {"screen_name": "nightowl_42"}},  # no esp_service
        {"report_id": "T2", "person_or_user_reported": {
            "screen_name": "lakeview", "estimated_location": {"city": "Lyon", "country_code": "FR"}}},
    ]}), encoding="utf-8")
    transfers = tmp / "transfers.csv"
    transfers.write_text(
        "record_id,amount,currency,sender_name,sender_phone,beneficiary_name,beneficiary_country\n"
        "X1,20.00,EUR,Jonas Berg,+46 70 123 45 67,Ana Reyes,PH\n"
        "X2,5.00,EUR,Kim Ode,,,\n",
        encoding="utf-8")
    files = {"orders.csv": ("customers", customers), "tips.json": ("tips", tips),
             "transfers.csv": ("transactions", transfers)}
    if HAS_SCANNER:
        files["chats.jsonl"] = ("chats", chats)
    return files


def _parties(ws: Workspace) -> set[tuple[str, str, str]]:
    """Every party the case's records give: one per record, a transfer's each side that is given."""
    out = set()
    with ws.session() as s:
        for source, sid, kind, fields in s.execute(select(Record.source, Record.source_id, Record.kind, Record.fields)):
            if kind != "transactions":
                out.add((source, sid, ""))
                continue
            for role in ("sender", "beneficiary"):
                if any(k.startswith(f"{role}_") and v for k, v in fields.items()):
                    out.add((source, sid, role))
    return out


def test_every_record_is_in_exactly_one_subject(ws: Workspace, tmp_path: Path) -> None:
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
    for _name, (kind, path) in _write(tmp_path).items():
        with ws.session() as s:
            import_file(s, ws.actor, "C1", path, kind)
    result = link_case(ws, "C1")
    out = tmp_path / "subjects.csv"
    with ws.session() as s:
        export_subjects(s, ws.actor, "C1", out)
    with out.open(encoding="utf-8") as fh:
        rows = [(r["source"], r["source_id"], r["role"], r["subject_id"]) for r in csv.DictReader(fh)]
    exported = [(src, sid, role) for src, sid, role, _ in rows]
    assert sorted(exported) == sorted(_parties(ws))  # every party once: none missing, none twice
    subject_of = {(src, sid, role): ref for src, sid, role, ref in rows}

    alone = result.stats["singletons"]
    assert alone["parties"] == sum(alone["why"].values()) > 0
    assert alone["why"]["no name and no identifier"] >= 1  # O3: only an IP
    assert alone["why"]["only a screen name, without a platform"] >= 1  # T1, and C2 with chats
    with ws.session() as s:
        stored = s.scalar(select(LinkRun.stats).order_by(LinkRun.id.desc()).limit(1))
        probable = s.scalar(select(func.count()).select_from(ProbableLink))
    assert stored["singletons"] == alone
    assert probable == result.stats["probable_links"]  # the review queue's pairs are stored

    if HAS_SCANNER:  # the same screen name on one site, written two ways, is one subject
        assert subject_of[("chats.jsonl", "C1", "")] == subject_of[("chats.jsonl", "C3", "")]

    # a subject of one is attributed from what it has: an IP, an estimated location
    with ws.session() as s:
        attribute_case(s, ws.actor, "C1")
    with ws.session() as s:
        country = {ref: c for ref, c in s.execute(select(Subject.ref, Subject.country))}
    assert country[subject_of[("tips.json", "T2", "")]] == "FR"
    assert country[subject_of[("orders.csv", "O3", "")]] == "GB"  # 81.2.69.142: a documented GB test address


@pytest.mark.skipif(not HAS_SCANNER, reason="chats need the extraction stage's scanner")
def test_a_refused_platform_is_reported_and_the_row_kept(ws: Workspace, tmp_path: Path) -> None:
    chats = tmp_path / "chats.jsonl"
    chats.write_text("\n".join(json.dumps(s) for s in [
        {"session": "A", "platform": "chat\u0001room", "counterpart": "bob_hill", "messages": []},
        {"session": "B", "platform": "x" * 65, "counterpart": "ann_hill", "messages": []},
        {"session": "C", "platform": "forum", "counterpart": "ann.hill@example.org", "messages": []},
        {"session": "D", "platform": "whatsapp", "counterpart": "+46 70 123 45 67", "messages": []},
    ]) + "\n", encoding="utf-8")
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        rep = import_file(s, ws.actor, "C1", chats, "chats")
    assert rep.imported == 4 and rep.skipped == 0
    assert any("session A" in w and "control characters" in w for w in rep.warnings)
    assert any("session B" in w and "longer than 64" in w for w in rep.warnings)
    with ws.session() as s:
        fields = {sid: f for sid, f in s.execute(select(Record.source_id, Record.fields))}
    assert "platform" not in fields["A"] and fields["A"]["identifiers"][0]["platform"] == ""
    assert fields["C"]["email"] == "ann.hill@example.org" and fields["C"]["identifiers"][0]["type"] == "email"
    assert fields["D"]["phone"] == "+46701234567" and fields["D"]["identifiers"][0]["type"] == "phone"


def test_a_tip_platform_that_cannot_be_one_is_reported(ws: Workspace, tmp_path: Path) -> None:
    tips = tmp_path / "tips.json"
    tips.write_text(json.dumps([{"report_id": "T1", "person_or_user_reported": {
        "screen_name": "bob_hill", "esp_service": "site\u0007name"}}]), encoding="utf-8")
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        rep = import_file(s, ws.actor, "C1", tips, "tips")
    assert rep.imported == 1 and any("report 1" in w and "control characters" in w for w in rep.warnings)
    with ws.session() as s:
        fields = s.scalar(select(Record.fields))
    assert "platform" not in fields and fields["identifiers"][0]["value"] == "unknown:bob_hill"


def test_screen_names_and_platforms_of_an_order_list_are_typed_and_checked(ws: Workspace, tmp_path: Path) -> None:
    """Issue 14's bad input, through an order list: a screen name that is an e-mail, a phone, a
    URL or empty is typed as what it is (never a handle); a platform with control characters or
    over 64 characters is refused on its row with a warning, the row kept."""
    orders = tmp_path / "orders.csv"
    with orders.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "name", "username", "platform", "country"])
        w.writerows([
            ["1", "Ann Hill", "Ann.Hill@Example.org", "forum", "Sweden"],
            ["2", "Bob Hill", "070-123 45 67", "whatsapp", "Sweden"],
            ["3", "Cy Hill", "https://forum.example.com/u/cy", "forum", "Sweden"],
            ["4", "Di Hill", "", "forum", "Sweden"],
            ["5", "Ed Hill", "ed_hill", "chat\x01room", "Sweden"],
            ["6", "Flo Hill", "flo_hill", "y" * 65, "Sweden"],
            ["7", "Gus Hill", "gus_hill", "Chat Room", "Sweden"],
        ])
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        rep = import_file(s, ws.actor, "C1", orders, "customers")
    assert rep.imported == 7 and rep.skipped == 0
    warned = [w for w in rep.warnings if "platform" in w]  # rows are the file's lines: the header is row 1
    assert len(warned) == 2 and "row 6" in warned[0] and "control characters" in warned[0], warned
    assert "row 7" in warned[1] and "longer than 64" in warned[1] and "refused" in warned[1], warned
    with ws.session() as s:
        fields = {sid: f for sid, f in s.execute(select(Record.source_id, Record.fields))}
    assert "platform" not in fields["5"] and "platform" not in fields["6"]  # refused, the screen name kept
    one = {sid: parties(int(sid), "customers", f)[0] for sid, f in fields.items()}
    assert one["1"]["emails"] == ["ann.hill@example.org"] and one["1"]["site_handles"] is None
    assert one["2"]["phones"] == ["+46701234567"] and one["2"]["handles"] is None
    assert one["3"]["handles"] is None and one["3"]["site_handles"] is None  # a URL is no screen name
    assert one["4"]["handles"] is None and one["4"]["site_handles"] is None
    assert one["5"]["site_handles"] == ["unknown:ed_hill"] and one["6"]["site_handles"] == ["unknown:flo_hill"]
    assert one["7"]["site_handles"] == ["chatroom:gus_hill"]


def test_screen_names_of_a_tip_are_typed_as_what_they_are(ws: Workspace, tmp_path: Path) -> None:
    tips = tmp_path / "tips.json"
    reported = [
        {"screen_name": "ann.hill@example.org", "esp_service": "forum"},
        {"screen_name": "+46 70 123 45 67", "esp_service": "forum"},
        {"screen_name": "https://t.me/bob_hill"},
        {"screen_name": "https://forum.example.com/u/cy", "esp_service": "forum"},
        {"screen_name": "   ", "esp_service": "forum", "name": "Di Hill"},
    ]
    tips.write_text(json.dumps([{"report_id": f"T{i}", "person_or_user_reported": p}
                                for i, p in enumerate(reported, 1)]), encoding="utf-8")
    with ws.session() as s:
        create_case(s, ws.actor, "C1")
        rep = import_file(s, ws.actor, "C1", tips, "tips")
    assert rep.imported == 5
    with ws.session() as s:
        fields = {sid: f for sid, f in s.execute(select(Record.source_id, Record.fields))}
    typed = {sid: [(i["type"], i.get("value")) for i in f.get("identifiers", [])] for sid, f in fields.items()}
    assert typed == {"T1": [("email", "ann.hill@example.org")], "T2": [("phone", "+46701234567")],
                     "T3": [("handle", "telegram:bob_hill")],
                     "T4": [("url", "https://forum.example.com/u/cy")], "T5": []}
    assert "username" not in fields["T5"]  # an empty screen name is none
    one = {sid: parties(int(sid[1:]), "tips", f)[0] for sid, f in fields.items()}
    assert one["T1"]["emails"] == ["ann.hill@example.org"] and one["T2"]["phones"] == ["+46701234567"]
    assert one["T3"]["handles"] == ["telegram:bob_hill"]
    assert all(one[t]["handles"] is None and one[t]["site_handles"] is None for t in ("T1", "T2", "T4", "T5"))
